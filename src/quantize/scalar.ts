/**
 * Scalar arithmetic of uniform affine quantization, written to match PyTorch's CPU kernels bit for bit:
 * q = clamp(zp + rint(x * float32(1 / scale))), x' = float32((q - zp) * scale), rint = round half to even.
 */

/** float32 machine epsilon, PyTorch's lower bound for scales. */
export const FLOAT32_EPS = 1.1920928955078125e-7;

const fround = Math.fround;

/**
 * Round half to even (C's nearbyint in the default rounding mode).
 *
 * @example
 * rint(2.5); // 2
 * rint(3.5); // 4
 */
export function rint(y: number): number {
  const r = Math.round(y);
  if (r - y === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/**
 * Quantizes one value: clamp(zeroPoint + rint(float32(x * invScale)), qmin, qmax) where invScale is
 * float32(1 / scale), as PyTorch's quantize_val.
 *
 * @example
 * quantizeValue(0.5, Math.fround(1 / 0.1), 0, -128, 127); // 5
 */
export function quantizeValue(x: number, invScale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = zeroPoint + rint(fround(x * invScale));
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * Scale and zero point from a float range, exactly as PyTorch's observers (`_calculate_qparams`): the range
 * is widened to include 0; float32 arithmetic; scale >= float32 eps; asymmetric zero points are rounded half
 * to even and clamped to [qmin, qmax]; symmetric zero point 0 (signed) or the mid-point (unsigned: 128 for
 * the default 8-bit range as torch.quint8, else floor((qmin + qmax) / 2)).
 *
 * @example
 * qparamsFromRange(-1, 3, 0, 255, false); // { scale: 0.015686275, zeroPoint: 64 }
 */
export function qparamsFromRange(
  min: number,
  max: number,
  qmin: number,
  qmax: number,
  symmetric: boolean,
  signed = qmin < 0,
  defaultRange = false,
): { scale: number; zeroPoint: number } {
  const lo = fround(Math.min(min, 0));
  const hi = fround(Math.max(max, 0));
  if (symmetric) {
    const m = Math.max(-lo, hi);
    const scale = Math.max(fround(m / ((qmax - qmin) / 2)), FLOAT32_EPS);
    const zeroPoint = signed ? 0 : defaultRange ? 128 : Math.floor((qmin + qmax) / 2);
    return { scale, zeroPoint };
  }
  const scale = Math.max(fround(fround(hi - lo) / (qmax - qmin)), FLOAT32_EPS);
  let zeroPoint = qmin - rint(fround(lo / scale));
  zeroPoint = Math.min(qmax, Math.max(qmin, zeroPoint));
  return { scale, zeroPoint };
}
