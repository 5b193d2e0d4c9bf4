/**
 * `import ... from 'optilab'` inside a notebook cell on the site: the isomorphic core of the same library
 * (src/core.ts, compiled in src/dist) plus browser counterparts of the Node-only helpers the notebooks call:
 * loadMnist / loadDataset (IDX files served by the site, fetched and cached by ./mnist), initBackend (tfjs
 * WebGL, else wasm, else cpu), trainCached (trained once per session, keyed by the same configuration hash
 * as the Node cache), show.* (drawn by the page with src/viz), the pure-TypeScript ONNX exporter and the
 * TFLite exporter, reader, arena planner and C-array writer (flatbuffers only; flashFootprint needs Node's zlib).
 * Functions that need ONNX Runtime for Node, Python or files on disk throw LabOnlyError saying so.
 */
import * as core from '@optilab/core';
import { createModel, quantizationBundle, rooflineBundle, sparsityBundle, registerWasmGradients, registerFastWasmKernels, type MimeBundle } from '@optilab/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadedDataset } from './mnist';

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

export function loadDataset(name: string, opts: LoadOptions): core.Dataset {
  if (name === 'mnist') return loadMnist(opts);
  if (name === 'fashion-mnist') throw new LabOnlyError("loadDataset('fashion-mnist')", 'the site serves MNIST only so far (Fashion-MNIST comes from a Debian package)');
  throw new RangeError(`unknown dataset '${name}'; use mnist or fashion-mnist`);
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

/** The Node cache's hash (sha256 of the same string, first 12 hex digits), with Web Crypto. */
export async function configHash(c: Record<string, unknown>): Promise<string> {
  const n = normalizeConfig(c);
  const stable = JSON.stringify(Object.keys(n).sort().map((k) => [k, n[k]]));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`optilab-train-v1 ${stable}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 12);
}

const trained = new Map<string, { model: unknown; metrics: Record<string, unknown> }>();

/**
 * Trains a zoo model once per session (same configuration hash as the Node cache; kept in memory).
 *
 * @example
 * const { model, metrics, cached } = await trainCached({ model: 'lenet5', epochs: 1, limit: 2000 });
 */
export async function trainCached(config: Record<string, unknown>, onProgress?: (p: core.TrainProgress) => void) {
  const c = normalizeConfig(config);
  const hash = await configHash(c);
  const hit = trained.get(hash);
  if (hit) return { ...hit, dir: `session:${hash}`, cached: true };
  const backend = active ?? (await initBackend());
  const trainData = loadDataset(c.dataset as string, { split: 'train', limit: c.limit as number | undefined });
  const testData = loadDataset(c.dataset as string, { split: 'test', limit: c.testLimit as number | undefined });
  const model = createModel(c.model as never, { seed: c.seed as number });
  const result = await core.train(model, trainData, {
    epochs: c.epochs as number, batchSize: c.batchSize as number, learningRate: c.learningRate as number,
    schedule: c.schedule as never, seed: c.seed as number, onProgress: onProgress ?? progressToPage,
  });
  const { predictions: _p, ...test } = await core.evaluate(model, testData);
  const metrics = {
    config: c, hash, backend, trainSeconds: result.seconds, trainImagesPerSecond: result.imagesPerSecond,
    epochs: result.epochs, test, createdAt: new Date().toISOString(),
  };
  trained.set(hash, { model, metrics });
  return { model, metrics, dir: `session:${hash}`, cached: false };
}

let progressHook: (p: core.TrainProgress) => void = () => undefined;
/** The worker shows training progress of trainCached calls without their own callback. */
export function setProgressHook(h: (p: core.TrainProgress) => void): void {
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
const ORT = 'it runs the model with onnxruntime-node (a native Node module)';
export const createSession = labOnly('createSession', ORT);
export const runOnnx = labOnly('runOnnx', ORT);
export const measureOnnxModel = labOnly('measureOnnxModel', ORT);
export const checkOnnxFile = labOnly('checkOnnxFile', 'it runs the Python onnx checker in a child process');
export const hasPythonOnnx = labOnly('hasPythonOnnx', 'it looks for Python on the machine');
export const importOnnx = labOnly('importOnnx', 'it reads .onnx files from disk');
export const inspectOnnx = labOnly('inspectOnnx', 'it reads .onnx files from disk');
export const saveModel = labOnly('saveModel', 'it writes model files to disk');
export const loadModel = labOnly('loadModel', 'it reads model files from disk');
export const trainParallel = labOnly('trainParallel', 'it trains in Node worker threads');
export const flashFootprint = labOnly('flashFootprint', "it deflates the model with Node's zlib");

// The rest, the show.* bundle functions, the ONNX exporter (exportOnnx, encodeModel, decodeModel) and the TFLite
// exporter, reader, arena planner and C-array writer among it, is the core itself.
export * from '@optilab/core';
