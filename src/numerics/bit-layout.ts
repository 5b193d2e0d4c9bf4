/**
 * Bit-layout breakdown of a value in a float format (sign / exponent / mantissa strings plus the value the
 * format stores), the data of the bit-layout figure.
 */
import type { BitLayoutEntry } from '../viz/payloads';
import { encodeFloat, decodeFloat, floatFormat, FloatFormatSpec } from './floats';

/**
 * Splits `value`, rounded to `format`, into its sign, exponent and mantissa bit strings.
 *
 * @example
 * bitLayout(0.1, 'bfloat16');
 * // { value: 0.1, format: 'bfloat16', sign: '0', exponent: '01111011', mantissa: '1001101', stored: 0.10009765625 }
 */
export function bitLayout(value: number, format: string | FloatFormatSpec = 'float32'): BitLayoutEntry {
  const f = typeof format === 'string' ? floatFormat(format) : format;
  const bits = encodeFloat(new Float32Array([value]), f)[0];
  const total = 1 + f.exponentBits + f.mantissaBits;
  const s = bits.toString(2).padStart(total, '0');
  return {
    value,
    format: f.name,
    sign: s.slice(0, 1),
    exponent: s.slice(1, 1 + f.exponentBits),
    mantissa: s.slice(1 + f.exponentBits),
    stored: decodeFloat([bits], f)[0],
  };
}

/**
 * The layout of one value in several formats (default: float32, float16, bfloat16, E4M3, E5M2).
 *
 * @example
 * bitLayouts(Math.PI).map((e) => e.stored); // [3.1415927, 3.140625, 3.140625, 3.25, 3]
 */
export function bitLayouts(value: number, formats: string[] = ['float32', 'float16', 'bfloat16', 'fp8-e4m3', 'fp8-e5m2']): BitLayoutEntry[] {
  return formats.map((f) => bitLayout(value, f));
}
