import { test } from 'node:test';
import assert from 'node:assert/strict';
import { powerOfTwoQuantize, kmeansQuantize, binarize, ternarize, stochasticRound, quantizeStochastic, computeQParams, quantize } from '../../src/quantize';
import { mulberry32 } from '../../src/util/random';

const randn = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
};

test('power-of-two levels: values snap to ±2^k or 0', () => {
  const r = powerOfTwoQuantize(new Float32Array([0.3, -0.05, 1, 0.001, 0]), 4);
  assert.deepEqual(Array.from(r.values), [0.25, -0.0625, 1, 0, 0]);
  assert.equal(r.levels.length, 15);
  for (let i = 0; i < r.values.length; i++) assert.equal(r.levels[r.codes[i]], r.values[i]);
  assert.throws(() => powerOfTwoQuantize(new Float32Array([1]), 1), /bits must be/);
});

test('k-means: 2^bits shared values, error shrinks with more clusters', () => {
  const w = randn(3000, 1);
  const errs = [1, 2, 4].map((bits) => {
    const r = kmeansQuantize(w, bits);
    assert.ok(new Set(r.values).size <= 2 ** bits);
    for (let i = 0; i < w.length; i += 97) assert.equal(r.levels[r.codes[i]], r.values[i]);
    return w.reduce((s, v, i) => s + (v - r.values[i]) ** 2, 0);
  });
  assert.ok(errs[1] < errs[0] && errs[2] < errs[1] / 4, JSON.stringify(errs));
  // Two well-separated clusters are found exactly.
  const two = kmeansQuantize(new Float32Array([1, 1.2, 0.8, 5, 5.2, 4.8]), 1);
  assert.deepEqual(Array.from(two.levels).map((v) => Number(v.toFixed(4))).sort(), [1, 5]);
});

test('binary and ternary weights', () => {
  const b = binarize(new Float32Array([0.5, -1.5, 0]));
  assert.equal(b.alpha, Math.fround(2 / 3));
  assert.deepEqual(Array.from(b.values), [b.alpha, -b.alpha, b.alpha]);
  const t = ternarize(new Float32Array([0.1, -2, 1, -0.05]));
  // mean|w| = 0.7875, threshold 0.55125: 0.1 and -0.05 become 0, alpha = 1.5.
  assert.deepEqual(Array.from(t.values), [0, -1.5, 1.5, 0]);
  assert.equal(t.zeroFraction, 0.5);
  assert.throws(() => binarize(new Float32Array(0)), /empty tensor/);
  assert.throws(() => ternarize(new Float32Array([NaN])), /contains NaN/);
});

test('stochastic rounding is seeded and unbiased on average', () => {
  const x = new Float32Array(20000).fill(0.3);
  const a = stochasticRound(x, 7);
  assert.deepEqual(a, stochasticRound(x, 7));
  assert.notDeepEqual(a, stochasticRound(x, 8));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean - 0.3) < 0.02, `mean ${mean}`);
  assert.ok(a.every((v) => v === 0 || v === 1));
  const w = new Float32Array(20000).fill(0.0123);
  const qp = computeQParams(new Float32Array([-1, 1]), [2], { bits: 8, symmetric: true, signed: true });
  const qs = quantizeStochastic(w, [w.length], qp, 1);
  const meanQ = qs.reduce((s, v) => s + v, 0) / qs.length;
  assert.ok(Math.abs(meanQ * qp.scale[0] - 0.0123) < 0.0005, `stochastic mean ${meanQ * qp.scale[0]}`);
  const nearest = quantize(w, [w.length], qp)[0] * qp.scale[0];
  assert.ok(Math.abs(nearest - 0.0123) > 0.001, 'nearest rounding is biased here');
});
