import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKernels } from '../../src/hardware';

test('compareKernels warms up, then times one sample per kernel per round with the order rotated', () => {
  const log: string[] = [];
  const runs = ['a', 'b', 'c'].map((name) => ({ name, run: () => void log.push(name) }));
  const t = compareKernels(runs, { warmup: 1, repeats: 3, minSampleMs: 0 });
  // warm-up and one calibration run per kernel, then rounds a b c / b c a / c a b
  assert.deepEqual(log, ['a', 'a', 'b', 'b', 'c', 'c', 'a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
  assert.deepEqual(t.map((k) => k.name), ['a', 'b', 'c']);
  for (const k of t) {
    assert.equal(k.samples.length, 3);
    assert.equal(k.seconds, Math.min(...k.samples));
    assert.ok(k.median >= k.seconds);
  }
  assert.throws(() => compareKernels(runs, { repeats: 0 }), /repeats must be a positive whole number/);
});
