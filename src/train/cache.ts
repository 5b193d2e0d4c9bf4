/**
 * Trained models cached by configuration hash (Node). A notebook asking for "lenet5, 3 epochs, seed 1" trains it
 * once; every later notebook, chapter or CLI call with the same configuration loads it from
 * `<repo>/.cache/models/<model>-<config hash>-<build hash>/` (or OPTILAB_CACHE_DIR/models). The build hash covers
 * what trained it (tfjs backend, native kernels on or off and their library, the optilab and tfjs versions), so a
 * model trained by other code is never taken for this one; metrics.json records the same fields as `build`.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { activeBackend, initBackend, kernelsInUse } from '../backend';
import { DatasetName, loadDataset } from '../data/files';
import { createModel, ZooName } from '../models/zoo';
import { loadModel, readMetrics, saveModel } from '../models/files';
import { evaluate, Evaluation, EpochRecord, Schedule, train, TrainProgress } from './train';
import { trainParallel } from './parallel';

export interface TrainConfig {
  model: ZooName;
  dataset?: DatasetName;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  schedule?: Schedule;
  seed?: number;
  /** Train on the first `limit` training images only. */
  limit?: number;
  /** Evaluate on the first `testLimit` test images only. */
  testLimit?: number;
  /** Data-parallel worker threads (see trainParallel); omitted or 1 = the single-thread trainer. */
  workers?: number;
}

/** What trained a model, beside its configuration: part of the cache key. */
export interface TrainBuild {
  /** The tfjs backend ('wasm', 'tensorflow', 'cpu'). */
  backend: string;
  /** What ran the heavy kernels: 'native' (src/native's addon on wasm), 'wasm', 'tensorflow' or 'cpu'. */
  kernels: string;
  /** The native addon's library (e.g. 'oneDNN 2.6.3 ...') when its kernels ran, else null. */
  native: string | null;
  /** The optilab library version (src/package.json). */
  optilab: string;
  /** @tensorflow/tfjs-core's version. */
  tfjs: string;
}

export interface TrainedMetrics {
  config: Required<Omit<TrainConfig, 'limit' | 'testLimit' | 'workers'>> & Pick<TrainConfig, 'limit' | 'testLimit' | 'workers'>;
  /** configHash(config): the configuration alone (the browser runtime computes the same). */
  hash: string;
  backend: string;
  /** What trained it (absent in models cached before builds were recorded). */
  build?: TrainBuild;
  trainSeconds: number;
  trainImagesPerSecond: number;
  epochs: EpochRecord[];
  test: Omit<Evaluation, 'predictions'>;
  createdAt: string;
}

export interface CachedModel {
  model: tfl.LayersModel;
  metrics: TrainedMetrics;
  dir: string;
  /** True when loaded from the cache, false when trained now. */
  cached: boolean;
}

/** The cache folder: OPTILAB_CACHE_DIR, else `.cache` at the root of the optilab checkout. */
export function cacheRoot(): string {
  if (process.env.OPTILAB_CACHE_DIR) return path.resolve(process.env.OPTILAB_CACHE_DIR);
  const pkgDir = fs.realpathSync(path.dirname(require.resolve('optilab/package.json')));
  return path.join(path.dirname(pkgDir), '.cache');
}

/** Fills in defaults so equal trainings hash equally. */
export function normalizeConfig(c: TrainConfig): TrainedMetrics['config'] {
  const out: TrainedMetrics['config'] = {
    model: c.model,
    dataset: c.dataset ?? 'mnist',
    epochs: c.epochs,
    batchSize: c.batchSize ?? 64,
    learningRate: c.learningRate ?? 2e-3,
    schedule: c.schedule ?? 'cosine',
    seed: c.seed ?? 0,
  };
  if (c.limit !== undefined) out.limit = c.limit;
  if (c.testLimit !== undefined) out.testLimit = c.testLimit;
  // More workers sum gradients in another order (same math, other float rounding): a different model.
  if (c.workers !== undefined && c.workers > 1) out.workers = c.workers;
  return out;
}

/** A short stable hash of a normalised configuration (keys sorted). */
export function configHash(c: TrainConfig): string {
  const n = normalizeConfig(c) as unknown as Record<string, unknown>;
  const stable = JSON.stringify(Object.keys(n).sort().map((k) => [k, n[k]]));
  return createHash('sha256').update(`optilab-train-v1 ${stable}`).digest('hex').slice(0, 12);
}

function libraryVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve('optilab/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * What trains a model in this process: backend, kernels, native library, optilab and tfjs versions (initialises
 * the backend if needed).
 *
 * @example
 * await currentBuild() // { backend: 'wasm', kernels: 'native', native: 'oneDNN 2.6.3 ...', optilab: '0.1.0', tfjs: '4.22.0' }
 */
export async function currentBuild(): Promise<TrainBuild> {
  const backend = activeBackend() ?? (await initBackend());
  const { kernels, native } = kernelsInUse();
  return { backend, kernels, native: kernels === 'native' ? (native.version ?? 'unknown') : null, optilab: libraryVersion(), tfjs: tf.version_core };
}

/** A short stable hash of a build (keys sorted). */
export function buildHash(build: TrainBuild): string {
  const b = build as unknown as Record<string, unknown>;
  const stable = JSON.stringify(Object.keys(b).sort().map((k) => [k, b[k]]));
  return createHash('sha256').update(`optilab-build-v1 ${stable}`).digest('hex').slice(0, 8);
}

/**
 * The cache folder name of a configuration trained by a build: `<model>-<config hash>-<build hash>`.
 *
 * @example
 * cacheKey({ model: 'lenet5', epochs: 3 }, await currentBuild()) // 'lenet5-3f2a9c0d1e2b-7a1b2c3d'
 */
export function cacheKey(config: TrainConfig, build: TrainBuild): string {
  return `${config.model}-${configHash(config)}-${buildHash(build)}`;
}

/** Trains a zoo model, evaluates it on the test split, and saves both to `dir`. */
export async function trainAndSave(config: TrainConfig, dir: string, onProgress?: (p: TrainProgress) => void): Promise<CachedModel> {
  const c = normalizeConfig(config);
  const build = await currentBuild();
  const backend = build.backend;
  const trainData = loadDataset(c.dataset, { split: 'train', limit: c.limit });
  const testData = loadDataset(c.dataset, { split: 'test', limit: c.testLimit });
  const model = createModel(c.model, { seed: c.seed });
  const options = { epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate, schedule: c.schedule, seed: c.seed, onProgress };
  const result = c.workers && c.workers > 1 ? await trainParallel(model, trainData, { ...options, workers: c.workers }) : await train(model, trainData, options);
  const { predictions: _unused, ...test } = await evaluate(model, testData);
  const metrics: TrainedMetrics = {
    config: c,
    hash: configHash(c),
    backend,
    build,
    trainSeconds: result.seconds,
    trainImagesPerSecond: result.imagesPerSecond,
    epochs: result.epochs,
    test,
    createdAt: new Date().toISOString(),
  };
  await saveModel(model, dir, metrics);
  return { model, metrics, dir, cached: false };
}

/**
 * Returns the model trained with `config`, training and caching it on first use.
 *
 * @example
 * const { model, metrics, cached } = await trainCached({ model: 'lenet5', epochs: 3, seed: 1 });
 * console.log(metrics.test.accuracy, cached);
 */
export async function trainCached(config: TrainConfig, onProgress?: (p: TrainProgress) => void): Promise<CachedModel> {
  const dir = path.join(cacheRoot(), 'models', cacheKey(config, await currentBuild()));
  const metrics = readMetrics<TrainedMetrics>(dir);
  if (metrics) {
    try {
      return { model: await loadModel(dir), metrics, dir, cached: true };
    } catch {
      // A damaged cache entry is retrained below rather than failing the notebook.
    }
  }
  return trainAndSave(config, dir, onProgress);
}
