/**
 * Cache blocking: the product is cut into tile×tile blocks so that a block of A, a block of B and a block of
 * C are reused while they are still in cache, and inside a block the loops run i-k-j, so the innermost loop
 * streams contiguous rows of B and C (unit stride, which the hardware prefetcher and the JIT like), four rows
 * of B at a time so each element of C is loaded and stored once per four multiply-adds. The tile
 * size is the knob: too small and loop overhead dominates, too large and the blocks no longer fit in cache.
 * Isomorphic.
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
        for (let i = ii; i < iEnd; i++) {
          const cRow = i * N;
          const aRow = i * K;
          // Four rows of B per pass over the C row: one load and one store of C per four multiply-adds.
          let k = kk;
          for (; k + 3 < kEnd; k += 4) {
            const a0 = a[aRow + k], a1 = a[aRow + k + 1], a2 = a[aRow + k + 2], a3 = a[aRow + k + 3];
            const b0 = k * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
            for (let j = jj; j < jEnd; j++) c[cRow + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
          }
          for (; k < kEnd; k++) {
            const aik = a[aRow + k];
            const bRow = k * N;
            for (let j = jj; j < jEnd; j++) c[cRow + j] += aik * b[bRow + j];
          }
        }
      }
    }
  }
}
