import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  packInts, unpackInts, buildPtqPlan, encodeQuantizedModel, decodeQuantizedModel, fakeQuantLogits, planAccuracy,
  quantizationAwareTraining, steFakeQuantWeight, steFakeQuantActivation, fakeQuantWeightTensor, layerSensitivity,
  suggestMixedPrecision, describeModel, modelSizeBytes, buildQuantizationPayload, computeQParams, mapKernels,
  float16ScalesAtLeast, quantizeWeights,
} from '../../src/quantize';
import { roundToFloat16, bitLayouts } from '../../src/numerics';
import { validateQuantizationPayload } from '../../src/viz/validate';
import { lenet5 } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { Dataset } from '../../src/data/dataset';
import { evaluate, train } from '../../src/train/train';
import { modelToFiles } from '../../src/models/io';
import { setupBackend } from '../helpers';
import { kernelsInUse } from '../../src/backend';
import { ADAM_STEP, nativeKernelRuns } from '../../src/backend/native-kernels';

let model: tfl.LayersModel;
let data: Dataset;
let testSet: Dataset;

before(async () => {
  await setupBackend();
  data = loadMnist({ split: 'train', limit: 1200 });
  testSet = loadMnist({ split: 'test', limit: 300 });
  model = lenet5({ seed: 4 });
  await train(model, data, { epochs: 1, seed: 4, batchSize: 32 });
});

test('packInts / unpackInts round-trip every width from 2 to 16 bits', () => {
  assert.deepEqual(Array.from(packInts(Int32Array.from([-8, 7]), 4, -8)), [0xf0]);
  for (const bits of [2, 3, 4, 5, 8, 12, 16]) {
    const qmin = -(2 ** (bits - 1));
    const vals = Int32Array.from({ length: 37 }, (_, i) => qmin + ((i * 7919) % 2 ** bits));
    const packed = packInts(vals, bits, qmin);
    assert.equal(packed.length, Math.ceil((37 * bits) / 8));
    assert.deepEqual(unpackInts(packed, 37, bits, qmin), vals);
  }
  assert.throws(() => unpackInts(new Uint8Array(1), 3, 4, -8), /cannot hold 3 values/);
});

test('saved int8 / int4 models hold real packed integers, reload to the same predictions', async () => {
  const fp32 = await modelToFiles(model);
  for (const bits of [8, 4]) {
    const plan = await buildPtqPlan(model, { bits }, data, { limit: 200 });
    const files = encodeQuantizedModel(model, plan);
    const params = describeModel(model).reduce((s, l) => s + (l.kernel?.length ?? 0), 0);
    assert.ok(files.weights.length < (params * bits) / 8 + 4000, `${files.weights.length} bytes at ${bits} bits`);
    assert.ok(fp32.weights.length / files.weights.length > (bits === 8 ? 3.85 : 7.3));
    assert.equal(files.modelJson.weights[0].bits, bits);
    assert.ok(files.modelJson.weights.every((w) => w.scales.bits === 16), 'scales stored as float16');
    const json = JSON.parse(JSON.stringify(files.modelJson));
    const back = await decodeQuantizedModel({ modelJson: json, weights: files.weights });
    for (const [name, qw] of plan.weights) {
      assert.deepEqual(back.plan.weights.get(name)!.q, qw.q, name);
      assert.deepEqual(back.plan.weights.get(name)!.qp.scale, qw.qp.scale, name);
    }
    const a = await fakeQuantLogits(plan, testSet);
    const b = await fakeQuantLogits(back.plan, testSet);
    assert.deepEqual(b, a);
    assert.ok(Math.abs((await evaluate(back.model, testSet)).accuracy - (await planAccuracy({ ...plan, activations: undefined }, testSet))) < 1e-9);
  }
  await assert.rejects(decodeQuantizedModel({ modelJson: { format: 'x' } as never, weights: new Uint8Array() }), /not an optilab quantized model/);
});

test('weight scales are rounded up to float16: stored in 2 bytes each, nothing clips, float32 when out of range', async () => {
  assert.deepEqual(Array.from(float16ScalesAtLeast(Float32Array.of(0.1, 0.25, 1e-3))), [0.10003662109375, 0.25, 0.0010004043579101562]);
  const tiny = Float32Array.of(1e-6, 0.5);
  assert.equal(float16ScalesAtLeast(tiny), tiny, 'a subnormal-range scale keeps float32 scales');
  const layers = describeModel(model);
  const q16 = quantizeWeights(layers, { bits: 8 });
  const q32 = quantizeWeights(layers, { bits: 8, scaleFormat: 'float32' });
  for (const [name, w16] of q16) {
    const w32 = q32.get(name)!;
    for (let c = 0; c < w16.qp.scale.length; c++) {
      assert.ok(w16.qp.scale[c] >= w32.qp.scale[c] && w16.qp.scale[c] <= w32.qp.scale[c] * (1 + 2 ** -10), `${name}[${c}]`);
    }
    assert.ok(w16.q.every((v) => v >= -127 && v <= 127), `${name}: max |w| still maps inside the symmetric range`);
  }
  const p16 = await buildPtqPlan(model, { bits: 8 });
  const p32 = await buildPtqPlan(model, { bits: 8, scaleFormat: 'float32' });
  const scales = [...p16.weights.values()].reduce((s, w) => s + w.qp.scale.length, 0);
  const f16 = encodeQuantizedModel(model, p16);
  const f32 = encodeQuantizedModel(model, p32);
  assert.ok(f32.modelJson.weights.every((w) => w.scales.bits === undefined));
  assert.ok(f32.weights.length - f16.weights.length >= 2 * scales - 4 * p16.weights.size, `${f32.weights.length} vs ${f16.weights.length} bytes`);
  const back = await decodeQuantizedModel({ modelJson: JSON.parse(JSON.stringify(f32.modelJson)), weights: f32.weights });
  for (const [name, qw] of p32.weights) assert.deepEqual(back.plan.weights.get(name)!.qp.scale, qw.qp.scale, name);
});

test('straight-through estimator: identity gradient for weights, clipped for activations', () => {
  const w = tf.tensor2d([[0.3, -1], [0.05, 0.7]]);
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(steFakeQuantWeight(x, 4), tf.tensor2d([[1, 2], [3, 4]]))))(w);
  assert.deepEqual(Array.from(g.dataSync()), [1, 2, 3, 4]);
  const fq = fakeQuantWeightTensor(w, 4).dataSync();
  const ref = computeQParams(w.dataSync() as Float32Array, [2, 2], { bits: 4, symmetric: true, signed: true, axis: 1 });
  assert.ok(Math.abs(fq[0] - Math.round(0.3 / ref.scale[0]) * ref.scale[0]) < 1e-6);
  const qp = { scale: Float32Array.of(0.1), zeroPoint: Int32Array.of(0), qmin: -8, qmax: 7 };
  const x = tf.tensor1d([-2, -0.3, 0.42, 0.9]);
  const y = steFakeQuantActivation(x, qp).dataSync();
  assert.deepEqual(Array.from(y).map((v) => Math.round(v * 10) / 10), [-0.8, -0.3, 0.4, 0.7]);
  const ga = tf.grad((t: tf.Tensor) => tf.sum(steFakeQuantActivation(t, qp)))(x);
  assert.deepEqual(Array.from(ga.dataSync()), [0, 1, 1, 0]);
});

test('QAT fine-tunes the float weights under 4-bit fake quant and records per-layer MSE', async () => {
  const m = await mapKernels(model, (k) => k, true);
  const before = describeModel(m).find((l) => l.name === 'fc1')!.kernel!;
  const adamSteps = nativeKernelRuns(ADAM_STEP);
  const r = await quantizationAwareTraining(m, data, { bits: 4, activationBits: 8, epochs: 1, batchSize: 64, seed: 1, traceEvery: 5 });
  const steps = Math.ceil(data.count / 64);
  // the fused Adam step (one kernel per variable and step) where the native addon runs
  if (kernelsInUse().kernels === 'native') assert.equal(nativeKernelRuns(ADAM_STEP) - adamSteps, steps * m.trainableWeights.length);
  assert.equal(r.losses.length, steps);
  assert.ok(r.losses.every(Number.isFinite));
  assert.deepEqual(r.trace.steps[0], 0);
  assert.equal(r.trace.steps[r.trace.steps.length - 1], steps);
  assert.deepEqual(Object.keys(r.trace.mse), ['conv1', 'conv2', 'fc1', 'fc2', 'logits']);
  for (const v of Object.values(r.trace.mse)) assert.equal(v.length, r.trace.steps.length);
  const after = describeModel(m).find((l) => l.name === 'fc1')!.kernel!;
  assert.ok(after.some((v, i) => v !== before[i]), 'weights moved');
  assert.ok(r.activations?.conv1);
  const acc = await planAccuracy(await buildPtqPlan(m, { bits: 4 }), testSet);
  assert.ok(acc > 0.75, `int4 after QAT ${acc}`);
  await assert.rejects(quantizationAwareTraining(m, data, { bits: 1 }), /bits must be/);
});

test('sensitivity, mixed precision under a budget, and sizes', async () => {
  const { baseline, rows } = await layerSensitivity(model, testSet, [8, 2]);
  assert.ok(baseline > 0.7);
  assert.equal(rows.length, 10);
  const layers = describeModel(model);
  const fp32 = modelSizeBytes(layers);
  const int8 = modelSizeBytes(layers, {}, 8);
  assert.ok(fp32 / int8 > 3.8);
  const s = suggestMixedPrecision(layers, rows, int8 * 0.6);
  assert.ok(!s.overBudget && s.sizeBytes <= int8 * 0.6, JSON.stringify(s));
  assert.equal(s.bitsPerLayer.fc1, 2, 'the biggest layer goes low first'); // fc1 holds 78% of the weights
  assert.ok(suggestMixedPrecision(layers, rows, 100).overBudget);
  assert.throws(() => suggestMixedPrecision(layers, [], 1000), /no sensitivity rows/);
  const mixed = await buildPtqPlan(model, { bits: 8, bitsPerLayer: s.bitsPerLayer });
  assert.equal(mixed.weights.get('fc1')!.qp.qmin, -2);
});

test('quantization payload: per-layer methods, SQNR, activation saturation; validates', async () => {
  const p = await buildQuantizationPayload(model, { bits: 4, calibration: data, activationLimit: 100, bitLayout: bitLayouts(0.1), title: 'LeNet int4' });
  const v = validateQuantizationPayload(p);
  assert.ok(v.ok, JSON.stringify(v));
  assert.equal(p.layers.length, 5);
  const conv1 = p.layers[0];
  assert.equal(conv1.scales.length, 6);
  assert.deepEqual(conv1.methods.map((m) => m.method), ['minmax', 'percentile', 'entropy', 'mse']);
  for (const m of conv1.methods) assert.ok(m.sqnr > 5 && m.sqnr < 40, `${m.method} ${m.sqnr}`);
  const mse = conv1.methods.find((m) => m.method === 'mse')!.mse;
  const minmax = conv1.methods.find((m) => m.method === 'minmax')!.mse;
  assert.ok(mse <= minmax);
  assert.ok(conv1.activation && conv1.activation.saturationRate >= 0 && conv1.activation.clipMax > 0);
  const half = await mapKernels(model, (k) => roundToFloat16(k));
  assert.ok(Math.abs((await evaluate(half, testSet)).accuracy - (await evaluate(model, testSet)).accuracy) <= 0.01);
});

test('quantized model files on disk, and dynamic activation ranges', async () => {
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const { saveQuantizedModel, loadQuantizedModel } = await import('../../src/quantize/node');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-q-'));
  try {
    const plan = await buildPtqPlan(model, { bits: 4 });
    const sizes = saveQuantizedModel(model, plan, dir);
    assert.equal(fs.statSync(path.join(dir, 'weights.qbin')).size, sizes.weightsBytes);
    const back = await loadQuantizedModel(dir);
    assert.deepEqual(await fakeQuantLogits(back.plan, testSet), await fakeQuantLogits(plan, testSet));
    await assert.rejects(loadQuantizedModel(path.join(dir, 'missing')), /does not exist: save the model/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{');
    await assert.rejects(loadQuantizedModel(dir), /is not valid JSON/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const fp = await planAccuracy({ layers: describeModel(model), weights: new Map() }, testSet);
  const dyn8 = await planAccuracy({ layers: describeModel(model), weights: new Map(), dynamicActivationBits: 8 }, testSet);
  const dyn2 = await planAccuracy({ layers: describeModel(model), weights: new Map(), dynamicActivationBits: 2 }, testSet);
  assert.ok(Math.abs(dyn8 - fp) <= 0.01, `dynamic int8 ${dyn8} vs ${fp}`);
  assert.ok(dyn2 < dyn8 - 0.05, `dynamic 2-bit activations must hurt: ${dyn2}`);
});
