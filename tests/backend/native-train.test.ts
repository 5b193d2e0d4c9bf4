// The whole-step native training plan: train() through it ends where train() on tfjs's tape ends (same
// seed, same batches) for the zoo and for odd shapes (strides, both paddings, same-padded pools,
// no bias, a separate ReLU, a partial last batch), against the cpu backend too; clear refusals for what it
// does not cover (and train() still works there); afterStep hooks see and change the model's weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend';
import { compileNativeTraining, nativeTrainingRefusal } from '../../src/backend/native-train';
import { createModel, ZooName } from '../../src/models/zoo';
import { StepResult, trainCompiler, useTrainCompiler } from '../../src/train/train-plan';
import { crossEntropy, train, TrainOptions } from '../../src/train/train';
import type { Dataset } from '../../src/data/dataset';
import { mulberry32 } from '../../src/util/random';

const off = process.env.OPTILAB_NATIVE === '0';
const opts = { skip: off ? 'OPTILAB_NATIVE=0' : false };
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** `count` random images with labels that depend on them (so that training has something to learn). */
function dataset(count: number, h: number, w: number, c: number, seed: number, numClasses = 10): Dataset {
  const r = mulberry32(seed);
  const images = Float32Array.from({ length: count * h * w * c }, () => r());
  const labels = Uint8Array.from({ length: count }, (_, i) => Math.min(numClasses - 1, Math.floor(images[i * h * w * c] * numClasses)));
  return { images, labels, count, height: h, width: w, numClasses, classNames: [] } as unknown as Dataset;
}

const weightsOf = (model: tfl.LayersModel) => model.getWeights().map((t) => t.dataSync() as Float32Array);

/**
 * How two trainings ended: the largest |a - b| over all weights, and the share of weights that differ by more
 * than 1e-5. Gradients agree to float32 rounding (tested above), but Adam divides by sqrt(v): where a gradient
 * is near zero its rounding can flip the step's sign, so a few weights differ by up to a step (about the
 * learning rate) and the rest agree closely.
 */
function trainingDiff(a: Float32Array[], b: Float32Array[]): { largest: number; share: number } {
  let largest = 0;
  let apart = 0;
  let count = 0;
  a.forEach((w, i) =>
    w.forEach((v, j) => {
      const d = Math.abs(v - b[i][j]);
      largest = Math.max(largest, d);
      if (d > 1e-5) apart++;
      count++;
    }),
  );
  return { largest, share: apart / count };
}

/** Largest |a - b| over all weights, relative to the largest |b|. */
function relativeDiff(a: Float32Array[], b: Float32Array[]): number {
  let diff = 0;
  let scale = 0;
  a.forEach((w, i) => w.forEach((v, j) => ((diff = Math.max(diff, Math.abs(v - b[i][j]))), (scale = Math.max(scale, Math.abs(b[i][j]))))));
  return diff / scale;
}

/** train() on tfjs's tape (no training plan), then the plan compiler back. */
async function onTape<T>(f: () => Promise<T>): Promise<T> {
  const compiler = trainCompiler();
  useTrainCompiler(null);
  try {
    return await f();
  } finally {
    useTrainCompiler(compiler);
  }
}

/** The tape's gradients of the mean cross-entropy of a batch, in the order of model.trainableWeights. */
function tapeGradients(model: tfl.LayersModel, images: Float32Array, labels: Int32Array, shape: number[]): Float32Array[] {
  return tf.tidy(() => {
    const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => crossEntropy(model.apply(tf.tensor(images, shape), { training: true }) as tf.Tensor2D, tf.tensor1d(labels, 'int32')), variables);
    return variables.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

for (const name of ['lenet5', 'mnistCnn', 'cnnSmall', 'mlp'] as ZooName[]) {
  test(`${name}: the plan's gradients are the tape's at batch 1, 7 and 64`, opts, async () => {
    await initBackend();
    const model = createModel(name, { seed: 4 });
    const plan = compileNativeTraining(model, 64, ADAM);
    assert.ok(plan, nativeTrainingRefusal);
    for (const n of [1, 7, 64]) {
      const data = dataset(n, 28, 28, 1, n);
      const labels = Int32Array.from(data.labels);
      const result: StepResult = plan.computeGradients(data.images, labels, n);
      const want = tapeGradients(model, data.images, labels, [n, 28, 28, 1]);
      const diff = relativeDiff(plan.gradients(), want);
      assert.ok(diff < 1e-5, `batch ${n}: gradients differ by ${diff} (relative)`);
      const logits = tf.tidy(() => model.predict(tf.tensor(data.images, [n, 28, 28, 1])) as tf.Tensor2D);
      const loss = tf.tidy(() => crossEntropy(logits, tf.tensor1d(labels, 'int32')).dataSync()[0]);
      const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'int32')).dataSync()[0]);
      logits.dispose();
      assert.ok(Math.abs(result.loss - loss) < 1e-5 * Math.max(1, loss), `batch ${n}: loss ${result.loss} vs ${loss}`);
      assert.equal(result.correct, hits);
    }
    model.dispose();
  });
}

const trainOpts: TrainOptions = { epochs: 1, batchSize: 64, seed: 5, learningRate: 3e-3 };

for (const name of ['lenet5', 'mnistCnn', 'cnnSmall', 'mlp'] as ZooName[]) {
  test(`${name}: train() through the plan ends where train() on the tape ends (150 images, a partial last batch)`, opts, async () => {
    await initBackend();
    const data = dataset(150, 28, 28, 1, 11);
    const planned = createModel(name, { seed: 2 });
    assert.ok(compileNativeTraining(planned, 64, ADAM), nativeTrainingRefusal);
    const taped = createModel(name, { seed: 2 });
    const a = await train(planned, data, trainOpts);
    const b = await onTape(() => train(taped, data, trainOpts));
    const { largest, share } = trainingDiff(weightsOf(planned), weightsOf(taped));
    assert.ok(largest < trainOpts.learningRate!, `a weight differs by ${largest}`);
    assert.ok(share < 0.01, `${(share * 100).toFixed(2)}% of the weights differ by more than 1e-5`);
    assert.ok(Math.abs(a.epochs[0].loss - b.epochs[0].loss) < 1e-4, `loss ${a.epochs[0].loss} vs ${b.epochs[0].loss}`);
    assert.equal(a.epochs[0].trainAccuracy, b.epochs[0].trainAccuracy);
    planned.dispose();
    taped.dispose();
  });
}

/** A model of everything the plan covers at odd sizes. */
function oddModel(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.rescaling({ inputShape: [13, 11, 1], scale: 1 / 255, offset: -0.25 }));
  model.add(tfl.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'valid', useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  model.add(tfl.layers.reLU());
  model.add(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dropout({ rate: 0 }));
  model.add(tfl.layers.dense({ units: 6, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  model.add(tfl.layers.dense({ units: 3, useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
  return model;
}

test('odd shapes: the plan ends where the tape on the cpu backend ends (strides, same/valid, same-padded pool, no bias, ReLU layer)', opts, async () => {
  await initBackend();
  const data = dataset(45, 13, 11, 1, 7, 3);
  const o: TrainOptions = { epochs: 2, batchSize: 16, seed: 3, learningRate: 1e-2 };
  const planned = oddModel();
  assert.ok(compileNativeTraining(planned, 16, ADAM), nativeTrainingRefusal);
  const start = planned.getWeights().map((w) => w.clone());
  await train(planned, data, o);
  await tf.setBackend('cpu');
  try {
    const reference = oddModel();
    reference.setWeights(start);
    await train(reference, data, o);
    const { largest, share } = trainingDiff(weightsOf(planned), weightsOf(reference));
    assert.ok(largest < o.learningRate!, `a weight differs from the cpu backend's by ${largest}`);
    assert.ok(share < 0.02, `${(share * 100).toFixed(2)}% of the weights differ from the cpu backend's by more than 1e-5`);
    assert.ok(relativeDiff(weightsOf(planned), start.map((t) => t.dataSync() as Float32Array)) > 1e-3, 'training changed the weights');
    reference.dispose();
  } finally {
    await tf.setBackend('wasm');
  }
  planned.dispose();
});

test('refusals are named, and train() then runs on the tape', opts, async () => {
  await initBackend();
  const cases: [string, (m: tfl.Sequential) => void, RegExp][] = [
    ['dropout', (m) => m.add(tfl.layers.dropout({ rate: 0.3 })), /dropout at rate 0.3/],
    ['relu6', (m) => m.add(tfl.layers.dense({ units: 4, activation: 'relu6' })), /relu6/],
    ['batch norm', (m) => m.add(tfl.layers.batchNormalization()), /BatchNormalization/],

  ];
  for (const [what, add, why] of cases) {
    const model = tfl.sequential();
    model.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
    model.add(tfl.layers.dense({ units: 8, activation: 'relu' }));
    add(model);
    model.add(tfl.layers.dense({ units: 3 }));
    assert.equal(compileNativeTraining(model, 8, ADAM), null, what);
    assert.match(nativeTrainingRefusal, why, what);
    const result = await train(model, dataset(20, 6, 6, 1, 3, 3), { epochs: 1, batchSize: 8 });
    assert.ok(Number.isFinite(result.epochs[0].loss), what);
    model.dispose();
  }
  // dilated convolutions: tfjs has no gradient for them, so the tape cannot train this either
  const dilated = tfl.sequential();
  dilated.add(tfl.layers.conv2d({ inputShape: [9, 9, 1], filters: 2, kernelSize: 3, dilationRate: 2 }));
  dilated.add(tfl.layers.flatten());
  dilated.add(tfl.layers.dense({ units: 3 }));
  assert.equal(compileNativeTraining(dilated, 8, ADAM), null);
  assert.match(nativeTrainingRefusal, /dilation 2x2/);
  dilated.dispose();
  const frozen = createModel('lenet5', { seed: 1 });
  frozen.layers[1].trainable = false;
  assert.equal(compileNativeTraining(frozen, 8, ADAM), null);
  assert.match(nativeTrainingRefusal, /frozen weights/);
  frozen.dispose();
});

test('afterStep hooks see the current weights and their changes stay (a pruning mask held at zero)', opts, async () => {
  await initBackend();
  const data = dataset(130, 28, 28, 1, 4);
  const run = async (model: tfl.LayersModel) => {
    const seen: number[] = [];
    const fc1 = model.getLayer('fc1');
    await train(model, data, {
      ...trainOpts,
      afterStep: () => {
        const [kernel, bias] = fc1.getWeights();
        seen.push(kernel.dataSync()[1]);
        const k = kernel.dataSync().slice();
        for (let i = 0; i < k.length; i += 2) k[i] = 0; // every other weight pruned
        fc1.setWeights([tf.tensor(k, kernel.shape), bias]);
      },
    });
    return seen;
  };
  const planned = createModel('lenet5', { seed: 6 });
  const taped = createModel('lenet5', { seed: 6 });
  const a = await run(planned);
  const b = await onTape(() => run(taped));
  assert.equal(a.length, 3);
  assert.ok(new Set(a).size === 3, 'the hook saw each step\'s weights');
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < trainOpts.learningRate!, `step ${i + 1}: ${v} vs ${b[i]}`));
  const k = planned.getLayer('fc1').getWeights()[0].dataSync();
  for (let i = 0; i < k.length; i += 2) assert.equal(k[i], 0);
  assert.ok(trainingDiff(weightsOf(planned), weightsOf(taped)).share < 0.01);
  planned.dispose();
  taped.dispose();
});

test('a step that throws leaves the model with the steps done before it', opts, async () => {
  await initBackend();
  const data = dataset(200, 28, 28, 1, 8);
  const model = createModel('lenet5', { seed: 7 });
  const before = weightsOf(model).map((w) => w.slice());
  let progressCalls = 0;
  await assert.rejects(
    train(model, data, { ...trainOpts, progressEvery: 2, onProgress: () => {
      progressCalls++;
      throw new Error('stop here');
    } }),
    /stop here/,
  );
  assert.equal(progressCalls, 1);
  assert.ok(relativeDiff(weightsOf(model), before) > 1e-4, 'the two steps before the error are in the model');
  model.dispose();
});

test('bad calls of a plan name what is wrong', opts, async () => {
  await initBackend();
  const model = createModel('mlp', { seed: 1 });
  const plan = compileNativeTraining(model, 4, ADAM)!;
  assert.throws(() => plan.step(new Float32Array(5 * 784), new Int32Array(5), 5, 1e-3), /batch must be a whole number in \[1, 4\], got 5/);
  assert.throws(() => plan.step(new Float32Array(10), new Int32Array(2), 2, 1e-3), /2 images of 28x28x1 need 1568 values, got 10/);
  assert.throws(() => plan.step(new Float32Array(2 * 784), new Int32Array(1), 2, 1e-3), /2 images need 2 labels, got 1/);
  model.dispose();
});
