/**
 * The textbook matrix product: three loops i, j, k with a dot product innermost. It walks B down a column
 * (a stride of N floats per step), so for large N every load of B touches a new cache line. The reference the
 * other kernels are checked against. Isomorphic.
 */
import { checkGemmShape, type GemmShape } from './matrix';

/**
 * C = A·B with the naive i-j-k loops (the sum is held in a JavaScript number, float64, and stored as float32).
 *
 * @example
 * const c = new Float32Array(M * N);
 * gemmNaive(a, b, c, { M, N, K });
 */
export function gemmNaive(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): void {
  checkGemmShape(a, b, c, shape);
  const { M, N, K } = shape;
  for (let i = 0; i < M; i++) {
    const aRow = i * K;
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[aRow + k] * b[k * N + j];
      c[i * N + j] = sum;
    }
  }
}
