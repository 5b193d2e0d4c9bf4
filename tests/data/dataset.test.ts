// subset(): indices outside the dataset, or not whole numbers, are a RangeError naming the index and the size,
// never examples of NaN pixels and label 0 (src/data/dataset.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset, subset } from '../../src/data/dataset';

function tiny(count = 5): Dataset {
  const images = Float32Array.from({ length: count * 4 }, (_, i) => i / (count * 4));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { name: 'tiny', split: 'test', count, height: 2, width: 2, numClasses: 10, images, labels, source: 'memory' };
}

test('subset by indices copies those examples; by a count takes the first n (at most all)', () => {
  const d = tiny();
  const s = subset(d, [4, 0, 4]);
  assert.equal(s.count, 3);
  assert.deepEqual(Array.from(s.labels), [4, 0, 4]);
  assert.deepEqual(Array.from(s.images.subarray(0, 4)), Array.from(d.images.subarray(16, 20)));
  assert.equal(subset(d, 2).count, 2);
  assert.equal(subset(d, 0).count, 0);
  assert.equal(subset(d, 50).count, 5, 'a count beyond the dataset takes all of it');
  assert.equal(subset(d, []).count, 0);
});

test('an index outside the dataset is a RangeError naming the position, the index and the dataset size', () => {
  const d = tiny();
  const cases: [number[], RegExp][] = [
    [[0, 5], /subset: indices\[1\] is 5, outside the dataset 'tiny' \(test\) of 5 examples: indices must be whole numbers in 0\.\.4/],
    [[-1], /subset: indices\[0\] is -1, outside the dataset 'tiny' \(test\) of 5 examples/],
    [[1, 2, 1e9], /indices\[2\] is 1000000000, outside/],
  ];
  for (const [idx, message] of cases) assert.throws(() => subset(d, idx), (e: unknown) => e instanceof RangeError && message.test(e.message), String(idx));
  assert.throws(() => subset(tiny(0), [0]), (e: unknown) => e instanceof RangeError && /indices\[0\] is 0, outside the dataset 'tiny' \(test\) of 0 examples: it is empty/.test(e.message));
});

test('indices that are not whole numbers are a RangeError', () => {
  const d = tiny();
  for (const [bad, shown] of [[1.5, '1.5'], [NaN, 'NaN'], [Infinity, 'Infinity']] as const) {
    assert.throws(() => subset(d, [0, bad]), (e: unknown) => e instanceof RangeError && new RegExp(`indices\\[1\\] is ${shown}, not a whole number.*of 5 examples: indices must be whole numbers in 0\\.\\.4`).test(e.message), shown);
  }
  assert.throws(() => subset(d, ['1'] as unknown as number[]), (e: unknown) => e instanceof RangeError && /indices\[0\] is "1", not a whole number/.test(e.message));
});

test('a count that is negative or not a whole number is a RangeError naming it and the dataset size', () => {
  const d = tiny();
  assert.throws(() => subset(d, -1), (e: unknown) => e instanceof RangeError && /subset: the count -1 is not a whole number >= 0 \(the dataset 'tiny' \(test\) has 5 examples\)/.test(e.message));
  assert.throws(() => subset(d, 2.5), (e: unknown) => e instanceof RangeError && /the count 2\.5 is not a whole number >= 0/.test(e.message));
  assert.throws(() => subset(d, NaN), (e: unknown) => e instanceof RangeError && /the count NaN/.test(e.message));
});
