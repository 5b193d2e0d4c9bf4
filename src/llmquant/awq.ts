/**
 * AWQ (Lin et al. 2024), activation-aware weight quantization: the weights of input channels with large
 * activations matter most, so scale them up before group quantization and fold 1/s into the activations:
 * Y = (X / s) Q(W * s)^T. Per channel s_j = mean|X_j|^alpha, normalized by sqrt(max s * min s) and clamped
 * below at 1e-4 as in the reference code; alpha is chosen on a grid {0, 1/grid, ..., (grid-1)/grid} by the
 * output error ||X W^T - X Wq^T||. alpha = 0 is plain round-to-nearest, so the search never does worse.
 */
import { GroupQuantized, groupQuantize, groupDequantize } from './group';
import { linearReference } from './w8a8';

/** Options of {@link awqQuantize}. */
export interface AwqOptions {
  bits: number;
  groupSize?: number;
  symmetric?: boolean;
  /** Grid points for alpha in [0, 1) (default 20). */
  grid?: number;
}

/** AWQ result. */
export interface AwqResult {
  /** Chosen exponent and per-channel scales. */
  alpha: number;
  scales: Float32Array;
  /** Output error ||X W^T - X Wq^T||_F at each grid point (index i: alpha = i / grid). */
  errors: number[];
  /** The group-quantized scaled weight Q(W * s) (what is stored). */
  quantized: GroupQuantized;
  /** Q(W * s) / s: the effective float weight, to multiply with the unscaled X. */
  dequantized: Float32Array;
}

/**
 * Per-channel mean absolute activation mean_t |X[t, j]| of X [n, cols].
 *
 * @example
 * channelMeanAbs(new Float32Array([1, -4, 3, 0]), 2, 2); // [2, 2]
 */
export function channelMeanAbs(x: ArrayLike<number>, n: number, cols: number): Float32Array {
  const m = new Float64Array(cols);
  for (let t = 0; t < n; t++) for (let j = 0; j < cols; j++) m[j] += Math.abs(x[t * cols + j]);
  return Float32Array.from(m, (v) => v / n);
}

/**
 * AWQ's scales for one alpha: mean|X_j|^alpha clamped at 1e-4, divided by sqrt(max * min).
 *
 * @example
 * awqScales(new Float32Array([4, 1]), 0.5); // [2, 1] / sqrt(2) = [1.414, 0.707]
 */
export function awqScales(meanAbs: ArrayLike<number>, alpha: number): Float32Array {
  const s = Float64Array.from(meanAbs, (v) => Math.max(v ** alpha, 1e-4));
  let hi = -Infinity;
  let lo = Infinity;
  for (const v of s) {
    hi = Math.max(hi, v);
    lo = Math.min(lo, v);
  }
  const norm = Math.sqrt(hi * lo);
  return Float32Array.from(s, (v) => v / norm);
}

/**
 * Weight quantized with scales s: Q(W * s) / s (columns), and the stored Q(W * s).
 *
 * @example
 * const { dequantized } = awqApply(w, rows, cols, awqScales(channelMeanAbs(x, n, cols), 0.5), { bits: 4, groupSize: 128 });
 */
export function awqApply(w: ArrayLike<number>, rows: number, cols: number, s: ArrayLike<number>, opts: AwqOptions): { quantized: GroupQuantized; dequantized: Float32Array } {
  const ws = new Float32Array(rows * cols);
  for (let o = 0; o < rows; o++) for (let j = 0; j < cols; j++) ws[o * cols + j] = w[o * cols + j] * s[j];
  const quantized = groupQuantize(ws, rows, cols, { bits: opts.bits, groupSize: opts.groupSize, symmetric: opts.symmetric });
  const dq = groupDequantize(quantized);
  for (let o = 0; o < rows; o++) for (let j = 0; j < cols; j++) dq[o * cols + j] /= s[j];
  return { quantized, dequantized: dq };
}

function outputError(y: Float32Array, x: ArrayLike<number>, n: number, wq: Float32Array, rows: number, cols: number): number {
  const yq = linearReference(x, n, wq, rows, cols);
  let e = 0;
  for (let i = 0; i < y.length; i++) e += (y[i] - yq[i]) ** 2;
  return Math.sqrt(e);
}

/**
 * AWQ: grid-search alpha for the weight [rows, cols] on calibration activations X [n, cols].
 *
 * @example
 * const r = awqQuantize(w, rows, cols, x, n, { bits: 4, groupSize: 128 });
 * r.alpha; r.errors[0]; // errors[0] is round-to-nearest
 */
export function awqQuantize(w: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>, n: number, opts: AwqOptions): AwqResult {
  const grid = opts.grid ?? 20;
  const y = linearReference(x, n, w, rows, cols);
  const meanAbs = channelMeanAbs(x, n, cols);
  const errors: number[] = [];
  let best = -1;
  let bestRes: { quantized: GroupQuantized; dequantized: Float32Array } | null = null;
  let bestScales = new Float32Array(cols);
  for (let i = 0; i < grid; i++) {
    const s = awqScales(meanAbs, i / grid);
    const res = awqApply(w, rows, cols, s, opts);
    const e = outputError(y, x, n, res.dequantized, rows, cols);
    errors.push(e);
    if (best < 0 || e < errors[best]) {
      best = i;
      bestRes = res;
      bestScales = s;
    }
  }
  return { alpha: best / grid, scales: bestScales, errors, quantized: bestRes!.quantized, dequantized: bestRes!.dequantized };
}
