/**
 * Measuring one candidate of the architecture search: build it (src/hardware/search-model.ts), train it briefly
 * on MNIST with the course's seeded trainer, score it on test images, and time it on this machine at batch 1 and
 * at a large batch (measureLatency of src/edge: median of timed `predict` calls, read-back included). Results go
 * through a ResultCache keyed by a hash of the architecture, the training settings and a caller's salt (the
 * Node bench passes the build hash of src/train/cache.ts, so a result measured by other kernels is never
 * reused); a rerun with the same settings then costs nothing. A cached latency is the one measured when the
 * entry was made (`measuredAt` says when). Isomorphic (the cache that writes a file is in search-cache-file.ts).
 */
import type { Dataset } from '../data/dataset';
import { subset } from '../data/dataset';
import { measureLatency } from '../edge/latency';
import { evaluate, train } from '../train/train';
import { candidateMemory, type McuMemoryOptions } from './mcu-memory';
import { buildCandidate } from './search-model';
import { architectureLabel, type Architecture } from './search-space';
import { stableHash } from './stable-hash';

/** How each candidate is trained and scored. */
export interface TrainingSettings {
  /** The first `images` training images are used. */
  images: number;
  epochs: number;
  /** Default 64. */
  batchSize?: number;
  /** Adam's peak learning rate, cosine schedule (default 2e-3). */
  learningRate?: number;
  /** Seed of the initialisers and of the shuffling (default 1). */
  seed?: number;
  /** Accuracy on the first `testImages` test images. */
  testImages: number;
}

/** How latency is timed. */
export interface LatencySettings {
  /** Timed batch-1 calls (default 20) and large-batch calls (default 5); the medians are kept. */
  runs?: number;
  batchRuns?: number;
  /** The large batch (default 256). */
  batchSize?: number;
  /** Untimed calls first (default 3). */
  warmup?: number;
}

/** What is measured, and cached. */
export interface CandidateMeasurement {
  accuracy: number;
  /** Median milliseconds of one batch-1 predict (one image). */
  latencyMs: number;
  /** Median milliseconds of one predict on `batchSize` images, and the images per second it gives. */
  batchLatencyMs: number;
  batchSize: number;
  batchImagesPerSecond: number;
  trainSeconds: number;
  testImages: number;
  /** ISO time of the measurement. */
  measuredAt: string;
}

/** A measured candidate. */
export interface CandidateResult extends CandidateMeasurement {
  key: string;
  label: string;
  arch: Architecture;
  params: number;
  /** From candidateMemory with the evaluation's memory options. */
  peakActivationBytes: number;
  flashBytes: number;
  /** True when the measurement came from the cache. */
  cached: boolean;
}

/** Where measurements are kept between runs. */
export interface ResultCache {
  get(key: string): CandidateMeasurement | undefined;
  set(key: string, value: CandidateMeasurement): void;
}

/**
 * A cache in memory only (lost with the process): the default.
 *
 * @example
 * const cache = memoryResultCache();
 * await evaluateCandidate(arch, data, { training, cache }); // measured
 * await evaluateCandidate(arch, data, { training, cache }); // cached: true
 */
export function memoryResultCache(): ResultCache & { size(): number } {
  const m = new Map<string, CandidateMeasurement>();
  return { get: (k) => m.get(k), set: (k, v) => void m.set(k, v), size: () => m.size };
}

export interface SearchData {
  train: Dataset;
  test: Dataset;
}

export interface EvaluateOptions {
  training: TrainingSettings;
  latency?: LatencySettings;
  /** Memory model options for the reported peak and flash (default int8). */
  memory?: McuMemoryOptions;
  cache?: ResultCache;
  /** Mixed into the key: what else the result depends on (e.g. the backend build). */
  salt?: string;
}

function normalizeTraining(t: TrainingSettings): Required<TrainingSettings> {
  for (const [k, v] of [['images', t.images], ['epochs', t.epochs], ['testImages', t.testImages]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`training: ${k} must be a positive whole number, got ${v}`);
  }
  return { images: t.images, epochs: t.epochs, batchSize: t.batchSize ?? 64, learningRate: t.learningRate ?? 2e-3, seed: t.seed ?? 1, testImages: t.testImages };
}

/**
 * The cache key of a candidate: a hash of the architecture, the normalised training settings, the datasets'
 * names and the images used, the large batch size and the salt.
 *
 * @example
 * candidateKey(arch, data, { training: { images: 2000, epochs: 1, testImages: 1000 } }); // 16 hex digits
 */
export function candidateKey(arch: Architecture, data: SearchData, opts: EvaluateOptions): string {
  const t = normalizeTraining(opts.training);
  return stableHash({
    v: 'optilab-nas-v1',
    arch,
    training: t,
    train: { name: data.train.name, split: data.train.split, images: Math.min(t.images, data.train.count) },
    test: { name: data.test.name, split: data.test.split, images: Math.min(t.testImages, data.test.count) },
    batchSize: opts.latency?.batchSize ?? 256,
    salt: opts.salt ?? '',
  });
}

/**
 * Trains, scores and times one architecture (or takes the result from the cache).
 *
 * @example
 * const r = await evaluateCandidate({ blocks: [{ kind: 'standard', filters: 16, kernelSize: 3 }], dense: 0 }, { train, test },
 *   { training: { images: 2000, epochs: 1, testImages: 1000 } });
 * console.log(r.label, r.accuracy, r.latencyMs);
 */
export async function evaluateCandidate(arch: Architecture, data: SearchData, opts: EvaluateOptions): Promise<CandidateResult> {
  const t = normalizeTraining(opts.training);
  const key = candidateKey(arch, data, opts);
  const mem = candidateMemory(arch, opts.memory);
  const base = { key, label: architectureLabel(arch), arch, params: mem.params, peakActivationBytes: mem.peakActivationBytes, flashBytes: mem.flashBytes };
  const hit = opts.cache?.get(key);
  if (hit) return { ...base, ...hit, cached: true };
  const model = buildCandidate(arch, { seed: t.seed });
  try {
    const trained = await train(model, subset(data.train, t.images), { epochs: t.epochs, batchSize: t.batchSize, learningRate: t.learningRate, seed: t.seed });
    const test = subset(data.test, t.testImages);
    const { accuracy } = await evaluate(model, test);
    const l = opts.latency ?? {};
    const warmup = l.warmup ?? 3;
    const one = await measureLatency(model, { batchSize: 1, runs: l.runs ?? 20, warmup });
    const many = await measureLatency(model, { batchSize: l.batchSize ?? 256, runs: l.batchRuns ?? 5, warmup: Math.min(warmup, 1) });
    const m: CandidateMeasurement = {
      accuracy, latencyMs: one.medianMs, batchLatencyMs: many.medianMs, batchSize: many.batchSize, batchImagesPerSecond: many.imagesPerSecond,
      trainSeconds: trained.seconds, testImages: test.count, measuredAt: new Date().toISOString(),
    };
    opts.cache?.set(key, m);
    return { ...base, ...m, cached: false };
  } finally {
    model.dispose();
  }
}
