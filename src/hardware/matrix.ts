/**
 * The matrix conventions every kernel in src/hardware shares: dense row-major float32 matrices, C = A·B with
 * A [M, K], B [K, N], C [M, N], and the arithmetic a product costs (2·M·N·K FLOPs: one multiply and one add per
 * multiply-accumulate). Isomorphic.
 */
import { mulberry32 } from '../util/random';

/** The sizes of a matrix product C[M, N] = A[M, K] · B[K, N]. */
export interface GemmShape {
  M: number;
  N: number;
  K: number;
}

/** A matrix product kernel: fills `c` (length M·N, overwritten) with a·b. */
export type GemmKernel = (a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape) => void;

/**
 * FLOPs of one matrix product: 2·M·N·K.
 *
 * @example
 * gemmFlops({ M: 512, N: 512, K: 512 }); // 268435456
 */
export function gemmFlops({ M, N, K }: GemmShape): number {
  return 2 * M * N * K;
}

/**
 * A seeded matrix of `rows·cols` floats uniform in [-1, 1).
 *
 * @example
 * const a = randomMatrix(3, 5, 1); // Float32Array(15), the same for the same seed
 */
export function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = 2 * rand() - 1;
  return m;
}

/** Throws unless the buffers have the lengths the shape needs. */
export function checkGemmShape(a: Float32Array, b: Float32Array, c: Float32Array, { M, N, K }: GemmShape): void {
  for (const [name, v] of [['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`gemm: ${name} must be a positive whole number, got ${v}`);
  }
  if (a.length !== M * K) throw new Error(`gemm: A has ${a.length} elements, M·K = ${M * K} expected`);
  if (b.length !== K * N) throw new Error(`gemm: B has ${b.length} elements, K·N = ${K * N} expected`);
  if (c.length !== M * N) throw new Error(`gemm: C has ${c.length} elements, M·N = ${M * N} expected`);
}

/** Throws unless the tile size is a positive whole number. */
export function checkTile(tile: number): void {
  if (!Number.isInteger(tile) || tile < 1) throw new Error(`gemm: tile must be a positive whole number, got ${tile}`);
}
