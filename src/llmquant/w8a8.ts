/**
 * W8A8: int8 activations with one scale per token (row of X) and int8 weights with one scale per output
 * channel (row of W), multiplied in int32 and rescaled: Y[t, o] = sx[t] * sw[o] * sum_j qx[t, j] qw[o, j].
 * Symmetric, codes -127..127, scale = amax / 127, round half to even.
 */
import { roundHalfEven } from '../numerics/floats';

/** An int8 row-quantized matrix: codes [rows, cols] and one scale per row. */
export interface Int8Rows {
  rows: number;
  cols: number;
  q: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric int8 quantization with one scale per row (per token for activations [n, in], per output channel
 * for weights [out, in]).
 *
 * @example
 * const r = quantizeRowsInt8(new Float32Array([1, -2, 0.5, 4]), 2, 2);
 * r.scales; // [2/127, 4/127]
 * r.q; // [64, -127, 16, 127]
 */
export function quantizeRowsInt8(x: ArrayLike<number>, rows: number, cols: number): Int8Rows {
  if (x.length !== rows * cols) throw new Error(`quantizeRowsInt8: ${x.length} values for [${rows}, ${cols}]`);
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let amax = 0;
    for (let c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(x[r * cols + c]));
    const s = Math.fround(amax === 0 ? 1 : amax / 127);
    scales[r] = s;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, roundHalfEven(x[r * cols + c] / s)));
  }
  return { rows, cols, q, scales };
}

/**
 * Dequantize an int8 row-quantized matrix.
 *
 * @example
 * dequantizeRowsInt8(quantizeRowsInt8(x, n, cols)); // x up to half a step per row
 */
export function dequantizeRowsInt8(r: Int8Rows): Float32Array {
  const out = new Float32Array(r.rows * r.cols);
  for (let i = 0; i < out.length; i++) out[i] = r.q[i] * r.scales[Math.floor(i / r.cols)];
  return out;
}

/**
 * Integer matmul of per-token activations [n, in] and per-channel weights [out, in]: int32 accumulation,
 * then one float rescale per output, Y [n, out] = X W^T.
 *
 * @example
 * const y = w8a8Matmul(quantizeRowsInt8(x, n, k), quantizeRowsInt8(w, m, k)); // [n, m]
 */
export function w8a8Matmul(x: Int8Rows, w: Int8Rows): Float32Array {
  if (x.cols !== w.cols) throw new Error(`w8a8Matmul: inner dims ${x.cols} and ${w.cols} differ`);
  const k = x.cols;
  const y = new Float32Array(x.rows * w.rows);
  for (let t = 0; t < x.rows; t++) {
    for (let o = 0; o < w.rows; o++) {
      let acc = 0; // |acc| <= 127 * 127 * k: exact int32 for k < 133 000
      for (let j = 0; j < k; j++) acc += x.q[t * k + j] * w.q[o * k + j];
      y[t * w.rows + o] = acc * x.scales[t] * w.scales[o];
    }
  }
  return y;
}

/**
 * W8A8 linear layer in one call: quantize X per token and W per output channel, multiply in integers.
 *
 * @example
 * const y = w8a8Linear(x, n, w, out, inDim); // ≈ X W^T, [n, out]
 */
export function w8a8Linear(x: ArrayLike<number>, n: number, w: ArrayLike<number>, rows: number, cols: number): Float32Array {
  return w8a8Matmul(quantizeRowsInt8(x, n, cols), quantizeRowsInt8(w, rows, cols));
}

/**
 * Float reference Y = X W^T for X [n, cols], W [rows, cols] (float64 accumulation).
 *
 * @example
 * linearReference(new Float32Array([1, 2]), 1, new Float32Array([3, 4]), 1, 2); // [11]
 */
export function linearReference(x: ArrayLike<number>, n: number, w: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const y = new Float32Array(n * rows);
  for (let t = 0; t < n; t++) {
    for (let o = 0; o < rows; o++) {
      let acc = 0;
      for (let j = 0; j < cols; j++) acc += x[t * cols + j] * w[o * cols + j];
      y[t * rows + o] = acc;
    }
  }
  return y;
}

/**
 * Relative Frobenius error ||A - B|| / ||B||.
 *
 * @example
 * relativeError(w8a8Linear(x, n, w, m, k), linearReference(x, n, w, m, k));
 */
export function relativeError(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (a[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}
