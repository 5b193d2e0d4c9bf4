/**
 * Microscaling (MX) block formats of the OCP Microscaling Formats specification v1.0: MXFP8 (E4M3, E5M2),
 * MXFP6 (E3M2, E2M3), MXFP4 (E2M1) and MXINT8. A block of k = 32 elements shares one E8M0 scale (a power
 * of two, 2^(code - 127), code 0xFF = NaN); each element is stored in its own narrow format.
 *
 * Conversion follows the spec's algorithm: shared exponent = floor(log2(amax)) - emax of the element type,
 * clamped to the E8M0 range [-127, 127]; each element V/X is rounded to nearest, ties to even, and a normal
 * value above the element's largest normal is clamped (saturated) to it. A block holding a NaN or an
 * infinity gets the NaN scale, and the whole block decodes to NaN.
 */
import { roundHalfEven } from '../numerics/floats';

/** The element types of the MX formats. */
export type MxElement = 'fp8_e4m3' | 'fp8_e5m2' | 'fp6_e3m2' | 'fp6_e2m3' | 'fp4_e2m1' | 'int8';

/** Bit layout and range of one MX element type. */
export interface MxElementFormat {
  name: MxElement;
  /** Bits per element (8, 6 or 4). */
  bits: number;
  /** Exponent and mantissa field widths (0 / 7 for int8, which is two's complement). */
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** Exponent of the largest normal number: the shared scale is floor(log2(amax)) - emax. */
  emax: number;
  /** Largest finite magnitude. */
  maxNormal: number;
  /** Whether the type encodes infinities (E5M2 only) and NaN (E4M3 and E5M2). */
  hasInf: boolean;
  hasNaN: boolean;
}

function fp(name: MxElement, e: number, m: number, bias: number, emax: number, maxMantissa: number, hasInf: boolean, hasNaN: boolean): MxElementFormat {
  return { name, bits: 1 + e + m, exponentBits: e, mantissaBits: m, bias, emax, maxNormal: 2 ** emax * (1 + maxMantissa / 2 ** m), hasInf, hasNaN };
}

/** The six element types of the spec (table "Format names and parameters"). */
export const MX_FORMATS: Record<MxElement, MxElementFormat> = {
  // E4M3: exponent field 1111 is still normal; only S.1111.111 is NaN, so the largest mantissa is 110.
  fp8_e4m3: fp('fp8_e4m3', 4, 3, 7, 8, 6, false, true),
  // E5M2: IEEE-like, exponent 11111 holds Inf (mantissa 00) and NaN.
  fp8_e5m2: fp('fp8_e5m2', 5, 2, 15, 15, 3, true, true),
  fp6_e3m2: fp('fp6_e3m2', 3, 2, 3, 4, 3, false, false),
  fp6_e2m3: fp('fp6_e2m3', 2, 3, 1, 2, 7, false, false),
  fp4_e2m1: fp('fp4_e2m1', 2, 1, 1, 2, 1, false, false),
  // MXINT8: two's complement with an implicit scale of 2^-6 (values -2 .. 1 63/64); emax 0.
  int8: { name: 'int8', bits: 8, exponentBits: 0, mantissaBits: 6, bias: 0, emax: 0, maxNormal: 127 / 64, hasInf: false, hasNaN: false },
};

/** The spec's block size. */
export const MX_BLOCK_SIZE = 32;

/** E8M0 NaN code. */
export const E8M0_NAN = 0xff;

/**
 * E8M0 code of a power-of-two exponent (bias 127, codes 0..254; NaN for exponents outside [-127, 127]).
 *
 * @example
 * encodeE8M0(0); // 127 (scale 1)
 * encodeE8M0(-127); // 0
 */
export function encodeE8M0(exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < -127 || exponent > 127) return E8M0_NAN;
  return exponent + 127;
}

/**
 * Value of an E8M0 code: 2^(code - 127), NaN for 0xFF.
 *
 * @example
 * decodeE8M0(130); // 8
 */
export function decodeE8M0(code: number): number {
  return code === E8M0_NAN ? NaN : 2 ** (code - 127);
}

function formatOf(f: MxElement | MxElementFormat): MxElementFormat {
  return typeof f === 'string' ? MX_FORMATS[f] : f;
}

/**
 * Code of one (already scaled) element: round to nearest even, saturate to the largest normal. NaN maps to
 * the NaN code where the type has one (E4M3 S.1111.111, E5M2 S.11111.10), infinities to E5M2's Inf; in the
 * types without NaN/Inf the caller handles them with the block's NaN scale (here: NaN gives 0, Inf saturates).
 *
 * @example
 * encodeMxElement(448, 'fp8_e4m3'); // 0x7e
 * encodeMxElement(5, 'fp4_e2m1'); // 0b0110 (4: the tie 5 rounds to the even mantissa)
 * encodeMxElement(1000, 'fp8_e4m3'); // 0x7e (saturated to 448)
 */
export function encodeMxElement(x: number, format: MxElement | MxElementFormat): number {
  const f = formatOf(format);
  const signBit = 1 << (f.bits - 1);
  if (f.name === 'int8') {
    if (Number.isNaN(x)) return 0;
    // symmetric range -127..127 (the spec allows an implementation to leave -2 unused)
    const q = Math.max(-127, Math.min(127, roundHalfEven(x * 64)));
    return q & 0xff;
  }
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  if (Number.isNaN(x)) return f.hasNaN ? (f.name === 'fp8_e4m3' ? 0x7f : 0x7e) : 0;
  const a = Math.abs(x);
  const m = f.mantissaBits;
  const maxField = (1 << f.exponentBits) - 1;
  const maxCode = f.name === 'fp8_e4m3' ? (maxField << m) | ((1 << m) - 2) : f.hasInf ? ((maxField - 1) << m) | ((1 << m) - 1) : (maxField << m) | ((1 << m) - 1);
  if (a === Infinity && f.hasInf) return sign | (maxField << m);
  if (a >= f.maxNormal) return sign | maxCode;
  const emin = 1 - f.bias;
  const e = Math.max(emin, Math.floor(Math.log2(a)));
  const quantum = 2 ** (e - m);
  const q = roundHalfEven(a / quantum) * quantum;
  if (q >= f.maxNormal) return sign | maxCode;
  if (q === 0) return sign;
  if (q < 2 ** emin) return sign | (q / 2 ** (emin - m));
  const eq = Math.floor(Math.log2(q));
  return sign | ((eq + f.bias) << m) | (q / 2 ** (eq - m) - (1 << m));
}

/**
 * Value of one element code (before the block scale).
 *
 * @example
 * decodeMxElement(0x7e, 'fp8_e4m3'); // 448
 * decodeMxElement(0x7b, 'fp8_e5m2'); // 57344
 * decodeMxElement(0b0111, 'fp4_e2m1'); // 6
 */
export function decodeMxElement(code: number, format: MxElement | MxElementFormat): number {
  const f = formatOf(format);
  if (f.name === 'int8') return ((code << 24) >> 24) / 64;
  const m = f.mantissaBits;
  const signBit = 1 << (f.bits - 1);
  const s = code & signBit ? -1 : 1;
  const ef = (code >> m) & ((1 << f.exponentBits) - 1);
  const mf = code & ((1 << m) - 1);
  const maxField = (1 << f.exponentBits) - 1;
  if (f.name === 'fp8_e4m3' && ef === maxField && mf === (1 << m) - 1) return NaN;
  if (f.hasInf && ef === maxField) return mf === 0 ? s * Infinity : NaN;
  if (ef === 0) return s * mf * 2 ** (1 - f.bias - m);
  return s * (1 + mf / 2 ** m) * 2 ** (ef - f.bias);
}

/**
 * Shared exponent of a block: floor(log2(amax)) - emax, clamped below to -127 (an all-zero block gets
 * -127); NaN when the block holds a NaN or an infinity (or the exponent would pass 127).
 *
 * @example
 * mxSharedExponent([1, -3, 0.5], 'fp4_e2m1'); // floor(log2 3) - 2 = -1
 */
export function mxSharedExponent(block: ArrayLike<number>, format: MxElement | MxElementFormat): number {
  const f = formatOf(format);
  let amax = 0;
  for (let i = 0; i < block.length; i++) {
    const v = Math.abs(block[i]);
    if (!Number.isFinite(v)) return NaN;
    if (v > amax) amax = v;
  }
  if (amax === 0) return -127;
  const e = Math.floor(Math.log2(amax)) - f.emax;
  if (e > 127) return NaN;
  return Math.max(-127, e);
}

/** An MX-encoded vector: one E8M0 scale per block and one element code per value. */
export interface MxTensor {
  format: MxElement;
  length: number;
  blockSize: number;
  /** Values per row (blocks never cross a row; the last block of a row may be shorter). */
  rowLength: number;
  /** E8M0 codes, one per block, in row order. */
  scales: Uint8Array;
  /** Element codes (the low `bits` bits of each byte), one per value. */
  codes: Uint8Array;
}

/** Options of {@link mxQuantize}. */
export interface MxOptions {
  /** Elements per block (32 in the spec). */
  blockSize?: number;
  /** Row length of a row-major matrix: blocks run along rows (the input dim of [out, in] weights). */
  rowLength?: number;
}

/**
 * Encode a vector (or a row-major matrix, blocks along rows) into an MX format.
 *
 * @example
 * const t = mxQuantize(new Float32Array([0.1, -2.5, 3]), 'fp4_e2m1');
 * t.scales[0]; // 126 (2^-1: floor(log2 3) - 2)
 * mxDequantize(t); // [0, -2, 3] (-2.5 / 0.5 = -5 is a tie: rounds to the even 4)
 */
export function mxQuantize(x: ArrayLike<number>, format: MxElement, opts: MxOptions = {}): MxTensor {
  const f = MX_FORMATS[format];
  const k = opts.blockSize ?? MX_BLOCK_SIZE;
  const rowLength = opts.rowLength ?? x.length;
  if (rowLength <= 0 || x.length % rowLength !== 0) throw new Error(`mxQuantize: length ${x.length} is not a multiple of the row length ${rowLength}`);
  const rows = x.length / rowLength;
  const perRow = Math.ceil(rowLength / k);
  const scales = new Uint8Array(rows * perRow);
  const codes = new Uint8Array(x.length);
  const block: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < perRow; b++) {
      const start = r * rowLength + b * k;
      const end = Math.min(start + k, (r + 1) * rowLength);
      block.length = 0;
      for (let i = start; i < end; i++) block.push(x[i]);
      const e = mxSharedExponent(block, f);
      if (Number.isNaN(e)) {
        scales[r * perRow + b] = E8M0_NAN;
        continue; // codes stay 0: the NaN scale makes every element NaN
      }
      scales[r * perRow + b] = encodeE8M0(e);
      const inv = 2 ** -e;
      for (let i = start; i < end; i++) codes[i] = encodeMxElement(x[i] * inv, f);
    }
  }
  return { format, length: x.length, blockSize: k, rowLength, scales, codes };
}

/**
 * Decode an MX tensor: element value times its block's scale.
 *
 * @example
 * mxDequantize(mxQuantize(new Float32Array([1, 2, 4]), 'fp8_e4m3')); // [1, 2, 4]
 */
export function mxDequantize(t: MxTensor): Float32Array {
  const f = MX_FORMATS[t.format];
  const out = new Float32Array(t.length);
  const perRow = Math.ceil(t.rowLength / t.blockSize);
  for (let i = 0; i < t.length; i++) {
    const r = Math.floor(i / t.rowLength);
    const b = Math.floor((i % t.rowLength) / t.blockSize);
    out[i] = decodeMxElement(t.codes[i], f) * decodeE8M0(t.scales[r * perRow + b]);
  }
  return out;
}

/**
 * Pack codes of `bits` bits (4, 6 or 8) densely, little-endian: code i occupies bits [i*bits, (i+1)*bits)
 * of the byte stream, lowest bit first (so FP4 puts element 0 in the low nibble).
 *
 * @example
 * packCodes(new Uint8Array([0x1, 0x2]), 4); // Uint8Array [0x21]
 */
export function packCodes(codes: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  const mask = (1 << bits) - 1;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] & mask;
    for (let j = 0; j < bits; j++) {
      if ((c >> j) & 1) {
        const p = i * bits + j;
        out[p >> 3] |= 1 << (p & 7);
      }
    }
  }
  return out;
}

/**
 * Inverse of {@link packCodes}: `n` codes of `bits` bits.
 *
 * @example
 * unpackCodes(new Uint8Array([0x21]), 4, 2); // Uint8Array [1, 2]
 */
export function unpackCodes(bytes: Uint8Array, bits: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let j = 0; j < bits; j++) {
      const p = i * bits + j;
      if ((bytes[p >> 3] >> (p & 7)) & 1) c |= 1 << j;
    }
    out[i] = c;
  }
  return out;
}

/**
 * Storage of an MX tensor as bytes: the E8M0 scales, then the densely packed element codes.
 *
 * @example
 * mxBytes(mxQuantize(new Float32Array(64), 'fp4_e2m1')).length; // 2 scales + 32 bytes = 34
 */
export function mxBytes(t: MxTensor): Uint8Array {
  const packed = packCodes(t.codes, MX_FORMATS[t.format].bits);
  const out = new Uint8Array(t.scales.length + packed.length);
  out.set(t.scales, 0);
  out.set(packed, t.scales.length);
  return out;
}

/**
 * Bits per value of an MX format including the shared scale: bits + 8 / blockSize (4.25 for MXFP4).
 *
 * @example
 * mxBitsPerValue('fp4_e2m1'); // 4.25
 */
export function mxBitsPerValue(format: MxElement, blockSize = MX_BLOCK_SIZE): number {
  return MX_FORMATS[format].bits + 8 / blockSize;
}
