// The whole-model native forward plan: the same bits as model.predict on the native kernels, the cpu backend's
// values on odd shapes (strides, dilation, both paddings, same-padded pools, batch > 1), a clear refusal for
// layers it does not cover, and predictLogits/evaluate taking it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, kernelsInUse } from '../../src/backend';
import { compileNativeForward, nativeForwardRefusal } from '../../src/backend/native-forward';
import { nativeKernelRuns } from '../../src/backend/native-kernels';
import { createModel, ZooName } from '../../src/models/zoo';
import { currentPlan, planForward } from '../../src/train/forward-plan';
import { evaluate, predictLogits } from '../../src/train/train';
import type { Dataset } from '../../src/data/dataset';
import { mulberry32 } from '../../src/util/random';

const off = process.env.OPTILAB_NATIVE === '0';
const opts = { skip: off ? 'OPTILAB_NATIVE=0' : false };

function images(n: number, size: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n * size }, () => r());
}

/** model.predict's output on the current backend. */
function predict(model: tfl.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array).slice();
}

/** model.predict on the cpu backend (tfjs's reference kernels), then back to the backend in use. */
async function onCpu<T>(f: () => T): Promise<T> {
  const was = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend(was);
  }
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('the native kernels are in use (initBackend on the wasm backend with the addon)', opts, async () => {
  assert.equal(await initBackend(), 'wasm');
  assert.equal(kernelsInUse().kernels, 'native');
});

for (const name of ['lenet5', 'mnistCnn', 'cnnSmall', 'mlp'] as ZooName[]) {
  test(`${name}: the plan gives model.predict's bits at batch 1, 7 and 64`, opts, async () => {
    await initBackend();
    const model = createModel(name, { seed: 3 });
    const plan = compileNativeForward(model);
    assert.ok(plan, nativeForwardRefusal);
    assert.deepEqual(plan.inputShape, [28, 28, 1]);
    assert.equal(plan.outputSize, 10);
    for (const batch of [1, 7, 64]) {
      const x = images(batch, 784, batch);
      const want = predict(model, x, [batch, 28, 28, 1]);
      const got: Float32Array = plan.run(x, batch);
      assert.equal(got.length, batch * 10);
      assert.equal(maxDiff(got, want), 0, `batch ${batch}`);
    }
    model.dispose();
  });
}

test('odd shapes agree with the cpu backend: strides, dilation, valid/same, same-padded pools, relu6, no bias, dropout', opts, async () => {
  await initBackend();
  const model = tfl.sequential();
  model.add(tfl.layers.rescaling({ inputShape: [13, 11, 3], scale: 0.5, offset: -0.25 }));
  model.add(tfl.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu6' }));
  model.add(tfl.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'valid', useBias: false }));
  model.add(tfl.layers.reLU());
  model.add(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dropout({ rate: 0.5 }));
  model.add(tfl.layers.dense({ units: 6, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: 3, useBias: false }));
  // non-zero biases, so that a bias on the wrong channel shows
  for (const layer of model.layers) layer.setWeights(layer.getWeights().map((w, i) => (w.shape.length === 1 ? tf.linspace(-0.3, 0.4, w.shape[0]) : tf.randomNormal(w.shape, 0, 0.5, 'float32', 10 + i))));
  const plan = compileNativeForward(model);
  assert.ok(plan, nativeForwardRefusal);
  const batch = 5;
  const x = images(batch, 13 * 11 * 3, 9);
  const got = plan.run(x, batch).slice();
  assert.equal(maxDiff(got, predict(model, x, [batch, 13, 11, 3])), 0);
  const cpu = await onCpu(() => predict(model, x, [batch, 13, 11, 3]));
  const scale = Math.max(1, ...cpu.map(Math.abs));
  assert.ok(maxDiff(got, cpu) <= 1e-5 * scale, `differs from cpu by ${maxDiff(got, cpu)}`);
  assert.ok(cpu.some((v) => v !== 0));
});

test('layers the plan does not cover are refused, saying which, and predictLogits then uses model.predict', opts, async () => {
  await initBackend();
  const model = tfl.sequential();
  model.add(tfl.layers.averagePooling2d({ inputShape: [28, 28, 1], poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  assert.equal(compileNativeForward(model), null);
  assert.match(nativeForwardRefusal, /AveragePooling2D/);
  const data: Dataset = { name: 't', split: 'test', height: 28, width: 28, numClasses: 10, count: 3, images: images(3, 784, 1), labels: Uint8Array.from([1, 2, 3]) } as Dataset;
  const logits = await predictLogits(model, data);
  assert.equal(maxDiff(logits, predict(model, data.images, [3, 28, 28, 1])), 0);
});

test('predictLogits and evaluate run on the plan (no tfjs kernels) with the same results as model.predict', opts, async () => {
  await initBackend();
  const model = createModel('lenet5', { seed: 5 });
  assert.ok(planForward(model), 'initBackend installs the native forward compiler');
  const r = mulberry32(4);
  const count = 37;
  const data = { name: 't', split: 'test', height: 28, width: 28, numClasses: 10, count, images: images(count, 784, 2), labels: Uint8Array.from({ length: count }, () => Math.floor(r() * 10)) } as Dataset;
  const before = nativeKernelRuns('FusedConv2D');
  const logits = await predictLogits(model, data, 16);
  assert.equal(nativeKernelRuns('FusedConv2D'), before, 'model.predict did not run');
  assert.equal(maxDiff(logits, predict(model, data.images, [count, 28, 28, 1])), 0);
  const e = await evaluate(model, data, 16);
  assert.equal(e.count, count);
  assert.ok(Number.isFinite(e.loss));
});

test('predictLogits reuses one plan while the weights stay, and makes a new one when they change (setWeights, training)', opts, async () => {
  await initBackend();
  const model = createModel('lenet5', { seed: 6 });
  const plan = currentPlan(model);
  assert.ok(plan);
  assert.equal(currentPlan(model), plan, 'same weights: the same plan');
  const count = 9;
  const data = { name: 't', split: 'test', height: 28, width: 28, numClasses: 10, count, images: images(count, 784, 3), labels: new Uint8Array(count) } as Dataset;
  const first = await predictLogits(model, data);
  // new weights (every kernel halved): predictLogits must see them, as model.predict does
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 0.5)));
  assert.notEqual(currentPlan(model), plan, 'setWeights: a new plan');
  const second = await predictLogits(model, data);
  assert.ok(maxDiff(first, second) > 0, 'the halved weights changed the logits');
  assert.equal(maxDiff(second, predict(model, data.images, [count, 28, 28, 1])), 0);
  // a step of training assigns new tensors too
  const v = model.trainableWeights[0] as unknown as { write(t: tf.Tensor): void; read(): tf.Tensor };
  const before = currentPlan(model);
  v.write(tf.add(v.read(), 0.01));
  assert.notEqual(currentPlan(model), before, 'an assigned variable: a new plan');
  assert.equal(maxDiff(await predictLogits(model, data), predict(model, data.images, [count, 28, 28, 1])), 0);
});

test('a first layer that works in place leaves the caller\'s images as they were', opts, async () => {
  await initBackend();
  const model = tfl.sequential();
  model.add(tfl.layers.reLU({ inputShape: [4, 4, 1] }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 2 }));
  const plan = compileNativeForward(model);
  assert.ok(plan, nativeForwardRefusal);
  const x = Float32Array.from({ length: 32 }, (_, i) => i - 16);
  const kept = x.slice();
  const got = plan.run(x, 2);
  assert.deepEqual(x, kept);
  assert.equal(maxDiff(got, predict(model, kept, [2, 4, 4, 1])), 0);
});

test('bad input is explained', opts, async () => {
  await initBackend();
  const plan = compileNativeForward(createModel('mlp', { seed: 1 }))!;
  assert.throws(() => plan.run(new Float32Array(10), 1), /1 images of 28x28x1 need 784 values, got 10/);
  assert.throws(() => plan.run(new Float32Array(784), 0), /batch must be a positive integer/);
});
