import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dominates, paretoFront } from '../../src/hardware';

const p = (name: string, accuracy: number, latencyMs: number) => ({ name, accuracy, latencyMs });

test('dominance needs at least as good on both and better on one', () => {
  assert.equal(dominates(p('a', 0.9, 1), p('b', 0.8, 2)), true);
  assert.equal(dominates(p('a', 0.9, 1), p('b', 0.9, 2)), true, 'same accuracy, faster');
  assert.equal(dominates(p('a', 0.9, 1), p('b', 0.8, 1)), true, 'same latency, more accurate');
  assert.equal(dominates(p('a', 0.9, 1), p('b', 0.9, 1)), false, 'equal points');
  assert.equal(dominates(p('a', 0.9, 2), p('b', 0.8, 1)), false, 'a trade-off');
});

test('the front of hand-made points: trade-offs kept, dominated points dropped, fastest first', () => {
  const points = [
    p('slow-best', 0.99, 10),
    p('fast-worst', 0.9, 1),
    p('dominated', 0.92, 3), // beaten by 'mid' (more accurate, faster)
    p('mid', 0.95, 2),
    p('same-acc-slower', 0.95, 4), // same accuracy as 'mid', slower
    p('same-lat-worse', 0.85, 1), // same latency as 'fast-worst', less accurate
    p('slowest-not-better', 0.99, 12),
  ];
  assert.deepEqual(paretoFront(points).map((x) => x.name), ['fast-worst', 'mid', 'slow-best']);
  // No front point is dominated by any point; every other point is dominated by a front point.
  const front = paretoFront(points);
  for (const f of front) assert.ok(!points.some((q) => dominates(q, f)), f.name);
  for (const q of points.filter((x) => !front.includes(x))) assert.ok(front.some((f) => dominates(f, q)), q.name);
});

test('edge cases: empty, one point, exact duplicates, a chain where each point beats the next', () => {
  assert.deepEqual(paretoFront([]), []);
  assert.deepEqual(paretoFront([p('only', 0.5, 5)]).map((x) => x.name), ['only']);
  assert.deepEqual(paretoFront([p('a', 0.9, 1), p('a2', 0.9, 1), p('b', 0.8, 2)]).map((x) => x.name), ['a', 'a2']);
  assert.deepEqual(paretoFront([p('c', 0.7, 3), p('b', 0.8, 2), p('a', 0.9, 1)]).map((x) => x.name), ['a']);
  assert.throws(() => paretoFront([p('nan', NaN, 1)]), /accuracy NaN/);
});
