import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-core';
import { setupBackend } from '../helpers';
import { createModel } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { buildPtqPlan } from '../../src/quantize';
import { applyMasks, magnitudeMasks } from '../../src/prune';
import { exportTflite, flashFootprint, TfliteFormatError } from '../../src/tflite';

before(async () => {
  await setupBackend();
});

test('footprint of a hand-sized model: bitmask bytes and zero counts computed by hand', () => {
  // Dense 4 -> 3, no bias: 12 float weights, of which 5 are set to zero; plus the reshape's 2 int32 shape values.
  const m = tf.sequential();
  m.add(tf.layers.flatten({ name: 'f', inputShape: [2, 2, 1] }));
  m.add(tf.layers.dense({ name: 'd', units: 3, useBias: false }));
  const w = Float32Array.from([0, 1, 2, 0, 3, 0, 4, 5, 0, 6, 0, 7]);
  m.layers[1].setWeights([tfc.tensor(w, [4, 3])]);
  const bytes = exportTflite(m);
  const f = flashFootprint(bytes);
  // Constant tensors: reshape shape [1, 4] (int32, 8 bytes), kernel 12 floats (48 bytes), zero bias 3 floats (12 bytes).
  assert.equal(f.constantBytes, 8 + 48 + 12);
  assert.equal(f.constantElements, 2 + 12 + 3);
  assert.equal(f.zeroElements, 5 + 3);
  // Bitmask form: shape 1 + 2*4, kernel 2 + 7*4, bias 1 + 0.
  assert.equal(f.bitmaskBytes, bytes.length - 68 + (1 + 8) + (2 + 28) + 1);
  assert.equal(f.deflateBytes, zlib.deflateRawSync(bytes, { level: 9 }).length);
});

test('pruned int8 weights: the file stays the same size, deflate and the bitmask form shrink with sparsity', async () => {
  const model = createModel('lenet5', { seed: 4 });
  const calib = loadMnist({ split: 'train', limit: 200 });
  const dense = flashFootprint(exportTflite(model, { plan: await buildPtqPlan(model, { bits: 8 }, calib) }));
  applyMasks(model, magnitudeMasks(model, 0.9));
  const sparse = flashFootprint(exportTflite(model, { plan: await buildPtqPlan(model, { bits: 8 }, calib) }));
  assert.equal(sparse.fileBytes, dense.fileBytes, 'a .tflite stores zeros densely');
  // 90% of the kernel weights are zero; quantization can round a few more small weights to 0.
  const frac = sparse.zeroElements / sparse.constantElements;
  assert.ok(frac > 0.85 && frac < 0.95, `zero fraction ${frac}`);
  assert.ok(dense.zeroElements / dense.constantElements < 0.05);
  assert.ok(sparse.deflateBytes < 0.45 * dense.deflateBytes, `deflate ${sparse.deflateBytes} vs ${dense.deflateBytes}`);
  assert.ok(sparse.bitmaskBytes < 0.35 * sparse.fileBytes, `bitmask ${sparse.bitmaskBytes} vs ${sparse.fileBytes}`);
  assert.ok(dense.bitmaskBytes > dense.fileBytes, 'a dense model only gains the mask bytes');
});

test('a damaged file is refused', () => {
  assert.throws(() => flashFootprint(new Uint8Array(16)), TfliteFormatError);
});
