import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { benchFusion, conv2dBackend, conv2dBiasReluFused, conv2dBiasReluSeparate, foldBatchNorm, randomMatrix, type ConvShape } from '../../src/hardware';
import { mulberry32 } from '../../src/util/random';
import { maxAbsDiff, seededTensor, setupBackend } from '../helpers';

before(async () => {
  await setupBackend();
});

/** Gives every BN layer non-trivial statistics: gamma, variance in [0.5, 1.5), beta, mean in [-0.5, 0.5). */
function randomiseBatchNorms(model: tfl.LayersModel, seed: number): void {
  const r = mulberry32(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.weights.map((w) => {
      const name = w.originalName;
      const n = w.shape[0]!;
      const around = /gamma|variance/.test(name) ? 1 : 0;
      return tf.tensor1d(Float32Array.from({ length: n }, () => around + r() - 0.5));
    }));
  }
}

/** conv -> BN -> relu -> depthwise (no bias) -> BN (no center) -> relu -> 1x1 conv relu -> BN (after relu: kept) -> dense -> BN -> logits. */
function bnModel(): tfl.Sequential {
  const m = tfl.sequential({ name: 'bnModel' });
  m.add(tfl.layers.conv2d({ inputShape: [11, 9, 3], filters: 6, kernelSize: 3, padding: 'same', name: 'conv1' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn1' }));
  m.add(tfl.layers.reLU({ name: 'relu1' }));
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, useBias: false, name: 'dw1' }));
  m.add(tfl.layers.batchNormalization({ center: false, epsilon: 1e-2, name: 'bn2' }));
  m.add(tfl.layers.activation({ activation: 'relu', name: 'act2' }));
  m.add(tfl.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', name: 'pw' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn3' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 7, name: 'fc' }));
  m.add(tfl.layers.batchNormalization({ scale: false, name: 'bn4' }));
  m.add(tfl.layers.dense({ units: 4, name: 'logits' }));
  randomiseBatchNorms(m, 3);
  return m;
}

// Folding changes only the order of float32 roundings (w·s is rounded once instead of the BN rescaling every
// activation); outputs here are of order 1-10, so differences stay near 1e-6. A wrong channel index (conv's
// last axis vs depthwise's c·mult + m) or a missing β or μ moves outputs by order 0.1-1.
const TOL = 1e-4;

test('folding BN after a conv, a depthwise conv and a dense layer keeps the outputs within 1e-4 on random inputs', () => {
  const model = bnModel();
  const { model: folded, folded: pairs, kept } = foldBatchNorm(model);
  assert.deepEqual(pairs, [{ layer: 'conv1', batchNorm: 'bn1' }, { layer: 'dw1', batchNorm: 'bn2' }, { layer: 'fc', batchNorm: 'bn4' }]);
  assert.deepEqual(kept.map((k) => k.batchNorm), ['bn3']);
  assert.match(kept[0].reason, /'pw' applies activation 'relu' before the batch norm/);
  assert.deepEqual(folded.layers.map((l) => l.name), ['conv1', 'relu1', 'dw1', 'act2', 'pw', 'bn3', 'flat', 'fc', 'logits']);
  assert.equal(folded.getLayer('dw1').getWeights().length, 2, 'the depthwise layer gained a bias');
  for (const seed of [1, 2, 3]) {
    const x = seededTensor([5, 11, 9, 3], seed);
    const diff = maxAbsDiff((model.predict(x) as tf.Tensor).dataSync(), (folded.predict(x) as tf.Tensor).dataSync());
    assert.ok(diff < TOL, `seed ${seed}: max |y - y_folded| = ${diff}`);
  }
  // The original model is untouched (still has its BN layers, still computes the same).
  assert.equal(model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 4);
});

test('a model whose every BN follows a linear conv or depthwise folds to a model without BN layers', () => {
  const m = tfl.sequential();
  m.add(tfl.layers.depthwiseConv2d({ inputShape: [8, 8, 2], kernelSize: 3, padding: 'same', name: 'dw' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn_dw' }));
  m.add(tfl.layers.conv2d({ filters: 3, kernelSize: 2, strides: 2, useBias: false, name: 'conv' }));
  m.add(tfl.layers.batchNormalization({ axis: 3, name: 'bn_conv' }));
  m.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));
  randomiseBatchNorms(m, 9);
  const { model: folded, kept } = foldBatchNorm(m);
  assert.equal(kept.length, 0);
  assert.ok(folded.layers.every((l) => l.getClassName() !== 'BatchNormalization'));
  const x = seededTensor([4, 8, 8, 2], 5);
  assert.ok(maxAbsDiff((m.predict(x) as tf.Tensor).dataSync(), (folded.predict(x) as tf.Tensor).dataSync()) < TOL);
});

test('a BN that cannot fold is kept with its reason (first layer, after pooling)', () => {
  const m = tfl.sequential();
  m.add(tfl.layers.batchNormalization({ inputShape: [6, 6, 1], name: 'bn0' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn1' }));
  const { folded, kept } = foldBatchNorm(m);
  assert.equal(folded.length, 0);
  assert.deepEqual(kept.map((k) => k.batchNorm), ['bn0', 'bn1']);
  assert.match(kept[0].reason, /first layer/);
  assert.match(kept[1].reason, /'pool' \(MaxPooling2D\), is not a Conv2D, DepthwiseConv2D or Dense/);
});

const SHAPES: ConvShape[] = [
  { batch: 2, height: 7, width: 5, inChannels: 3, outChannels: 5, kernelHeight: 3, kernelWidth: 3, padding: 'same' },
  { batch: 1, height: 9, width: 8, inChannels: 4, outChannels: 3, kernelHeight: 2, kernelWidth: 3, stride: 2 },
  { batch: 3, height: 4, width: 4, inChannels: 2, outChannels: 7, kernelHeight: 1, kernelWidth: 1 },
];

test('fused conv + bias + ReLU equals the separate passes and relu(tf.conv2d + b) within 1e-5', () => {
  SHAPES.forEach((s, i) => {
    const x = randomMatrix(1, s.batch * s.height * s.width * s.inChannels, i + 1);
    const w = randomMatrix(1, s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels, i + 20);
    const b = randomMatrix(1, s.outChannels, i + 40);
    const fused = conv2dBiasReluFused(x, w, b, s);
    const separate = conv2dBiasReluSeparate(x, w, b, s);
    const conv = conv2dBackend(x, w, s);
    const ref = conv.map((v, j) => Math.max(0, v + b[j % s.outChannels]));
    assert.ok(maxAbsDiff(fused, separate) < 1e-5, JSON.stringify(s));
    assert.ok(maxAbsDiff(fused, ref) < 1e-5, JSON.stringify(s));
    assert.ok(fused.some((v) => v === 0) && fused.some((v) => v > 0), 'the ReLU clips some outputs and passes others');
  });
  assert.throws(() => conv2dBiasReluFused(new Float32Array(25), new Float32Array(9), new Float32Array(2), { batch: 1, height: 5, width: 5, inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3 }), /bias has 2 elements, 1/);
});

test('benchFusion times the four variants', () => {
  const t = benchFusion(SHAPES[0], { warmup: 0, repeats: 1, minSampleMs: 0 });
  assert.deepEqual(t.map((k) => k.name), ['separate', 'fused', 'backend separate', 'backend fused']);
  for (const k of t) assert.ok(k.seconds > 0 && k.gflops > 0);
});
