/**
 * Weight-only per-group quantization of a row-major [out, in] weight matrix: each row is cut into groups of
 * `groupSize` consecutive input columns, and each group has its own scale (and zero point), as in the int4 /
 * int8 weight-only schemes of LLM toolkits (group sizes 32-128).
 *
 * Codes are unsigned, 0 .. 2^bits - 1, with dequantized value scale * (code - zero):
 * - symmetric: scale = amax / (2^(bits-1) - 1), zero = 2^(bits-1) (codes centred, 0 exact);
 * - asymmetric: range [min(0, min), max(0, max)], scale = range / (2^bits - 1), zero = round(-min / scale).
 * Rounding is to nearest, ties to even (torch.round).
 */
import { roundHalfEven } from '../numerics/floats';
import { packCodes } from './mx';

/** Options of {@link groupQuantize}. */
export interface GroupQuantOptions {
  /** Bits per weight (4 or 8 typically; 2..8). */
  bits: number;
  /** Input columns per group; a group never crosses a row. Default 128 (or the row length if shorter). */
  groupSize?: number;
  /** Symmetric (default) or asymmetric (zero point per group). */
  symmetric?: boolean;
}

/** Scale and zero point of one group. */
export interface GroupParams {
  scale: number;
  zero: number;
}

/** A group-quantized [rows, cols] matrix. */
export interface GroupQuantized {
  rows: number;
  cols: number;
  bits: number;
  groupSize: number;
  symmetric: boolean;
  /** Unsigned codes, row-major, one per weight. */
  codes: Uint8Array;
  /** Scales, [rows, groups per row]. */
  scales: Float32Array;
  /** Zero points, [rows, groups per row] (2^(bits-1) everywhere when symmetric). */
  zeros: Uint8Array;
}

/** Largest code of `bits` bits. */
export function maxCode(bits: number): number {
  return 2 ** bits - 1;
}

/**
 * Scale and zero point of one group of values.
 *
 * @example
 * groupParams([-1, 0.5, 2], 4, false); // { scale: 0.2, zero: 5 }
 * groupParams([-1, 0.5, 2], 4, true); // { scale: 2 / 7, zero: 8 }
 */
export function groupParams(values: ArrayLike<number>, bits: number, symmetric: boolean): GroupParams {
  if (!(bits >= 2 && bits <= 8 && Number.isInteger(bits))) throw new Error(`groupParams: bits must be an integer in 2..8, got ${bits}`);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  if (symmetric) {
    const amax = Math.max(-lo, hi);
    return { scale: amax === 0 ? 1 : amax / (2 ** (bits - 1) - 1), zero: 2 ** (bits - 1) };
  }
  if (lo === hi) {
    lo = -1;
    hi = 1;
  }
  const scale = (hi - lo) / maxCode(bits);
  return { scale, zero: roundHalfEven(-lo / scale) + 0 };
}

/**
 * Code of one value: clamp(round(x / scale) + zero, 0, 2^bits - 1).
 *
 * @example
 * quantizeToCode(1.1, { scale: 0.5, zero: 8 }, 4); // 10
 */
export function quantizeToCode(x: number, p: GroupParams, bits: number): number {
  return Math.max(0, Math.min(maxCode(bits), roundHalfEven(x / p.scale) + p.zero));
}

/**
 * Round-to-nearest value of one weight: scale * (code - zero).
 *
 * @example
 * fakeQuantizeValue(1.1, { scale: 0.5, zero: 8 }, 4); // 1
 */
export function fakeQuantizeValue(x: number, p: GroupParams, bits: number): number {
  return p.scale * (quantizeToCode(x, p, bits) - p.zero);
}

/** Groups per row and the group size actually used. */
export function groupLayout(cols: number, groupSize = 128): { groupSize: number; groups: number } {
  const g = Math.min(groupSize, cols);
  if (!(g > 0)) throw new Error(`groupLayout: group size must be positive, got ${groupSize}`);
  return { groupSize: g, groups: Math.ceil(cols / g) };
}

/**
 * Round-to-nearest per-group quantization of a row-major [rows, cols] weight matrix.
 *
 * @example
 * const q = groupQuantize(w, 64, 256, { bits: 4, groupSize: 128 });
 * q.scales.length; // 64 * 2
 * const wq = groupDequantize(q);
 */
export function groupQuantize(w: ArrayLike<number>, rows: number, cols: number, opts: GroupQuantOptions): GroupQuantized {
  if (w.length !== rows * cols) throw new Error(`groupQuantize: ${w.length} values for a [${rows}, ${cols}] matrix`);
  const symmetric = opts.symmetric ?? true;
  const { groupSize, groups } = groupLayout(cols, opts.groupSize);
  const codes = new Uint8Array(rows * cols);
  const scales = new Float32Array(rows * groups);
  const zeros = new Uint8Array(rows * groups);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groups; g++) {
      const start = r * cols + g * groupSize;
      const end = Math.min(start + groupSize, (r + 1) * cols);
      const slice = Array.prototype.slice.call(w, start, end) as number[];
      const p = groupParams(slice, opts.bits, symmetric);
      // the stored (float32) scale is the one used, so dequantize reproduces these codes' values
      const stored = { scale: Math.fround(p.scale), zero: p.zero };
      scales[r * groups + g] = stored.scale;
      zeros[r * groups + g] = p.zero;
      for (let i = start; i < end; i++) codes[i] = quantizeToCode(w[i], stored, opts.bits);
    }
  }
  return { rows, cols, bits: opts.bits, groupSize, symmetric, codes, scales, zeros };
}

/**
 * Dequantize a group-quantized matrix to float32: scale * (code - zero) per weight.
 *
 * @example
 * const wq = groupDequantize(groupQuantize(w, rows, cols, { bits: 8, groupSize: 32, symmetric: false }));
 */
export function groupDequantize(q: GroupQuantized): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  const groups = Math.ceil(q.cols / q.groupSize);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) {
      const g = r * groups + Math.floor(c / q.groupSize);
      out[r * q.cols + c] = q.scales[g] * (q.codes[r * q.cols + c] - q.zeros[g]);
    }
  }
  return out;
}

/**
 * Storage of a group-quantized matrix: codes packed at `bits` bits, one scale per group (`scaleBytes`,
 * default 4: float32 as held here; 2 for a float16 checkpoint), and the zero points packed at `bits` bits
 * when asymmetric (a symmetric matrix needs none).
 *
 * @example
 * groupPackedBytes(groupQuantize(w, 64, 256, { bits: 4, groupSize: 128 })); // 8192 + 128 * 4 = 8704
 */
export function groupPackedBytes(q: GroupQuantized, scaleBytes = 4): number {
  const codes = Math.ceil((q.rows * q.cols * q.bits) / 8);
  const nGroups = q.scales.length;
  const zeros = q.symmetric ? 0 : Math.ceil((nGroups * q.bits) / 8);
  return codes + nGroups * scaleBytes + zeros;
}

/**
 * The packed bytes themselves: codes at `bits` bits (little-endian, as {@link packCodes}), then the zero
 * points when asymmetric; scales are kept as the Float32Array of the quantized matrix.
 *
 * @example
 * groupPackCodes(q).length; // ceil(rows * cols * bits / 8) (+ zero points)
 */
export function groupPackCodes(q: GroupQuantized): Uint8Array {
  const codes = packCodes(q.codes, q.bits);
  if (q.symmetric) return codes;
  const zeros = packCodes(q.zeros, q.bits);
  const out = new Uint8Array(codes.length + zeros.length);
  out.set(codes, 0);
  out.set(zeros, codes.length);
  return out;
}
