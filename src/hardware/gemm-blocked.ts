/**
 * Cache blocking: the product is cut into tile×tile blocks so that a block of A, a block of B and a block of
 * C are reused while they are still in cache, and inside a block the loops run i-k-j, so the innermost loop
 * streams contiguous rows of B and C (unit stride, which the hardware prefetcher and the JIT like). Each pass
 * of the innermost loop updates two rows of C from four rows of B: the four B values it loads serve eight
 * multiply-adds, and each element of C is loaded and stored once per four. The tile size is the knob: too
 * small and loop overhead dominates, too large and the blocks no longer fit in cache. Isomorphic.
 */
import { checkGemmShape, checkTile, type GemmShape } from './matrix';

/**
 * C = A·B blocked in tile×tile×tile blocks (sizes need not divide the matrix sizes).
 *
 * @example
 * gemmBlocked(a, b, c, { M, N, K }, 64);
 */
export function gemmBlocked(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, tile = 64): void {
  checkGemmShape(a, b, c, shape);
  checkTile(tile);
  const { M, N, K } = shape;
  c.fill(0);
  for (let ii = 0; ii < M; ii += tile) {
    const iEnd = Math.min(ii + tile, M);
    for (let kk = 0; kk < K; kk += tile) {
      const kEnd = Math.min(kk + tile, K);
      for (let jj = 0; jj < N; jj += tile) {
        const jEnd = Math.min(jj + tile, N);
        let i = ii;
        for (; i + 1 < iEnd; i += 2) blockRowPair(a, b, c, N, K, i, kk, kEnd, jj, jEnd);
        if (i < iEnd) blockRow(a, b, c, N, K, i, kk, kEnd, jj, jEnd);
      }
    }
  }
}

/** Adds A[i..i+1, kk..kEnd) · B[kk..kEnd, jj..jEnd) into rows i and i+1 of C. */
function blockRowPair(a: Float32Array, b: Float32Array, c: Float32Array, N: number, K: number, i: number, kk: number, kEnd: number, jj: number, jEnd: number): void {
  const c0 = i * N, c1 = c0 + N, r0 = i * K, r1 = r0 + K;
  let k = kk;
  for (; k + 3 < kEnd; k += 4) {
    const a00 = a[r0 + k], a01 = a[r0 + k + 1], a02 = a[r0 + k + 2], a03 = a[r0 + k + 3];
    const a10 = a[r1 + k], a11 = a[r1 + k + 1], a12 = a[r1 + k + 2], a13 = a[r1 + k + 3];
    const b0 = k * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
    for (let j = jj; j < jEnd; j++) {
      // Loaded into locals once: both rows of C use them (the JIT cannot assume c and b do not overlap).
      const x0 = b[b0 + j], x1 = b[b1 + j], x2 = b[b2 + j], x3 = b[b3 + j];
      c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
      c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
    }
  }
  for (; k < kEnd; k++) {
    const a0k = a[r0 + k], a1k = a[r1 + k], bRow = k * N;
    for (let j = jj; j < jEnd; j++) {
      const x = b[bRow + j];
      c[c0 + j] += a0k * x;
      c[c1 + j] += a1k * x;
    }
  }
}

/** Adds A[i, kk..kEnd) · B[kk..kEnd, jj..jEnd) into row i of C (the last row of an odd block). */
function blockRow(a: Float32Array, b: Float32Array, c: Float32Array, N: number, K: number, i: number, kk: number, kEnd: number, jj: number, jEnd: number): void {
  const cRow = i * N, aRow = i * K;
  let k = kk;
  for (; k + 3 < kEnd; k += 4) {
    const a0 = a[aRow + k], a1 = a[aRow + k + 1], a2 = a[aRow + k + 2], a3 = a[aRow + k + 3];
    const b0 = k * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
    for (let j = jj; j < jEnd; j++) c[cRow + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
  }
  for (; k < kEnd; k++) {
    const aik = a[aRow + k], bRow = k * N;
    for (let j = jj; j < jEnd; j++) c[cRow + j] += aik * b[bRow + j];
  }
}
