/**
 * Calibration observers: they watch batches of activations (or weights) and produce quantization
 * parameters. Static quantization calibrates once on a representative set; dynamic quantization computes
 * the parameters of each input on the fly (`dynamicQuantize`).
 */
import { quantize } from './affine';
import { checkBits, checkFinite, checkShape, computeQParams, QParams, QParamsOptions, quantRange, sliceLayout } from './qparams';
import { clipRange, RangeMethod } from './ranges';
import { qparamsFromRange } from './scalar';
import { mulberry32 } from '../util/random';

/** Options shared by the observers. */
export interface ObserverOptions {
  bits: number;
  symmetric: boolean;
  signed: boolean;
  narrowRange?: boolean;
  /** Per-channel statistics along this axis. */
  axis?: number;
}

function paramsFrom(opts: ObserverOptions, mins: ArrayLike<number>, maxs: ArrayLike<number>, axis?: number): QParams {
  const { qmin, qmax } = quantRange(opts.bits, opts.signed, opts.narrowRange);
  const n = mins.length;
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  const defaultRange = opts.bits === 8 && !opts.signed && !opts.narrowRange;
  for (let k = 0; k < n; k++) {
    const p = qparamsFromRange(mins[k], maxs[k], qmin, qmax, opts.symmetric, opts.signed, defaultRange);
    scale[k] = p.scale;
    zeroPoint[k] = p.zeroPoint;
  }
  const out: QParams = { scale, zeroPoint, qmin, qmax, symmetric: opts.symmetric, bits: opts.bits };
  if (axis !== undefined) out.axis = axis;
  return out;
}

/**
 * Running min / max over every observed batch (PyTorch's MinMaxObserver and PerChannelMinMaxObserver).
 *
 * @example
 * const obs = new MinMaxObserver({ bits: 8, symmetric: false, signed: false });
 * for (const batch of batches) obs.observe(batch, [batch.length]);
 * const qp = obs.qparams();
 */
export class MinMaxObserver {
  min: Float32Array | undefined;
  max: Float32Array | undefined;
  batches = 0;
  protected axis?: number;

  constructor(readonly opts: ObserverOptions) {
    checkBits(opts.bits);
  }

  /** Per-slice min and max of one batch (after input checks). */
  protected batchRange(x: Float32Array, shape: number[]): { min: Float32Array; max: Float32Array } {
    checkShape(x.length, shape);
    if (x.length === 0) throw new RangeError('cannot observe an empty batch');
    checkFinite(x, 'observed batch');
    const layout = sliceLayout(shape, this.opts.axis);
    this.axis = layout.axis;
    const min = new Float32Array(layout.count).fill(Infinity);
    const max = new Float32Array(layout.count).fill(-Infinity);
    for (let i = 0; i < x.length; i++) {
      const k = layout.index(i);
      const v = x[i];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
    return { min, max };
  }

  /** Updates the statistics with one batch. */
  observe(x: Float32Array, shape: number[] = [x.length]): void {
    const b = this.batchRange(x, shape);
    if (!this.min || !this.max) {
      this.min = b.min;
      this.max = b.max;
    } else {
      if (b.min.length !== this.min.length) throw new Error(`batch has ${b.min.length} channels, earlier batches had ${this.min.length}`);
      for (let k = 0; k < b.min.length; k++) {
        this.min[k] = Math.min(this.min[k], b.min[k]);
        this.max[k] = Math.max(this.max[k], b.max[k]);
      }
    }
    this.batches++;
  }

  /** Quantization parameters of everything observed so far. */
  qparams(): QParams {
    if (!this.min || !this.max) throw new Error('the observer has seen no data yet: call observe(batch) first');
    return paramsFrom(this.opts, this.min, this.max, this.axis);
  }
}

/**
 * Exponential moving average of the batch min / max (PyTorch's MovingAverageMinMaxObserver:
 * min ← min + c·(batchMin − min), c = 0.01 by default; the first batch sets the range).
 *
 * @example
 * const obs = new MovingAverageMinMaxObserver({ bits: 8, symmetric: false, signed: false }, 0.01);
 */
export class MovingAverageMinMaxObserver extends MinMaxObserver {
  constructor(opts: ObserverOptions, readonly averagingConstant = 0.01) {
    super(opts);
    if (!(averagingConstant > 0 && averagingConstant <= 1)) throw new RangeError(`averagingConstant must be in (0, 1], got ${averagingConstant}`);
  }

  override observe(x: Float32Array, shape: number[] = [x.length]): void {
    const b = this.batchRange(x, shape);
    if (!this.min || !this.max) {
      this.min = b.min;
      this.max = b.max;
    } else {
      const c = Math.fround(this.averagingConstant);
      for (let k = 0; k < b.min.length; k++) {
        // float32 at every step, as torch's tensor arithmetic
        this.min[k] = Math.fround(this.min[k] + Math.fround(c * Math.fround(b.min[k] - this.min[k])));
        this.max[k] = Math.fround(this.max[k] + Math.fround(c * Math.fround(b.max[k] - this.max[k])));
      }
    }
    this.batches++;
  }
}

/** Options of `SampleObserver`. */
export interface SampleObserverOptions extends ObserverOptions {
  method: RangeMethod;
  percentile?: number;
  /** Values kept per tensor (a uniform reservoir sample); default 200,000. */
  maxSamples?: number;
  seed?: number;
}

/**
 * Keeps a uniform sample of every observed value (reservoir sampling) and calibrates with any range
 * method: 'minmax' (exact: the true extremes are tracked), 'percentile', 'entropy' or 'mse'. Per-tensor.
 *
 * @example
 * const obs = new SampleObserver({ bits: 8, symmetric: false, signed: false, method: 'entropy' });
 */
export class SampleObserver {
  private sample: Float32Array;
  private filled = 0;
  private seen = 0;
  private rand: () => number;
  min = Infinity;
  max = -Infinity;

  constructor(readonly opts: SampleObserverOptions) {
    checkBits(opts.bits);
    if (opts.axis !== undefined) throw new Error('SampleObserver is per-tensor; use MinMaxObserver for per-channel statistics');
    this.sample = new Float32Array(opts.maxSamples ?? 200000);
    this.rand = mulberry32(opts.seed ?? 0);
  }

  observe(x: Float32Array): void {
    if (x.length === 0) throw new RangeError('cannot observe an empty batch');
    checkFinite(x, 'observed batch');
    const cap = this.sample.length;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (this.filled < cap) this.sample[this.filled++] = v;
      else {
        const j = Math.floor(this.rand() * (this.seen + 1));
        if (j < cap) this.sample[j] = v;
      }
      this.seen++;
    }
  }

  /** The clipping range chosen by the method. */
  range(): { min: number; max: number } {
    if (this.seen === 0) throw new Error('the observer has seen no data yet: call observe(batch) first');
    if (this.opts.method === 'minmax') return { min: this.min, max: this.max };
    const { qmin, qmax } = quantRange(this.opts.bits, this.opts.signed, this.opts.narrowRange);
    return clipRange(this.sample.subarray(0, this.filled), { method: this.opts.method, percentile: this.opts.percentile, qmin, qmax, symmetric: this.opts.symmetric, signed: this.opts.signed });
  }

  qparams(): QParams {
    const r = this.range();
    return paramsFrom(this.opts, [r.min], [r.max]);
  }
}

/**
 * Dynamic quantization: parameters computed from this very input, then applied (what dynamic int8
 * activations do at inference time).
 *
 * @example
 * const { q, qp } = dynamicQuantize(acts, [32, 128], { bits: 8, symmetric: false, signed: false });
 */
export function dynamicQuantize(x: Float32Array, shape: number[], opts: QParamsOptions): { q: Int32Array; qp: QParams } {
  const qp = computeQParams(x, shape, opts);
  return { q: quantize(x, shape, qp), qp };
}
