import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeRowsInt8, dequantizeRowsInt8, w8a8Matmul, w8a8Linear, linearReference, relativeError } from '../../src/llmquant/w8a8';
import { randn } from './helpers';

test('per-row int8 codes and scales, hand-computed', () => {
  const r = quantizeRowsInt8(new Float32Array([1, -2, 0.5, 4]), 2, 2);
  assert.deepEqual(Array.from(r.scales), [Math.fround(2 / 127), Math.fround(4 / 127)]);
  assert.deepEqual(Array.from(r.q), [64, -127, 16, 127]);
  assert.deepEqual(Array.from(quantizeRowsInt8(new Float32Array([0, 0]), 1, 2).q), [0, 0]);
});

test('integer matmul: int32 sum of code products times the two scales', () => {
  const x = quantizeRowsInt8(new Float32Array([1, -2]), 1, 2); // codes [64, -127]
  const w = quantizeRowsInt8(new Float32Array([3, 4]), 1, 2); // codes [95, 127] (3 * 127 / 4 = 95.25)
  assert.deepEqual(Array.from(w.q), [95, 127]);
  const y = w8a8Matmul(x, w);
  assert.equal(y[0], Math.fround((64 * 95 - 127 * 127) * x.scales[0] * w.scales[0]));
  assert.ok(Math.abs(y[0] - -5) < 0.05);
});

test('W8A8 equals the float product of the dequantized operands, and is close to X W^T on plain data', () => {
  const n = 16;
  const rows = 24;
  const cols = 64;
  const x = randn(n * cols, 1);
  const w = randn(rows * cols, 2, 0.1);
  const xq = quantizeRowsInt8(x, n, cols);
  const wq = quantizeRowsInt8(w, rows, cols);
  const viaFloat = linearReference(dequantizeRowsInt8(xq), n, dequantizeRowsInt8(wq), rows, cols);
  const y = w8a8Matmul(xq, wq);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - viaFloat[i]) < 1e-5);
  const err = relativeError(w8a8Linear(x, n, w, rows, cols), linearReference(x, n, w, rows, cols));
  assert.ok(err < 0.02, `relative error ${err}`);
  assert.throws(() => w8a8Matmul(xq, quantizeRowsInt8(w.slice(0, 24 * 32), 24, 32)), /inner dims/);
});
