import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchConv, benchGemm, measureBandwidth, measureGflops, measurePeak, median, tileSweep } from '../../src/hardware';
import { setupBackend } from '../helpers';

// Timings are never asserted (shared machine); these check the bookkeeping around them.

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /median of no values/);
});

test('measureGflops runs warm-up, one calibration and the repeats, and divides FLOPs by the median time', () => {
  let calls = 0;
  const m = measureGflops(() => { calls++; let s = 0; for (let i = 0; i < 1e4; i++) s += i; if (s < 0) throw new Error(); }, 2e4, { warmup: 3, repeats: 5, minSampleMs: 0 });
  assert.equal(calls, 3 + 1 + 5);
  assert.equal(m.samples.length, 5);
  assert.equal(m.seconds, median(m.samples));
  assert.ok(Math.abs(m.gflops - 2e4 / m.seconds / 1e9) < 1e-9 * m.gflops);
  assert.throws(() => measureGflops(() => {}, 1, { repeats: 0 }), /repeats must be a positive/);
});

test('a run shorter than the sample time is repeated inside each sample', () => {
  let calls = 0;
  const m = measureGflops(() => { calls++; }, 1, { warmup: 0, repeats: 2, minSampleMs: 2 });
  assert.ok(calls > 3, `only ${calls} calls`);
  assert.ok(m.seconds > 0 && m.seconds < 2e-3);
});

test('benchGemm, tileSweep and benchConv report one finite timing per variant or tile', async () => {
  await setupBackend();
  const opts = { warmup: 1, repeats: 1, minSampleMs: 0 };
  const g = benchGemm({ M: 17, N: 9, K: 13 }, { ...opts, tile: 8 });
  assert.deepEqual(g.map((t) => t.name), ['naive', 'unrolled', 'blocked', 'packed', 'backend']);
  assert.deepEqual(g.map((t) => t.tile), [undefined, undefined, 8, 8, undefined]);
  for (const t of g) assert.ok(Number.isFinite(t.gflops) && t.gflops > 0 && t.flops === 2 * 17 * 9 * 13, t.name);
  assert.deepEqual(tileSweep({ M: 10, N: 10, K: 10 }, [2, 3, 16], 'packed', opts).map((t) => t.tile), [2, 3, 16]);
  const c = benchConv({ batch: 1, height: 6, width: 6, inChannels: 2, outChannels: 3, kernelHeight: 3, kernelWidth: 3 }, opts);
  assert.deepEqual(c.map((t) => t.name), ['direct', 'im2col+packed', 'backend']);
});

test('peak and bandwidth report positive numbers and take the larger of their two measurements', async () => {
  await setupBackend();
  const p = measurePeak({ warmup: 1, repeats: 1, minSampleMs: 0, backendSize: 32, kc: 16 });
  assert.ok(p.registerBlocked > 0 && p.backend > 0);
  assert.equal(p.peak, Math.max(p.registerBlocked, p.backend));
  assert.equal(p.source, p.backend > p.registerBlocked ? 'backend' : 'registerBlocked');
  const bw = measureBandwidth({ elements: 1 << 16, repeats: 1 });
  assert.ok(bw.copy > 0 && bw.triad > 0);
  assert.equal(bw.bandwidth, Math.max(bw.copy, bw.triad));
  assert.equal(bw.elements, 1 << 16);
});
