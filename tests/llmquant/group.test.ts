import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupParams, groupQuantize, groupDequantize, groupPackedBytes, groupPackCodes, quantizeToCode } from '../../src/llmquant/group';
import { unpackCodes } from '../../src/llmquant/mx';
import { mulberry32 } from '../../src/util/random';

function randn(n: number, seed = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
}

test('group parameters, hand-computed: symmetric and asymmetric', () => {
  assert.deepEqual(groupParams([-1, 0.5, 2], 4, true), { scale: 2 / 7, zero: 8 });
  const a = groupParams([-1, 0.5, 2], 4, false);
  assert.ok(Math.abs(a.scale - 0.2) < 1e-15);
  assert.equal(a.zero, 5);
  assert.deepEqual(groupParams([-3, 1], 8, true), { scale: 3 / 127, zero: 128 });
  // all-positive group: the range is widened to include 0
  const p = groupParams([1, 3], 8, false);
  assert.equal(p.zero, 0);
  assert.ok(Math.abs(p.scale - 3 / 255) < 1e-15);
  assert.deepEqual(groupParams([0, 0], 4, true), { scale: 1, zero: 8 });
  assert.throws(() => groupParams([1], 1, true));
});

test('codes: round half to even and clamp to 0..2^bits-1', () => {
  const p = { scale: 1, zero: 8 };
  assert.equal(quantizeToCode(2.5, p, 4), 10);
  assert.equal(quantizeToCode(3.5, p, 4), 12);
  assert.equal(quantizeToCode(100, p, 4), 15);
  assert.equal(quantizeToCode(-100, p, 4), 0);
});

test('groupQuantize on a 2x4 matrix with groups of 2, hand-computed', () => {
  const w = new Float32Array([1, -2, 0.5, 0.25, -4, 4, 3, 0]);
  const q = groupQuantize(w, 2, 4, { bits: 4, groupSize: 2, symmetric: true });
  assert.deepEqual(Array.from(q.scales), [2 / 7, 0.5 / 7, 4 / 7, 3 / 7].map(Math.fround));
  assert.deepEqual(Array.from(q.codes), [11, 1, 15, 11, 1, 15, 15, 8]);
  const d = groupDequantize(q);
  assert.ok(Math.abs(d[1] - -2) < 1e-6 && Math.abs(d[4] - -4) < 1e-6 && d[7] === 0);
  // 1 / fround(2/7) = 3.4999998: the float32 scale moves the tie at 3.5 just below it -> 3 steps
  assert.ok(Math.abs(d[0] - Math.fround(2 / 7) * 3) < 1e-7);
});

test('error falls with bits and with smaller groups; asymmetric fits a shifted group better', () => {
  const rows = 16;
  const cols = 256;
  const w = randn(rows * cols, 3);
  const err = (d: Float32Array, ref: ArrayLike<number>) => Math.sqrt(d.reduce((s, v, i) => s + (v - ref[i]) ** 2, 0));
  const e4g128 = err(groupDequantize(groupQuantize(w, rows, cols, { bits: 4, groupSize: 128 })), w);
  const e4g32 = err(groupDequantize(groupQuantize(w, rows, cols, { bits: 4, groupSize: 32 })), w);
  const e8g128 = err(groupDequantize(groupQuantize(w, rows, cols, { bits: 8, groupSize: 128 })), w);
  assert.ok(e4g32 < e4g128, `${e4g32} < ${e4g128}`);
  assert.ok(e8g128 < e4g128 / 10, `${e8g128} vs ${e4g128}`);
  const shifted = w.map((v) => Math.abs(v) + 1);
  const sym = err(groupDequantize(groupQuantize(shifted, rows, cols, { bits: 4, groupSize: 64, symmetric: true })), shifted);
  const asym = err(groupDequantize(groupQuantize(shifted, rows, cols, { bits: 4, groupSize: 64, symmetric: false })), shifted);
  assert.ok(asym < sym, `${asym} < ${sym}`);
});

test('packed bytes: codes at bits, scales, zero points only when asymmetric', () => {
  const w = randn(64 * 256, 5);
  const q4 = groupQuantize(w, 64, 256, { bits: 4, groupSize: 128 });
  assert.equal(groupPackedBytes(q4), 8192 + 128 * 4);
  assert.equal(groupPackedBytes(q4, 2), 8192 + 128 * 2);
  const a4 = groupQuantize(w, 64, 256, { bits: 4, groupSize: 32, symmetric: false });
  assert.equal(groupPackedBytes(a4), 8192 + 512 * 4 + 256);
  const packed = groupPackCodes(a4);
  assert.equal(packed.length, 8192 + 256);
  assert.deepEqual(Array.from(unpackCodes(packed, 4, 64 * 256)), Array.from(a4.codes));
  assert.equal(groupPackedBytes(groupQuantize(w, 64, 256, { bits: 8, groupSize: 64 })), 16384 + 256 * 4);
});
