/**
 * One data-parallel training worker (see ./parallel.ts): holds a model replica and its own Adam state,
 * computes gradients on its share of each mini-batch, and applies the averaged gradients it is sent.
 * Every replica applies the same averaged gradients in the same order, so replicas stay identical.
 */
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, BackendName } from '../backend';
import { crossEntropy } from './train';
import { adam } from './adam';
import { planTraining } from './train-plan';

export interface WorkerInit {
  backend: BackendName;
  topology: object;
  weights: Float32Array[];
  shapes: number[][];
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  order: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  average: SharedArrayBuffer;
  height: number;
  width: number;
  numClasses: number;
  learningRate: number;
  /** The largest share of a batch a worker is given. */
  share: number;
}

export type WorkerMessage =
  | { type: 'step'; start: number; end: number; total: number; learningRate: number; apply: boolean }
  | { type: 'apply'; learningRate: number }
  | { type: 'finish'; apply: boolean; learningRate: number };

async function main() {
  const init = workerData as WorkerInit;
  await initBackend(init.backend);
  const model = await tfl.models.modelFromJSON(init.topology as tf.io.ModelJSON['modelTopology'] as never);
  model.setWeights(init.weights.map((w, i) => tf.tensor(w, init.shapes[i])));
  const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const sizes = variables.map((v) => v.size);
  const optimizer = adam(init.learningRate);
  const images = new Float32Array(init.images);
  const labels = new Uint8Array(init.labels);
  const order = new Int32Array(init.order);
  const grads = new Float32Array(init.grads);
  const average = new Float32Array(init.average);
  const pixels = init.height * init.width;
  // The backend's compiled step when it covers the model (as train() uses it), tfjs's tape otherwise.
  const plan = planTraining(model, init.share, { beta1: 0.9, beta2: 0.999, epsilon: tf.backend().epsilon() });

  const applyAverage = (lr: number) => {
    if (plan) {
      let offset = 0;
      for (const g of plan.gradients()) {
        g.set(average.subarray(offset, offset + g.length));
        offset += g.length;
      }
      plan.applyGradients(lr);
      return;
    }
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    let offset = 0;
    const named = variables.map((v, i) => {
      const t = tf.tensor(average.subarray(offset, offset + sizes[i]), v.shape);
      offset += sizes[i];
      return { name: v.name, tensor: t };
    });
    optimizer.applyGradients(named);
    named.forEach((n) => n.tensor.dispose());
  };

  parentPort!.on('message', (msg: WorkerMessage) => {
    if (msg.type === 'finish') {
      if (msg.apply) applyAverage(msg.learningRate);
      plan?.writeBack();
      const weights = model.getWeights().map((w) => w.dataSync().slice());
      parentPort!.postMessage({ type: 'weights', weights });
      return;
    }
    if (msg.type === 'apply') {
      applyAverage(msg.learningRate);
      parentPort!.postMessage({ type: 'applied' });
      return;
    }
    if (msg.apply) applyAverage(msg.learningRate);
    const n = msg.end - msg.start;
    let loss = 0;
    let correct = 0;
    if (n > 0) {
      const idx = order.subarray(msg.start, msg.end);
      const batch = new Float32Array(n * pixels);
      const ys = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        batch.set(images.subarray(idx[k] * pixels, (idx[k] + 1) * pixels), k * pixels);
        ys[k] = labels[idx[k]];
      }
      if (plan) {
        // each share's loss weighted by its part of the batch, so the sum of the gradients is the batch mean's
        const r = plan.computeGradients(batch, ys, n, n / msg.total);
        loss = r.loss;
        correct = r.correct;
        let offset = 0;
        for (const g of plan.gradients()) {
          grads.set(g, offset);
          offset += g.length;
        }
      } else tf.tidy(() => {
        const xs = tf.tensor4d(batch, [n, init.height, init.width, 1]);
        const y = tf.tensor1d(ys, 'int32');
        let logits: tf.Tensor2D | null = null;
        // Each worker's loss is weighted by its share of the batch, so the sum of gradients is the batch mean.
        const { value, grads: g } = optimizer.computeGradients(() => {
          logits = tf.keep(model.apply(xs, { training: true }) as tf.Tensor2D);
          return tf.mul(crossEntropy(logits, y), n / msg.total) as tf.Scalar;
        }, variables);
        loss = value.dataSync()[0] * (msg.total / n);
        correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), y), 'int32')).dataSync()[0];
        (logits as tf.Tensor2D | null)?.dispose();
        let offset = 0;
        for (const v of variables) {
          grads.set(g[v.name].dataSync(), offset);
          offset += v.size;
        }
      });
    } else {
      grads.fill(0);
    }
    parentPort!.postMessage({ type: 'grads', loss, correct, n });
  });
  parentPort!.postMessage({ type: 'ready' });
}

main().catch((e) => {
  parentPort!.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) });
});
