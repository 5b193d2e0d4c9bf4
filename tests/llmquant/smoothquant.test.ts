import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnAbsMax, smoothQuantScales, smoothMigrate, smoothQuantCalibrate } from '../../src/llmquant/smoothquant';
import { w8a8Linear, linearReference, relativeError } from '../../src/llmquant/w8a8';
import { randn, withOutlierChannels } from './helpers';

test('scales s_j = max|X_j|^a / max|W_j|^(1-a), hand-computed', () => {
  assert.deepEqual(Array.from(columnAbsMax(new Float32Array([1, -5, -3, 2]), 2, 2)), [3, 5]);
  assert.deepEqual(Array.from(smoothQuantScales([16, 1], [1, 4], 0.5)), [4, 0.5]);
  // alpha 0.75: 16^0.75 / 1^0.25 = 8; 1 / 4^0.25 = 1/sqrt(2)
  const s = smoothQuantScales([16, 1], [1, 4], 0.75);
  assert.equal(s[0], 8);
  assert.ok(Math.abs(s[1] - Math.SQRT1_2) < 1e-7);
  // alpha 1 moves all the range into the weights; alpha 0 divides by the weight max
  assert.deepEqual(Array.from(smoothQuantScales([16, 2], [1, 4], 1)), [16, 2]);
  assert.deepEqual(Array.from(smoothQuantScales([16, 2], [1, 4], 0)), [1, 0.25]);
});

test('migration keeps X W^T and equalizes channel maxima at alpha 0.5', () => {
  const n = 8;
  const rows = 6;
  const cols = 16;
  const x = withOutlierChannels(randn(n * cols, 3), cols, [2, 9], 40);
  const w = randn(rows * cols, 4, 0.1);
  const s = smoothQuantCalibrate(x, n, w, rows, cols, 0.5);
  const m = smoothMigrate(x, n, w, rows, cols, s);
  const y0 = linearReference(x, n, w, rows, cols);
  const y1 = linearReference(m.x, n, m.w, rows, cols);
  assert.ok(relativeError(y1, y0) < 1e-6);
  // at alpha 0.5, max|X_j / s_j| = max|W_j s_j| = sqrt(max|X_j| max|W_j|)
  const ax = columnAbsMax(m.x, n, cols);
  const aw = columnAbsMax(m.w, rows, cols);
  for (let j = 0; j < cols; j++) assert.ok(Math.abs(ax[j] - aw[j]) < 1e-5 * ax[j], `channel ${j}`);
});

test('acceptance: SmoothQuant W8A8 beats plain W8A8 when X has outlier channels', () => {
  const n = 64;
  const rows = 64;
  const cols = 128;
  const outliers = [5, 17, 64, 100];
  const x = withOutlierChannels(randn(n * cols, 7), cols, outliers, 60);
  const w = randn(rows * cols, 8, 0.05);
  const ref = linearReference(x, n, w, rows, cols);
  const plain = relativeError(w8a8Linear(x, n, w, rows, cols), ref);
  const s = smoothQuantCalibrate(x, n, w, rows, cols, 0.5);
  const m = smoothMigrate(x, n, w, rows, cols, s);
  const smooth = relativeError(w8a8Linear(m.x, n, m.w, rows, cols), ref);
  assert.ok(smooth < 0.5 * plain, `SmoothQuant ${smooth} vs plain ${plain}`);
  // without outliers there is little to win: both are small
  const x0 = randn(n * cols, 7);
  assert.ok(relativeError(w8a8Linear(x0, n, w, rows, cols), linearReference(x0, n, w, rows, cols)) < 0.02);
});
