/**
 * Low-precision floating-point formats simulated on float32 data: float16, bfloat16 and the two 8-bit
 * formats of the OCP FP8 specification (E4M3 and E5M2). Every function rounds to nearest, ties to even,
 * keeps subnormals and NaN, and returns a Float32Array holding the values the format actually stores.
 */

/** Description of a binary floating-point format with a sign bit. */
export interface FloatFormatSpec {
  name: string;
  exponentBits: number;
  mantissaBits: number;
  /** Exponent bias (2^(exponentBits-1) - 1 for every format here). */
  bias: number;
  /** 'ieee': the all-ones exponent encodes Inf/NaN. 'fn': finite-only (E4M3: only S.1111.111 is NaN). */
  kind: 'ieee' | 'fn';
}

export const FLOAT32: FloatFormatSpec = { name: 'float32', exponentBits: 8, mantissaBits: 23, bias: 127, kind: 'ieee' };
export const FLOAT16: FloatFormatSpec = { name: 'float16', exponentBits: 5, mantissaBits: 10, bias: 15, kind: 'ieee' };
export const BFLOAT16: FloatFormatSpec = { name: 'bfloat16', exponentBits: 8, mantissaBits: 7, bias: 127, kind: 'ieee' };
export const FP8_E4M3: FloatFormatSpec = { name: 'fp8-e4m3', exponentBits: 4, mantissaBits: 3, bias: 7, kind: 'fn' };
export const FP8_E5M2: FloatFormatSpec = { name: 'fp8-e5m2', exponentBits: 5, mantissaBits: 2, bias: 15, kind: 'ieee' };

export const FLOAT_FORMATS: Record<string, FloatFormatSpec> = {
  float32: FLOAT32,
  float16: FLOAT16,
  bfloat16: BFLOAT16,
  'fp8-e4m3': FP8_E4M3,
  'fp8-e5m2': FP8_E5M2,
};

/** Numbers that characterise a format (all exactly representable in float32). */
export interface FloatFormatInfo {
  name: string;
  bits: number;
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** Largest finite value. */
  max: number;
  /** Smallest positive normal value. */
  minNormal: number;
  /** Smallest positive subnormal value. */
  minSubnormal: number;
  /** Distance from 1 to the next larger value. */
  epsilon: number;
  hasInfinity: boolean;
}

const POW2 = new Float64Array(400);
for (let i = 0; i < 400; i++) POW2[i] = Math.pow(2, i - 200);
function pow2(k: number): number {
  return POW2[k + 200];
}

/**
 * Round half to even (banker's rounding) of a double, as C's nearbyint in the default mode.
 *
 * @example
 * roundHalfEven(2.5); // 2
 */
export function roundHalfEven(y: number): number {
  const r = Math.round(y);
  // Math.round rounds ties toward +Infinity; move the odd results of exact ties back down.
  if (r - y === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Largest exponent of a normal number. */
function emax(f: FloatFormatSpec): number {
  return f.kind === 'ieee' ? (1 << f.exponentBits) - 2 - f.bias : (1 << f.exponentBits) - 1 - f.bias;
}

/**
 * Range facts of a format: max, smallest normal / subnormal, epsilon.
 *
 * @example
 * floatFormatInfo(FLOAT16).max; // 65504
 * floatFormatInfo(FP8_E4M3).max; // 448
 */
export function floatFormatInfo(f: FloatFormatSpec): FloatFormatInfo {
  const e = emax(f);
  const m = f.mantissaBits;
  // E4M3 (fn): the top exponent keeps every mantissa pattern but the all-ones one (NaN).
  const topMantissa = f.kind === 'ieee' ? 2 - pow2(-m) : 2 - 2 * pow2(-m);
  const emin = 1 - f.bias;
  return {
    name: f.name,
    bits: 1 + f.exponentBits + m,
    exponentBits: f.exponentBits,
    mantissaBits: m,
    bias: f.bias,
    max: topMantissa * pow2(e),
    minNormal: pow2(emin),
    minSubnormal: pow2(emin - m),
    epsilon: pow2(-m),
    hasInfinity: f.kind === 'ieee',
  };
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Options of the FP8 conversions. */
export interface Fp8Options {
  /**
   * What happens to values beyond the largest finite value. false (default): E4M3 gives NaN (it has no
   * Infinity, as torch.float8_e4m3fn) and E5M2 gives ±Infinity; true: clamp to ±max (the OCP "saturating"
   * conversion). Infinity itself saturates to ±max too when true.
   */
  saturate?: boolean;
}

/**
 * Rounds every value of `x` to the nearest value of format `f` (ties to even, subnormals kept, NaN kept).
 * Overflow gives ±Infinity for IEEE-like formats and NaN for finite-only ones unless `saturate` is set.
 *
 * @example
 * roundToFormat(new Float32Array([1 / 3]), FLOAT16)[0]; // 0.333251953125
 */
export function roundToFormat(x: Float32Array, f: FloatFormatSpec, opts: Fp8Options = {}): Float32Array {
  if (!(x instanceof Float32Array)) throw new TypeError(`expected a Float32Array, got ${Object.prototype.toString.call(x)}`);
  const out = new Float32Array(x.length);
  if (f.exponentBits === 8 && f.mantissaBits === 23) {
    out.set(x);
    return out;
  }
  const info = floatFormatInfo(f);
  const emin = 1 - f.bias;
  const m = f.mantissaBits;
  const overflow = opts.saturate ? info.max : f.kind === 'ieee' ? Infinity : NaN;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) {
      out[i] = NaN;
      continue;
    }
    if (v === 0) {
      out[i] = v; // keeps the sign of zero
      continue;
    }
    const a = Math.abs(v);
    if (a === Infinity) {
      out[i] = opts.saturate ? Math.sign(v) * info.max : f.kind === 'ieee' ? v : NaN;
      continue;
    }
    F32[0] = a;
    const bexp = U32[0] >>> 23;
    const e = bexp === 0 ? -127 : bexp - 127; // float32 subnormals are below every target's normal range
    const q = (e < emin ? emin : e) - m; // exponent of one unit in the last place
    const r = roundHalfEven(a * pow2(-q)) * pow2(q);
    out[i] = r > info.max ? Math.sign(v) * overflow : v < 0 ? -r : r;
  }
  return out;
}

/**
 * IEEE half precision (binary16) rounding of float32 values, as PyTorch's `.half()`.
 *
 * @example
 * roundToFloat16(new Float32Array([65520, 1e-8, 0.1])); // [Infinity, 0, 0.0999755859375]
 */
export function roundToFloat16(x: Float32Array): Float32Array {
  return roundToFormat(x, FLOAT16);
}

/**
 * bfloat16 rounding (the top 16 bits of float32, round to nearest even), as PyTorch's `.bfloat16()`.
 *
 * @example
 * roundToBFloat16(new Float32Array([1.00390625]))[0]; // 1 (a tie, rounded to the even pattern)
 */
export function roundToBFloat16(x: Float32Array): Float32Array {
  return roundToFormat(x, BFLOAT16);
}

/**
 * FP8 E4M3 (OCP, finite-only: max 448, no Infinity), as torch.float8_e4m3fn: overflow gives NaN unless
 * `saturate` clamps to ±448.
 *
 * @example
 * roundToFp8E4M3(new Float32Array([0.3, 500]), { saturate: true }); // [0.3125, 448]
 */
export function roundToFp8E4M3(x: Float32Array, opts: Fp8Options = {}): Float32Array {
  return roundToFormat(x, FP8_E4M3, opts);
}

/**
 * FP8 E5M2 (OCP, IEEE-like: max 57344, ±Infinity), as torch.float8_e5m2.
 *
 * @example
 * roundToFp8E5M2(new Float32Array([0.3]))[0]; // 0.3125
 */
export function roundToFp8E5M2(x: Float32Array, opts: Fp8Options = {}): Float32Array {
  return roundToFormat(x, FP8_E5M2, opts);
}

/**
 * The bit pattern of each value of `x` in format `f` after rounding (sign, exponent, mantissa packed into
 * an unsigned integer of 1+E+M bits). NaN encodes as PyTorch does: float16 0x7E00 (sign kept), bfloat16
 * 0x7FC0, E4M3 0x7F (sign kept), E5M2 0x7E (sign kept).
 *
 * @example
 * encodeFloat(new Float32Array([1]), FLOAT16)[0]; // 0x3c00
 */
export function encodeFloat(x: Float32Array, f: FloatFormatSpec, opts: Fp8Options = {}): Uint32Array {
  const r = roundToFormat(x, f, opts);
  const out = new Uint32Array(r.length);
  const m = f.mantissaBits;
  const eb = f.exponentBits;
  const signShift = eb + m;
  const emin = 1 - f.bias;
  const allOnes = (1 << eb) - 1;
  for (let i = 0; i < r.length; i++) {
    const v = r[i];
    F32[0] = v;
    const sign = U32[0] >>> 31;
    if (f === FLOAT32 || (eb === 8 && m === 23)) {
      out[i] = U32[0];
      continue;
    }
    let body: number;
    if (v !== v) {
      if (f === BFLOAT16) {
        out[i] = 0x7fc0;
        continue;
      }
      body = f.kind === 'fn' ? (allOnes << m) | ((1 << m) - 1) : (allOnes << m) | (1 << (m - 1));
    } else if (v === 0) {
      body = 0;
    } else if (!Number.isFinite(v)) {
      body = allOnes << m;
    } else {
      const a = Math.abs(v);
      const bexp = U32[0] >>> 23 & 0xff;
      const e = bexp === 0 ? -127 : bexp - 127;
      if (e < emin) {
        body = a * pow2(m - emin); // subnormal: exponent field 0
      } else {
        const frac = a * pow2(-e) - 1;
        body = ((e + f.bias) << m) | (frac * pow2(m));
      }
    }
    out[i] = ((sign << signShift) | body) >>> 0;
  }
  return out;
}

/**
 * Value of bit patterns of format `f` (the inverse of `encodeFloat`).
 *
 * @example
 * decodeFloat(new Uint32Array([0x7bff]), FLOAT16)[0]; // 65504
 */
export function decodeFloat(bits: ArrayLike<number>, f: FloatFormatSpec): Float32Array {
  const out = new Float32Array(bits.length);
  const m = f.mantissaBits;
  const eb = f.exponentBits;
  const allOnes = (1 << eb) - 1;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i] >>> 0;
    if (eb === 8 && m === 23) {
      U32[0] = b;
      out[i] = F32[0];
      continue;
    }
    const sign = (b >>> (eb + m)) & 1 ? -1 : 1;
    const ef = (b >>> m) & allOnes;
    const mf = b & ((1 << m) - 1);
    let v: number;
    if (f.kind === 'ieee' && ef === allOnes) v = mf === 0 ? Infinity : NaN;
    else if (f.kind === 'fn' && ef === allOnes && mf === (1 << m) - 1) v = NaN;
    else if (ef === 0) v = mf * pow2(1 - f.bias - m);
    else v = (1 + mf * pow2(-m)) * pow2(ef - f.bias);
    out[i] = sign * v;
  }
  return out;
}

/**
 * float16 bit patterns of `x` after `.half()` rounding (the int16 view PyTorch gives, as unsigned).
 *
 * @example
 * float16Bits(new Float32Array([-2]))[0]; // 0xc000
 */
export function float16Bits(x: Float32Array): Uint16Array {
  return Uint16Array.from(encodeFloat(x, FLOAT16));
}

/**
 * bfloat16 bit patterns of `x` after `.bfloat16()` rounding.
 *
 * @example
 * bfloat16Bits(new Float32Array([1]))[0]; // 0x3f80
 */
export function bfloat16Bits(x: Float32Array): Uint16Array {
  return Uint16Array.from(encodeFloat(x, BFLOAT16));
}

/**
 * Looks a format up by name ('float32', 'float16', 'bfloat16', 'fp8-e4m3', 'fp8-e5m2').
 *
 * @example
 * floatFormat('bfloat16').mantissaBits; // 7
 */
export function floatFormat(name: string): FloatFormatSpec {
  const f = FLOAT_FORMATS[name];
  if (!f) throw new Error(`unknown float format '${name}'; use one of ${Object.keys(FLOAT_FORMATS).join(', ')}`);
  return f;
}
