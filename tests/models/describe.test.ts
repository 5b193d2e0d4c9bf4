import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { configPair, describeLayer, describeLayers, layerClassName, layerKind } from '../../src/models/describe';
import { lenet5 } from '../../src/models/zoo';
import { setupBackend } from '../helpers';

test.before(setupBackend);

test('configPair: arrays, numbers and the fallback', () => {
  assert.deepEqual(configPair([3, 5], 1), [3, 5]);
  assert.deepEqual(configPair([4], 1), [4, 4]);
  assert.deepEqual(configPair(2, 1), [2, 2]);
  assert.deepEqual(configPair(undefined, 3), [3, 3]);
});

test('describeLayers(lenet5): kinds, normalised config, shapes, parameters and the live weights', () => {
  const model = lenet5();
  const ds = describeLayers(model);
  assert.deepEqual(ds.map((d) => d.kind), ['rescaling', 'conv2d', 'maxpool', 'conv2d', 'maxpool', 'flatten', 'dense', 'dense', 'dense']);
  const [norm, conv1, pool1, conv2, , flatten, fc1, , logits] = ds;
  assert.equal(norm.className, 'Rescaling');
  assert.ok(Math.abs(norm.scale! - 1 / 0.3081) < 1e-4, String(norm.scale));
  assert.ok(Math.abs(norm.offset! + 0.1307 / 0.3081) < 1e-4, String(norm.offset));
  assert.deepEqual([conv1.kernelSize, conv1.strides, conv1.dilation, conv1.padding, conv1.activation, conv1.useBias], [[5, 5], [1, 1], [1, 1], 'same', 'relu', true]);
  assert.equal(conv2.padding, 'valid');
  assert.deepEqual(conv1.outputShape, [28, 28, 6]);
  assert.deepEqual(conv1.inputShape, [28, 28, 1]);
  assert.deepEqual([pool1.poolSize, pool1.strides, pool1.padding], [[2, 2], [2, 2], 'valid']);
  assert.deepEqual(flatten.inputShape, [5, 5, 16]);
  assert.deepEqual(flatten.outputShape, [400]);
  assert.equal(conv1.params, 156);
  assert.deepEqual(conv1.weights.map((w) => w.shape), [[5, 5, 1, 6], [6]]);
  assert.deepEqual(fc1.weights[0].shape, [400, 120]);
  assert.equal(logits.activation, 'linear');
  assert.equal(conv1.channelsFirst, false);
  // The weights are the layer's own tensors (no copy): their values are the layer's.
  assert.deepEqual(Array.from(conv1.weights[0].dataSync()), Array.from(model.getLayer('conv1').getWeights()[0].dataSync()));
  assert.equal(conv1.weights[0].isDisposed, false);
});

test('describeLayer: pooling strides default to the pool size; activation and bias flags; ReLU plainness; other classes', () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: [3, 1], strides: 2, dilationRate: 1, useBias: false, padding: 'same' }),
      tfl.layers.averagePooling2d({ poolSize: 2, strides: null as unknown as number }),
      tfl.layers.reLU({ maxValue: 6 }),
      tfl.layers.reLU({}),
      tfl.layers.batchNormalization({ epsilon: 0.01 }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.activation({ activation: 'softmax' }),
      tfl.layers.layerNormalization({}),
    ],
  });
  const [conv, pool, relu6, relu, bn, gap, act, ln] = model.layers.map(describeLayer);
  assert.deepEqual([conv.kernelSize, conv.strides, conv.useBias, conv.padding, conv.activation], [[3, 1], [2, 2], false, 'same', 'linear']);
  assert.equal(conv.weights.length, 1);
  assert.deepEqual([pool.kind, pool.poolSize, pool.strides], ['avgpool', [2, 2], [2, 2]]);
  assert.deepEqual([relu6.kind, relu6.plainRelu, relu.plainRelu], ['relu', false, true]);
  assert.deepEqual([bn.kind, bn.axis, bn.epsilon], ['batchnorm', -1, 0.01]);
  assert.equal(gap.kind, 'globalavgpool');
  assert.deepEqual([act.kind, act.activation], ['activation', 'softmax']);
  assert.deepEqual([ln.kind, ln.className], ['other', 'LayerNormalization']);
});

test('describeLayer of a layer never called: no shapes, the rest described', () => {
  const d = describeLayer(tfl.layers.dense({ units: 4, activation: 'relu' }));
  assert.equal(d.outputShape, undefined);
  assert.equal(d.inputShape, undefined);
  assert.deepEqual([d.kind, d.activation, d.weights.length, d.params], ['dense', 'relu', 0, 0]);
});

test('layerClassName and layerKind name a layer without describing it', () => {
  const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 3 });
  const bn = tfl.layers.batchNormalization({});
  const ln = tfl.layers.layerNormalization({});
  assert.deepEqual([conv, bn, ln].map(layerClassName), ['Conv2D', 'BatchNormalization', 'LayerNormalization']);
  assert.deepEqual([conv, bn, ln].map(layerKind), ['conv2d', 'batchnorm', 'other']);
});
