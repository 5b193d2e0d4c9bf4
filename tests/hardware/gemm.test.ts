import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemmBackend, gemmBlocked, gemmFlops, gemmKernel, gemmNaive, gemmPacked, gemmUnrolled, GEMM_VARIANTS, randomMatrix, type GemmShape } from '../../src/hardware';
import { maxAbsDiff, setupBackend } from '../helpers';

// Entries are uniform in [-1, 1) and K <= 67, so |C| stays below ~10 and float32 rounding of any summation
// order stays far below this bound; a wrong index or a dropped edge row gives errors of order 1.
const TOL = 1e-4;

// Odd shapes (primes, 1s, sizes below and above the tiles) so edge tiles and remainder loops are exercised.
const SHAPES: GemmShape[] = [
  { M: 1, N: 1, K: 1 },
  { M: 5, N: 7, K: 3 },
  { M: 37, N: 29, K: 53 },
  { M: 33, N: 65, K: 67 },
  { M: 64, N: 1, K: 17 },
];
const TILES = [1, 3, 5, 7, 16, 30, 64];

function product(shape: GemmShape, seed: number) {
  const a = randomMatrix(shape.M, shape.K, seed);
  const b = randomMatrix(shape.K, shape.N, seed + 100);
  return { a, b, c: () => new Float32Array(shape.M * shape.N) };
}

/** C in float64, written independently of the kernels under test. */
function exact(a: Float32Array, b: Float32Array, { M, N, K }: GemmShape): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) c[i * N + j] += a[i * K + k] * b[k * N + j];
  return c;
}

test('the naive product equals a float64 product within 1e-4', () => {
  SHAPES.forEach((shape, s) => {
    const { a, b, c } = product(shape, s + 1);
    const out = c();
    gemmNaive(a, b, out, shape);
    assert.ok(maxAbsDiff(out, exact(a, b, shape)) < TOL, JSON.stringify(shape));
  });
});

test('the unrolled product equals the naive one within 1e-4 (K not divisible by 4 included)', () => {
  SHAPES.forEach((shape, s) => {
    const { a, b, c } = product(shape, s + 1);
    const ref = c();
    gemmNaive(a, b, ref, shape);
    const out = c();
    gemmUnrolled(a, b, out, shape);
    assert.ok(maxAbsDiff(out, ref) < TOL, JSON.stringify(shape));
  });
});

for (const [name, kernel] of [['blocked', gemmBlocked], ['packed', gemmPacked]] as const) {
  test(`the ${name} product equals the naive one within 1e-4 for tiles that do not divide the sizes`, () => {
    SHAPES.forEach((shape, s) => {
      const { a, b, c } = product(shape, s + 1);
      const ref = c();
      gemmNaive(a, b, ref, shape);
      for (const tile of TILES) {
        const out = c().fill(123); // stale contents must be overwritten
        kernel(a, b, out, shape, tile);
        assert.ok(maxAbsDiff(out, ref) < TOL, `${JSON.stringify(shape)} tile ${tile}: ${maxAbsDiff(out, ref)}`);
      }
    });
  });
}

test('the backend matMul equals the naive product within 1e-4', async () => {
  await setupBackend();
  SHAPES.forEach((shape, s) => {
    const { a, b, c } = product(shape, s + 1);
    const ref = c();
    gemmNaive(a, b, ref, shape);
    const out = c();
    gemmBackend(a, b, out, shape);
    assert.ok(maxAbsDiff(out, ref) < TOL, JSON.stringify(shape));
  });
});

test('every named variant computes the same product', async () => {
  await setupBackend();
  const shape = { M: 19, N: 23, K: 31 };
  const { a, b, c } = product(shape, 9);
  const ref = c();
  gemmNaive(a, b, ref, shape);
  for (const v of GEMM_VARIANTS) {
    const out = c();
    gemmKernel(v, 6)(a, b, out, shape);
    assert.ok(maxAbsDiff(out, ref) < TOL, v);
  }
  assert.throws(() => gemmKernel('fast' as never), /unknown gemm variant 'fast'/);
});

test('wrong buffer lengths and tiles are refused with the sizes named', () => {
  const shape = { M: 2, N: 3, K: 4 };
  assert.throws(() => gemmNaive(new Float32Array(7), new Float32Array(12), new Float32Array(6), shape), /A has 7 elements, M·K = 8/);
  assert.throws(() => gemmBlocked(new Float32Array(8), new Float32Array(12), new Float32Array(5), shape), /C has 5 elements/);
  assert.throws(() => gemmPacked(new Float32Array(8), new Float32Array(12), new Float32Array(6), shape, 0), /tile must be a positive/);
  assert.equal(gemmFlops({ M: 512, N: 512, K: 512 }), 2 * 512 ** 3);
});
