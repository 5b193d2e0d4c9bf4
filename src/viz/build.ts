/**
 * Small builders for payload pieces from raw numbers: histograms, activation ranges with saturation, and
 * error histograms with MSE / SQNR. The quantization and pruning modules (and notebooks) use them to emit
 * payloads; they never quantize anything themselves.
 */
import type { ActivationRange, Histogram, QuantMethodResult } from './payloads';

export interface HistogramOptions {
  /** Number of bins (default 40). */
  bins?: number;
  /** Range covered; values outside are counted in the first / last bin. Default: the data's min and max. */
  min?: number;
  max?: number;
}

/**
 * Histogram of the finite values with equal-width bins (NaN and ±Infinity are skipped).
 *
 * @example
 * histogram([0, 0.5, 1], { bins: 2 }); // { edges: [0, 0.5, 1], counts: [1, 2] }
 */
export function histogram(values: ArrayLike<number>, opts: HistogramOptions = {}): Histogram {
  const bins = opts.bins ?? 40;
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive whole number, got ${bins}`);
  let lo = opts.min ?? Infinity;
  let hi = opts.max ?? -Infinity;
  if (opts.min === undefined || opts.max === undefined) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (opts.min === undefined && v < lo) lo = v;
      if (opts.max === undefined && v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  if (hi <= lo) { lo -= 0.5; hi += 0.5; }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  }
  return { edges, counts };
}

/**
 * Activation statistics against a clipping range: observed min/max, the fraction of values outside
 * [clipMin, clipMax], and a histogram spanning both ranges (so clipped values show up).
 *
 * @example
 * activationRange(acts, -1, 6); // { min, max, clipMin: -1, clipMax: 6, saturationRate, histogram }
 */
export function activationRange(values: ArrayLike<number>, clipMin: number, clipMax: number, bins = 60): ActivationRange {
  let min = Infinity;
  let max = -Infinity;
  let out = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v < clipMin || v > clipMax) out++;
  }
  if (values.length === 0) { min = 0; max = 0; }
  return {
    min,
    max,
    clipMin,
    clipMax,
    saturationRate: values.length ? out / values.length : 0,
    histogram: histogram(values, { bins, min: Math.min(min, clipMin), max: Math.max(max, clipMax) }),
  };
}

/**
 * Error statistics of one quantization method: histogram of (dequantized - original), MSE, and SQNR in dB
 * (10·log10(signal power / noise power); Infinity when the error is exactly zero).
 *
 * @example
 * const r = methodResult('minmax', weights, dequantized); // { method: 'minmax', mse, sqnr, errorHistogram }
 */
export function methodResult(method: string, original: ArrayLike<number>, dequantized: ArrayLike<number>, bins = 40): QuantMethodResult {
  if (original.length !== dequantized.length) {
    throw new Error(`original has ${original.length} values but dequantized has ${dequantized.length}`);
  }
  const err = new Float64Array(original.length);
  let noise = 0;
  let signal = 0;
  for (let i = 0; i < original.length; i++) {
    err[i] = dequantized[i] - original[i];
    noise += err[i] * err[i];
    signal += original[i] * original[i];
  }
  const n = Math.max(1, original.length);
  return {
    method,
    errorHistogram: histogram(err, { bins }),
    mse: noise / n,
    sqnr: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
  };
}
