import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Decode, base64Encode, buildMaskView, maskMatrix, matrixShape, packMaskBits, sparsityLayer, unpackMaskBits } from '../../src/viz/mask';
import { randomMask } from './fixtures';

test('base64 matches Node Buffer for every length 0..20 and round-trips', () => {
  for (let n = 0; n <= 20; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 13) & 255);
    const text = base64Encode(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64'));
    assert.deepEqual(base64Decode(text), bytes);
  }
  assert.throws(() => base64Decode('abc'), /multiple of 4/);
  assert.throws(() => base64Decode('ab$='), /invalid base64 character/);
});

test('mask bits pack MSB first and unpack to the same mask', () => {
  assert.equal(packMaskBits([1, 0, 1, 1, 0, 0, 0, 0]), 'sA==');
  const mask = randomMask(1001, 0.6, 7);
  assert.deepEqual(unpackMaskBits(packMaskBits(mask), mask.length), mask);
  assert.throws(() => unpackMaskBits('sA==', 9), /8 bits, 9 needed/);
});

test('matrixShape flattens all but the last dimension', () => {
  assert.deepEqual(matrixShape([5, 5, 1, 6]), [25, 6]);
  assert.deepEqual(matrixShape([10]), [1, 10]);
});

test('small masks keep exact bits, large ones become a density grid with correct fractions', () => {
  const small = buildMaskView(randomMask(25 * 6, 0.5), [5, 5, 1, 6]);
  assert.equal(small.kind, 'bits');
  assert.deepEqual([small.rows, small.cols], [25, 6]);

  // 10x10 mask, first 5 columns kept, grid of 2x2 cells of 5x5 weights.
  const mask = Array.from({ length: 100 }, (_, i) => (i % 10 < 5 ? 1 : 0));
  const grid = buildMaskView(mask, [10, 10], { maxBits: 50, gridSize: 2 });
  assert.equal(grid.kind, 'density');
  if (grid.kind !== 'density') return;
  assert.deepEqual([grid.rows, grid.cols, grid.cellRows, grid.cellCols], [2, 2, 5, 5]);
  assert.deepEqual(grid.density, [1, 0, 1, 0]);
  assert.deepEqual(maskMatrix(grid), [[1, 0], [1, 0]]);
});

test('uneven grids average the partial last cells over their real size', () => {
  const mask = Array.from({ length: 7 * 3 }, (_, i) => (Math.floor(i / 3) === 6 ? 1 : 0)); // only the last row kept
  const grid = buildMaskView(mask, [7, 3], { maxBits: 1, gridSize: 2 });
  if (grid.kind !== 'density') throw new Error('expected density');
  assert.deepEqual([grid.rows, grid.cellRows], [2, 4]);
  // second row of cells covers rows 4..6 (3 rows) of which 1 kept
  assert.ok(Math.abs(grid.density[grid.cols] - 1 / 3) < 1e-12);
});

test('sparsityLayer counts zeros and rejects a shape mismatch', () => {
  const layer = sparsityLayer('w', [2, 4], [0, 1, 0, 1, 1, 1, 0, 0.5]);
  assert.equal(layer.sparsity, 3 / 8);
  assert.deepEqual(maskMatrix(layer.mask), [[0, 1, 0, 1], [1, 1, 0, 1]]);
  assert.throws(() => sparsityLayer('w', [3, 3], [1, 1]), /2 values but shape \[3, 3\] has 9/);
});
