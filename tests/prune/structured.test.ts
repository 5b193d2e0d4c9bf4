import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../../src/data/files';
import { imagesTensor } from '../../src/data/dataset';
import { lenet5, mlp } from '../../src/models/zoo';
import { applyMasks, kernelValues, selectLayers } from '../../src/prune/masks';
import { keptUnits, structuredMasks, unitImportance, unitMask } from '../../src/prune/structured';
import { applySurgery, removeUnits } from '../../src/prune/surgery';
import { summarize } from '../../src/models/summary';
import { maxAbsDiff, setupBackend } from '../helpers';

test.before(setupBackend);
const data = loadMnist({ split: 'train', limit: 96 });

test('L1 and L2 scores are the per-filter norms of the kernel', () => {
  const model = lenet5({ seed: 1 });
  const w = kernelValues(selectLayers(model, ['conv2'])[0]); // [5,5,6,16]
  const l1 = unitImportance(model, 'conv2', 'l1');
  const l2 = unitImportance(model, 'conv2', 'l2');
  assert.equal(l1.length, 16);
  for (const j of [0, 7, 15]) {
    let a = 0;
    let b = 0;
    for (let i = j; i < w.length; i += 16) {
      a += Math.abs(w[i]);
      b += w[i] * w[i];
    }
    assert.ok(Math.abs(l1[j] - a) < 1e-4 && Math.abs(l2[j] - Math.sqrt(b)) < 1e-5);
  }
});

test('data criteria: a filter silenced by its mask scores zero on activation, gradient and Taylor', () => {
  const model = lenet5({ seed: 2 });
  const flags = new Array(6).fill(1);
  flags[3] = 0;
  applyMasks(model, { conv1: unitMask(selectLayers(model, ['conv1'])[0], flags) });
  for (const criterion of ['activation', 'taylor', 'gradient'] as const) {
    const s = unitImportance(model, 'conv1', criterion, { data, batchSize: 32 });
    assert.equal(s[3], 0, `${criterion} of the silenced filter`);
    assert.ok(s.filter((v, i) => i !== 3).every((v) => v > 0), `${criterion}: live filters score > 0: ${Array.from(s)}`);
  }
  assert.throws(() => unitImportance(model, 'conv1', 'taylor'), /criterion 'taylor' scores units on data/);
});

test('structured masks remove whole units: kernel column and bias, the lowest scores first', () => {
  const model = lenet5({ seed: 3 });
  const masks = structuredMasks(model, 0.5, { criterion: 'l2' });
  assert.deepEqual(Object.keys(masks), ['conv1', 'conv2', 'fc1', 'fc2']);
  const scores = unitImportance(model, 'conv2', 'l2');
  const kept = keptUnits(masks.conv2);
  assert.equal(kept.length, 8);
  const minKept = Math.min(...kept.map((j) => scores[j]));
  const maxDropped = Math.max(...Array.from(scores).filter((_, j) => !kept.includes(j)));
  assert.ok(maxDropped <= minKept);
  for (let i = 0; i < masks.conv2.kernel.length; i++) assert.equal(masks.conv2.kernel[i], kept.includes(i % 16) ? 1 : 0);
  assert.throws(() => structuredMasks(model, 0.5, { layers: ['logits'] }), /'logits' is the model's output/);
  assert.throws(() => structuredMasks(model, 1.5), /fraction of units to remove must be in \[0, 1\)/);
});

test('surgery keeps the function of the unpruned units: outputs equal the masked model', async () => {
  for (const make of [() => lenet5({ seed: 4 }), () => mlp({ seed: 4, hidden: [64, 32] })]) {
    const model = make();
    const masks = structuredMasks(model, 0.5, { criterion: 'taylor', data });
    applyMasks(model, masks);
    const small = applySurgery(model, masks);
    const x = imagesTensor(data, 0, 32);
    const a = await (model.predict(x) as tf.Tensor).data();
    const b = await (small.predict(x) as tf.Tensor).data();
    assert.ok(maxAbsDiff(a, b) < 1e-5, `${model.name}: outputs differ by ${maxAbsDiff(a, b)}`);
    assert.ok(small.countParams() < 0.6 * model.countParams(), `${small.countParams()} vs ${model.countParams()}`);
    assert.ok(summarize(small).totalMacs < 0.6 * summarize(model).totalMacs);
  }
});

test('removeUnits shrinks the next layer inputs through pooling and flatten', () => {
  const model = lenet5({ seed: 5 });
  const small = removeUnits(model, { conv2: [0, 5, 9] });
  const fc1 = selectLayers(small, ['fc1'])[0];
  assert.deepEqual(fc1.getWeights()[0].shape, [5 * 5 * 3, 120]);
  assert.deepEqual(selectLayers(small, ['conv2'])[0].getWeights()[0].shape, [5, 5, 6, 3]);
  assert.throws(() => removeUnits(model, { logits: [0] }), /output/);
  assert.throws(() => removeUnits(model, { conv1: [] }), /keep no units/);
  assert.throws(() => removeUnits(model, { conv1: [3, 1] }), /increasing unit indices/);
});

test('structured pruning of a depthwise-separable model: default layers skip depthwise ones, surgery passes through them', async () => {
  const { mobileNetMnist } = await import('../../src/edge/models');
  const model = mobileNetMnist({ seed: 1, widths: [8, 16, 16], stem: 8 });
  const masks = structuredMasks(model, 0.5);
  assert.deepEqual(Object.keys(masks), ['stem', 'block1_pw', 'block2_pw', 'block3_pw']);
  assert.throws(() => structuredMasks(model, 0.5, { layers: ['block1_dw'] }), /DepthwiseConv2D.*cannot be pruned by units/);
  applyMasks(model, masks);
  const small = applySurgery(model, masks);
  const x = imagesTensor(data, 0, 8);
  const diff = maxAbsDiff(await (model.predict(x) as tf.Tensor).data(), await (small.predict(x) as tf.Tensor).data());
  assert.ok(diff < 1e-5, `outputs differ by ${diff}`);
  assert.deepEqual(selectLayers(small, ['block1_dw'])[0].getWeights()[0].shape, [3, 3, 4, 1]);
});
