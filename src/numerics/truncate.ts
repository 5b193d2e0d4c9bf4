/**
 * The BitOptimizer4ML study: how many bits of a float32 weight does a network need? `truncateFloat32`
 * keeps the top bits of the IEEE-754 pattern (sign, the 8 exponent bits, then keepBits-9 mantissa bits)
 * and zeroes the rest; `zeroBelow` sets small-magnitude weights to exactly zero.
 */

/**
 * Keeps the top `keepBits` bits (9..32) of each float32 bit pattern and zeroes the others (truncation,
 * i.e. rounding toward zero in magnitude). Zero stays zero; NaN stays NaN (a NaN whose kept mantissa bits
 * would all be zero is not turned into Infinity).
 *
 * @example
 * truncateFloat32(new Float32Array([Math.PI]), 9)[0];  // 2 (sign + exponent only)
 * truncateFloat32(new Float32Array([Math.PI]), 16)[0]; // 3.140625 (bfloat16-like, truncated)
 */
export function truncateFloat32(x: Float32Array, keepBits: number): Float32Array {
  if (!(x instanceof Float32Array)) throw new TypeError(`expected a Float32Array, got ${Object.prototype.toString.call(x)}`);
  if (!Number.isInteger(keepBits) || keepBits < 9 || keepBits > 32) {
    throw new RangeError(
      `keepBits must be a whole number from 9 (sign + 8 exponent bits) to 32 (unchanged), got ${keepBits}`,
    );
  }
  const out = new Float32Array(x);
  if (keepBits === 32) return out;
  const bits = new Uint32Array(out.buffer);
  const mask = (0xffffffff << (32 - keepBits)) >>> 0;
  for (let i = 0; i < bits.length; i++) {
    const v = out[i];
    bits[i] = (bits[i] & mask) >>> 0;
    if (v !== v) out[i] = NaN;
  }
  return out;
}

/**
 * Sets every value with |v| < threshold to exactly zero (the zero-threshold half of the study); returns
 * the new array and the fraction zeroed.
 *
 * @example
 * zeroBelow(new Float32Array([0.005, -0.2]), 0.01); // { values: [0, -0.2], zeroFraction: 0.5 }
 */
export function zeroBelow(x: Float32Array, threshold: number): { values: Float32Array; zeroFraction: number } {
  if (!(threshold >= 0) || !Number.isFinite(threshold)) throw new RangeError(`threshold must be a finite number >= 0, got ${threshold}`);
  const values = new Float32Array(x.length);
  let zeros = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Math.abs(v) < threshold || v === 0) {
      values[i] = 0;
      zeros++;
    } else values[i] = v;
  }
  return { values, zeroFraction: x.length ? zeros / x.length : 0 };
}

/**
 * Storage in bytes of `count` weights at `bitsPerWeight` bits, optionally with zeros stored for free
 * (a sparse encoding that only counts the non-zeros, ignoring index overhead).
 *
 * @example
 * truncatedSizeBytes(1000, 16); // 2000
 */
export function truncatedSizeBytes(count: number, bitsPerWeight: number, nonZeroFraction = 1): number {
  return Math.ceil((count * nonZeroFraction * bitsPerWeight) / 8);
}
