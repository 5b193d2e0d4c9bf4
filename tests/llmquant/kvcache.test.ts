import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvQuantize, kvDequantize, kvBytes } from '../../src/llmquant/kvcache';
import { randn } from './helpers';

test('per-token int8, hand-computed on [2 tokens, 1 head, 3 dims]', () => {
  const kv = new Float32Array([-1, 0, 2, 0.5, 1, 1.5]);
  const q = kvQuantize(kv, 2, 1, 3, { bits: 8 });
  // token 0: range [-1, 2], scale 3/255, zero round(255/3) = 85; token 1: range [0, 1.5], zero 0
  assert.deepEqual(Array.from(q.scales), [Math.fround(3 / 255), Math.fround(1.5 / 255)]);
  assert.deepEqual(Array.from(q.zeros), [85, 0]);
  assert.deepEqual(Array.from(q.codes), [0, 85, 255, 85, 170, 255]);
  const d = kvDequantize(q);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(d[i] - kv[i]) < 1e-6);
});

test('per-channel groups run over tokens: [3 tokens, 2 heads, 2 dims], symmetric int4', () => {
  const kv = new Float32Array([1, 0, 0, 0, -7, 0, 0, 0, 3.5, 0, 0, 14]);
  const q = kvQuantize(kv, 3, 2, 2, { bits: 4, granularity: 'channel', symmetric: true });
  assert.equal(q.scales.length, 4); // [heads, headDim]
  assert.deepEqual(Array.from(q.scales), [1, 1, 1, 2]);
  assert.deepEqual(Array.from(kvDequantize(q)), [1, 0, 0, 0, -7, 0, 0, 0, 4, 0, 0, 14]); // 3.5 ties to 4
});

test('error bound of half a step, int8 << int4, channel groups win on keys with outlier channels', () => {
  const tokens = 64;
  const heads = 4;
  const headDim = 32;
  const k = randn(tokens * heads * headDim, 41);
  for (let t = 0; t < tokens; t++) for (let h = 0; h < heads; h++) k[(t * heads + h) * headDim + 7] = 20 + 0.5 * k[(t * heads + h) * headDim + 7];
  const err = (d: Float32Array) => Math.sqrt(d.reduce((s, v, i) => s + (v - k[i]) ** 2, 0));
  const q8 = kvQuantize(k, tokens, heads, headDim, { bits: 8 });
  const d8 = kvDequantize(q8);
  for (let i = 0; i < k.length; i++) assert.ok(Math.abs(d8[i] - k[i]) <= q8.scales[Math.floor(i / headDim)] / 2 + 1e-6);
  const e4tok = err(kvDequantize(kvQuantize(k, tokens, heads, headDim, { bits: 4 })));
  const e4ch = err(kvDequantize(kvQuantize(k, tokens, heads, headDim, { bits: 4, granularity: 'channel' })));
  assert.ok(err(d8) < e4tok / 10);
  assert.ok(e4ch < 0.7 * e4tok, `channel ${e4ch} vs token ${e4tok}`);
  assert.equal(kvBytes(kvQuantize(k, 128 / 2, 4, 32, { bits: 4 })), 4096 + 256 * 4 + 128);
  assert.equal(kvBytes(q8), 8192 + 256 * 4 + 256);
});
