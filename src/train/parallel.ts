/**
 * Data-parallel training across CPU cores (Node): each worker thread runs its own backend instance and model
 * replica, computes gradients on its share of every mini-batch, the main thread sums them (in worker order, so
 * runs are reproducible for a fixed worker count) and every replica applies the same Adam update.
 * Mathematically the same mini-batch SGD as `train`, just spread over cores.
 */
import { Worker } from 'worker_threads';
import * as os from 'os';
import * as path from 'path';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, initBackend } from '../backend';
import { Dataset } from '../data/dataset';
import { mulberry32, permutation } from '../util/random';
import { EpochRecord, learningRateAt, TrainOptions, TrainResult } from './train';
import type { WorkerInit, WorkerMessage } from './parallel-worker';

export interface ParallelTrainOptions extends Omit<TrainOptions, 'loss' | 'afterStep'> {
  /** Worker threads; default: the number of CPU cores. */
  workers?: number;
}

type Reply = { type: 'ready' } | { type: 'grads'; loss: number; correct: number; n: number } | { type: 'applied' } | { type: 'weights'; weights: Float32Array[] } | { type: 'error'; message: string };

function shared(array: ArrayLike<number>, Kind: Float32ArrayConstructor | Uint8ArrayConstructor | Int32ArrayConstructor, length = array.length) {
  const buffer = new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT);
  new Kind(buffer).set(array as never);
  return buffer;
}

/** The worker threads of one training run: one message out and one reply back per worker and step. */
class TrainingPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<Worker, (r: Reply) => void>();
  private readonly failures: Error[] = [];

  /** Starts one worker per gradient buffer (the worker writes its gradients there). */
  constructor(init: Omit<WorkerInit, 'grads'>, gradBuffers: SharedArrayBuffer[]) {
    const compiled = __filename.endsWith('.js');
    const script = path.join(__dirname, `parallel-worker.${compiled ? 'js' : 'ts'}`);
    // Under a TypeScript runner (tests, benchmarks) the worker source is .ts: load it through tsx's require hook.
    const start = (grads: SharedArrayBuffer) =>
      compiled
        ? new Worker(script, { workerData: { ...init, grads } })
        : new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: { ...init, grads } });
    this.workers = gradBuffers.map(start);
    for (const w of this.workers) {
      w.on('message', (r: Reply) => {
        if (r.type === 'error') this.failures.push(new Error(`training worker failed: ${r.message}`));
        const resolve = this.pending.get(w);
        this.pending.delete(w);
        resolve?.(r);
      });
      w.on('error', (e) => {
        this.failures.push(e);
        this.pending.get(w)?.({ type: 'error', message: e.message });
      });
    }
  }

  /** Sends worker k `message(k)` (none: waits for its next message) and returns every reply; throws a worker's failure. */
  async askAll<R extends Reply>(message?: (k: number) => WorkerMessage): Promise<R[]> {
    const replies = await Promise.all(
      this.workers.map(
        (w, k) =>
          new Promise<Reply>((resolve) => {
            this.pending.set(w, resolve);
            if (message) w.postMessage(message(k));
          }),
      ),
    );
    if (this.failures.length) throw this.failures[0];
    return replies as R[];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** What every worker starts from: the model, its weights, the data (shared, not copied) and the step's buffers. */
function workerInit(model: tfl.LayersModel, data: Dataset, backend: WorkerInit['backend'], learningRate: number, totalSize: number, share: number): Omit<WorkerInit, 'grads'> {
  const weights = model.getWeights();
  return {
    backend,
    topology: model.toJSON(null, false) as object,
    weights: weights.map((w) => w.dataSync() as Float32Array),
    shapes: weights.map((w) => w.shape),
    images: shared(data.images, Float32Array),
    labels: shared(data.labels, Uint8Array),
    order: new SharedArrayBuffer(data.count * 4),
    average: new SharedArrayBuffer(totalSize * 4),
    height: data.height,
    width: data.width,
    numClasses: data.numClasses,
    learningRate,
    share,
  };
}

/** Sums the workers' gradients into `average`, in worker order (so a run is reproducible for a fixed worker count). */
function sumGradients(average: Float32Array, grads: Float32Array[]): void {
  average.set(grads[0]);
  for (let k = 1; k < grads.length; k++) {
    const g = grads[k];
    for (let i = 0; i < average.length; i++) average[i] += g[i];
  }
}

function checkOptions(opts: ParallelTrainOptions, batchSize: number, workers: number, data: Dataset): void {
  for (const [name, v] of [['epochs', opts.epochs], ['batchSize', batchSize], ['workers', workers]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive whole number, got ${v}`);
  }
  if (data.count === 0) throw new RangeError('cannot train on an empty dataset');
}

/**
 * Trains `model` like `train`, with each mini-batch split over `workers` threads. The trained weights are
 * copied back into `model`.
 *
 * @example
 * const result = await trainParallel(lenet5({ seed: 1 }), loadMnist({ split: 'train' }), { epochs: 3, seed: 1, workers: 2 });
 */
export async function trainParallel(model: tfl.LayersModel, data: Dataset, opts: ParallelTrainOptions): Promise<TrainResult> {
  const workers = opts.workers ?? os.cpus().length;
  const batchSize = opts.batchSize ?? 64;
  checkOptions(opts, batchSize, workers, data);
  const baseLr = opts.learningRate ?? 2e-3;
  const schedule = opts.schedule ?? 'cosine';
  const backend = activeBackend() ?? (await initBackend());
  const totalSize = model.trainableWeights.reduce((a, v) => a + (v.shape as number[]).reduce((x, y) => x * y, 1), 0);
  const init = workerInit(model, data, backend, baseLr, totalSize, Math.ceil(batchSize / workers));
  const order = new Int32Array(init.order);
  const gradBuffers = Array.from({ length: workers }, () => new SharedArrayBuffer(totalSize * 4));
  const pool = new TrainingPool(init, gradBuffers);

  const random = mulberry32(opts.seed ?? 0);
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const average = new Float32Array(init.average);
  const gradViews = gradBuffers.map((b) => new Float32Array(b));
  const records: EpochRecord[] = [];
  const started = performance.now();
  let globalStep = 0;
  let lrToApply = 0;
  try {
    await pool.askAll();
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      order.set(permutation(data.count, random));
      const epochStart = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const b0 = step * batchSize;
        const b1 = Math.min(b0 + batchSize, data.count);
        const n = b1 - b0;
        const share = Math.ceil(n / workers);
        // each worker applies the previous step's update (the summed gradients in `average`), then computes its share
        const replies = await pool.askAll<Extract<Reply, { type: 'grads' }>>((k) => ({ type: 'step', start: Math.min(b0 + k * share, b1), end: Math.min(b0 + (k + 1) * share, b1), total: n, learningRate: lrToApply, apply: globalStep > 0 }));
        sumGradients(average, gradViews);
        for (const r of replies) {
          lossSum += r.loss * r.n;
          correct += r.correct;
        }
        seen += n;
        lrToApply = learningRateAt(baseLr, schedule, globalStep, totalSteps);
        globalStep++;
        if (opts.onProgress && (step % (opts.progressEvery ?? 20) === (opts.progressEvery ?? 20) - 1 || step === stepsPerEpoch - 1)) {
          const elapsed = (performance.now() - started) / 1000;
          opts.onProgress({ epoch: epoch + 1, epochs: opts.epochs, step: step + 1, stepsPerEpoch, fraction: globalStep / totalSteps, loss: lossSum / seen, imagesPerSecond: (globalStep * batchSize) / elapsed, elapsedSeconds: elapsed });
        }
      }
      records.push({ epoch: epoch + 1, loss: lossSum / seen, trainAccuracy: correct / seen, seconds: (performance.now() - epochStart) / 1000, learningRate: learningRateAt(baseLr, schedule, globalStep, totalSteps) });
    }
    const finals = await pool.askAll<Extract<Reply, { type: 'weights' }>>(() => ({ type: 'finish', apply: true, learningRate: lrToApply }));
    model.setWeights(finals[0].weights.map((w, i) => tf.tensor(w, init.shapes[i])));
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { epochs: records, seconds, imagesPerSecond: (data.count * opts.epochs) / seconds };
}
