/**
 * `import ... from 'optilab'` inside a notebook cell on the site: the isomorphic core of the same library
 * (src/core.ts, compiled in src/dist) plus browser counterparts of the Node-only helpers the notebooks call:
 * loadMnist / loadFashionMnist / loadDataset (IDX files served by the site, fetched and cached by ./datasets),
 * initBackend (tfjs WebGL, else wasm, else cpu), trainCached (trained once per configuration and kept in
 * IndexedDB under the Node cache's key: the same configuration and build hashes), show.* (drawn by the page with src/viz), the pure-TypeScript ONNX exporter and the
 * TFLite exporter, reader, arena planner and C-array writer (flatbuffers only; flashFootprint needs Node's zlib),
 * and ONNX models run with onnxruntime-web on the page's in-memory files (./page-fs: a cell's fs, os and path);
 * for the transformer chapter loadKjv (the KJV file the site serves, parsed by the library's kjvFromBytes),
 * trainTinyGptCached (trained in the worker, kept in IndexedDB under the Node cache's key) and
 * createGptSession / onnxGptLogits / onnxPerplexity (the library's session code over onnxruntime-web).
 * Functions that need Python, Node's zlib, worker threads or model folders on disk throw LabOnlyError saying so.
 */
import * as core from '@optilab/core';
import { createModel, quantizationBundle, rooflineBundle, sparsityBundle, registerWasmGradients, registerFastWasmKernels, type MimeBundle } from '@optilab/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import runtime from '@site/src/generated/runtime.json';
import { ensureDataset, isBrowserDataset, loadedDataset, loadedKjv, type FetchProgress } from './datasets';
import type { TrainProgressMsg } from './protocol';
import type * as Ort from 'onnxruntime-web';
import { loadOrt, ortLoaded } from './ort-web';
import { pagePath, readPageFile } from './page-fs';

export type BrowserBackend = 'webgl' | 'wasm' | 'cpu';
type Sink = (bundle: MimeBundle) => void;

let sink: Sink = () => undefined;
let active: BrowserBackend | null = null;

/** The worker sets where show.* bundles go. */
export function setDisplaySink(s: Sink): void {
  sink = s;
}

/** A function of the Node library that cannot run in a browser. */
export class LabOnlyError extends Error {
  constructor(fn: string, why: string) {
    super(`ol.${fn} runs only in the lab (optilab lab), not in the browser: ${why}. The rest of the notebook runs here; open it in the lab for this cell.`);
    this.name = 'LabOnlyError';
  }
}

/** True when a WebGL context is drawn by a software rasterizer rather than a GPU. */
export function softwareWebgl(gl: WebGLRenderingContext | WebGL2RenderingContext): boolean {
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

async function tryBackend(name: BrowserBackend): Promise<boolean> {
  try {
    if (name === 'webgl') {
      if (typeof OffscreenCanvas === 'undefined') return false;
      const probe = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
      if (!probe) return false;
      // A software rasterizer (SwiftShader, llvmpipe: headless browsers, machines without a GPU) trains ~20x
      // slower than wasm SIMD; use WebGL only on a real GPU.
      if (softwareWebgl(probe)) return false;
      await import('@tensorflow/tfjs-backend-webgl');
    }
    if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(new URL('/tfjs-wasm/', self.location.origin).href);
      // The same gradient kernels as the Node wasm backend (tfjs-wasm has no Conv2DBackpropFilter of its own).
      registerWasmGradients();
      registerFastWasmKernels();
    }
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    // A backend can register and still fail its first kernel (e.g. a software WebGL without float textures).
    const ok = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]) === 3;
    return ok;
  } catch {
    return false;
  }
}

/**
 * Picks the fastest backend the browser offers: 'webgl', else 'wasm' (SIMD), else 'cpu'.
 *
 * @example
 * const backend = await initBackend(); // e.g. 'wasm'
 */
export async function initBackend(name?: string): Promise<string> {
  if (active && (name === undefined || name === active)) return active;
  const order: BrowserBackend[] = name === 'webgl' || name === 'wasm' || name === 'cpu' ? [name] : ['webgl', 'wasm', 'cpu'];
  for (const b of order) {
    if (await tryBackend(b)) {
      active = b;
      return b;
    }
  }
  throw new Error(`optilab: no tfjs backend could start in this browser (tried ${order.join(', ')})`);
}

export function activeBackend(): string | null {
  return active;
}

/**
 * What runs the heavy kernels: in a browser always the tfjs backend itself (the native addon of the lab is a
 * Node module), with the same shape as the Node library's kernelsInUse.
 *
 * @example
 * await initBackend();
 * kernelsInUse().kernels; // 'wasm'
 */
export function kernelsInUse(): { backend: string | null; kernels: string; native: { loaded: boolean; detail: string } } {
  return { backend: active, kernels: active ?? 'none', native: { loaded: false, detail: 'not in a browser: the native addon is a Node module; kernels run on the tfjs backend' } };
}

export interface LoadOptions { split: 'train' | 'test'; limit?: number; dir?: string }

/**
 * MNIST from the site (fetched before the cell ran, validated like the Node loader).
 *
 * @example
 * const test = loadMnist({ split: 'test', limit: 1000 });
 */
export function loadMnist(opts: LoadOptions): core.Dataset {
  if (opts.dir !== undefined) throw new LabOnlyError('loadMnist({ dir })', 'reading IDX files from a folder needs the file system');
  return loadedDataset('mnist', opts.split, opts.limit);
}

/**
 * Fashion-MNIST from the site (the gzipped IDX files of Debian dataset-fashion-mnist, the ones the Node loader
 * reads; fetched before the cell ran, validated like the Node loader).
 *
 * @example
 * const test = loadFashionMnist({ split: 'test' });
 */
export function loadFashionMnist(opts: LoadOptions): core.Dataset {
  if (opts.dir !== undefined) throw new LabOnlyError('loadFashionMnist({ dir })', 'reading IDX files from a folder needs the file system');
  return loadedDataset('fashion-mnist', opts.split, opts.limit);
}

export function loadDataset(name: string, opts: LoadOptions): core.Dataset {
  if (name === 'mnist') return loadMnist(opts);
  if (name === 'fashion-mnist') return loadFashionMnist(opts);
  throw new RangeError(`unknown dataset '${name}'; use mnist or fashion-mnist`);
}

let dataProgress: (p: FetchProgress) => void = () => undefined;
/** The worker shows download progress of the datasets trainCached fetches. */
export function setDataProgressHook(h: (p: FetchProgress) => void): void {
  dataProgress = h;
}

/** Same as src/train/cache.ts normalizeConfig. */
function normalizeConfig(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    model: c.model, dataset: c.dataset ?? 'mnist', epochs: c.epochs, batchSize: c.batchSize ?? 64,
    learningRate: c.learningRate ?? 2e-3, schedule: c.schedule ?? 'cosine', seed: c.seed ?? 0,
  };
  if (c.limit !== undefined) out.limit = c.limit;
  if (c.testLimit !== undefined) out.testLimit = c.testLimit;
  if (typeof c.workers === 'number' && c.workers > 1) out.workers = c.workers;
  return out;
}

/** The first 2n hex digits of sha256(text), with Web Crypto (Node's createHash gives the same). */
async function sha256Hex(text: string, n: number): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 2 * n);
}
const stableJson = (o: Record<string, unknown>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

/** The Node cache's hash (sha256 of the same string, first 12 hex digits), with Web Crypto. */
export async function configHash(c: Record<string, unknown>): Promise<string> {
  return sha256Hex(`optilab-train-v1 ${stableJson(normalizeConfig(c))}`, 6);
}

/** What trains a model in this page: the same fields as src/train/cache.ts TrainBuild. */
export interface TrainBuild { backend: string; kernels: string; native: string | null; optilab: string; tfjs: string }

/**
 * What trains here: the tfjs backend (its own kernels: the native addon is a Node module), the optilab and tfjs
 * versions. Same shape as the Node cache's currentBuild, so a browser-trained model gets the Node cache's key.
 *
 * @example
 * await currentBuild(); // { backend: 'wasm', kernels: 'wasm', native: null, optilab: '0.1.0', tfjs: '4.22.0' }
 */
export async function currentBuild(): Promise<TrainBuild> {
  const backend = active ?? (await initBackend());
  return { backend, kernels: backend, native: null, optilab: runtime.optilab, tfjs: tf.version_core };
}

/** Same as src/train/cache.ts buildHash (8 hex digits). */
export async function buildHash(build: TrainBuild): Promise<string> {
  return sha256Hex(`optilab-build-v1 ${stableJson(build as unknown as Record<string, unknown>)}`, 4);
}

/**
 * The Node cache's folder name for a configuration trained by a build, `<model>-<config hash>-<build hash>`; the
 * browser keeps the model in IndexedDB under `indexeddb://optilab/models/<that key>`.
 *
 * @example
 * await cacheKey({ model: 'lenet5', epochs: 1 }, await currentBuild()); // 'lenet5-3f2a9c0d1e2b-7a1b2c3d'
 */
export async function cacheKey(config: Record<string, unknown>, build: TrainBuild): Promise<string> {
  return `${String(config.model)}-${await configHash(config)}-${await buildHash(build)}`;
}

export const MODEL_STORE = 'indexeddb://optilab/models/';
type Metrics = Record<string, unknown> & { hash: string };
/** Saved models when IndexedDB is not usable (storage disabled, quota): kept for this session only. */
const inMemory = new Map<string, core.ModelFiles & { metrics: Metrics }>();

/** A fresh model from stored bytes, checked like the Node loader (weights size vs manifest). */
function modelOf(files: core.ModelFiles): Promise<tfl.LayersModel> {
  return core.modelFromFiles({ modelJson: files.modelJson, weights: files.weights });
}

/** The model and metrics stored under `url`, or null (absent, damaged, or for another configuration). */
async function loadStored(url: string, hash: string): Promise<{ model: tfl.LayersModel; metrics: Metrics } | null> {
  const mem = inMemory.get(url);
  if (mem) return { model: await modelOf(mem), metrics: mem.metrics };
  try {
    const handler = tf.io.getLoadHandlers(url)[0];
    if (!handler?.load) return null;
    const a = await handler.load();
    const metrics = (a.userDefinedMetadata as { optilab?: Metrics } | undefined)?.optilab;
    if (!metrics || metrics.hash !== hash || !a.modelTopology || !a.weightSpecs || !a.weightData) return null;
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
    const model = await modelOf({ modelJson: { modelTopology: a.modelTopology, weightsManifest: [{ paths: [], weights: a.weightSpecs }] }, weights });
    return { model, metrics };
  } catch {
    return null; // not stored yet, or a damaged entry: trained again below (as the Node cache does)
  }
}

/** Stores a trained model under `url` (IndexedDB through tfjs's indexeddb:// handler; memory if that fails). */
async function store(url: string, model: tfl.LayersModel, metrics: Metrics): Promise<'indexeddb' | 'memory'> {
  const files = await core.modelToFiles(model);
  const manifest = files.modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[];
  try {
    const handler = tf.io.getSaveHandlers(url)[0];
    if (!handler?.save) throw new Error('no indexeddb:// handler');
    await handler.save({
      modelTopology: files.modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: manifest[0].weights,
      weightData: files.weights.slice().buffer,
      format: 'layers-model',
      generatedBy: String(files.modelJson.generatedBy),
      userDefinedMetadata: { optilab: metrics },
    });
    return 'indexeddb';
  } catch {
    inMemory.set(url, { ...files, metrics });
    return 'memory';
  }
}

/**
 * Trains a zoo model once per configuration, as the Node cache does: keyed by the Node cache's key
 * (`<model>-<config hash>-<build hash>`, the same hashes), kept in IndexedDB (`dir` is its indexeddb:// URL),
 * so a reload or another notebook page loads it instead of training. Every call returns a fresh model.
 *
 * @example
 * const { model, metrics, cached } = await trainCached({ model: 'lenet5', epochs: 1, limit: 2000 });
 */
export async function trainCached(config: Record<string, unknown>, onProgress?: (p: core.TrainProgress) => void) {
  const c = normalizeConfig(config);
  const hash = await configHash(c);
  const build = await currentBuild();
  const url = `${MODEL_STORE}${await cacheKey(c, build)}`;
  const hit = await loadStored(url, hash);
  if (hit) return { model: hit.model, metrics: hit.metrics, dir: url, cached: true };
  const dataset = String(c.dataset);
  if (!isBrowserDataset(dataset)) throw new RangeError(`unknown dataset '${dataset}'; use mnist or fashion-mnist`);
  await ensureDataset(dataset, 'train', dataProgress);
  await ensureDataset(dataset, 'test', dataProgress);
  const trainData = loadDataset(dataset, { split: 'train', limit: c.limit as number | undefined });
  const testData = loadDataset(dataset, { split: 'test', limit: c.testLimit as number | undefined });
  const model = createModel(c.model as never, { seed: c.seed as number });
  const result = await core.train(model, trainData, {
    epochs: c.epochs as number, batchSize: c.batchSize as number, learningRate: c.learningRate as number,
    schedule: c.schedule as never, seed: c.seed as number, onProgress: onProgress ?? progressToPage,
  });
  const { predictions: _p, ...test } = await core.evaluate(model, testData);
  const metrics: Metrics = {
    config: c, hash, backend: build.backend, build, trainSeconds: result.seconds, trainImagesPerSecond: result.imagesPerSecond,
    epochs: result.epochs, test, createdAt: new Date().toISOString(),
  };
  await store(url, model, metrics);
  return { model, metrics, dir: url, cached: false };
}

/** Architecture-search results measured in this page (the Node entry keeps them in a JSON file instead). */
const searchResults = new Map<string, core.CandidateMeasurement>();

/**
 * The browser counterpart of the Node entry's fileResultCache: the search's results kept for as long as this
 * page's worker lives (a second Run all reuses them), under the same keys.
 *
 * @example
 * const cache = fileResultCache(); // cache.file === 'memory of this page'
 */
export function fileResultCache(): core.ResultCache & { file: string; size(): number } {
  return { file: 'memory of this page', get: (k) => searchResults.get(k), set: (k, v) => void searchResults.set(k, v), size: () => searchResults.size };
}

/** Same as src/hardware/search-cache-file.ts searchCacheSalt: the build hash of what measures here. */
export async function searchCacheSalt(): Promise<string> {
  return `build ${await buildHash(await currentBuild())}`;
}

let progressHook: (p: TrainProgressMsg) => void = () => undefined;
/** The worker shows training progress of trainCached calls without their own callback, and of trainTinyGptCached. */
export function setProgressHook(h: (p: TrainProgressMsg) => void): void {
  progressHook = h;
}
function progressToPage(p: core.TrainProgress): void {
  progressHook(p);
}

export const show = {
  sparsity(payload: unknown): void {
    sink(sparsityBundle(payload));
  },
  quantization(payload: unknown): void {
    sink(quantizationBundle(payload));
  },
  roofline(payload: unknown): void {
    sink(rooflineBundle(payload));
  },
};

const labOnly = (fn: string, why: string) => () => {
  throw new LabOnlyError(fn, why);
};
export const checkOnnxFile = labOnly('checkOnnxFile', 'it runs the Python onnx checker in a child process');

// ONNX models: the library's isomorphic session runner, importer and inspector (src/onnx/session-run.ts,
// measure.ts, import-model.ts, inspect-model.ts) over onnxruntime-web (./ort-web) and the page's files (./page-fs).

/**
 * False in a browser: there is no Python to run onnx.checker (notebooks print why they skip the check).
 *
 * @example
 * if (hasPythonOnnx()) console.log(checkOnnxFile(file));
 */
export function hasPythonOnnx(): boolean {
  return false;
}

const onnxBytes = (model: string | Uint8Array) => (typeof model === 'string' ? readPageFile(model) : model);

/**
 * Opens an ONNX model (a path of the page's files, or bytes) in onnxruntime-web (wasm). The bytes are checked
 * first, so a corrupted or truncated file gives a clear error, as in the lab. The thread count is the page's
 * (one, or two when cross-origin isolated), whatever `threads` asks.
 *
 * @example
 * fs.writeFileSync(file, exportOnnx(model));
 * const session = await createSession(file, { threads: 1 });
 */
export async function createSession(model: string | Uint8Array, opts: { threads?: number } = {}): Promise<Ort.InferenceSession> {
  const source = typeof model === 'string' ? model : 'the ONNX bytes';
  const bytes = onnxBytes(model);
  core.decodeModel(bytes, source);
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive whole number, got ${threads}`);
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential' });
  } catch (e) {
    throw new Error(`${source}: ONNX Runtime cannot load this model (${(e as Error).message})`);
  }
}

function ortTensor(): core.OrtTensorClass {
  if (!ortLoaded) throw new Error('ONNX Runtime is not loaded: open a session with createSession first');
  return ortLoaded.Tensor as unknown as core.OrtTensorClass;
}

/**
 * Runs a session on a whole dataset in batches; returns the logits [count, numClasses] (first output).
 *
 * @example
 * const acc = scoreLogits(await runOnnx(session, test, { layout: 'nhwc' }), test.labels, 10).accuracy;
 */
export function runOnnx(session: core.OrtSessionLike, data: core.Dataset, opts: { layout?: core.InputLayout; batchSize?: number } = {}): Promise<Float32Array> {
  return core.runSession(session, ortTensor(), data, opts);
}

/**
 * Reads and checks an ONNX file of the page (clear errors for a missing, corrupted or truncated file).
 *
 * @example
 * readOnnxFile(file).graph!.node.map((n) => n.opType);
 */
export function readOnnxFile(file: string): core.OnnxModel {
  return core.checkOnnxGraph(core.decodeModel(readPageFile(file), file), file);
}

/**
 * Summarizes an ONNX model (a path of the page's files, bytes or a decoded model).
 *
 * @example
 * inspectOnnx(file).operators; // { Conv: 2, ... }
 */
export function inspectOnnx(source: string | Uint8Array | core.OnnxModel): core.OnnxSummary {
  return core.inspectOnnxModel(typeof source === 'string' ? core.decodeModel(readPageFile(source), source) : source);
}

/**
 * Converts an ONNX image classifier (a path of the page's files or a decoded model) into a tfjs-layers model.
 *
 * @example
 * const imported = importOnnx('/optilab/tests/onnx/fixtures/torch_cnn.onnx', 'torch_cnn');
 */
export function importOnnx(source: string | core.OnnxModel, name = 'imported'): tfl.Sequential {
  return typeof source === 'string' ? core.importOnnxModel(readOnnxFile(source), name, source) : core.importOnnxModel(source, name);
}

/**
 * Measures one model in the page with onnxruntime-web: load time, batch-1 latency, throughput and (optionally)
 * accuracy on MNIST test images, as the lab's measureOnnxModel does; peak memory is not measured (a page
 * cannot see its own resident memory), so it is NaN and the table shows '-'.
 *
 * @example
 * const stats = await measureOnnxModel(int8File, { runs: 100 });
 */
export async function measureOnnxModel(file: string, opts: core.DeployBenchOptions = {}): Promise<core.DeployStats> {
  const o = core.deployOptions(opts);
  const layout = core.inputLayout(readOnnxFile(file));
  await ensureDataset('mnist', 'test', dataProgress);
  const data = loadMnist({ split: 'test', limit: Math.max(o.batch, 64) });
  const t0 = performance.now();
  const session = await createSession(file);
  const loadMs = performance.now() - t0;
  const timings = await core.timeSession(session, ortTensor(), data, layout, o);
  const stats: core.DeployStats = {
    model: pagePath.basename(file).replace(/\.onnx$/, ''),
    file,
    fileBytes: readPageFile(file).length,
    threads: ortLoaded!.env.wasm.numThreads ?? 1,
    loadMs,
    ...timings,
    peakRssMiB: NaN,
    modelRssMiB: NaN,
  };
  if (opts.accuracy) Object.assign(stats, await core.sessionAccuracy(session, ortTensor(), loadMnist({ split: 'test', limit: Math.min(opts.accuracy, 10000) }), layout));
  await session.release();
  return stats;
}

/**
 * Measures several models one after another in the page (see measureOnnxModel); one row per model.
 *
 * @example
 * console.log(formatDeployTable(await deployBench([fp32File, int8File], { runs: 100 })));
 */
export async function deployBench(files: string[], opts: core.DeployBenchOptions = {}, onProgress?: (done: number, total: number, stats: core.DeployStats) => void): Promise<core.DeployStats[]> {
  for (const f of files) readPageFile(f, '.onnx files');
  const out: core.DeployStats[] = [];
  for (const f of files) {
    out.push(await measureOnnxModel(f, opts));
    onProgress?.(out.length, files.length, out[out.length - 1]);
  }
  return out;
}

// The transformer chapter (notebook 09): the KJV corpus, tinyGpt trained once and kept, its ONNX export run with
// onnxruntime-web. The parsing, the cache key text, the packed weights, the training run, the session settings
// and the perplexity are the library's own (core: kjv-text, transformer/cache-format, onnx/gpt-onnx).

/** Options of {@link loadKjv}: as in the lab. */
export interface KjvOptions { path?: string; validationEvery?: number }

/**
 * The KJV as a character-level corpus, synchronous as in the lab: Debian bible-kjv-text's data file as the site
 * serves it (fetched before the cell ran, cached in the Cache API), decoded, parsed and split by the same library
 * functions as the Node loadKjv, so the corpus is the lab's. `path` reads a file of the page's own files instead.
 *
 * @example
 * const kjv = loadKjv(); // kjv.train.length, kjv.validation.length as in the lab
 */
export function loadKjv(opts: KjvOptions = {}): core.KjvCorpus {
  const every = opts.validationEvery ?? 10;
  if (opts.path !== undefined && opts.path !== core.KJV_DATA_FILE) return core.kjvFromBytes(readPageFile(opts.path, 'a KJV text or data file'), opts.path, every);
  return loadedKjv(every);
}

/** Options of {@link trainTinyGptCached}: as in the lab (the site runs quick mode: `quick` defaults to true). */
export interface GptCacheOptions { preset?: Readonly<core.GptTrainingPreset>; quick?: boolean; seed?: number; onProgress?: (p: core.GptTrainProgress) => void }

/**
 * The Node cache's key of a preset, seed and corpus trained here: `tinygpt-<config hash>-<build hash>`, the
 * config hash sha256 of the library's gptCacheConfigText (as in Node), the build hash this page's (as trainCached's).
 *
 * @example
 * await gptCacheKey(GPT_TRAINING_QUICK, 1, corpus); // 'tinygpt-1a2b3c4d5e6f-7a1b2c3d'
 */
export async function gptCacheKey(preset: Readonly<core.GptTrainingPreset>, seed: number, corpus: core.TextCorpus): Promise<string> {
  return `tinygpt-${await sha256Hex(core.gptCacheConfigText(preset, seed, corpus), 6)}-${await buildHash(await currentBuild())}`;
}

type GptEntry = { meta: core.GptCacheMeta; values: Float32Array };
/** tinyGpt entries when IndexedDB is not usable: kept for this session only. */
const gptInMemory = new Map<string, GptEntry>();

async function loadStoredGpt(url: string, key: string): Promise<GptEntry | null> {
  const mem = gptInMemory.get(url);
  if (mem) return mem;
  try {
    const handler = tf.io.getLoadHandlers(url)[0];
    if (!handler?.load) return null;
    const a = await handler.load();
    const stored = (a.userDefinedMetadata as { optilab?: { key: string; meta: core.GptCacheMeta } } | undefined)?.optilab;
    if (!stored || stored.key !== key || !a.weightData) return null;
    const bytes = tf.io.CompositeArrayBuffer.join(a.weightData);
    if (bytes.byteLength % 4 !== 0) return null;
    return { meta: stored.meta, values: new Float32Array(bytes) };
  } catch {
    return null; // not stored yet, or a damaged entry: trained again (as the Node cache does)
  }
}

async function storeGpt(url: string, key: string, model: core.TinyGpt, entry: GptEntry): Promise<'indexeddb' | 'memory'> {
  try {
    const handler = tf.io.getSaveHandlers(url)[0];
    if (!handler?.save) throw new Error('no indexeddb:// handler');
    const r = await handler.save({
      modelTopology: { optilab: 'tinygpt', config: entry.meta.config },
      weightSpecs: entry.meta.names.map((name) => ({ name, shape: model.weight(name).shape, dtype: 'float32' as const })),
      weightData: entry.values.slice().buffer,
      format: 'optilab-tinygpt',
      generatedBy: `optilab ${runtime.optilab}`,
      userDefinedMetadata: { optilab: { key, meta: entry.meta } as unknown as object },
    });
    if (r.errors?.length) throw new Error(String(r.errors[0]));
    return 'indexeddb';
  } catch {
    gptInMemory.set(url, entry);
    return 'memory';
  }
}

/**
 * A tinyGpt trained with a preset on a corpus, as the lab's trainTinyGptCached: loaded when this build trained
 * it before (IndexedDB at `indexeddb://optilab/models/<the Node cache's key>`, `dir`), else trained here in the
 * worker, with progress in the cell, and stored. Every call returns a fresh model.
 *
 * @example
 * const { model, result, cached } = await trainTinyGptCached(loadKjv(), { quick: true });
 */
export async function trainTinyGptCached(corpus: core.TextCorpus, opts: GptCacheOptions = {}): Promise<{ model: core.TinyGpt; result: core.GptTrainResult; cached: boolean; dir: string; key: string }> {
  const preset = opts.preset ?? core.gptTrainingPreset(opts.quick ?? true);
  const seed = opts.seed ?? 1;
  const key = await gptCacheKey(preset, seed, corpus);
  const dir = `${MODEL_STORE}${key}`;
  const hit = await loadStoredGpt(dir, key);
  const loaded = hit && core.unpackGptWeights(hit.meta, hit.values, corpus.vocabulary.size);
  if (hit && loaded) return { model: loaded, result: hit.meta.result, cached: true, dir, key };
  const { model, result } = await core.trainGptPreset(corpus, preset, seed, (p) => {
    progressHook({ epoch: 1, epochs: 1, step: p.step, stepsPerEpoch: p.steps, fraction: p.fraction, loss: p.loss, imagesPerSecond: 0, tokensPerSecond: p.tokensPerSecond, validationBpc: p.validationBpc });
    opts.onProgress?.(p);
  });
  await storeGpt(dir, key, model, core.packGptWeights(model, result));
  return { model, result, cached: false, dir, key };
}

/** Options of {@link createGptSession}: as in the lab; `threads` is the page's (see createSession). */
export type GptSessionOptions = core.GptSessionOptions;

/**
 * An onnxruntime-web session for an exported tinyGpt, with the lab's settings (gptSessionOptions: sequential,
 * all optimizations, the MatMulNBits accuracy level as the session config entry, which onnxruntime-web passes
 * through as onnxruntime-node does); the thread count is the page's, whatever `threads` asks.
 *
 * @example
 * const session = await createGptSession(exportTinyGptOnnx(model));
 */
export async function createGptSession(bytes: Uint8Array, opts: GptSessionOptions = {}): Promise<Ort.InferenceSession> {
  core.decodeModel(bytes, 'the tinyGpt ONNX bytes');
  const options = core.gptSessionOptions(opts);
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, { ...options, executionProviders: ['wasm'] });
  } catch (e) {
    throw new Error(`the tinyGpt ONNX bytes: ONNX Runtime cannot load this model (${(e as Error).message})`);
  }
}

function ortInt64Tensor(): core.OrtInt64TensorClass {
  if (!ortLoaded) throw new Error('ONNX Runtime is not loaded: open a session with createGptSession first');
  return ortLoaded.Tensor as unknown as core.OrtInt64TensorClass;
}

/**
 * Logits [batch, seq, vocab] of token ids [batch, seq] from an exported tinyGpt session (the library's
 * sessionGptLogits with onnxruntime-web's Tensor).
 *
 * @example
 * const logits = await onnxGptLogits(session, Int32Array.of(5, 9, 2), 1, 3);
 */
export function onnxGptLogits(session: core.OrtSessionLike, tokens: ArrayLike<number>, batch: number, seq: number): Promise<Float32Array> {
  return core.sessionGptLogits(session, ortInt64Tensor(), tokens, batch, seq);
}

/**
 * Mean cross-entropy, perplexity and bits per character under an exported tinyGpt session, with
 * TinyGpt.evaluate's windowing (the library's sessionPerplexity with onnxruntime-web's Tensor).
 *
 * @example
 * (await onnxPerplexity(session, kjv.validation, model.config.contextLength)).perplexity;
 */
export function onnxPerplexity(session: core.OrtSessionLike, tokens: ArrayLike<number>, contextLength: number, opts: core.EvalOptions = {}): Promise<core.TokenLoss> {
  return core.sessionPerplexity(session, ortInt64Tensor(), tokens, contextLength, opts);
}

export const saveModel = labOnly('saveModel', 'it writes model files to disk');
export const loadModel = labOnly('loadModel', 'it reads model files from disk');
export const trainParallel = labOnly('trainParallel', 'it trains in Node worker threads');
export const flashFootprint = labOnly('flashFootprint', "it deflates the model with Node's zlib");

// The rest, the show.* bundle functions, the ONNX exporter (exportOnnx, encodeModel, decodeModel) and the TFLite
// exporter, reader, arena planner and C-array writer among it, is the core itself.
/**
 * The test API a graded lab's setup cell imports (`import { check, expect } from 'optilab'`), for checks a
 * student runs in their own cells: the grader's one implementation (src/grader/assess.js through
 * core.createLabChecks), printing one line per check as the lab's Node entry does. Tests cells of a lab page
 * get their own check/expect from the worker, whose results the page shows and adds up.
 *
 * @example
 * check('adds', 1, () => expect.equal(1 + 1, 2, '1 + 1')); // prints "✔ adds: 1/1 point"
 */
export const expect = core.createLabChecks().expect;

/** The grading API's `inKernel(f)`: in the browser the tests and the student's code share one worker, so `f` itself. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function inKernel<F extends (...args: any[]) => unknown>(fn: F): F {
  return fn;
}

export function check(name: string, points: number, fn: () => unknown): void {
  const lab = core.createLabChecks();
  lab.check(name, points, fn);
  void lab.settle().then(({ checks: [r] }) => {
    const mark = r.earned >= r.points ? '✔' : r.earned > 0 ? '◐' : '✘';
    const pts = (p: number) => (Number.isInteger(p) ? String(p) : p.toFixed(2));
    console.log(`${mark} ${r.name}: ${pts(r.earned)}/${pts(r.points)} point${r.points === 1 ? '' : 's'}${r.message ? ` — ${r.message}` : ''}`);
  });
}

export * from '@optilab/core';
