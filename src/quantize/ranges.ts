/**
 * Clipping-range estimators for calibration: min/max, percentile, entropy (KL divergence between the
 * clipped float histogram and its quantized version, TensorRT style) and MSE-optimal clipping.
 */
import { qparamsFromRange, quantizeValue } from './scalar';

export type RangeMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';

export interface ClipRangeOptions {
  method: RangeMethod;
  /** Upper percentile kept for 'percentile' (lower = 100 - p). Default 99.99. */
  percentile?: number;
  /** Target integer range (used by 'entropy' and 'mse'). */
  qmin: number;
  qmax: number;
  symmetric: boolean;
  signed?: boolean;
  /** Histogram bins for 'entropy' (default 2048). */
  bins?: number;
  /** Candidate clipping ratios tried by 'mse' (default 100). */
  candidates?: number;
}

export interface Range {
  min: number;
  max: number;
}

/**
 * Smallest and largest value.
 *
 * @example
 * minMax(new Float32Array([3, -1, 2])); // { min: -1, max: 3 }
 */
export function minMax(x: ArrayLike<number>): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * The p-th percentile (0..100) with linear interpolation between order statistics (as numpy's default).
 *
 * @example
 * percentileOf(new Float32Array([1, 2, 3, 4]), 50); // 2.5
 */
export function percentileOf(x: ArrayLike<number>, p: number, sorted = false): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (x.length === 0) throw new RangeError('percentile of an empty array');
  const s = sorted ? x : Float32Array.from(x).sort();
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Percentile clipping: [P(100 - p), P(p)] of the data.
 *
 * @example
 * percentileRange(data, 99.9); // drops the 0.1% most extreme values on each side
 */
export function percentileRange(x: ArrayLike<number>, p = 99.99): Range {
  if (!(p > 50 && p <= 100)) throw new RangeError(`percentile must be in (50, 100], got ${p}; e.g. 99.99`);
  const s = Float32Array.from(x).sort();
  return { min: percentileOf(s, 100 - p, true), max: percentileOf(s, p, true) };
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let ps = 0;
  let qs = 0;
  let qZeros = 0;
  for (let i = 0; i < p.length; i++) {
    ps += p[i];
    qs += q[i];
    if (q[i] === 0) qZeros++;
  }
  if (ps === 0 || qs === 0) return Infinity;
  // Smooth Q (as MXNet / TensorRT calibrators do) so empty bins of Q under non-empty bins of P cost a
  // large but finite penalty instead of infinity: zeros get eps, the other bins give that mass back.
  const eps = 1e-4;
  const take = qZeros > 0 && qZeros < q.length ? (eps * qZeros) / (q.length - qZeros) : 0;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / ps;
    const qi = q[i] === 0 ? eps : Math.max(q[i] / qs - take, eps);
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/**
 * Entropy calibration (TensorRT style) of a histogram of |x| with `counts.length` bins of `binWidth`:
 * for each candidate threshold i (in bins), the reference P is the histogram up to i with the clipped
 * outliers added to its last bin; Q merges P's bins into `levels` quantization bins and spreads each back
 * uniformly over its non-empty bins; the threshold with the smallest KL(P || Q) wins.
 *
 * @example
 * const t = entropyThreshold(hist.counts, hist.binWidth, 128); // a clipping threshold on |x|
 */
export function entropyThreshold(counts: ArrayLike<number>, binWidth: number, levels: number, maxCandidates = 160): number {
  const n = counts.length;
  if (n <= levels) return n * binWidth;
  const stride = Math.max(1, Math.floor((n - levels) / maxCandidates));
  let best = Infinity;
  let bestI = n;
  let total = 0;
  for (let k = 0; k < n; k++) total += counts[k];
  const candidates: number[] = [];
  for (let i = levels; i < n; i += stride) candidates.push(i);
  candidates.push(n);
  for (const i of candidates) {
    const p = new Float64Array(i);
    let inside = 0;
    for (let k = 0; k < i; k++) {
      p[k] = counts[k];
      inside += counts[k];
    }
    p[i - 1] += total - inside;
    // Quantize the first i bins (without outliers) into `levels` bins, then expand.
    const q = new Float64Array(i);
    const merge = i / levels;
    for (let j = 0; j < levels; j++) {
      const start = Math.floor(j * merge);
      const end = j === levels - 1 ? i : Math.floor((j + 1) * merge);
      let sum = 0;
      let nonZero = 0;
      for (let k = start; k < end; k++) {
        sum += counts[k];
        if (counts[k] !== 0) nonZero++;
      }
      if (nonZero === 0) continue;
      for (let k = start; k < end; k++) if (counts[k] !== 0) q[k] = sum / nonZero;
    }
    const kl = klDivergence(p, q);
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return Math.min(n, bestI + 0.5) * binWidth;
}

/**
 * Entropy (KL) clipping range: a threshold T on |x| from `entropyThreshold`, intersected with the data range.
 * One-sided data (all >= 0) uses all qmax - qmin + 1 levels, two-sided data half of them. Exact zeros are
 * left out of the histogram.
 *
 * @example
 * entropyRange(acts, 0, 255); // { min: 0, max: T }
 */
export function entropyRange(x: ArrayLike<number>, qmin: number, qmax: number, bins?: number): Range {
  const { min, max } = minMax(x);
  const levels = min >= 0 ? qmax - qmin + 1 : Math.ceil((qmax - qmin + 1) / 2);
  // 2048 bins for large tensors; small slices (a conv channel) get fewer, at least 4 per level.
  bins ??= Math.min(2048, Math.max(4 * levels, Math.floor(x.length / 4)));
  const amax = Math.max(Math.abs(min), Math.abs(max));
  if (amax === 0) return { min, max };
  const counts = new Float64Array(bins);
  const w = amax / bins;
  // Exact zeros (the ReLU spike) are skipped: zero is always representable exactly, and the spike would
  // otherwise dominate the KL divergence and push the threshold far too low.
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) counts[Math.min(bins - 1, Math.floor(Math.abs(x[i]) / w))]++;
  const t = entropyThreshold(counts, w, levels);
  return { min: Math.max(min, -t), max: Math.min(max, t) };
}

/**
 * Mean squared error of quantizing `x` with the parameters a clipping range gives.
 *
 * @example
 * quantMse(data, { min: -1, max: 1 }, -128, 127, true); // small number
 */
export function quantMse(x: ArrayLike<number>, r: Range, qmin: number, qmax: number, symmetric: boolean, signed = qmin < 0): number {
  const { scale, zeroPoint } = qparamsFromRange(r.min, r.max, qmin, qmax, symmetric, signed, qmin === 0 && qmax === 255);
  const inv = Math.fround(1 / scale);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const q = quantizeValue(x[i], inv, zeroPoint, qmin, qmax);
    const d = Math.fround((q - zeroPoint) * scale) - x[i];
    s += d * d;
  }
  return x.length ? s / x.length : 0;
}

/**
 * MSE-optimal clipping: tries `candidates` ranges alpha·[min, max] (alpha from 1/candidates to 1) and
 * keeps the one whose quantization error is smallest. Large inputs are evaluated on a strided sample.
 *
 * @example
 * mseRange(weights, -8, 7, true); // usually narrower than min/max at 4 bits
 */
export function mseRange(x: ArrayLike<number>, qmin: number, qmax: number, symmetric: boolean, candidates = 100, signed = qmin < 0): Range {
  const full = minMax(x);
  const step = Math.max(1, Math.floor(x.length / 20000));
  const sample = step === 1 ? x : Float32Array.from({ length: Math.floor(x.length / step) }, (_, i) => x[i * step]);
  let best = Infinity;
  let bestRange = full;
  for (let c = candidates; c >= 1; c--) {
    const alpha = c / candidates;
    const r = { min: full.min * alpha, max: full.max * alpha };
    const e = quantMse(sample, r, qmin, qmax, symmetric, signed);
    if (e < best) {
      best = e;
      bestRange = r;
    }
  }
  return bestRange;
}

/**
 * The clipping range of one slice of data under a calibration method.
 *
 * @example
 * clipRange(w, { method: 'percentile', percentile: 99.9, qmin: -128, qmax: 127, symmetric: true });
 */
export function clipRange(x: ArrayLike<number>, opts: ClipRangeOptions): Range {
  switch (opts.method) {
    case 'minmax':
      return minMax(x);
    case 'percentile':
      return percentileRange(x, opts.percentile ?? 99.99);
    case 'entropy':
      return entropyRange(x, opts.qmin, opts.qmax, opts.bins);
    case 'mse':
      return mseRange(x, opts.qmin, opts.qmax, opts.symmetric, opts.candidates, opts.signed);
    default:
      throw new Error(`unknown calibration method '${String(opts.method)}'; use 'minmax', 'percentile', 'entropy' or 'mse'`);
  }
}
