import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, maxAbsDiff } from '../helpers';
import { mulberry32 } from '../../src/util/random';
import { tinyGpt, TINY_GPT_QUICK, type TinyGpt } from '../../src/transformer';
import { applyWeightTransform, collectLinearInputs } from '../../src/transformer/quantize';
import { awqTransform, fakeQuantLastAxis, fakeQuantTokensInt8, int8ChannelTransform, kvQuantForward, mxTransform, w8a8Evaluate, w8a8Plan } from '../../src/transformer/quantize-llm';
import { activationChannelStats, activationOutlierPayload, injectActivationOutliers } from '../../src/transformer/llm-sweep';
import { validateQuantizationPayload } from '../../src/viz/validate';
import { awqQuantize } from '../../src/llmquant/awq';
import { groupPackedBytes } from '../../src/llmquant/group';
import { kvDequantize, kvQuantize } from '../../src/llmquant/kvcache';
import { mxBytes, mxDequantize, mxQuantize } from '../../src/llmquant/mx';
import { dequantizeRowsInt8, quantizeRowsInt8 } from '../../src/llmquant/w8a8';

// an untrained quick tinyGpt with its weights spread out (seeded), so its activations are not all alike
let model: TinyGpt;
let tokens: Int32Array;
before(async () => {
  await setupBackend();
  model = tinyGpt({ vocabSize: 40, seed: 3 }, TINY_GPT_QUICK);
  const r = mulberry32(7);
  const w = model.getWeights();
  for (const name of model.linearNames()) w[name] = w[name].map((v) => v * 10);
  for (const name of ['embed.token', 'embed.position']) w[name] = w[name].map((v) => v * 20);
  model.setWeights(w);
  tokens = Int32Array.from({ length: 2000 }, () => Math.floor(r() * 40));
});

const uniform = (n: number, seed: number, scale = 1) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};

test('fakeQuantTokensInt8 gives quantizeRowsInt8 then dequantizeRowsInt8, row by row', () => {
  const x = uniform(37 * 50, 1, 3);
  x.fill(0, 50, 100); // an all-zero row
  for (let j = 0; j < 37; j++) x[j * 50 + 7] *= 40; // an outlier channel
  const got = tf.tidy(() => fakeQuantTokensInt8(tf.tensor2d(x, [37, 50])).dataSync());
  const want = dequantizeRowsInt8(quantizeRowsInt8(x, 37, 50));
  assert.ok(maxAbsDiff(got, want) < 1e-5, `max diff ${maxAbsDiff(got, want)}`);
});

test('fakeQuantLastAxis matches kvQuantize / kvDequantize per token and head (int8, int4, asymmetric and symmetric)', () => {
  const [t, h, d] = [12, 4, 16];
  const kv = uniform(t * h * d, 2, 2);
  kv.fill(0, 16, 32); // token 0, head 1: all zero
  for (let i = 64; i < 80; i++) kv[i] = Math.abs(kv[i]) + 0.1; // token 1, head 0: all positive
  for (const bits of [8, 4] as const) {
    for (const symmetric of [false, true]) {
      const want = kvDequantize(kvQuantize(kv, t, h, d, { bits, symmetric }));
      const got = tf.tidy(() => fakeQuantLastAxis(tf.tensor3d(kv, [t, h, d]), bits, symmetric).dataSync());
      assert.ok(maxAbsDiff(got, want) < 1e-5, `bits ${bits} symmetric ${symmetric}: max diff ${maxAbsDiff(got, want)}`);
    }
  }
  assert.throws(() => fakeQuantLastAxis(tf.zeros([2, 2]), 1), /bits/);
});

test('awqTransform and mxTransform are awqQuantize and mxQuantize dequantized, and count their bytes', () => {
  const fp32 = model.getWeights();
  const inputs = collectLinearInputs(model, tokens, { maxTokens: 512 });
  const awq = awqTransform(inputs, { bits: 4, groupSize: 32, grid: 5 });
  applyWeightTransform(model, awq, ['block0.mlp.fc1']);
  const x = inputs.get('block0.mlp.fc1')!;
  const ref = awqQuantize(fp32['block0.mlp.fc1'], 256, 64, x.x, x.rows, { bits: 4, groupSize: 32, grid: 5 });
  assert.deepEqual(model.getWeights()['block0.mlp.fc1'], ref.dequantized);
  assert.equal(awq.bytes.get('block0.mlp.fc1'), groupPackedBytes(ref.quantized) + 4 * 64);
  assert.throws(() => applyWeightTransform(model, awqTransform(new Map(), { bits: 4 })), /no calibration inputs/);

  model.setWeights(fp32);
  const mx = mxTransform('fp4_e2m1');
  applyWeightTransform(model, mx, ['block1.mlp.fc2']);
  const t = mxQuantize(fp32['block1.mlp.fc2'], 'fp4_e2m1', { rowLength: 256 });
  assert.deepEqual(model.getWeights()['block1.mlp.fc2'], mxDequantize(t));
  assert.equal(mx.bytes.get('block1.mlp.fc2'), mxBytes(t).length);
  assert.equal(mx.bytes.get('block1.mlp.fc2'), (64 * 256 * 4.25) / 8); // 4.25 bits per weight

  model.setWeights(fp32);
  const i8 = int8ChannelTransform();
  applyWeightTransform(model, i8, ['head']);
  assert.deepEqual(model.getWeights().head, dequantizeRowsInt8(quantizeRowsInt8(fp32.head, 40, 64)));
  assert.equal(i8.bytes.get('head'), 40 * 64 + 40 * 4);
  model.setWeights(fp32);
});

test('forward: identity transforms change nothing; every linear input (qkv too) and every block KV goes through them', () => {
  const ids = tf.tensor2d(Int32Array.from(tokens.subarray(0, 2 * 64)), [2, 64], 'int32');
  const names: string[] = [];
  const kvs: string[] = [];
  const [plain, hooked] = tf.tidy(() => [
    model.forward(ids).dataSync(),
    model
      .forward(ids, {
        transformLinearInput: (name, x) => (names.push(name), x),
        transformKv: (layer, k, v) => (kvs.push(`${layer}:${k.shape.join('x')}:${v.shape.join('x')}`), [k, v]),
      })
      .dataSync(),
  ]);
  assert.deepEqual(hooked, plain);
  assert.deepEqual(names, model.linearNames());
  assert.deepEqual(kvs, ['0:2x4x64x16:2x4x64x16', '1:2x4x64x16:2x4x64x16']);
  // evaluate passes forward options to every pass
  const base = model.evaluate(tokens);
  let calls = 0;
  const same = model.evaluate(tokens, { forward: { transformKv: (_l, k, v) => (calls++, [k, v]) } });
  assert.equal(same.nll, base.nll);
  assert.ok(calls > 0);
  ids.dispose();
});

test('KV-cache int8 barely moves the NLL, int4 more; the weights are untouched', () => {
  const before = model.getWeights();
  const base = model.evaluate(tokens).nll;
  const kv8 = model.evaluate(tokens, { forward: kvQuantForward({ bits: 8 }) }).nll;
  const kv4 = model.evaluate(tokens, { forward: kvQuantForward({ bits: 4 }) }).nll;
  const shown = JSON.stringify({ base, kv8, kv4 });
  assert.ok(Math.abs(kv8 - base) < 0.01, shown);
  assert.ok(Math.abs(kv4 - base) > Math.abs(kv8 - base), shown);
  assert.deepEqual(model.getWeights(), before);
});

test('SmoothQuant without quantization is the same function; W8A8 plans restore the weights', () => {
  const fp32 = model.getWeights();
  const inputs = collectLinearInputs(model, tokens, { maxTokens: 512 });
  const base = model.evaluate(tokens);
  const plan = w8a8Plan(model, { smooth: { alpha: 0.5, inputs }, quantize: false });
  assert.ok([...plan.scales.values()].some((s) => s.some((v) => Math.abs(v - 1) > 0.1)), 'the scales do something');
  model.setWeights(plan.weights);
  const ids = tf.tensor2d(Int32Array.from(tokens.subarray(0, 64)), [1, 64], 'int32');
  const smoothed = tf.tidy(() => model.forward(ids, plan.forward).dataSync());
  model.setWeights(fp32);
  const original = tf.tidy(() => model.forward(ids).dataSync());
  ids.dispose();
  assert.ok(maxAbsDiff(smoothed, original) < 1e-3 * Math.max(...original.map(Math.abs)), `logits differ by ${maxAbsDiff(smoothed, original)}`);
  const same = w8a8Evaluate(model, tokens, { smooth: { alpha: 0.5, inputs }, quantize: false });
  assert.ok(Math.abs(same.nll - base.nll) < 1e-4, `${same.nll} vs ${base.nll}`);
  const q = w8a8Evaluate(model, tokens, { smooth: { alpha: 0.5, inputs } });
  assert.ok(q.nll !== base.nll && Math.abs(q.nll - base.nll) < 0.05, `${q.nll} vs ${base.nll}`);
  assert.deepEqual(model.getWeights(), fp32);
  assert.throws(() => w8a8Plan(model, { smooth: { inputs: new Map() } }), /no calibration inputs/);
  assert.throws(() => w8a8Plan(model, { names: ['embed.token'] }), /not a linear layer/);
});

test('injectActivationOutliers keeps the function and makes the named channels the outliers of qkv and fc1 inputs', () => {
  const fp32 = model.getWeights();
  const base = model.evaluate(tokens).nll;
  const before = activationChannelStats(model, tokens, { maxTokens: 512 });
  const changed = injectActivationOutliers(model, { channels: [3, 50], factor: 40 });
  assert.deepEqual(changed.sort(), ['block0.attn.qkv', 'block0.ln1.beta', 'block0.ln1.gamma', 'block0.ln2.beta', 'block0.ln2.gamma', 'block0.mlp.fc1', 'block1.attn.qkv', 'block1.ln1.beta', 'block1.ln1.gamma', 'block1.ln2.beta', 'block1.ln2.gamma', 'block1.mlp.fc1']);
  assert.ok(Math.abs(model.evaluate(tokens).nll - base) < 1e-4);
  const after = activationChannelStats(model, tokens, { maxTokens: 512 });
  for (const s of after) {
    const old = before.find((b) => b.name === s.name)!;
    if (/qkv|fc1/.test(s.name)) {
      assert.deepEqual([...s.outliers].sort((a, b) => a - b), [3, 50], s.name);
      assert.ok(s.maxOverMedian > 5 * old.maxOverMedian, `${s.name}: ${s.maxOverMedian} vs ${old.maxOverMedian}`);
    } else assert.ok(Math.abs(s.maxOverMedian - old.maxOverMedian) < 1e-3 * old.maxOverMedian, s.name);
    assert.equal(s.absMax.length, s.cols);
    assert.equal(s.meanAbs.length, s.cols);
  }
  assert.throws(() => injectActivationOutliers(model, { channels: [64], factor: 2 }), /outside/);
  // the payload: valid, saturated (beyond 6 medians) exactly where the outlier channels are, per-token beats per-tensor int8
  const payload = activationOutlierPayload(collectLinearInputs(model, tokens, { maxTokens: 256 }));
  const v = validateQuantizationPayload(JSON.parse(JSON.stringify(payload)));
  assert.ok(v.ok, v.ok ? '' : v.errors.join('\n'));
  assert.deepEqual(payload.layers.map((l) => l.name), model.linearNames());
  for (const l of payload.layers) {
    assert.equal(l.scales.length, 64 * (l.name.endsWith('fc2') ? 4 : 1));
    assert.equal(l.activation!.saturationRate > 0, /qkv|fc1/.test(l.name), l.name);
    assert.ok(l.methods[1].mse < l.methods[0].mse, l.name);
  }
  model.setWeights(fp32);
});
