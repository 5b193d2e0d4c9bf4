/**
 * Stochastic rounding: round up with probability equal to the fractional part, so the rounding is
 * unbiased on average (E[round(x)] = x). Seeded for reproducibility.
 */
import { affineCheck } from './affine';
import { QParams } from './qparams';
import { mulberry32 } from '../util/random';

/**
 * Rounds each value down or up at random: floor(x + u), u ~ U[0, 1).
 *
 * @example
 * stochasticRound(new Float32Array([0.25, 0.25, 0.25, 0.25]), 1); // mostly 0s, some 1s; mean ≈ 0.25
 */
export function stochasticRound(x: ArrayLike<number>, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from(x as ArrayLike<number>, (v) => Math.floor(v + r()));
}

/**
 * `quantize` with stochastic instead of nearest rounding: q = clamp(zp + floor(x/scale + u)).
 *
 * @example
 * const q = quantizeStochastic(w, shape, qp, 42);
 */
export function quantizeStochastic(x: Float32Array, shape: number[], qp: QParams, seed: number): Int32Array {
  const layout = affineCheck(x.length, shape, qp);
  const r = mulberry32(seed);
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = layout.index(i);
    const v = x[i];
    if (v !== v) throw new RangeError(`cannot quantize NaN (index ${i})`);
    const q = qp.zeroPoint[k] + Math.floor(Math.fround(v * Math.fround(1 / qp.scale[k])) + r());
    out[i] = q < qp.qmin ? qp.qmin : q > qp.qmax ? qp.qmax : q;
  }
  return out;
}
