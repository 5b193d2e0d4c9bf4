import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeQParams, quantize, dequantize, fakeQuantize, quantRange, sliceLayout, qparamsFromRange, rint, FLOAT32_EPS } from '../../src/quantize';
import { mulberry32 } from '../../src/util/random';

function randn(n: number, seed = 1, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
}

test('quantRange: signed, unsigned, narrow', () => {
  assert.deepEqual(quantRange(8, true), { qmin: -128, qmax: 127 });
  assert.deepEqual(quantRange(8, true, true), { qmin: -127, qmax: 127 });
  assert.deepEqual(quantRange(4, false), { qmin: 0, qmax: 15 });
  assert.deepEqual(quantRange(16, true), { qmin: -32768, qmax: 32767 });
  assert.deepEqual(quantRange(2, true), { qmin: -2, qmax: 1 });
});

test('asymmetric parameters map min and max onto qmin and qmax, and 0 exactly', () => {
  const x = new Float32Array([-1, 0.25, 3]);
  const qp = computeQParams(x, [3], { bits: 8, symmetric: false, signed: false });
  assert.equal(qp.scale[0], Math.fround(4 / 255));
  assert.equal(qp.zeroPoint[0], 64);
  const q = quantize(x, [3], qp);
  assert.deepEqual(Array.from(q), [0, 80, 255]);
  assert.equal(dequantize(new Int32Array([64]), [1], qp)[0], 0);
  // All-positive data: the range is widened to include 0.
  const pos = computeQParams(new Float32Array([2, 4]), [2], { bits: 8, symmetric: false, signed: true });
  assert.equal(pos.zeroPoint[0], -128);
  // Constant zero data: torch's eps lower bound on the scale.
  assert.equal(computeQParams(new Float32Array(4), [4], { bits: 8, symmetric: false, signed: true }).scale[0], Math.fround(FLOAT32_EPS));
});

test('symmetric parameters: zero point 0 (signed) or the mid-point (unsigned)', () => {
  const x = new Float32Array([-2, 1]);
  const s = computeQParams(x, [2], { bits: 8, symmetric: true, signed: true });
  assert.equal(s.scale[0], Math.fround(2 / 127.5));
  assert.equal(s.zeroPoint[0], 0);
  assert.equal(computeQParams(x, [2], { bits: 8, symmetric: true, signed: false }).zeroPoint[0], 128);
  assert.equal(computeQParams(x, [2], { bits: 4, symmetric: true, signed: false }).zeroPoint[0], 7);
  const n = computeQParams(x, [2], { bits: 8, symmetric: true, signed: true, narrowRange: true });
  assert.equal(n.qmin, -127);
  assert.equal(n.scale[0], Math.fround(2 / 127));
  assert.deepEqual(Array.from(quantize(x, [2], n)), [-127, 64]);
});

test('quantize rounds ties to even and saturates', () => {
  const qp = { scale: new Float32Array([1]), zeroPoint: new Int32Array([0]), qmin: -8, qmax: 7 };
  assert.deepEqual(Array.from(quantize(new Float32Array([0.5, 1.5, 2.5, -0.5, -2.5, 100, -100]), [7], qp)), [0, 2, 2, 0, -2, 7, -8]);
  assert.equal(rint(-3.5), -4);
});

test('per-channel: one scale per entry of the axis', () => {
  const w = new Float32Array([1, -4, 0.5, 2, -0.5, 8]); // shape [3, 2]: column 0 = 1, 0.5, -0.5; column 1 = -4, 2, 8
  const qp = computeQParams(w, [3, 2], { bits: 8, symmetric: true, signed: true, axis: 1 });
  assert.deepEqual(Array.from(qp.scale), [Math.fround(1 / 127.5), Math.fround(8 / 127.5)]);
  assert.equal(qp.axis, 1);
  const qpNeg = computeQParams(w, [3, 2], { bits: 8, symmetric: true, signed: true, axis: -1 });
  assert.equal(qpNeg.axis, 1);
  const q = quantize(w, [3, 2], qp);
  assert.equal(q[0], 127);
  assert.equal(q[5], 127);
  const rows = computeQParams(w, [3, 2], { bits: 8, symmetric: true, signed: true, axis: 0 });
  assert.equal(rows.scale.length, 3);
  assert.equal(rows.scale[2], Math.fround(8 / 127.5));
});

test('per-group: groups of consecutive values within each channel', () => {
  const layout = sliceLayout([4, 2], 1, 2); // channel c has values at rows 0..3; groups rows {0,1} and {2,3}
  assert.equal(layout.count, 4);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(layout.index), [0, 2, 0, 2, 1, 3, 1, 3]);
  const flat = sliceLayout([10], undefined, 4);
  assert.equal(flat.count, 3);
  assert.equal(flat.index(9), 2);
  const w = new Float32Array([1, 10, 1, 10, 100, 1000, 100, 1000]);
  const qp = computeQParams(w, [4, 2], { bits: 8, symmetric: true, signed: true, axis: 1, groupSize: 2 });
  assert.deepEqual(Array.from(qp.scale), [1, 100, 10, 1000].map((m) => Math.fround(m / 127.5)));
  assert.equal(qp.groupSize, 2);
  const back = fakeQuantize(w, [4, 2], qp);
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(back[i] - w[i]) <= w[i] / 127.5);
});

test('error grows as bits shrink, and 16 bits is nearly lossless', () => {
  const w = randn(4000, 3);
  const mse = [2, 4, 8, 16].map((bits) => {
    const qp = computeQParams(w, [4000], { bits, symmetric: true, signed: true });
    const d = fakeQuantize(w, [4000], qp);
    return w.reduce((s, v, i) => s + (v - d[i]) ** 2, 0) / w.length;
  });
  for (let i = 1; i < mse.length; i++) assert.ok(mse[i] < mse[i - 1] / 10, `mse ${mse}`);
  assert.ok(mse[3] < 1e-8);
});

test('clear errors on bad input', () => {
  const x = new Float32Array([1, 2, 3, 4]);
  const base = { symmetric: true, signed: true };
  assert.throws(() => computeQParams(x, [4], { ...base, bits: 1 }), /bits must be a whole number from 2 to 16, got 1/);
  assert.throws(() => computeQParams(x, [4], { ...base, bits: 17 }), /bits must be/);
  assert.throws(() => computeQParams(x, [2, 2], { ...base, bits: 8, axis: 2 }), /axis 2 is out of range for a tensor of rank 2/);
  assert.throws(() => computeQParams(new Float32Array([1, NaN]), [2], { ...base, bits: 8 }), /contains NaN at index 1/);
  assert.throws(() => computeQParams(new Float32Array([1, Infinity]), [2], { ...base, bits: 8 }), /contains Infinity/);
  assert.throws(() => computeQParams(new Float32Array(0), [0], { ...base, bits: 8 }), /empty tensor/);
  assert.throws(() => computeQParams(x, [3], { ...base, bits: 8 }), /shape \[3\] holds 3 values but the data has 4/);
  assert.throws(() => computeQParams(x, [4], { ...base, bits: 8, groupSize: 0 }), /groupSize must be a positive/);
  const qp = computeQParams(x, [4], { ...base, bits: 8 });
  assert.throws(() => quantize(x, [2, 2], { ...qp, axis: 0 }), /qparams hold 1 scales .* needs 2/);
  assert.throws(() => quantize(new Float32Array([NaN]), [1], qp), /cannot quantize NaN/);
  assert.throws(() => computeQParams(x, [4], { ...base, bits: 8, method: 'magic' as never }), /unknown calibration method 'magic'/);
});

test('qparamsFromRange follows the float32 arithmetic of torch observers', () => {
  const p = qparamsFromRange(-1, 3, 0, 255, false);
  assert.equal(p.scale, Math.fround(Math.fround(4) / 255));
  assert.equal(p.zeroPoint, 64);
  // The zero point is clamped into [qmin, qmax].
  assert.equal(qparamsFromRange(-5, -1, -8, 7, false).zeroPoint, 7);
});
