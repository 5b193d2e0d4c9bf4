/**
 * Integer-only reference inference for dense and conv layers (as gemmlowp / TFLite): int8 activations with
 * zero points, int8 symmetric weights, int32 accumulation with an int32 bias, and requantization of the
 * accumulator by a fixed-point multiplier (Q31) and a power-of-two shift. Only the input image is quantized
 * from float; only the final logits are dequantized.
 */
import { Dataset } from '../data/dataset';
import { LayerInfo, QuantPlan } from './model';
import { QParams } from './qparams';
import { quantizeValue, rint } from './scalar';
import { windowOutput } from './window';
import { integerPlanFor, integerPlanRefusal } from './integer-plan';
import type { FixedPointMultiplier, IntegerModel, IntLayer } from './integer-model';

export type { FixedPointMultiplier, IntegerModel, IntLayer } from './integer-model';

export { integerPlanFor, integerPlanRefusal, useIntegerPlanKernels, type IntegerPlan, type IntegerPlanKernels } from './integer-plan';

const TWO31 = 2147483648;
const TWO15 = 32768;

/**
 * Splits a positive real multiplier into a Q31 integer and a shift (TFLite's QuantizeMultiplier).
 *
 * @example
 * quantizeMultiplier(0.25); // { multiplier: 1073741824, shift: -1 }  (0.5 · 2^-1)
 */
export function quantizeMultiplier(m: number): FixedPointMultiplier {
  if (!(m >= 0) || !Number.isFinite(m)) throw new RangeError(`multiplier must be a finite number >= 0, got ${m}`);
  if (m === 0) return { multiplier: 0, shift: 0 };
  let shift = Math.floor(Math.log2(m)) + 1; // m = q · 2^shift, q in [0.5, 1)
  let q = m / 2 ** shift;
  if (q >= 1) {
    q /= 2;
    shift++;
  } else if (q < 0.5) {
    q *= 2;
    shift--;
  }
  let q31 = Math.round(q * TWO31);
  if (q31 === TWO31) {
    q31 /= 2;
    shift++;
  }
  return { multiplier: q31, shift };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: round(a · b / 2^31) with ties away from zero, computed
 * exactly for int32 a and b (no 64-bit integers needed).
 *
 * @example
 * saturatingRoundingDoublingHighMul(1 << 20, 1 << 30); // 524288
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === -TWO31 && b === -TWO31) return TWO31 - 1;
  // a·b = (a·bHi)·2^15 + a·bLo, with bHi, bLo < 2^16: every partial product is exact in a double.
  const bHi = Math.floor(b / TWO15);
  const bLo = b - bHi * TWO15;
  const hi = a * bHi; // |hi| < 2^47
  const lo = a * bLo; // |lo| < 2^46
  const negative = hi * TWO15 + lo < 0; // sign is safe to read from the (inexact) sum
  const nudge = negative ? 1 - 2 ** 30 : 2 ** 30;
  // (a·b + nudge) = hiQ·2^31 + (hiR·2^15 + lo + nudge) with hi = hiQ·2^16 + hiR.
  const hiQ = Math.floor(hi / 65536);
  const hiR = hi - hiQ * 65536;
  const rest = hiR * TWO15 + lo + nudge; // exact: |rest| < 2^48
  const floorQ = hiQ + Math.floor(rest / TWO31);
  const exact = rest - Math.floor(rest / TWO31) * TWO31 === 0;
  // C integer division truncates toward zero.
  return negative && !exact ? floorQ + 1 : floorQ;
}

/**
 * gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
 *
 * @example
 * roundingDivideByPOT(5, 1); // 3
 * roundingDivideByPOT(-5, 1); // -3
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent >= 31) {
    // beyond what 32-bit shifts express: x / 2^exponent is exact in a double, rounded half away from zero
    const v = Math.abs(x) / 2 ** exponent;
    return (x < 0 ? -1 : 1) * Math.floor(v + 0.5) || 0;
  }
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * acc · M in integer arithmetic (TFLite's MultiplyByQuantizedMultiplier).
 *
 * @example
 * const { multiplier, shift } = quantizeMultiplier(0.01);
 * multiplyByQuantizedMultiplier(1000, multiplier, shift); // 10
 */
export function multiplyByQuantizedMultiplier(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  // TFLite shifts an int32 left: a product past int32 wraps (acc · 2^left is exact in a double, | 0 wraps it)
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul((acc * 2 ** left) | 0, multiplier), right);
}

/**
 * `reference: true` runs the TypeScript loops even where the native addon is loaded (tests compare the two;
 * the results are bit-identical).
 */
export const integerOptions: { reference: boolean } = { reference: false };

/**
 * A native integer convolution with the argument layout of src/native's `intConv2d` (bit-exact with the loops
 * here). This module stays isomorphic: the Node backend (src/backend, `initBackend`) installs it with
 * {@link useIntegerKernel} when the native addon is loaded; elsewhere the TypeScript loops run.
 */
export type IntegerConvKernel = (x: Int32Array, w: Int32Array, bias: Int32Array, multipliers: Int32Array, shifts: Int32Array, out: Int32Array, geometry: Int32Array, params: Int32Array) => void;

let integerKernel: IntegerConvKernel | null = null;

/**
 * Installs (or, with null, removes) the native integer convolution used by runIntegerModel.
 *
 * @example
 * const addon = loadNative(); if (addon) useIntegerKernel(addon.intConv2d.bind(addon));
 */
export function useIntegerKernel(kernel: IntegerConvKernel | null): void {
  integerKernel = kernel;
  integerKernelRuns = 0;
}

let integerKernelRuns = 0;

/**
 * How many layers the installed native kernel has run since it was installed (0 when none is installed).
 *
 * @example
 * runIntegerModel(im, test); integerKernelRunCount() > 0 // true where the native addon is loaded
 */
export function integerKernelRunCount(): number {
  return integerKernelRuns;
}

/** Which path the last runIntegerModel took, and why not the plan when it did not. */
let lastPath: { path: 'plan' | 'layers' | 'reference'; refusal: string } = { path: 'reference', refusal: '' };

/**
 * The path the last runIntegerModel call ran: 'plan' (the compiled native plan, ./integer-plan.ts), 'layers' (one
 * call per layer, on the native kernel where installed and safe, else the loops) or 'reference' (the loops, asked
 * for by `integerOptions.reference`); `refusal` names the plan's failed assumption.
 *
 * @example
 * runIntegerModel(im, test); integerPathInUse(); // { path: 'plan', refusal: '' }
 */
export function integerPathInUse(): { path: 'plan' | 'layers' | 'reference'; refusal: string } {
  return { ...lastPath };
}

/** An integer tensor in NHWC (or [n, features]) layout with its quantization. */
interface IntTensor {
  data: Int32Array;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

const outSize = windowOutput;

function prepareLayer(l: LayerInfo, plan: QuantPlan, inScale: number): IntLayer {
  const qw = plan.weights.get(l.name);
  if (!qw) throw new Error(`integer inference needs quantized weights for layer '${l.name}'`);
  if (qw.qp.groupSize !== undefined) throw new Error(`layer '${l.name}': integer inference supports per-tensor or per-channel weights, not per-group`);
  if (qw.qp.zeroPoint.some((z) => z !== 0)) throw new Error(`layer '${l.name}': integer inference needs symmetric weights (zero point 0)`);
  const out = plan.activations?.[l.name];
  if (!out) throw new Error(`integer inference needs activation parameters for layer '${l.name}' (calibrate the plan)`);
  const cout = l.kernelShape![l.kernelShape!.length - 1];
  const bias = new Int32Array(cout);
  const multipliers: FixedPointMultiplier[] = [];
  for (let c = 0; c < cout; c++) {
    const sw = qw.qp.scale[qw.qp.axis === undefined ? 0 : c];
    const accScale = inScale * sw;
    bias[c] = rint(l.bias![c] / accScale);
    multipliers.push(quantizeMultiplier(accScale / out.scale[0]));
  }
  const zp = out.zeroPoint[0];
  const lo = l.activation === 'relu' ? Math.max(out.qmin, zp) : out.qmin;
  return { info: l, weights: qw.q, bias, multipliers, out, lo, hi: out.qmax };
}

function requantize(acc: number, m: FixedPointMultiplier, zp: number, lo: number, hi: number): number {
  const v = multiplyByQuantizedMultiplier(acc, m.multiplier, m.shift) + zp;
  return v < lo ? lo : v > hi ? hi : v;
}

/** The per-layer arrays the native kernel reads, made once. */
const nativeArgs = new WeakMap<IntLayer, { multipliers: Int32Array; shifts: Int32Array; maxAbsWeight: number; maxAbsBias: number }>();

/**
 * Runs a conv (dense: 1x1 on a 1x1 image) on the installed native kernel, when there is one and int32 accumulation cannot
 * overflow (the TypeScript loop accumulates in float64, exact either way); else returns false.
 */
function intConvNative(x: IntTensor, L: IntLayer, out: Int32Array, geometry: number[]): boolean {
  const kernel = integerKernel;
  if (!kernel) return false;
  let args = nativeArgs.get(L);
  if (!args) {
    let maxAbsWeight = 0;
    for (const v of L.weights) maxAbsWeight = Math.max(maxAbsWeight, Math.abs(v));
    let maxAbsBias = 0;
    for (const v of L.bias) maxAbsBias = Math.max(maxAbsBias, Math.abs(v));
    args = { multipliers: Int32Array.from(L.multipliers, (m) => m.multiplier), shifts: Int32Array.from(L.multipliers, (m) => m.shift), maxAbsWeight, maxAbsBias };
    nativeArgs.set(L, args);
  }
  const [, , , cin, kh, kw] = geometry;
  let maxAbsX = 0;
  for (const v of x.data) maxAbsX = Math.max(maxAbsX, Math.abs(v - x.zeroPoint));
  if (maxAbsX * args.maxAbsWeight * kh * kw * cin + args.maxAbsBias >= 2 ** 31) return false;
  const data = x.data instanceof Int32Array ? x.data : Int32Array.from(x.data);
  integerKernelRuns++;
  kernel(data, L.weights, L.bias, args.multipliers, args.shifts, out, Int32Array.from(geometry), Int32Array.from([x.zeroPoint, L.out.zeroPoint[0], L.lo, L.hi]));
  return true;
}

function conv2dInt(x: IntTensor, L: IntLayer): IntTensor {
  const [n, h, w, cin] = x.shape;
  const [kh, kw, kcin, cout] = L.info.kernelShape!;
  if (kcin !== cin) throw new Error(`layer '${L.info.name}' expects ${kcin} input channels, got ${cin}`);
  const [sh, sw] = L.info.strides!;
  const oy = outSize(h, kh, sh, L.info.padding!);
  const ox = outSize(w, kw, sw, L.info.padding!);
  const out = new Int32Array(n * oy.out * ox.out * cout);
  if (!integerOptions.reference && intConvNative(x, L, out, [n, h, w, cin, kh, kw, cout, oy.out, ox.out, sh, sw, oy.padBefore, ox.padBefore])) {
    return { data: out, shape: [n, oy.out, ox.out, cout], scale: L.out.scale[0], zeroPoint: L.out.zeroPoint[0] };
  }
  const zx = x.zeroPoint;
  const zy = L.out.zeroPoint[0];
  const acc = new Float64Array(cout);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oy.out; y++) {
      for (let xo = 0; xo < ox.out; xo++) {
        for (let c = 0; c < cout; c++) acc[c] = L.bias[c];
        for (let i = 0; i < kh; i++) {
          const iy = y * sh + i - oy.padBefore;
          if (iy < 0 || iy >= h) continue; // padding holds the zero point: (q - zp) = 0
          for (let j = 0; j < kw; j++) {
            const ix = xo * sw + j - ox.padBefore;
            if (ix < 0 || ix >= w) continue;
            const xBase = ((b * h + iy) * w + ix) * cin;
            const wBase = (i * kw + j) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const xv = x.data[xBase + ci] - zx;
              if (xv === 0) continue;
              const wRow = wBase + ci * cout;
              for (let c = 0; c < cout; c++) acc[c] += xv * L.weights[wRow + c];
            }
          }
        }
        const oBase = ((b * oy.out + y) * ox.out + xo) * cout;
        for (let c = 0; c < cout; c++) out[oBase + c] = requantize(acc[c], L.multipliers[c] ?? L.multipliers[0], zy, L.lo, L.hi);
      }
    }
  }
  return { data: out, shape: [n, oy.out, ox.out, cout], scale: L.out.scale[0], zeroPoint: zy };
}

function denseInt(x: IntTensor, L: IntLayer): IntTensor {
  const [n, fin] = x.shape;
  const [kin, cout] = L.info.kernelShape!;
  if (kin !== fin) throw new Error(`layer '${L.info.name}' expects ${kin} inputs, got ${fin}`);
  const out = new Int32Array(n * cout);
  const zx = x.zeroPoint;
  const zy = L.out.zeroPoint[0];
  if (!integerOptions.reference && intConvNative(x, L, out, [n, 1, 1, fin, 1, 1, cout, 1, 1, 1, 1, 0, 0])) {
    return { data: out, shape: [n, cout], scale: L.out.scale[0], zeroPoint: zy };
  }
  const acc = new Float64Array(cout);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < cout; c++) acc[c] = L.bias[c];
    for (let i = 0; i < fin; i++) {
      const xv = x.data[b * fin + i] - zx;
      if (xv === 0) continue;
      const row = i * cout;
      for (let c = 0; c < cout; c++) acc[c] += xv * L.weights[row + c];
    }
    for (let c = 0; c < cout; c++) out[b * cout + c] = requantize(acc[c], L.multipliers[c] ?? L.multipliers[0], zy, L.lo, L.hi);
  }
  return { data: out, shape: [n, cout], scale: L.out.scale[0], zeroPoint: zy };
}

function maxPoolInt(x: IntTensor, l: LayerInfo): IntTensor {
  const [n, h, w, c] = x.shape;
  const [ph, pw] = l.poolSize!;
  const [sh, sw] = l.strides!;
  const oy = outSize(h, ph, sh, l.padding!);
  const ox = outSize(w, pw, sw, l.padding!);
  const out = new Int32Array(n * oy.out * ox.out * c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oy.out; y++) {
      for (let xo = 0; xo < ox.out; xo++) {
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity;
          for (let i = 0; i < ph; i++) {
            const iy = y * sh + i - oy.padBefore;
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < pw; j++) {
              const ix = xo * sw + j - ox.padBefore;
              if (ix < 0 || ix >= w) continue;
              const v = x.data[((b * h + iy) * w + ix) * c + ch];
              if (v > m) m = v;
            }
          }
          out[((b * oy.out + y) * ox.out + xo) * c + ch] = m;
        }
      }
    }
  }
  return { ...x, data: out, shape: [n, oy.out, ox.out, c] };
}

/**
 * Prepares a calibrated plan (weights symmetric, per-tensor or per-channel; activations per-tensor) for
 * integer-only inference: int32 biases at scale s_in·s_w and a fixed-point multiplier per output channel.
 *
 * @example
 * const im = buildIntegerModel(plan); const { predictions } = runIntegerModel(im, test);
 */
export function buildIntegerModel(plan: QuantPlan): IntegerModel {
  if (!plan.activations) throw new Error('integer inference needs a calibrated plan (buildPtqPlan with calibration data)');
  const layers = plan.layers;
  let k = 0;
  let rescale: IntegerModel['rescale'];
  let inputLayer: string;
  if (layers[0]?.kind === 'rescaling') {
    rescale = { scale: layers[0].scale!, offset: layers[0].offset! };
    inputLayer = layers[0].name;
    k = 1;
  } else inputLayer = 'input';
  const input = plan.activations[inputLayer];
  if (!input) throw new Error(`integer inference needs the input's quantization ('${inputLayer}' in plan.activations)`);
  let scale = input.scale[0];
  const steps: IntegerModel['steps'] = [];
  for (; k < layers.length; k++) {
    const l = layers[k];
    if (l.kind === 'conv2d' || l.kind === 'dense') {
      const L = prepareLayer(l, plan, scale);
      steps.push({ kind: 'int', layer: L });
      scale = L.out.scale[0];
    } else if (l.kind === 'maxpool' || l.kind === 'flatten' || l.kind === 'relu') steps.push({ kind: l.kind, info: l });
    else if (l.kind === 'identity') continue;
    else throw new Error(`layer '${l.name}' (${l.kind}) is only supported as the first layer`);
  }
  return { rescale, input, inputLayer, steps };
}

/**
 * Runs the integer-only model on images (pixels in [0, 1]); returns the int8 logits, their dequantized
 * values and the predicted classes.
 *
 * @example
 * const { predictions } = runIntegerModel(buildIntegerModel(plan), test);
 */
export function runIntegerModel(im: IntegerModel, data: Dataset, batchSize = 200): { logitsQ: Int32Array; logits: Float32Array; predictions: Int32Array } {
  const size = data.height * data.width;
  const classes = data.numClasses;
  const logitsQ = new Int32Array(data.count * classes);
  const logits = new Float32Array(data.count * classes);
  const predictions = new Int32Array(data.count);
  const inv = Math.fround(1 / im.input.scale[0]);
  const z = im.input.zeroPoint[0];
  // the output's quantization: the last conv / dense layer's (pooling, ReLU and flatten keep it)
  const lastInt = [...im.steps].reverse().find((s) => s.kind === 'int');
  const outQ = lastInt?.kind === 'int' ? lastInt.layer.out : im.input;
  const outScale = outQ.scale[0];
  const outZero = outQ.zeroPoint[0];
  const plan = integerOptions.reference ? null : integerPlanFor(im, data.height, data.width, 1);
  lastPath = { path: plan ? 'plan' : integerOptions.reference ? 'reference' : 'layers', refusal: integerOptions.reference ? '' : integerPlanRefusal };
  if (plan && plan.outputs !== classes) throw new Error(`the model outputs ${plan.outputs} values per image but the data has ${classes} classes`);
  const quantizeImage = (i: number) => {
    let v = data.images[i];
    if (im.rescale) v = Math.fround(Math.fround(v * im.rescale.scale) + im.rescale.offset);
    return quantizeValue(v, inv, z, im.input.qmin, im.input.qmax);
  };
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    if (plan) {
      // the whole batch (quantization included) in one native call, the logits' q values straight into logitsQ
      const out = logitsQ.subarray(start * classes, (start + n) * classes);
      plan.run(data.images.subarray(start * size, (start + n) * size), n, out);
      integerKernelRuns += plan.layers;
      dequantizeBatch(out, start, n);
      continue;
    }
    const q = new Int32Array(n * size);
    for (let i = 0; i < n * size; i++) q[i] = quantizeImage(start * size + i);
    let x: IntTensor = { data: q, shape: [n, data.height, data.width, 1], scale: im.input.scale[0], zeroPoint: z };
    for (const s of im.steps) {
      if (s.kind === 'int') x = s.layer.info.kind === 'conv2d' ? conv2dInt(x, s.layer) : denseInt(x, s.layer);
      else if (s.kind === 'maxpool') x = maxPoolInt(x, s.info);
      else if (s.kind === 'relu') {
        // ReLU on the integer grid: values below the zero point (negative reals) become the zero point.
        const zp = x.zeroPoint;
        x = { ...x, data: x.data.map((v) => (v < zp ? zp : v)) };
      }
      else x = { ...x, shape: [x.shape[0], x.data.length / x.shape[0]] };
    }
    if (x.shape[1] !== classes) throw new Error(`the model outputs ${x.shape[1]} values per image but the data has ${classes} classes`);
    logitsQ.set(x.data, start * classes);
    dequantizeBatch(x.data, start, n);
  }
  return { logitsQ, logits, predictions };

  /** Logits and predicted classes of images start..start+n from their q values. */
  function dequantizeBatch(q: Int32Array, start: number, n: number): void {
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let c = 0; c < classes; c++) {
        const v = q[b * classes + c];
        logits[(start + b) * classes + c] = (v - outZero) * outScale;
        if (v > q[b * classes + best]) best = c;
      }
      predictions[start + b] = best;
    }
  }
}
