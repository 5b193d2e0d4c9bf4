/**
 * Trained models cached by configuration hash (Node). A notebook asking for "lenet5, 3 epochs, seed 1" trains it
 * once; every later notebook, chapter or CLI call with the same configuration loads it from
 * `<repo>/.cache/models/<model>-<hash>/` (or OPTILAB_CACHE_DIR/models).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { activeBackend, initBackend } from '../backend';
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

export interface TrainedMetrics {
  config: Required<Omit<TrainConfig, 'limit' | 'testLimit' | 'workers'>> & Pick<TrainConfig, 'limit' | 'testLimit' | 'workers'>;
  hash: string;
  backend: string;
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

/** Trains a zoo model, evaluates it on the test split, and saves both to `dir`. */
export async function trainAndSave(config: TrainConfig, dir: string, onProgress?: (p: TrainProgress) => void): Promise<CachedModel> {
  const c = normalizeConfig(config);
  const backend = activeBackend() ?? (await initBackend());
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
  const dir = path.join(cacheRoot(), 'models', `${config.model}-${configHash(config)}`);
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
