import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist } from '../../src/data/files';
import { summarize } from '../../src/models/summary';
import { crossEntropy, train } from '../../src/train/train';
import { imagesTensor } from '../../src/data/dataset';
import { depthwiseSeparableBlock, mobileNetMnist, standardConvBlock, standardConvMnist } from '../../src/edge/models';
import { measureLatency } from '../../src/edge/latency';
import { maxAbsDiff, setupBackend } from '../helpers';

test.before(setupBackend);

test('a depthwise-separable block has k²c + c + cf + f parameters and (k² + f)·c MACs per position vs k²·c·f', () => {
  const sep = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [14, 14, 32] }), ...depthwiseSeparableBlock({ filters: 64, stride: 2, name: 'b' })] });
  const std = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [14, 14, 32] }), ...standardConvBlock({ filters: 64, stride: 2, name: 'b' })] });
  assert.equal(sep.countParams(), 9 * 32 + 32 + 32 * 64 + 64);
  assert.equal(std.countParams(), 9 * 32 * 64 + 64);
  assert.deepEqual(sep.outputs[0].shape, std.outputs[0].shape);
  const s = summarize(sep);
  assert.equal(s.totalMacs, 7 * 7 * 32 * 9 + 7 * 7 * 32 * 64);
  assert.equal(summarize(std).totalMacs, 7 * 7 * 64 * 9 * 32);
  assert.throws(() => depthwiseSeparableBlock({ filters: 0, name: 'x' }), /filters must be a positive whole number/);
});

test('MobileNet-style MNIST model: logits for 10 classes, several times fewer parameters and MACs than its standard twin', () => {
  const m = mobileNetMnist({ seed: 1 });
  const s = standardConvMnist({ seed: 1 });
  assert.deepEqual(m.outputs[0].shape, [null, 10]);
  assert.equal(m.layers.at(-1)!.name, 'logits');
  assert.ok(s.countParams() > 5 * m.countParams(), `${s.countParams()} vs ${m.countParams()}`);
  assert.ok(summarize(s).totalMacs > 5 * summarize(m).totalMacs);
  assert.ok(mobileNetMnist({ alpha: 0.5 }).countParams() < m.countParams());
  assert.throws(() => mobileNetMnist({ alpha: 0 }), /alpha/);
});

test('the MobileNet-style model: wasm gradients of every weight match the cpu backend, and training lowers the loss', async () => {
  const data = loadMnist({ split: 'train', limit: 256 });
  const grads = async (backend: string) => {
    await tf.setBackend(backend);
    const m = mobileNetMnist({ seed: 2, widths: [8, 16, 16], stem: 8 });
    const x = imagesTensor(data, 0, 4);
    const y = tf.tensor1d(data.labels.subarray(0, 4), 'int32');
    const vars = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads: g } = tf.variableGrads(() => crossEntropy(m.apply(x, { training: true }) as tf.Tensor2D, y), vars);
    return vars.map((v) => g[v.name].dataSync());
  };
  const cpu = await grads('cpu');
  const wasm = await grads('wasm');
  assert.equal(cpu.length, 16);
  cpu.forEach((g, i) => assert.ok(maxAbsDiff(g, wasm[i]) < 1e-4 * Math.max(1, ...Array.from(g, Math.abs)), `weight ${i}: ${maxAbsDiff(g, wasm[i])}`));
  const m = mobileNetMnist({ seed: 2 });
  const r = await train(m, data, { epochs: 2, seed: 2, learningRate: 5e-3 });
  assert.ok(r.epochs[1].loss < 0.99 * r.epochs[0].loss, `losses ${r.epochs.map((e) => e.loss)}`);
});

test('measureLatency times forward passes at the requested batch size', async () => {
  const lat = await measureLatency(mobileNetMnist({ seed: 3 }), { batchSize: 8, runs: 3, warmup: 1 });
  assert.equal(lat.timesMs.length, 3);
  assert.ok(lat.medianMs > 0 && lat.minMs <= lat.medianMs);
  assert.ok(Math.abs(lat.imagesPerSecond - 8000 / lat.medianMs) < 1e-6);
  assert.equal(tf.memory().numTensors >= 0, true);
  await assert.rejects(measureLatency(mobileNetMnist(), { batchSize: 0 }), /positive whole numbers/);
});
