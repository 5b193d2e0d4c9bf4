/**
 * One data-parallel training worker (see ./parallel.ts). Every worker runs the whole training loop itself; the
 * workers meet at two barriers per step in shared memory (no messages per step):
 *   1. each computes the gradients of its share of the mini-batch into its own gradient buffer; barrier;
 *   2. each sums every worker's gradients over its own shard of the parameters (in worker order, so a run is
 *      reproducible for a fixed worker count) and applies Adam to that shard of the shared parameters
 *      (it keeps Adam's moments for its shard only); barrier;
 *   3. each copies the updated parameters into its model replica.
 * Worker 0 reports progress and epochs by message, and the final weights at the end.
 */
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, BackendName } from '../backend';
import { loadNative } from '../backend/native';
import { crossEntropy, learningRateAt, Schedule } from './train';
import { adam, adamCoefficients, adamStepInPlace } from './adam';
import { abortWorkers, barrier } from './barrier';

export interface WorkerInit {
  backend: BackendName;
  topology: object;
  weights: Float32Array[];
  shapes: number[][];
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  /** Int32 [epochs * count]: each epoch's order of the images. */
  orders: SharedArrayBuffer;
  /** Float32 [size]: the trainable parameters, flat, in trainableWeights order (the shared copy). */
  params: SharedArrayBuffer;
  /** Float32 [workers * size]: each worker's gradients. */
  grads: SharedArrayBuffer;
  /** Float64 [epochs * workers * 3]: each worker's loss sum, correct count and images seen, per epoch. */
  stats: SharedArrayBuffer;
  /** Int32 [3]: the barrier's arrival count and generation, and the abort flag. */
  sync: SharedArrayBuffer;
  rank: number;
  workers: number;
  count: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: Schedule;
  progressEvery: number;
  height: number;
  width: number;
  numClasses: number;
}

export type WorkerReport =
  | { type: 'progress'; epoch: number; step: number; loss: number }
  | { type: 'epoch'; epoch: number; seconds: number }
  | { type: 'done'; weights: Float32Array[] | null }
  | { type: 'error'; message: string };

/** [start, end) of worker `rank`'s shard of `size` parameters (contiguous, 16-float aligned). */
function shardOf(size: number, workers: number, rank: number): [number, number] {
  const per = Math.ceil(size / workers / 16) * 16;
  return [Math.min(rank * per, size), Math.min((rank + 1) * per, size)];
}

async function main() {
  const init = workerData as WorkerInit;
  await initBackend(init.backend);
  const model = await tfl.models.modelFromJSON(init.topology as tf.io.ModelJSON['modelTopology'] as never);
  model.setWeights(init.weights.map((w, i) => tf.tensor(w, init.shapes[i])));
  const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { rank, workers, count, batchSize } = init;
  const images = new Float32Array(init.images);
  const labels = new Uint8Array(init.labels);
  const orders = new Int32Array(init.orders);
  const params = new Float32Array(init.params);
  const size = params.length;
  const allGrads = new Float32Array(init.grads);
  const grads = allGrads.subarray(rank * size, (rank + 1) * size);
  const stats = new Float64Array(init.stats);
  const sync = new Int32Array(init.sync);
  const pixels = init.height * init.width;

  // Adam for this worker's shard: tfjs's constants (epsilon from the backend) and its float32 beta powers.
  const reference = adam(init.learningRate);
  const { beta1, beta2, epsilon } = reference as unknown as { beta1: number; beta2: number; epsilon: number };
  reference.dispose();
  const [s0, s1] = shardOf(size, workers, rank);
  const sum = new Float32Array(s1 - s0);
  const m = new Float32Array(s1 - s0);
  const v = new Float32Array(s1 - s0);
  const addon = loadNative();
  let acc1 = Math.fround(beta1);
  let acc2 = Math.fround(beta2);
  // the cpu backend keeps the array a tensor is made from: give it a copy, not a view of the shared parameters
  const copies = tf.getBackend() !== 'cpu';

  const stepsPerEpoch = Math.ceil(count / batchSize);
  const totalSteps = stepsPerEpoch * init.epochs;
  let globalStep = 0;
  for (let epoch = 0; epoch < init.epochs; epoch++) {
    const order = orders.subarray(epoch * count, (epoch + 1) * count);
    const mine = epoch * workers * 3 + rank * 3;
    const epochStart = performance.now();
    for (let step = 0; step < stepsPerEpoch; step++) {
      const b0 = step * batchSize;
      const b1 = Math.min(b0 + batchSize, count);
      const share = Math.ceil((b1 - b0) / workers);
      const start = Math.min(b0 + rank * share, b1);
      const end = Math.min(b0 + (rank + 1) * share, b1);
      const n = end - start;
      if (n > 0) {
        const batch = new Float32Array(n * pixels);
        const ys = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          const idx = order[start + k];
          batch.set(images.subarray(idx * pixels, (idx + 1) * pixels), k * pixels);
          ys[k] = labels[idx];
        }
        tf.tidy(() => {
          const xs = tf.tensor4d(batch, [n, init.height, init.width, 1]);
          const y = tf.tensor1d(ys, 'int32');
          let logits: tf.Tensor2D | null = null;
          // Each worker's loss is weighted by its share of the batch, so the sum of gradients is the batch mean.
          const { value, grads: g } = tf.variableGrads(() => {
            logits = tf.keep(model.apply(xs, { training: true }) as tf.Tensor2D);
            return tf.mul(crossEntropy(logits, y), n / (b1 - b0)) as tf.Scalar;
          }, variables);
          stats[mine] += value.dataSync()[0] * (b1 - b0); // this worker's mean loss times its n
          stats[mine + 1] += tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), y), 'int32')).dataSync()[0];
          (logits as tf.Tensor2D | null)?.dispose();
          let offset = 0;
          for (const variable of variables) {
            grads.set(g[variable.name].dataSync() as Float32Array, offset);
            offset += variable.size;
          }
        });
        stats[mine + 2] += n;
      } else grads.fill(0);
      barrier(sync, workers);

      // this worker's shard: the sum of all workers' gradients, in worker order, then Adam on the shared parameters
      sum.set(allGrads.subarray(s0, s1));
      for (let k = 1; k < workers; k++) {
        const other = allGrads.subarray(k * size + s0, k * size + s1);
        for (let i = 0; i < sum.length; i++) sum[i] += other[i];
      }
      const c = adamCoefficients(acc1, acc2, beta1, beta2, epsilon, learningRateAt(init.learningRate, init.schedule, globalStep, totalSteps));
      const shard = params.subarray(s0, s1);
      if (addon && shard.length) addon.adamStep(shard, sum, m, v, shard, c);
      else adamStepInPlace(shard, sum, m, v, c);
      acc1 = Math.fround(acc1 * Math.fround(beta1));
      acc2 = Math.fround(acc2 * Math.fround(beta2));
      globalStep++;
      if (rank === 0 && (step % init.progressEvery === init.progressEvery - 1 || step === stepsPerEpoch - 1)) {
        let lossSum = 0;
        let seen = 0;
        for (let k = 0; k < workers; k++) {
          lossSum += stats[epoch * workers * 3 + k * 3];
          seen += stats[epoch * workers * 3 + k * 3 + 2];
        }
        parentPort!.postMessage({ type: 'progress', epoch: epoch + 1, step: step + 1, loss: lossSum / seen } satisfies WorkerReport);
      }
      barrier(sync, workers);

      let offset = 0;
      for (const variable of variables) {
        const values = params.subarray(offset, offset + variable.size);
        const t = tf.tensor(copies ? values : values.slice(), variable.shape);
        variable.assign(t);
        t.dispose();
        offset += variable.size;
      }
    }
    if (rank === 0) parentPort!.postMessage({ type: 'epoch', epoch: epoch + 1, seconds: (performance.now() - epochStart) / 1000 } satisfies WorkerReport);
  }
  const weights = rank === 0 ? model.getWeights().map((w) => w.dataSync().slice() as Float32Array) : null;
  parentPort!.postMessage({ type: 'done', weights } satisfies WorkerReport);
}

main().catch((e) => {
  abortWorkers(new Int32Array((workerData as WorkerInit).sync));
  parentPort!.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) } satisfies WorkerReport);
});
