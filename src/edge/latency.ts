/** Measured inference latency of a model on the active backend (isomorphic: uses performance.now()). */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

export interface LatencyOptions {
  /** Images per forward pass; default 256. */
  batchSize?: number;
  /** Timed runs; default 10. */
  runs?: number;
  /** Untimed runs first (kernel setup, memory growth); default 2. */
  warmup?: number;
}

export interface Latency {
  batchSize: number;
  runs: number;
  /** Milliseconds per batch: median, min and all runs. */
  medianMs: number;
  minMs: number;
  timesMs: number[];
  /** Images per second at the median. */
  imagesPerSecond: number;
}

/**
 * Times `model.predict` on a random [batch, ...inputShape] batch, reading the result back each time so the
 * backend's work is included.
 *
 * @example
 * const { medianMs } = await measureLatency(model, { batchSize: 256, runs: 10 });
 */
export async function measureLatency(model: LayersModel, opts: LatencyOptions = {}): Promise<Latency> {
  const batchSize = opts.batchSize ?? 256;
  const runs = opts.runs ?? 10;
  const warmup = opts.warmup ?? 2;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && Number.isInteger(runs) && runs >= 1 && Number.isInteger(warmup) && warmup >= 0)) {
    throw new RangeError(`batchSize and runs must be positive whole numbers and warmup >= 0, got ${batchSize}, ${runs}, ${warmup}`);
  }
  const shape = (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const x = tf.randomUniform([batchSize, ...shape], 0, 1, 'float32', 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const start = performance.now();
      const y = model.predict(x, { batchSize }) as tf.Tensor; // the whole batch at once (predict splits into 32s otherwise)
      await y.data();
      y.dispose();
      if (i >= warmup) times.push(performance.now() - start);
    }
  } finally {
    x.dispose();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { batchSize, runs, medianMs: median, minMs: sorted[0], timesMs: times, imagesPerSecond: (batchSize * 1000) / median };
}
