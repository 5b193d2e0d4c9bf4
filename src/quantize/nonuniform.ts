/**
 * Non-uniform and very-low-bit weight quantizers: power-of-two (logarithmic) levels, k-means weight
 * clustering (weight sharing), binary (sign · mean|w|) and ternary ({-α, 0, α}) weights.
 */
import { checkFinite } from './qparams';

export interface CodebookResult {
  /** Quantized (reconstructed) values. */
  values: Float32Array;
  /** Index of each value into `levels`. */
  codes: Uint16Array;
  /** The representable levels (the codebook). */
  levels: Float32Array;
}

function checkInput(x: Float32Array): void {
  if (!(x instanceof Float32Array)) throw new TypeError('expected a Float32Array');
  if (x.length === 0) throw new RangeError('cannot quantize an empty tensor');
  checkFinite(x, 'weights');
}

function nearestLevels(x: Float32Array, levels: Float32Array): CodebookResult {
  const order = Array.from(levels.keys()).sort((a, b) => levels[a] - levels[b]);
  const sorted = Float32Array.from(order, (i) => levels[i]);
  const values = new Float32Array(x.length);
  const codes = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    let lo = 0;
    let hi = sorted.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= v) lo = mid;
      else hi = mid;
    }
    const k = Math.abs(v - sorted[lo]) <= Math.abs(sorted[hi] - v) ? lo : hi;
    values[i] = sorted[k];
    codes[i] = order[k];
  }
  return { values, codes, levels };
}

/**
 * Power-of-two (logarithmic) quantization with 1 sign bit and bits-1 bits for the exponent: levels 0 and
 * ±2^(e_max - j), j = 0..2^(bits-1)-2, where 2^e_max is the power of two nearest max|x| (in log scale).
 * Values snap to the level nearest in log2 (below half of the smallest level: zero). Multiplication by such
 * weights is a shift.
 *
 * @example
 * powerOfTwoQuantize(new Float32Array([0.3, -0.05, 1]), 4).values; // [0.25, -0.0625, 1]
 */
export function powerOfTwoQuantize(x: Float32Array, bits: number): CodebookResult {
  checkInput(x);
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new RangeError(`bits must be a whole number from 2 to 8, got ${bits}`);
  let amax = 0;
  for (let i = 0; i < x.length; i++) amax = Math.max(amax, Math.abs(x[i]));
  const count = 2 ** (bits - 1) - 1; // magnitudes per sign
  const emax = amax > 0 ? Math.round(Math.log2(amax)) : 0;
  const emin = emax - count + 1;
  const levels = new Float32Array(2 * count + 1);
  for (let j = 0; j < count; j++) {
    levels[1 + j] = 2 ** (emax - j);
    levels[1 + count + j] = -(2 ** (emax - j));
  }
  const values = new Float32Array(x.length);
  const codes = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a < 2 ** emin / 2 || a === 0) continue;
    const e = Math.min(emax, Math.max(emin, Math.round(Math.log2(a))));
    const j = emax - e;
    values[i] = Math.sign(x[i]) * 2 ** e;
    codes[i] = x[i] > 0 ? 1 + j : 1 + count + j;
  }
  return { values, codes, levels };
}

/**
 * 1-D k-means clustering of weights (Deep Compression's weight sharing): 2^bits centroids initialised
 * linearly between min and max, Lloyd iterations until assignments stop changing. Storage: bits per weight
 * plus the float32 codebook.
 *
 * @example
 * const { values, levels } = kmeansQuantize(w, 4); // 16 shared values
 */
export function kmeansQuantize(x: Float32Array, bits: number, maxIterations = 30): CodebookResult & { iterations: number } {
  checkInput(x);
  if (!Number.isInteger(bits) || bits < 1 || bits > 12) throw new RangeError(`bits must be a whole number from 1 to 12, got ${bits}`);
  const k = 2 ** bits;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  const centroids = Float64Array.from({ length: k }, (_, j) => (k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1)));
  let assign = new Uint16Array(x.length);
  let iterations = 0;
  for (let it = 0; it < maxIterations; it++) {
    iterations = it + 1;
    const r = nearestLevels(x, Float32Array.from(centroids));
    const changed = it === 0 || r.codes.some((c, i) => c !== assign[i]);
    assign = r.codes;
    const sum = new Float64Array(k);
    const cnt = new Float64Array(k);
    for (let i = 0; i < x.length; i++) {
      sum[assign[i]] += x[i];
      cnt[assign[i]]++;
    }
    for (let j = 0; j < k; j++) if (cnt[j] > 0) centroids[j] = sum[j] / cnt[j];
    if (!changed) break;
  }
  const res = nearestLevels(x, Float32Array.from(centroids));
  return { ...res, iterations };
}

/**
 * Binary weights: sign(w) · α with α = mean |w| (the L2-optimal scale, as in XNOR-Net); zero maps to +α.
 *
 * @example
 * binarize(new Float32Array([0.5, -1.5])); // { values: [1, -1], alpha: 1 }
 */
export function binarize(x: Float32Array): { values: Float32Array; alpha: number } {
  checkInput(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  const alpha = Math.fround(s / x.length);
  return { values: Float32Array.from(x, (v) => (v >= 0 ? alpha : -alpha)), alpha };
}

/**
 * Ternary weights (TWN): threshold Δ = factor · mean|w| (0.7 by default); weights with |w| ≤ Δ become 0 and
 * the rest ±α, α = mean of those |w|.
 *
 * @example
 * ternarize(w).values; // each value is -alpha, 0 or alpha
 */
export function ternarize(x: Float32Array, factor = 0.7): { values: Float32Array; alpha: number; threshold: number; zeroFraction: number } {
  checkInput(x);
  if (!(factor >= 0)) throw new RangeError(`factor must be >= 0, got ${factor}`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  const threshold = (factor * s) / x.length;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) > threshold) {
      sum += Math.abs(x[i]);
      n++;
    }
  }
  const alpha = Math.fround(n ? sum / n : 0);
  const values = Float32Array.from(x, (v) => (Math.abs(v) > threshold ? Math.sign(v) * alpha : 0));
  return { values, alpha, threshold, zeroFraction: 1 - n / x.length };
}
