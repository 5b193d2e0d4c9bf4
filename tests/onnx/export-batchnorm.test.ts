import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setupBackend, maxAbsDiff } from '../helpers';
import { loadMnist } from '../../src/data/files';
import type { Dataset } from '../../src/data/dataset';
import { predictLogits } from '../../src/train/train';
import { exportOnnx, OnnxExportError } from '../../src/onnx/export';
import { createSession, runOnnx } from '../../src/onnx/runtime';
import { buildPtqPlan } from '../../src/quantize';
import { mulberry32 } from '../../src/util/random';

let test256: Dataset;
before(async () => {
  await setupBackend();
  test256 = await loadMnist({ split: 'test', limit: 256 });
});

/** conv -> BN -> relu -> depthwise -> BN -> relu -> pool -> flatten -> dense, BN statistics made non-trivial. */
function convBnModel(): tfl.Sequential {
  const m = tfl.sequential({ name: 'convBn' });
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'conv1' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn1' }));
  m.add(tfl.layers.reLU({ name: 'relu1' }));
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn2' }));
  m.add(tfl.layers.activation({ activation: 'relu', name: 'relu2' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 10, name: 'logits' }));
  const r = mulberry32(4);
  for (const l of m.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    l.setWeights(l.weights.map((w) => tf.tensor1d(Float32Array.from({ length: w.shape[0]! }, () => (/gamma|variance/.test(w.originalName) ? 1 : 0) + r() - 0.5))));
  }
  return m;
}

test('exportOnnx refuses BatchNormalization by default, naming the layer', () => {
  assert.throws(() => exportOnnx(convBnModel()), (e: unknown) => e instanceof OnnxExportError && /layer 'bn1' \(BatchNormalization\)/.test(e.message));
});

test('exportOnnx with foldBatchNorm exports conv+BN and depthwise+BN; ONNX Runtime matches tfjs within 1e-4 on 256 MNIST images', async () => {
  const model = convBnModel();
  const bytes = exportOnnx(model, { foldBatchNorm: true });
  const onnx = await runOnnx(await createSession(bytes), test256);
  const diff = maxAbsDiff(onnx, await predictLogits(model, test256));
  assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
});

test('foldBatchNorm in the export refuses a BN it cannot fold, and an int8 plan', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv1' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn1' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 10, name: 'logits' }));
  assert.throws(() => exportOnnx(m, { foldBatchNorm: true }), /layer 'bn1' \(BatchNormalization\) to ONNX: it cannot be folded: 'conv1' applies activation 'relu'/);
  const plain = tfl.sequential();
  plain.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flat' }));
  plain.add(tfl.layers.dense({ units: 10, name: 'logits' }));
  const plan = await buildPtqPlan(plain, { bits: 8 }, test256);
  assert.throws(() => exportOnnx(convBnModel(), { foldBatchNorm: true, plan }), /fold first/);
});
