/**
 * Data-parallel training across CPU cores (Node): each worker thread runs its own backend instance and model
 * replica and computes gradients on its share of every mini-batch. The exchange is in shared memory, with no
 * message per step (./parallel-worker.ts): each worker sums the gradients over its shard of the parameters (in
 * worker order, so runs are reproducible for a fixed worker count) and applies Adam to that shard, and every
 * replica then reads the updated parameters. Mathematically the same mini-batch SGD as `train`, spread over cores.
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
import { abortWorkers } from './barrier';
import type { WorkerInit, WorkerReport } from './parallel-worker';

export interface ParallelTrainOptions extends Omit<TrainOptions, 'loss' | 'afterStep'> {
  /** Worker threads; default: the number of CPU cores. */
  workers?: number;
}

function shared(array: ArrayLike<number>, Kind: Float32ArrayConstructor | Uint8ArrayConstructor) {
  const buffer = new SharedArrayBuffer(array.length * Kind.BYTES_PER_ELEMENT);
  new Kind(buffer).set(array as never);
  return buffer;
}

/** The workers of one training run; resolves when all are done, rejects (and stops the others) when one fails. */
function runWorkers(inits: WorkerInit[], sync: Int32Array, onReport: (r: WorkerReport) => void): Promise<Float32Array[]> {
  const compiled = __filename.endsWith('.js');
  const script = path.join(__dirname, `parallel-worker.${compiled ? 'js' : 'ts'}`);
  // Under a TypeScript runner (tests, benchmarks) the worker source is .ts: load it through tsx's require hook.
  const start = (init: WorkerInit) =>
    compiled ? new Worker(script, { workerData: init }) : new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: init });
  const workers = inits.map(start);
  return new Promise<Float32Array[]>((resolve, reject) => {
    let done = 0;
    let weights: Float32Array[] | null = null;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      abortWorkers(sync);
      void Promise.all(workers.map((w) => w.terminate())).then(() => reject(e));
    };
    for (const w of workers) {
      w.on('message', (r: WorkerReport) => {
        if (r.type === 'error') fail(new Error(`training worker failed: ${r.message}`));
        else if (r.type === 'done') {
          weights ??= r.weights;
          if (++done === workers.length) void Promise.all(workers.map((x) => x.terminate())).then(() => resolve(weights!));
        } else {
          try {
            onReport(r);
          } catch (e) {
            fail(e as Error);
          }
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && done < workers.length) fail(new Error(`a training worker exited with code ${code}`));
      });
    }
  });
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
  const weights = model.getWeights();
  const trainable = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const totalSize = trainable.reduce((a, v) => a + v.size, 0);
  const params = new Float32Array(new SharedArrayBuffer(totalSize * 4));
  let offset = 0;
  for (const v of trainable) {
    params.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  // every epoch's order drawn up front, from the same generator as train's
  const random = mulberry32(opts.seed ?? 0);
  const orders = new Int32Array(new SharedArrayBuffer(opts.epochs * data.count * 4));
  for (let e = 0; e < opts.epochs; e++) orders.set(permutation(data.count, random), e * data.count);
  const stats = new Float64Array(new SharedArrayBuffer(opts.epochs * workers * 3 * 8));
  const sync = new Int32Array(new SharedArrayBuffer(3 * 4));
  const common = {
    backend,
    topology: model.toJSON(null, false) as object,
    weights: weights.map((w) => w.dataSync() as Float32Array),
    shapes: weights.map((w) => w.shape),
    images: shared(data.images, Float32Array),
    labels: shared(data.labels, Uint8Array),
    orders: orders.buffer as SharedArrayBuffer,
    params: params.buffer as SharedArrayBuffer,
    grads: new SharedArrayBuffer(workers * totalSize * 4),
    stats: stats.buffer as SharedArrayBuffer,
    sync: sync.buffer as SharedArrayBuffer,
    workers,
    count: data.count,
    epochs: opts.epochs,
    batchSize,
    learningRate: baseLr,
    schedule,
    progressEvery: opts.progressEvery ?? 20,
    height: data.height,
    width: data.width,
    numClasses: data.numClasses,
  };
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const epochSeconds: number[] = [];
  const started = performance.now();
  const finals = await runWorkers(Array.from({ length: workers }, (_, rank) => ({ ...common, rank })), sync, (r) => {
    if (r.type === 'epoch') epochSeconds[r.epoch - 1] = r.seconds;
    else if (r.type === 'progress' && opts.onProgress) {
      const elapsed = (performance.now() - started) / 1000;
      const globalStep = (r.epoch - 1) * stepsPerEpoch + r.step;
      opts.onProgress({ epoch: r.epoch, epochs: opts.epochs, step: r.step, stepsPerEpoch, fraction: globalStep / totalSteps, loss: r.loss, imagesPerSecond: (globalStep * batchSize) / elapsed, elapsedSeconds: elapsed });
    }
  });
  model.setWeights(finals.map((w, i) => tf.tensor(w, common.shapes[i])));
  const records: EpochRecord[] = epochSeconds.map((seconds, e) => {
    let loss = 0;
    let correct = 0;
    let seen = 0;
    for (let k = 0; k < workers; k++) {
      loss += stats[(e * workers + k) * 3];
      correct += stats[(e * workers + k) * 3 + 1];
      seen += stats[(e * workers + k) * 3 + 2];
    }
    return { epoch: e + 1, loss: loss / seen, trainAccuracy: correct / seen, seconds, learningRate: learningRateAt(baseLr, schedule, (e + 1) * stepsPerEpoch, totalSteps) };
  });
  const seconds = (performance.now() - started) / 1000;
  return { epochs: records, seconds, imagesPerSecond: (data.count * opts.epochs) / seconds };
}
