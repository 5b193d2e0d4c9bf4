/**
 * Compute-in-memory (CIM), simulated: a matrix product C = A·W computed by analog crossbars. The weights W
 * [K, N] are programmed as conductances into crossbar tiles of R rows (R inputs) × N columns; each input row
 * drives a voltage, each column sums its currents (Ohm's and Kirchhoff's laws: one analog dot product per
 * column), and an ADC digitises that column sum. A product with K > R inputs is split over ceil(K / R) tiles,
 * whose digitised partial sums are added digitally. Two non-idealities are modelled:
 *
 * - **Weight noise** (programming error, drift): w' = w + σ_add·r·ε₁ + σ_mul·w·ε₂, with ε Gaussian, seeded, and
 *   r = max |w| of the matrix, the range the conductances are mapped to (so σ_add is relative to that range).
 * - **ADC quantization**: each tile's partial sum is clipped to [-clip, clip] and rounded to one of 2^bits
 *   levels by a mid-rise quantizer (step Δ = 2·clip / 2^bits, levels ±Δ/2, ±3Δ/2, ...: symmetric, so 1 bit is
 *   the sign times clip / 2).
 *
 * Inputs are exact (no DAC quantization) and sums have no read noise. These are the reference loops over
 * Float32Array (float64 sums); src/hardware/cim-model.ts runs the same model with tfjs ops on whole layers.
 * Isomorphic.
 */
import { mulberry32 } from '../util/random';
import { checkGemmShape, type GemmShape } from './matrix';

/** Relative standard deviations of the weight noise (0 or absent: none). */
export interface CimNoise {
  /** σ of the additive noise, as a fraction of the matrix's weight range max |w|. */
  additive?: number;
  /** σ of the multiplicative noise, as a fraction of each weight. */
  multiplicative?: number;
}

/** One ADC per crossbar column. */
export interface AdcSettings {
  bits: number;
  /** Full scale: partial sums are clipped to [-clip, clip]. */
  clip: number;
}

/**
 * A standard normal sample from two uniform ones (Box-Muller).
 *
 * @example
 * const rand = mulberry32(1);
 * gaussian(rand); // e.g. -0.37
 */
export function gaussian(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: log(0) is avoided
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * A noisy copy of the weights (the input is not changed): w + σ_add·max|w|·ε₁ + σ_mul·w·ε₂. Same seed, same noise.
 *
 * @example
 * const noisy = addWeightNoise(w, { additive: 0.05 }, 7); // σ = 5% of the weight range
 */
export function addWeightNoise(w: Float32Array, noise: CimNoise, seed: number): Float32Array {
  const add = noise.additive ?? 0;
  const mul = noise.multiplicative ?? 0;
  if (!(add >= 0 && mul >= 0)) throw new RangeError(`weight noise must be >= 0, got additive ${add}, multiplicative ${mul}`);
  const out = Float32Array.from(w);
  if (add === 0 && mul === 0) return out;
  let range = 0;
  for (let i = 0; i < w.length; i++) range = Math.max(range, Math.abs(w[i]));
  const rand = mulberry32(seed);
  for (let i = 0; i < w.length; i++) {
    // Both draws always taken, so the additive noise of a seed is the same whatever the multiplicative σ.
    const e1 = gaussian(rand);
    const e2 = gaussian(rand);
    out[i] = w[i] + add * range * e1 + mul * w[i] * e2;
  }
  return out;
}

/**
 * Throws unless bits is a whole number in 1..24 and clip positive.
 *
 * @example
 * checkAdc({ bits: 0, clip: 1 }); // throws: ADC bits must be a whole number in 1..24, got 0
 */
export function checkAdc(adc: AdcSettings): void {
  if (!Number.isInteger(adc.bits) || adc.bits < 1 || adc.bits > 24) throw new RangeError(`ADC bits must be a whole number in 1..24, got ${adc.bits}`);
  if (!(adc.clip > 0) || !Number.isFinite(adc.clip)) throw new RangeError(`ADC clip must be a positive number, got ${adc.clip}`);
}

/**
 * One ADC conversion: the mid-rise level of `v` clipped to [-clip, clip] with 2^bits levels.
 *
 * @example
 * adcQuantize(0.3, 1, 1);  // 0.5: one bit keeps the sign, at clip / 2
 * adcQuantize(0.3, 2, 1);  // 0.25: levels ±0.25, ±0.75
 * adcQuantize(9, 2, 1);    // 0.75: clipped
 */
export function adcQuantize(v: number, bits: number, clip: number): number {
  const levels = 2 ** bits;
  const step = (2 * clip) / levels;
  const k = Math.min(levels - 1, Math.max(0, Math.floor((v + clip) / step)));
  return -clip + (k + 0.5) * step;
}

/**
 * Number of crossbar tiles of `rows` rows a product with K inputs needs.
 *
 * @example
 * tileCount(400, 128); // 4
 */
export function tileCount(K: number, rows: number): number {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`tile rows must be a positive whole number, got ${rows}`);
  return Math.ceil(K / rows);
}

/**
 * The partial sums of C = A·W per tile of `rows` rows of W: T = ceil(K / rows) matrices [M, N], tile t summing
 * k in [t·rows, (t+1)·rows). They add up to A·W. Returned as one Float32Array of T·M·N (tile-major).
 *
 * @example
 * const p = tilePartialSums(a, w, { M: 2, N: 3, K: 300 }, 128); // 3 tiles: 128 + 128 + 44 rows
 */
export function tilePartialSums(a: Float32Array, w: Float32Array, shape: GemmShape, rows: number): Float32Array {
  const { M, N, K } = shape;
  checkGemmShape(a, w, new Float32Array(M * N), shape);
  const T = tileCount(K, rows);
  const out = new Float32Array(T * M * N);
  const acc = new Float64Array(N);
  for (let t = 0; t < T; t++) {
    const k0 = t * rows;
    const k1 = Math.min(K, k0 + rows);
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = k0; k < k1; k++) {
        const av = a[i * K + k];
        const wRow = k * N;
        for (let j = 0; j < N; j++) acc[j] += av * w[wRow + j];
      }
      out.set(acc, (t * M + i) * N);
    }
  }
  return out;
}

export interface CimSettings {
  /** Crossbar rows per tile (default 128). */
  tileRows?: number;
  /** Digitise each tile's partial sums; absent: an ideal ADC. */
  adc?: AdcSettings;
  noise?: CimNoise;
  /** Seed of the weight noise (default 0). */
  seed?: number;
}

/**
 * C = A·W on simulated crossbars: noisy weights, per-tile partial sums, each digitised by the ADC, summed.
 * With no noise and no ADC it is A·W up to float rounding.
 *
 * @example
 * const c = cimMatmul(a, w, { M: 1, N: 120, K: 400 }, { tileRows: 128, adc: { bits: 6, clip: 8 }, noise: { additive: 0.02 }, seed: 1 });
 */
export function cimMatmul(a: Float32Array, w: Float32Array, shape: GemmShape, s: CimSettings = {}): Float32Array {
  const rows = s.tileRows ?? 128;
  if (s.adc) checkAdc(s.adc);
  const noisy = s.noise ? addWeightNoise(w, s.noise, s.seed ?? 0) : w;
  const partial = tilePartialSums(a, noisy, shape, rows);
  const MN = shape.M * shape.N;
  const out = new Float32Array(MN);
  const T = tileCount(shape.K, rows);
  for (let idx = 0; idx < MN; idx++) {
    let sum = 0;
    for (let t = 0; t < T; t++) {
      const p = partial[t * MN + idx];
      sum += s.adc ? adcQuantize(p, s.adc.bits, s.adc.clip) : p;
    }
    out[idx] = sum;
  }
  return out;
}
