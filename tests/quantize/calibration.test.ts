import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeQParams, fakeQuantize, percentileOf, percentileRange, entropyRange, mseRange, quantMse, minMax,
  MinMaxObserver, MovingAverageMinMaxObserver, SampleObserver, dynamicQuantize, dequantize,
} from '../../src/quantize';
import { mulberry32 } from '../../src/util/random';

function gaussianWithOutliers(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const x = Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
  x[0] = 60; // a few huge outliers stretch min/max
  x[1] = -45;
  return x;
}

const mse = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;

test('percentile interpolates linearly and clips the tails', () => {
  assert.equal(percentileOf(new Float32Array([1, 2, 3, 4]), 50), 2.5);
  assert.equal(percentileOf(new Float32Array([4, 1, 3, 2]), 100), 4);
  const x = gaussianWithOutliers(20000, 1);
  const r = percentileRange(x, 99.9);
  assert.ok(r.max > 2.5 && r.max < 4, `max ${r.max}`);
  assert.ok(r.min < -2.5 && r.min > -4, `min ${r.min}`);
  assert.throws(() => percentileRange(x, 40), /percentile must be in \(50, 100\]/);
});

function laplace(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? 1 : -1) * -Math.log(r() + 1e-12));
}

test('entropy, percentile and MSE clipping beat min/max on heavy-tailed data at 4 bits', () => {
  const x = laplace(20000, 2);
  const shape = [x.length];
  for (const bits of [4]) {
    const errs: Record<string, number> = {};
    for (const method of ['minmax', 'percentile', 'entropy', 'mse'] as const) {
      const qp = computeQParams(x, shape, { bits, symmetric: true, signed: true, method, percentile: 99.5 });
      errs[method] = mse(x, fakeQuantize(x, shape, qp));
    }
    assert.ok(errs.entropy < errs.minmax, `${bits} bits: ${JSON.stringify(errs)}`);
    assert.ok(errs.mse < errs.minmax, `${bits} bits: ${JSON.stringify(errs)}`);
    assert.ok(errs.percentile < errs.minmax, `${bits} bits: ${JSON.stringify(errs)}`);
    assert.ok(errs.mse <= errs.entropy * 1.05 && errs.mse <= errs.percentile * 1.05, `mse is the best of the grid: ${JSON.stringify(errs)}`);
  }
  // At 8 bits with two huge outliers, MSE search still never loses to min/max.
  const y = gaussianWithOutliers(20000, 2);
  const e = (method: 'minmax' | 'mse') => mse(y, fakeQuantize(y, [y.length], computeQParams(y, [y.length], { bits: 8, symmetric: true, signed: true, method })));
  assert.ok(e('mse') <= e('minmax'));
});

test('entropy on one-sided (ReLU) data keeps min 0 and clips the long tail', () => {
  const r = mulberry32(3);
  const x = Float32Array.from({ length: 20000 }, () => -Math.log(r() + 1e-12)); // exponential
  x[5] = 80;
  const e = entropyRange(x, 0, 255);
  assert.equal(e.min, minMax(x).min);
  assert.ok(e.max < 40 && e.max > 5, `threshold ${e.max}`);
});

test('mseRange returns the candidate with the smallest error', () => {
  const x = gaussianWithOutliers(5000, 4);
  const best = mseRange(x, -8, 7, true);
  const full = minMax(x);
  assert.ok(quantMse(x, best, -8, 7, true) < quantMse(x, full, -8, 7, true));
  assert.ok(quantMse(x, best, -8, 7, true) <= quantMse(x, { min: full.min * 0.5, max: full.max * 0.5 }, -8, 7, true));
});

test('MinMaxObserver keeps running extremes; per-channel along an axis', () => {
  const obs = new MinMaxObserver({ bits: 8, symmetric: false, signed: false });
  obs.observe(new Float32Array([0, 1]));
  obs.observe(new Float32Array([-2, 0.5]));
  assert.deepEqual([obs.min![0], obs.max![0]], [-2, 1]);
  const qp = obs.qparams();
  assert.equal(qp.scale[0], Math.fround(3 / 255));
  const pc = new MinMaxObserver({ bits: 8, symmetric: true, signed: true, axis: 1 });
  pc.observe(new Float32Array([1, -3, 2, 4]), [2, 2]);
  assert.deepEqual(Array.from(pc.max!), [2, 4]);
  assert.equal(pc.qparams().axis, 1);
  assert.throws(() => new MinMaxObserver({ bits: 8, symmetric: true, signed: true }).qparams(), /seen no data/);
  assert.throws(() => obs.observe(new Float32Array([NaN])), /observed batch contains NaN/);
  assert.throws(() => obs.observe(new Float32Array(0)), /empty batch/);
});

test('moving average follows min + c·(batchMin − min)', () => {
  const obs = new MovingAverageMinMaxObserver({ bits: 8, symmetric: false, signed: false }, 0.5);
  obs.observe(new Float32Array([0, 4]));
  obs.observe(new Float32Array([-2, 8]));
  assert.deepEqual([obs.min![0], obs.max![0]], [-1, 6]);
  assert.throws(() => new MovingAverageMinMaxObserver({ bits: 8, symmetric: false, signed: false }, 0), /averagingConstant/);
});

test('SampleObserver calibrates percentile ranges across batches', () => {
  const x = gaussianWithOutliers(20000, 5);
  const obs = new SampleObserver({ bits: 8, symmetric: false, signed: false, method: 'percentile', percentile: 99.9, maxSamples: 5000 });
  for (let i = 0; i < 4; i++) obs.observe(x.subarray(i * 5000, (i + 1) * 5000));
  const r = obs.range();
  assert.ok(r.max > 2.3 && r.max < 4.2, `max ${r.max}`);
  const mm = new SampleObserver({ bits: 8, symmetric: false, signed: false, method: 'minmax' });
  mm.observe(x);
  assert.deepEqual(mm.range(), { min: -45, max: 60 });
});

test('dynamic quantization adapts the scale to each input (static does not)', () => {
  const calib = new Float32Array([-1, 1]);
  const opts = { bits: 8, symmetric: true, signed: true };
  const staticQp = computeQParams(calib, [2], opts);
  const input = new Float32Array([-0.01, 0.004, 0.01]);
  const dyn = dynamicQuantize(input, [3], opts);
  const errDyn = mse(input, dequantize(dyn.q, [3], dyn.qp));
  const errStatic = mse(input, fakeQuantize(input, [3], staticQp));
  assert.ok(dyn.qp.scale[0] < staticQp.scale[0] / 50);
  assert.ok(errDyn < errStatic / 100, `${errDyn} vs ${errStatic}`);
});
