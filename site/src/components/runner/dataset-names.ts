/**
 * The datasets the notebook runner serves, and which of them a cell reads (no imports: the page's main thread
 * uses the labels without bundling the library, the worker the detection).
 */

export type BrowserDataset = 'mnist' | 'fashion-mnist';
export type Split = 'train' | 'test';
export const DATASETS: readonly BrowserDataset[] = ['mnist', 'fashion-mnist'];
/** Where the site serves each dataset's gzipped IDX files (site/scripts/prepare-runtime.mjs). */
export const DATA_BASE: Record<BrowserDataset, string> = { mnist: '/data/mnist/', 'fashion-mnist': '/data/fashion-mnist/' };
/** What the page fetches for the synchronous loaders: the image datasets and the KJV text corpus (loadKjv). */
export type FetchedData = BrowserDataset | 'kjv';
/** How the page names what it fetches. */
export const DATASET_LABEL: Record<FetchedData, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST', kjv: 'KJV' };
/** Where the site serves the KJV: Debian bible-kjv-text's /usr/lib/bible.data as installed (site/scripts/prepare-runtime.mjs). */
export const KJV_URL = '/data/kjv/bible.data';

/**
 * True when a cell calls loadKjv (synchronous, as in Node): the worker fetches the KJV before it runs.
 *
 * @example
 * readsKjv('const kjv = ol.loadKjv();'); // true
 */
export function readsKjv(source: string): boolean {
  return /\bloadKjv\b/.test(source);
}

export function isBrowserDataset(name: string): name is BrowserDataset {
  return (DATASETS as readonly string[]).includes(name);
}

/**
 * The datasets and splits a cell reads with the synchronous loaders (loadMnist, loadFashionMnist, loadDataset),
 * from its source, so the worker fetches them before the cell runs. trainCached is not among them: it fetches
 * what it trains on by itself, and only when the model is not cached. `loadDataset(name)` with the name in a
 * variable counts as MNIST, or as Fashion-MNIST when the cell spells 'fashion-mnist' somewhere.
 *
 * @example
 * datasetsRead("ol.loadDataset('fashion-mnist', { split: 'test' })"); // { datasets: ['fashion-mnist'], splits: ['test'] }
 */
export function datasetsRead(source: string): { datasets: BrowserDataset[]; splits: Split[] } {
  const byVariable = /\bloadDataset\(\s*[^'"\s]/.test(source);
  const spellsFashion = /['"]fashion-mnist['"]/.test(source);
  const mnist = /\bloadMnist\b/.test(source) || /\bloadDataset\(\s*['"]mnist['"]/.test(source) || (byVariable && !spellsFashion);
  const fashion = /\bloadFashionMnist\b/.test(source) || /\bloadDataset\(\s*['"]fashion-mnist['"]/.test(source) || (byVariable && spellsFashion);
  const datasets: BrowserDataset[] = [];
  if (mnist) datasets.push('mnist');
  if (fashion) datasets.push('fashion-mnist');
  const splits: Split[] = [];
  if (/split:\s*['"]train['"]/.test(source)) splits.push('train');
  if (/split:\s*['"]test['"]/.test(source)) splits.push('test');
  return { datasets, splits: splits.length ? splits : ['train', 'test'] };
}
