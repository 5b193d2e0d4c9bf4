/**
 * Uniform affine quantization parameters (scale, zero point) following PyTorch's observers, so results
 * cross-check exactly against torch: the range always includes 0, scale is computed in float32 and clamped
 * below by float32 epsilon, zero points are rounded half to even and clamped to [qmin, qmax].
 */
import { clipRange, RangeMethod } from './ranges';
import { qparamsFromRange } from './scalar';

/** Options of `computeQParams`. */
export interface QParamsOptions {
  /** Bit width, 2..16. */
  bits: number;
  /** Symmetric (zero maps to 0 or the mid-point) or asymmetric (min/max map to qmin/qmax). */
  symmetric: boolean;
  /** Signed integers [-2^(b-1), 2^(b-1)-1] or unsigned [0, 2^b-1]. */
  signed: boolean;
  /** Per-channel: the axis whose entries each get their own scale / zero point. */
  axis?: number;
  /** Drop the most negative level: signed [-(2^(b-1)-1), 2^(b-1)-1], unsigned [1, 2^b-1]. */
  narrowRange?: boolean;
  /** How the clipping range is chosen (default 'minmax'). */
  method?: RangeMethod;
  /** For 'percentile': the upper percentile kept, e.g. 99.99 (the lower is 100 - p). Default 99.99. */
  percentile?: number;
  /** Per-group: consecutive elements (within each channel when `axis` is set) sharing one scale. */
  groupSize?: number;
}

/** Quantization parameters: one scale / zero point per tensor, channel, or (channel, group). */
export interface QParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  qmin: number;
  qmax: number;
  /** Set for per-channel (and per-channel-group) parameters. */
  axis?: number;
  /** Set for per-group parameters. */
  groupSize?: number;
  /** True when symmetric (informational). */
  symmetric?: boolean;
  bits?: number;
}

/**
 * The integer range [qmin, qmax] of a bit width and signedness.
 *
 * @example
 * quantRange(8, true);        // { qmin: -128, qmax: 127 }
 * quantRange(8, true, true);  // { qmin: -127, qmax: 127 }
 * quantRange(4, false);       // { qmin: 0, qmax: 15 }
 */
export function quantRange(bits: number, signed: boolean, narrowRange = false): { qmin: number; qmax: number } {
  checkBits(bits);
  const qmin = signed ? -(2 ** (bits - 1)) : 0;
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return { qmin: narrowRange ? qmin + 1 : qmin, qmax };
}

/**
 * Throws a RangeError unless bits is a whole number from 2 to 16.
 *
 * @example
 * checkBits(8); // ok
 */
export function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) {
    throw new RangeError(`bits must be a whole number from 2 to 16, got ${bits}`);
  }
}

/**
 * Checks that `shape` describes `length` values; returns the number of values.
 *
 * @example
 * checkShape(6, [2, 3]); // 6
 */
export function checkShape(length: number, shape: number[]): number {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`shape must be an array of non-negative whole numbers, got ${JSON.stringify(shape)}`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) throw new Error(`shape ${JSON.stringify(shape)} holds ${n} values but the data has ${length}`);
  return n;
}

function checkAxis(axis: number, shape: number[]): number {
  const r = shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new RangeError(`axis ${axis} is out of range for a tensor of rank ${r} (shape ${JSON.stringify(shape)}); use 0..${r - 1} or -${r}..-1`);
  }
  return axis < 0 ? axis + r : axis;
}

/** Layout of the parameter slices (tensor, channels, groups) of a tensor. */
export interface SliceLayout {
  /** Number of scale / zero-point entries. */
  count: number;
  /** Entry index of each value of the tensor. */
  index(i: number): number;
  axis?: number;
  groupSize?: number;
}

/**
 * Which parameter entry each value uses: per-tensor, per-channel along `axis`, or per-group (groups of
 * `groupSize` consecutive values of each channel, or of the flattened tensor without an axis). Entries are
 * ordered channel-major: entry = channel * groupsPerChannel + group.
 *
 * @example
 * sliceLayout([2, 3], 1).index(4); // 1 (value [1][1] is in channel 1)
 */
export function sliceLayout(shape: number[], axis?: number, groupSize?: number): SliceLayout {
  const n = shape.reduce((a, b) => a * b, 1);
  if (groupSize !== undefined && (!Number.isInteger(groupSize) || groupSize < 1)) {
    throw new RangeError(`groupSize must be a positive whole number, got ${groupSize}`);
  }
  if (axis === undefined) {
    if (groupSize === undefined) return { count: 1, index: () => 0 };
    return { count: Math.ceil(n / groupSize), index: (i) => Math.floor(i / groupSize), groupSize };
  }
  const a = checkAxis(axis, shape);
  const channels = shape[a];
  let inner = 1;
  for (let k = a + 1; k < shape.length; k++) inner *= shape[k];
  if (groupSize === undefined) return { count: channels, index: (i) => Math.floor(i / inner) % channels, axis: a };
  const perChannel = channels === 0 ? 0 : n / channels;
  const groups = Math.ceil(perChannel / groupSize);
  return {
    count: channels * groups,
    index: (i) => {
      const c = Math.floor(i / inner) % channels;
      const within = Math.floor(i / (inner * channels)) * inner + (i % inner);
      return c * groups + Math.floor(within / groupSize);
    },
    axis: a,
    groupSize,
  };
}

/**
 * Splits `x` into the slices of a layout (copies).
 *
 * @example
 * gatherSlices(w, sliceLayout([3, 2], 1)); // [column 0 values, column 1 values]
 */
export function gatherSlices(x: Float32Array, layout: SliceLayout): Float32Array[] {
  const sizes = new Int32Array(layout.count);
  for (let i = 0; i < x.length; i++) sizes[layout.index(i)]++;
  const slices = Array.from(sizes, (s) => new Float32Array(s));
  const fill = new Int32Array(layout.count);
  for (let i = 0; i < x.length; i++) {
    const k = layout.index(i);
    slices[k][fill[k]++] = x[i];
  }
  return slices;
}

/**
 * Throws when `x` holds NaN or ±Infinity.
 *
 * @example
 * checkFinite(new Float32Array([1, NaN])); // RangeError: calibration data contains NaN at index 1 ...
 */
export function checkFinite(x: ArrayLike<number>, what = 'calibration data'): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new RangeError(`${what} contains ${x[i]} at index ${i}; remove or replace non-finite values before quantizing`);
    }
  }
}

/**
 * Computes quantization parameters of tensor `x` with `shape` (per-tensor, per-channel with `axis`, or
 * per-group with `groupSize`). The clipping range comes from `method` ('minmax' by default, as PyTorch's
 * MinMaxObserver / PerChannelMinMaxObserver; 'percentile', 'entropy' (KL) or 'mse' otherwise).
 *
 * @example
 * const w = new Float32Array([-1, 0.5, 2, -0.25]);
 * computeQParams(w, [2, 2], { bits: 8, symmetric: true, signed: true, axis: 1 });
 * // { scale: Float32Array [0.007843138, 0.015686275], zeroPoint: Int32Array [0, 0], qmin: -128, qmax: 127, axis: 1 }
 */
export function computeQParams(x: Float32Array, shape: number[], opts: QParamsOptions): QParams {
  if (!(x instanceof Float32Array)) throw new TypeError(`expected a Float32Array, got ${Object.prototype.toString.call(x)}`);
  if (!opts || typeof opts !== 'object') throw new TypeError('computeQParams needs options { bits, symmetric, signed }');
  checkBits(opts.bits);
  if (typeof opts.symmetric !== 'boolean' || typeof opts.signed !== 'boolean') {
    throw new TypeError(`options.symmetric and options.signed must be booleans, got ${opts.symmetric} and ${opts.signed}`);
  }
  checkShape(x.length, shape);
  if (x.length === 0) throw new RangeError(`cannot compute quantization parameters of an empty tensor (shape ${JSON.stringify(shape)})`);
  checkFinite(x);
  const { qmin, qmax } = quantRange(opts.bits, opts.signed, opts.narrowRange);
  const layout = sliceLayout(shape, opts.axis, opts.groupSize);
  const slices = gatherSlices(x, layout);
  const scale = new Float32Array(layout.count);
  const zeroPoint = new Int32Array(layout.count);
  const defaultRange = opts.bits === 8 && !opts.signed && !opts.narrowRange;
  for (let k = 0; k < layout.count; k++) {
    const s = slices[k];
    if (s.length === 0) throw new RangeError(`channel/group ${k} of shape ${JSON.stringify(shape)} is empty`);
    const r = clipRange(s, { method: opts.method ?? 'minmax', percentile: opts.percentile, qmin, qmax, symmetric: opts.symmetric, signed: opts.signed });
    const p = qparamsFromRange(r.min, r.max, qmin, qmax, opts.symmetric, opts.signed, defaultRange);
    scale[k] = p.scale;
    zeroPoint[k] = p.zeroPoint;
  }
  const out: QParams = { scale, zeroPoint, qmin, qmax, symmetric: opts.symmetric, bits: opts.bits };
  if (layout.axis !== undefined) out.axis = layout.axis;
  if (layout.groupSize !== undefined) out.groupSize = layout.groupSize;
  return out;
}
