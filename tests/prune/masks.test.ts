import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { lenet5, mlp } from '../../src/models/zoo';
import { applyMasks, kernelValues, magnitudeMasks, maskSparsity, measureSparsity, nmMasks, randomMasks, selectLayers } from '../../src/prune/masks';
import { setupBackend } from '../helpers';

test.before(setupBackend);

function layerValues(model: ReturnType<typeof lenet5>, name: string) {
  return kernelValues(selectLayers(model, [name])[0]);
}

test('per-layer magnitude masks: every layer reaches the sparsity and keeps its largest weights', () => {
  const model = lenet5({ seed: 1 });
  const masks = magnitudeMasks(model, 0.7);
  assert.deepEqual(Object.keys(masks), ['conv1', 'conv2', 'fc1', 'fc2', 'logits']);
  for (const [name, m] of Object.entries(masks)) {
    const w = layerValues(model, name);
    const zeros = m.kernel.filter((v) => v === 0).length;
    assert.equal(zeros, Math.round(w.length * 0.7), name);
    let maxPruned = 0;
    let minKept = Infinity;
    m.kernel.forEach((keep, i) => (keep ? (minKept = Math.min(minKept, Math.abs(w[i]))) : (maxPruned = Math.max(maxPruned, Math.abs(w[i])))));
    assert.ok(maxPruned <= minKept, `${name}: pruned |w| ${maxPruned} > kept ${minKept}`);
  }
});

test('global magnitude masks: one threshold across layers, layers end at different sparsities', () => {
  const model = lenet5({ seed: 1 });
  const masks = magnitudeMasks(model, 0.8, { scope: 'global' });
  const s = maskSparsity(masks);
  assert.ok(Math.abs(s.global - 0.8) < 1e-4, `global ${s.global}`);
  let maxPruned = 0;
  let minKept = Infinity;
  for (const [name, m] of Object.entries(masks)) {
    const w = layerValues(model, name);
    m.kernel.forEach((keep, i) => (keep ? (minKept = Math.min(minKept, Math.abs(w[i]))) : (maxPruned = Math.max(maxPruned, Math.abs(w[i])))));
  }
  assert.ok(maxPruned <= minKept);
  const per = Object.values(s.perLayer);
  assert.ok(Math.max(...per) - Math.min(...per) > 0.05, `per-layer sparsities should differ: ${per}`);
});

test('random masks: exact sparsity, seeded, unrelated to magnitude', () => {
  const model = mlp({ seed: 2, hidden: [32] });
  const a = randomMasks(model, 0.5, { seed: 7 });
  const b = randomMasks(model, 0.5, { seed: 7 });
  const c = randomMasks(model, 0.5, { seed: 8 });
  assert.deepEqual(a.fc1.kernel, b.fc1.kernel);
  assert.notDeepEqual(a.fc1.kernel, c.fc1.kernel);
  assert.equal(maskSparsity(a).perLayer.fc1, 0.5);
  assert.notDeepEqual(a.fc1.kernel, magnitudeMasks(model, 0.5).fc1.kernel);
});

test('2:4 masks keep exactly the 2 largest of every 4 consecutive inputs of each output unit', () => {
  const model = mlp({ seed: 3, hidden: [8] });
  const masks = nmMasks(model, 2, 4, { layers: ['fc1'] });
  const w = layerValues(model, 'fc1');
  const cols = 8;
  const rows = 784;
  for (let c = 0; c < cols; c++) {
    for (let g = 0; g < rows; g += 4) {
      const idx = [0, 1, 2, 3].map((i) => (g + i) * cols + c);
      const kept = idx.filter((i) => masks.fc1.kernel[i] === 1);
      assert.equal(kept.length, 2);
      const minKept = Math.min(...kept.map((i) => Math.abs(w[i])));
      const maxDropped = Math.max(...idx.filter((i) => masks.fc1.kernel[i] === 0).map((i) => Math.abs(w[i])));
      assert.ok(maxDropped <= minKept);
    }
  }
  assert.equal(maskSparsity(masks).global, 0.5);
  assert.throws(() => nmMasks(model, 5, 4), /1 <= N <= M/);
});

test('applyMasks zeroes exactly the masked weights and leaves the others unchanged', () => {
  const model = lenet5({ seed: 4 });
  const before = layerValues(model, 'fc1');
  const masks = magnitudeMasks(model, 0.6, { layers: ['fc1', 'conv2'] });
  applyMasks(model, masks);
  const after = layerValues(model, 'fc1');
  after.forEach((v, i) => assert.equal(v + 0, masks.fc1.kernel[i] ? before[i] : 0));
  const s = measureSparsity(model, ['fc1', 'conv2']);
  assert.ok(Math.abs(s.perLayer.fc1 - 0.6) < 1e-3);
  assert.equal(measureSparsity(model, ['conv1']).global, 0);
  const x = tf.zeros([1, 28, 28, 1]);
  assert.equal((model.predict(x) as tf.Tensor).shape[1], 10);
});

test('bad inputs give clear errors', () => {
  const model = lenet5({ seed: 1 });
  assert.throws(() => magnitudeMasks(model, 1), /sparsity must be in \[0, 1\).*got 1/);
  assert.throws(() => magnitudeMasks(model, -0.1), /sparsity must be in \[0, 1\)/);
  assert.throws(() => magnitudeMasks(model, NaN), /sparsity must be in \[0, 1\)/);
  assert.throws(() => magnitudeMasks(model, 0.5, { layers: ['pool1'] }), /layer 'pool1' \(MaxPooling2D\) cannot be pruned.*conv1, conv2/);
  assert.throws(() => magnitudeMasks(model, 0.5, { layers: ['nope'] }), /no layer 'nope'/);
  const other = mlp({ seed: 1, hidden: [4] });
  assert.throws(() => applyMasks(model, magnitudeMasks(other, 0.5, { layers: ['logits'] })), /mask of 'logits' has shape \[4,10\] but the kernel is \[84,10\]/);
});
