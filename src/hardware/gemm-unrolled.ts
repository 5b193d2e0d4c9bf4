/**
 * The naive loop order with the inner dot product unrolled by four into four independent accumulators:
 * fewer loop-control instructions and four additions in flight instead of one chain. The memory access is
 * unchanged (B still walked down a column), which is why unrolling alone gains little on large matrices.
 * Isomorphic.
 */
import { checkGemmShape, type GemmShape } from './matrix';

/**
 * C = A·B, i-j-k loops with k unrolled by 4 (a remainder loop handles K not divisible by 4).
 *
 * @example
 * gemmUnrolled(a, b, c, { M, N, K });
 */
export function gemmUnrolled(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): void {
  checkGemmShape(a, b, c, shape);
  const { M, N, K } = shape;
  const K4 = K - (K % 4);
  for (let i = 0; i < M; i++) {
    const aRow = i * K;
    for (let j = 0; j < N; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k < K4; k += 4) {
        const bj = k * N + j;
        s0 += a[aRow + k] * b[bj];
        s1 += a[aRow + k + 1] * b[bj + N];
        s2 += a[aRow + k + 2] * b[bj + 2 * N];
        s3 += a[aRow + k + 3] * b[bj + 3 * N];
      }
      for (; k < K; k++) s0 += a[aRow + k] * b[k * N + j];
      c[i * N + j] = (s0 + s1) + (s2 + s3);
    }
  }
}
