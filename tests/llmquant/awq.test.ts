import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awqQuantize, awqScales, awqApply, channelMeanAbs } from '../../src/llmquant/awq';
import { groupQuantize, groupDequantize } from '../../src/llmquant/group';
import { linearReference } from '../../src/llmquant/w8a8';
import { randn, withOutlierChannels } from './helpers';

function outErr(x: Float32Array, n: number, w: Float32Array, wq: Float32Array, rows: number, cols: number): number {
  const a = linearReference(x, n, w, rows, cols);
  const b = linearReference(x, n, wq, rows, cols);
  return Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
}

test('scales: mean|x|^alpha normalized by sqrt(max * min), hand-computed', () => {
  assert.deepEqual(Array.from(channelMeanAbs(new Float32Array([1, -4, 3, 0]), 2, 2)), [2, 2]);
  const s = awqScales([4, 1], 0.5);
  assert.ok(Math.abs(s[0] - Math.SQRT2) < 1e-6 && Math.abs(s[1] - Math.SQRT1_2) < 1e-6);
  assert.deepEqual(Array.from(awqScales([4, 1, 9], 0)), [1, 1, 1]);
  // the 1e-4 floor keeps dead channels from dividing by zero
  assert.ok(awqScales([0, 1], 1).every((v) => Number.isFinite(v) && v > 0));
});

test('alpha 0 is round-to-nearest; the search is never worse and wins on salient channels', () => {
  const n = 64;
  const rows = 32;
  const cols = 128;
  const x = withOutlierChannels(randn(n * cols, 31), cols, [1, 40, 41, 90], 20);
  const w = randn(rows * cols, 32, 0.05);
  const r = awqQuantize(w, rows, cols, x, n, { bits: 4, groupSize: 64 });
  const rtn = groupDequantize(groupQuantize(w, rows, cols, { bits: 4, groupSize: 64 }));
  const eRtn = outErr(x, n, w, rtn, rows, cols);
  assert.ok(Math.abs(r.errors[0] - eRtn) < 1e-9 * eRtn, `${r.errors[0]} vs ${eRtn}`);
  assert.equal(r.errors.length, 20);
  assert.ok(r.alpha > 0, `alpha ${r.alpha}`);
  const eAwq = outErr(x, n, w, r.dequantized, rows, cols);
  assert.ok(Math.abs(eAwq - Math.min(...r.errors)) < 1e-9 * eAwq);
  assert.ok(eAwq < 0.8 * eRtn, `AWQ ${eAwq} vs RTN ${eRtn}`);
  // stored form: Q(W s) with the chosen s; dividing by s gives the effective weight
  const again = awqApply(w, rows, cols, r.scales, { bits: 4, groupSize: 64 });
  assert.deepEqual(Array.from(again.quantized.codes), Array.from(r.quantized.codes));
});
