/**
 * SmoothQuant (Xiao et al. 2023): activations of LLMs have a few outlier channels that ruin per-token int8
 * scales, while weights are easy to quantize. Per input channel j, divide X_j by s_j and multiply W's column
 * j by s_j (X W^T is unchanged), with s_j = max|X_j|^alpha / max|W_j|^(1 - alpha): alpha = 0.5 splits the
 * difficulty evenly. s_j is clamped below at 1e-5 as in the reference code.
 */

/**
 * Per-column absolute maximum of a row-major [rows, cols] matrix: max|X_j| over tokens for activations
 * [n, in], max|W_j| over output channels for weights [out, in].
 *
 * @example
 * columnAbsMax(new Float32Array([1, -5, -3, 2]), 2, 2); // [3, 5]
 */
export function columnAbsMax(x: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const m = new Float32Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m[c] = Math.max(m[c], Math.abs(x[r * cols + c]));
  return m;
}

/**
 * SmoothQuant's migration scales s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) from the per-channel maxima.
 *
 * @example
 * smoothQuantScales(new Float32Array([16, 1]), new Float32Array([1, 4]), 0.5); // [4, 0.5]
 */
export function smoothQuantScales(actAbsMax: ArrayLike<number>, weightAbsMax: ArrayLike<number>, alpha = 0.5): Float32Array {
  if (actAbsMax.length !== weightAbsMax.length) throw new Error('smoothQuantScales: activation and weight maxima differ in length');
  const s = new Float32Array(actAbsMax.length);
  for (let j = 0; j < s.length; j++) {
    const a = Math.max(actAbsMax[j], 1e-5);
    const w = Math.max(weightAbsMax[j], 1e-5);
    s[j] = Math.max(a ** alpha / w ** (1 - alpha), 1e-5);
  }
  return s;
}

/**
 * The migrated pair: X / s (columns of activations [n, cols]) and W * s (columns of weights [rows, cols]).
 *
 * @example
 * const { x: xs, w: ws } = smoothMigrate(x, n, w, rows, cols, s); // xs ws^T == x w^T
 */
export function smoothMigrate(x: ArrayLike<number>, n: number, w: ArrayLike<number>, rows: number, cols: number, s: ArrayLike<number>): { x: Float32Array; w: Float32Array } {
  const xs = new Float32Array(n * cols);
  for (let t = 0; t < n; t++) for (let j = 0; j < cols; j++) xs[t * cols + j] = x[t * cols + j] / s[j];
  const ws = new Float32Array(rows * cols);
  for (let o = 0; o < rows; o++) for (let j = 0; j < cols; j++) ws[o * cols + j] = w[o * cols + j] * s[j];
  return { x: xs, w: ws };
}

/**
 * Scales from calibration activations and the weight in one call (alpha default 0.5).
 *
 * @example
 * const s = smoothQuantCalibrate(x, n, w, rows, cols, 0.5);
 */
export function smoothQuantCalibrate(x: ArrayLike<number>, n: number, w: ArrayLike<number>, rows: number, cols: number, alpha = 0.5): Float32Array {
  return smoothQuantScales(columnAbsMax(x, n, cols), columnAbsMax(w, rows, cols), alpha);
}
