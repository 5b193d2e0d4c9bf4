/**
 * The integer-only model (./integer.ts) compiled once into a native plan: activations stay bytes between
 * layers, each conv / dense layer is a oneDNN int8 product (u8 activations x s8 weights, int32 sums) followed by
 * the same requantization as the reference loops, max-pooling works on bytes and the whole batch is one native
 * call (src/native/src/int8plan.cc). The logits are bit-identical with the reference loops.
 *
 * A tensor whose values lie in [lo, lo + 255] is stored as u = q - lo; with zu = zx - lo, a window's
 * sum of (q - zx) * w is sum(u * w) - zu * sum(w), padding holds zu, and -zu * sum(w) joins the bias. The plan
 * is refused (the per-layer path then runs; `integerPlanRefusal` says why) when a range needs more than a byte,
 * weights do not fit int8, int32 accumulation could overflow, or oneDNN will not run a layer exactly.
 */
import type { IntegerModel, IntLayer } from './integer-model';
import { windowOutput } from './window';

/** The addon functions the plan runs on (src/native/src/int8plan.cc; NativeAddon's intPlan* entries). */
export interface IntegerPlanKernels {
  intPlanCreate(input: Int32Array, quantization: Float64Array): object;
  intPlanConv(plan: object, geometry: Int32Array, weights: Int8Array, bias: Int32Array, multipliers: Int32Array, shifts: Int32Array, out: Int32Array): void;
  intPlanDense(plan: object, units: number, weights: Int8Array, bias: Int32Array, multipliers: Int32Array, shifts: Int32Array, out: Int32Array): void;
  intPlanMaxPool(plan: object, geometry: Int32Array): void;
  intPlanClampMin(plan: object, lo: number): void;
  intPlanRun(plan: object, images: Float32Array, n: number, out: Int32Array, offset: number): void;
  intPlanInfo(plan: object): string;
}

let kernels: IntegerPlanKernels | null = null;

/**
 * Installs (or, with null, removes) the native plan kernels; src/backend's initBackend installs the addon's.
 *
 * @example
 * useIntegerPlanKernels(loadNative()); // null: the per-layer reference path
 */
export function useIntegerPlanKernels(k: IntegerPlanKernels | null): void {
  kernels = k;
  plans = new WeakMap();
}

/** A compiled integer model for images of one shape. */
export interface IntegerPlan {
  /** Values per image out of the plan. */
  outputs: number;
  /** Native layers (conv, dense, pool, clamp) per run. */
  layers: number;
  /** Runs n images ([n, h, w, c] floats, quantized natively as runIntegerModel does); writes the int8 logits (q values) to out. */
  run(images: Float32Array, n: number, out: Int32Array): void;
  /** The oneDNN implementation of each layer, e.g. 'conv brgconv:avx512_core_vnni, maxpool, ...'. */
  describe(): string;
}

/** Why the last `integerPlanFor` returned null ('' when it returned a plan). */
export let integerPlanRefusal = '';

class Refused extends Error {}

/** What the plan knows about the tensor between two layers: its shape (one image) and integer range. */
interface Tensor {
  h: number;
  w: number;
  c: number;
  flat: boolean;
  /** Every value lies in [lo, hi]; stored as q - lo. */
  lo: number;
  hi: number;
  zeroPoint: number;
}

const TWO31 = 2 ** 31;

function byteRange(lo: number, hi: number, what: string): void {
  if (hi - lo > 255) throw new Refused(`${what} spans ${hi - lo + 1} levels, more than a byte holds`);
}

/** Weights as int8, or a refusal when one does not fit. */
function int8Weights(L: IntLayer): Int8Array {
  const out = new Int8Array(L.weights.length);
  for (let i = 0; i < L.weights.length; i++) {
    const v = L.weights[i];
    if (v < -128 || v > 127) throw new Refused(`layer '${L.info.name}': weight ${v} does not fit int8`);
    out[i] = v;
  }
  return out;
}

/** Adds one conv / dense layer (its input `x`) to the native plan; returns its output tensor. */
function addProduct(k: IntegerPlanKernels, plan: object, L: IntLayer, x: Tensor): Tensor {
  const name = L.info.name;
  const shape = L.info.kernelShape!;
  const conv = L.info.kind === 'conv2d';
  const [kh, kw, cin, cout] = conv ? shape : [1, 1, shape[0], shape[1]];
  if (conv && (x.flat || x.c !== cin)) throw new Refused(`layer '${name}' expects [h, w, ${cin}] inputs`);
  if (!conv && (!x.flat || x.h * x.w * x.c !== cin)) throw new Refused(`layer '${name}' expects ${cin} flat inputs`);
  const weights = int8Weights(L);
  const taps = kh * kw * cin;
  // the reference's own guard (int32 accumulation cannot overflow), on the static range of the input
  const zu = x.zeroPoint - x.lo;
  let maxAbsWeight = 0;
  let maxAbsBias = 0;
  for (const v of L.weights) maxAbsWeight = Math.max(maxAbsWeight, Math.abs(v));
  for (const v of L.bias) maxAbsBias = Math.max(maxAbsBias, Math.abs(v));
  const maxAbsX = Math.max(x.hi - x.zeroPoint, x.zeroPoint - x.lo);
  if (maxAbsX * maxAbsWeight * taps + maxAbsBias >= TWO31) throw new Refused(`layer '${name}': int32 accumulation could overflow`);
  // bias - zu * sum of the channel's weights (padding holds zu: every window has all its taps)
  const bias = new Int32Array(cout);
  for (let c = 0; c < cout; c++) {
    let sum = 0;
    for (let t = 0; t < taps; t++) sum += L.weights[t * cout + c];
    const b = L.bias[c] - zu * sum;
    if (Math.abs(b) >= TWO31) throw new Refused(`layer '${name}': the zero-point-corrected bias passes int32`);
    bias[c] = b;
  }
  const multipliers = Int32Array.from({ length: cout }, (_, c) => (L.multipliers[c] ?? L.multipliers[0]).multiplier);
  const shifts = Int32Array.from({ length: cout }, (_, c) => (L.multipliers[c] ?? L.multipliers[0]).shift);
  const zy = L.out.zeroPoint[0];
  byteRange(L.lo, L.hi, `layer '${name}''s output`);
  const out = Int32Array.from([zy - L.lo, 0, L.hi - L.lo]);
  try {
    if (conv) {
      const [sh, sw] = L.info.strides!;
      const oy = windowOutput(x.h, kh, sh, L.info.padding!);
      const ox = windowOutput(x.w, kw, sw, L.info.padding!);
      k.intPlanConv(plan, Int32Array.from([kh, kw, cout, sh, sw, oy.padBefore, ox.padBefore, oy.padAfter, ox.padAfter, zu]), weights, bias, multipliers, shifts, out);
      return { h: oy.out, w: ox.out, c: cout, flat: false, lo: L.lo, hi: L.hi, zeroPoint: zy };
    }
    k.intPlanDense(plan, cout, weights, bias, multipliers, shifts, out);
    return { h: 1, w: 1, c: cout, flat: true, lo: L.lo, hi: L.hi, zeroPoint: zy };
  } catch (e) {
    throw new Refused(`layer '${name}': ${(e as Error).message}`);
  }
}

function compile(k: IntegerPlanKernels, im: IntegerModel, h: number, w: number, c: number): IntegerPlan {
  const input = im.input;
  byteRange(input.qmin, input.qmax, 'the input');
  // the input's quantization, as runIntegerModel's loop: rescale, then quantizeValue with float32(1 / scale)
  const r = im.rescale;
  const quantization = Float64Array.from([r ? 1 : 0, r?.scale ?? 1, r?.offset ?? 0, Math.fround(1 / input.scale[0]), input.zeroPoint[0], input.qmin, input.qmax]);
  const plan = k.intPlanCreate(Int32Array.from([h, w, c]), quantization);
  let x: Tensor = { h, w, c, flat: false, lo: input.qmin, hi: input.qmax, zeroPoint: input.zeroPoint[0] };
  let layers = 0;
  for (const s of im.steps) {
    if (s.kind === 'int') x = addProduct(k, plan, s.layer, x);
    else if (s.kind === 'flatten') {
      x = { ...x, flat: true };
      continue;
    } else if (s.kind === 'maxpool') {
      if (x.flat) throw new Refused(`layer '${s.info.name}': max-pool of a flat tensor`);
      const [ph, pw] = s.info.poolSize!;
      const [sh, sw] = s.info.strides!;
      const oy = windowOutput(x.h, ph, sh, s.info.padding!);
      const ox = windowOutput(x.w, pw, sw, s.info.padding!);
      k.intPlanMaxPool(plan, Int32Array.from([ph, pw, sh, sw, oy.padBefore, ox.padBefore, oy.out, ox.out]));
      x = { ...x, h: oy.out, w: ox.out };
    } else {
      // ReLU on the integer grid: values below the zero point become the zero point
      if (x.zeroPoint <= x.lo) continue;
      if (x.zeroPoint > x.hi) throw new Refused(`layer '${s.info.name}': the zero point ${x.zeroPoint} is above the range's top ${x.hi}`);
      k.intPlanClampMin(plan, x.zeroPoint - x.lo);
    }
    layers++;
  }
  const outputs = x.h * x.w * x.c;
  const offset = x.lo;
  return {
    outputs,
    layers,
    run: (images, n, out) => k.intPlanRun(plan, images, n, out, offset),
    describe: () => k.intPlanInfo(plan),
  };
}

let plans = new WeakMap<IntegerModel, Map<string, IntegerPlan | string>>();

/**
 * The model's native plan for images of [h, w, c], compiled on first use and kept; null when no plan kernels are
 * installed or the model breaks one of the plan's assumptions (`integerPlanRefusal` says which).
 *
 * @example
 * const plan = integerPlanFor(buildIntegerModel(ptqPlan), 28, 28, 1);
 * plan?.describe(); // 'conv brgconv:avx512_core_vnni, maxpool, ...'
 */
export function integerPlanFor(im: IntegerModel, h: number, w: number, c: number): IntegerPlan | null {
  const k = kernels;
  if (!k) {
    integerPlanRefusal = 'the native plan kernels are not installed';
    return null;
  }
  let byShape = plans.get(im);
  if (!byShape) plans.set(im, (byShape = new Map()));
  const key = `${h}x${w}x${c}`;
  let entry = byShape.get(key);
  if (entry === undefined) {
    try {
      entry = compile(k, im, h, w, c);
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      entry = e.message;
    }
    byShape.set(key, entry);
  }
  integerPlanRefusal = typeof entry === 'string' ? entry : '';
  return typeof entry === 'string' ? null : entry;
}
