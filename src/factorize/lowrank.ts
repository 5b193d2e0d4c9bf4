/**
 * Best rank-k approximation of a matrix (Eckart–Young: the truncated SVD), as two factors whose product
 * approximates the matrix, so one dense layer can become two thinner ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { svd, Svd } from './svd';

export interface LowRank {
  /** [m, k] = U_k diag(σ_1..σ_k). */
  left: tf.Tensor2D;
  /** [k, n] = V_kᵀ. */
  right: tf.Tensor2D;
  /** All min(m, n) singular values of the matrix, largest first. */
  singularValues: Float64Array;
}

/** Throws unless `rank` is a whole number in 1..min(m, n). */
export function checkRank(rank: number, m: number, n: number, what = 'matrix'): void {
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(m, n)) {
    throw new RangeError(`rank ${rank} is not possible for a ${m}x${n} ${what}: use a whole number in 1..${Math.min(m, n)} (min(m, n))`);
  }
}

/** The rank-k factors of a decomposition as row-major Float32Arrays. */
export function truncate(d: Svd, rank: number): { left: Float32Array; right: Float32Array } {
  const r = d.s.length;
  const left = new Float32Array(d.m * rank);
  const right = new Float32Array(rank * d.n);
  for (let i = 0; i < d.m; i++) for (let k = 0; k < rank; k++) left[i * rank + k] = d.u[i * r + k] * d.s[k];
  for (let k = 0; k < rank; k++) for (let j = 0; j < d.n; j++) right[k * d.n + j] = d.v[j * r + k];
  return { left, right };
}

/**
 * The best rank-`rank` approximation of `matrix` (in Frobenius and spectral norm): left · right.
 *
 * @example
 * const { left, right } = lowRankApprox(tf.tensor2d(w, [400, 120]), 16);
 * const approx = tf.matMul(left, right); // [400, 120], rank 16
 */
export function lowRankApprox(matrix: tf.Tensor2D, rank: number): LowRank {
  if (matrix.rank !== 2) throw new RangeError(`lowRankApprox needs a 2-D matrix, got shape [${matrix.shape}]`);
  const [m, n] = matrix.shape;
  checkRank(rank, m, n);
  const d = svd(matrix.dataSync(), m, n);
  const { left, right } = truncate(d, rank);
  return { left: tf.tensor2d(left, [m, rank]), right: tf.tensor2d(right, [rank, n]), singularValues: d.s };
}
