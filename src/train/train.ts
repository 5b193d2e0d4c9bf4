/**
 * Seeded, reproducible training and evaluation of zoo models (isomorphic: runs wherever tfjs does).
 * A plain loop over shuffled mini-batches with Adam and softmax cross-entropy on the logits, so other
 * modules (pruning masks, distillation, QAT) can hook in through `loss` and `afterStep`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { Dataset, imagesTensor } from '../data/dataset';
import { mulberry32, permutation } from '../util/random';
import { adam } from './adam';
import { currentPlan } from './forward-plan';
import { planTraining } from './train-plan';

export type Schedule = 'constant' | 'cosine';

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  /** Steps done / total steps, in [0, 1]. */
  fraction: number;
  /** Mean training loss over the epoch so far. */
  loss: number;
  imagesPerSecond: number;
  elapsedSeconds: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  seconds: number;
  learningRate: number;
}

export interface TrainOptions {
  epochs: number;
  /** Mini-batch size; default 64. */
  batchSize?: number;
  /** Adam's (peak) learning rate; default 2e-3. */
  learningRate?: number;
  /** Learning-rate schedule over all steps; default 'cosine' (decays to 0). */
  schedule?: Schedule;
  seed?: number;
  /** Called every `progressEvery` steps and at the end of each epoch. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number;
  /** Replaces the default loss: receives the batch, its labels and the model's logits. */
  loss?: (logits: tf.Tensor2D, labels: tf.Tensor1D, images: tf.Tensor4D) => tf.Scalar;
  /** Runs after each optimizer step (e.g. to re-apply pruning masks). */
  afterStep?: (globalStep: number) => void;
}

export interface TrainResult {
  epochs: EpochRecord[];
  seconds: number;
  imagesPerSecond: number;
}

export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]), logits) as tf.Scalar;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

function checkPositiveInt(name: string, v: number) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive whole number, got ${v}`);
}

/** The learning rate at `step` of `total` under `schedule`. */
export function learningRateAt(base: number, schedule: Schedule, step: number, total: number): number {
  if (schedule === 'constant') return base;
  return 0.5 * base * (1 + Math.cos((Math.PI * step) / Math.max(total, 1)));
}

/**
 * Trains `model` on `data` and returns per-epoch records.
 *
 * @example
 * const model = lenet5({ seed: 1 });
 * const result = await train(model, loadMnist({ split: 'train' }), { epochs: 3, seed: 1 });
 */
export async function train(model: LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const batchSize = opts.batchSize ?? 64;
  checkPositiveInt('epochs', opts.epochs);
  checkPositiveInt('batchSize', batchSize);
  if (data.count === 0) throw new RangeError('cannot train on an empty dataset');
  const baseLr = opts.learningRate ?? 2e-3;
  if (!(baseLr > 0)) throw new RangeError(`learningRate must be positive, got ${baseLr}`);
  const schedule = opts.schedule ?? 'cosine';
  const optimizer = adam(baseLr);
  const random = mulberry32(opts.seed ?? 0);
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const progressEvery = opts.progressEvery ?? 20;
  const lossFn = opts.loss ?? crossEntropy;
  const pixels = data.height * data.width;
  const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  // The backend's compiled step (same kernels, no tape) for the default loss; tfjs's tape otherwise.
  const plan = opts.loss ? null : planTraining(model, batchSize, { beta1: 0.9, beta2: 0.999, epsilon: tf.backend().epsilon() });
  const records: EpochRecord[] = [];
  const start = performance.now();
  let globalStep = 0;
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = permutation(data.count, random);
      const epochStart = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const lr = learningRateAt(baseLr, schedule, globalStep, totalSteps);
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
        const idx = order.subarray(step * batchSize, Math.min((step + 1) * batchSize, data.count));
        const n = idx.length;
        // The batch is assembled on the host: a copy of n images, cheaper than a gather kernel over the whole set.
        // Fresh arrays each step: the cpu backend keeps a reference to the array a tensor was made from.
        const batchImages = new Float32Array(n * pixels);
        const batchLabels = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          batchImages.set(data.images.subarray(idx[k] * pixels, (idx[k] + 1) * pixels), k * pixels);
          batchLabels[k] = data.labels[idx[k]];
        }
        if (plan) {
          const r = plan.step(batchImages, batchLabels, n, lr);
          lossSum += r.loss * n;
          correct += r.correct;
          // the plan never waits on anything: let timers and I/O (progress output, interrupts) run now and then
          if (step % progressEvery === 0) await yieldToEventLoop();
        } else {
          const [batchLoss, batchCorrect] = tf.tidy(() => {
            const xs = tf.tensor4d(batchImages, [n, data.height, data.width, 1]);
            const ys = tf.tensor1d(batchLabels, 'int32');
            let logits: tf.Tensor2D | null = null;
            const loss = optimizer.minimize(
              () => {
                // keep() lets the accuracy below read the logits after minimize() cleans up its scope.
                logits = tf.keep(model.apply(xs, { training: true }) as tf.Tensor2D);
                return lossFn(logits, ys, xs);
              },
              true,
              variables,
            ) as tf.Scalar;
            const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), ys), 'int32'));
            (logits as tf.Tensor2D | null)?.dispose();
            return [loss, hits];
          });
          lossSum += (await batchLoss.data())[0] * n;
          correct += (await batchCorrect.data())[0];
          batchLoss.dispose();
          batchCorrect.dispose();
        }
        seen += n;
        globalStep++;
        if (opts.afterStep) {
          // the hook sees (and may change, e.g. re-apply pruning masks to) the model's own weights
          plan?.writeBack();
          opts.afterStep(globalStep);
          plan?.readWeights();
        }
        if (opts.onProgress && (step % progressEvery === progressEvery - 1 || step === stepsPerEpoch - 1)) {
          const elapsed = (performance.now() - start) / 1000;
          opts.onProgress({
            epoch: epoch + 1,
            epochs: opts.epochs,
            step: step + 1,
            stepsPerEpoch,
            fraction: globalStep / totalSteps,
            loss: lossSum / seen,
            imagesPerSecond: (globalStep * batchSize) / elapsed,
            elapsedSeconds: elapsed,
          });
        }
      }
      records.push({
        epoch: epoch + 1,
        loss: lossSum / seen,
        trainAccuracy: correct / seen,
        seconds: (performance.now() - epochStart) / 1000,
        learningRate: learningRateAt(baseLr, schedule, globalStep, totalSteps),
      });
    }
  } finally {
    plan?.writeBack(); // also when a step or a hook throws: the model keeps the steps done
    optimizer.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  return { epochs: records, seconds, imagesPerSecond: (data.count * opts.epochs) / seconds };
}

export interface Evaluation {
  accuracy: number;
  loss: number;
  count: number;
  /** confusion[true][predicted]. */
  confusion: number[][];
  predictions: Int32Array;
}

/** Logits of a model on a dataset, computed in batches; `onProgress` (if given) after each batch with the images done. */
export async function predictLogits(model: LayersModel, data: Dataset, batchSize = 500, onProgress?: (done: number, total: number) => void): Promise<Float32Array> {
  const out = new Float32Array(data.count * data.numClasses);
  const size = data.height * data.width;
  let plan = currentPlan(model);
  if (plan && (plan.inputShape.join() !== `${data.height},${data.width},1` || plan.outputSize !== data.numClasses)) plan = null;
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    if (plan) {
      try {
        out.set(plan.run(data.images.subarray(start * size, (start + n) * size), n), start * data.numClasses);
        onProgress?.(start + n, data.count);
        continue;
      } catch (e) {
        // a shape the native library refuses: model.predict (its kernels fall back to wasm) from here on
        if ((e as { code?: string }).code !== 'OPTILAB_DNNL') throw e;
        plan = null;
      }
    }
    // one batch of n (predict would otherwise split it into batches of 32 and concatenate them again)
    const logits = tf.tidy(() => model.predict(imagesTensor(data, start, n), { batchSize: n }) as tf.Tensor);
    out.set(await logits.data(), start * data.numClasses);
    logits.dispose();
    onProgress?.(start + n, data.count);
  }
  return out;
}

/**
 * Top-1 predictions of logits [n, classes].
 *
 * @example
 * argmaxRows(await predictLogits(model, test), 10); // Int32Array of class indices
 */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Accuracy, loss and confusion matrix from logits ([count, classes], row-major) and true labels. */
export function scoreLogits(logits: Float32Array, labels: Uint8Array, numClasses: number): Evaluation {
  const count = labels.length;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const predictions = argmaxRows(logits.subarray(0, count * numClasses), numClasses);
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    const best = predictions[i];
    const max = row[best]; // subtracted before exp so that the log-sum-exp cannot overflow
    let z = 0;
    for (let c = 0; c < numClasses; c++) z += Math.exp(row[c] - max);
    lossSum += Math.log(z) + max - row[labels[i]];
    confusion[labels[i]][best]++;
    if (best === labels[i]) correct++;
  }
  return { accuracy: count ? correct / count : NaN, loss: count ? lossSum / count : NaN, count, confusion, predictions };
}

/**
 * Evaluates a model: accuracy, mean cross-entropy, confusion matrix and predictions. `onProgress`, if given, is
 * called after each batch with the images evaluated so far and their total.
 *
 * @example
 * const { accuracy, confusion } = await evaluate(model, loadMnist({ split: 'test' }));
 */
export async function evaluate(model: LayersModel, data: Dataset, batchSize = 500, onProgress?: (done: number, total: number) => void): Promise<Evaluation> {
  if (data.count === 0) throw new RangeError('cannot evaluate on an empty dataset');
  return scoreLogits(await predictLogits(model, data, batchSize, onProgress), data.labels, data.numClasses);
}
