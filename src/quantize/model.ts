/**
 * Post-training quantization of sequential tfjs-layers models (the zoo): per-layer weight quantization,
 * activation calibration on a representative set, and the simulated ("fake-quant") forward pass in float
 * that every other path (integer-only inference, QAT, sensitivity) is compared against.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Dataset, imagesTensor } from '../data/dataset';
import { fakeQuantize, quantize } from './affine';
import { SampleObserver } from './observers';
import { computeQParams, QParams, quantRange } from './qparams';
import { FLOAT32_EPS } from './scalar';
import { RangeMethod } from './ranges';
import { decodeFloat, FLOAT16, float16Bits, roundToFloat16 } from '../numerics/floats';
import { describeLayers, LayerDescription } from '../models/describe';

/** What a layer of a supported sequential model does. */
export type LayerKind = 'rescaling' | 'conv2d' | 'dense' | 'maxpool' | 'flatten' | 'identity' | 'relu';

/** Plain description of one layer (weights copied out of tfjs). */
export interface LayerInfo {
  name: string;
  kind: LayerKind;
  activation?: 'relu' | 'linear';
  /** conv2d: [kh, kw, cin, cout]; dense: [in, out]. */
  kernelShape?: number[];
  kernel?: Float32Array;
  bias?: Float32Array;
  strides?: [number, number];
  padding?: 'same' | 'valid';
  poolSize?: [number, number];
  /** rescaling: y = x * scale + offset. */
  scale?: number;
  offset?: number;
}

const CLASS_KIND: Record<string, LayerKind> = {
  Rescaling: 'rescaling',
  Conv2D: 'conv2d',
  Dense: 'dense',
  MaxPooling2D: 'maxpool',
  Flatten: 'flatten',
  // No-ops at inference time.
  Dropout: 'identity',
  InputLayer: 'identity',
  // A separate activation layer (relu or linear only; checked below).
  Activation: 'relu',
  ReLU: 'relu',
};

function checkActivation(d: LayerDescription): 'relu' | 'linear' {
  if (d.activation !== 'relu' && d.activation !== 'linear') throw new Error(`layer '${d.name}' uses activation '${d.activation}'; only relu and linear are supported`);
  return d.activation;
}

/**
 * Describes the layers of a sequential model built from Rescaling, Conv2D, Dense, MaxPooling2D, Flatten,
 * ReLU / Activation('relu'), Dropout and InputLayer layers with ReLU or linear activations (all zoo models),
 * copying their weights.
 *
 * @example
 * const layers = describeModel(lenet5()); // [{ name: 'normalize', kind: 'rescaling', ... }, { name: 'conv1', ... }, ...]
 */
export function describeModel(model: tfl.LayersModel): LayerInfo[] {
  return describeLayers(model).map((d) => {
    const cls = d.className;
    const kind = CLASS_KIND[cls];
    if (!kind) {
      throw new Error(`layer '${d.name}' is a ${cls}; quantization supports ${Object.keys(CLASS_KIND).join(', ')} layers (the zoo models)`);
    }
    const info: LayerInfo = { name: d.name, kind };
    if (kind === 'conv2d' || kind === 'dense') {
      info.activation = checkActivation(d);
      const w = d.weights;
      info.kernelShape = w[0].shape.slice();
      info.kernel = w[0].dataSync() as Float32Array;
      info.bias = w.length > 1 ? (w[1].dataSync() as Float32Array) : new Float32Array(w[0].shape[w[0].shape.length - 1]);
      if (kind === 'conv2d') {
        info.strides = d.strides;
        info.padding = d.padding === 'same' ? 'same' : 'valid';
        if (d.dilation![0] !== 1 || d.dilation![1] !== 1) throw new Error(`layer '${d.name}': dilated convolutions are not supported`);
        if (d.channelsFirst) throw new Error(`layer '${d.name}': channelsFirst is not supported`);
      }
    } else if (kind === 'maxpool') {
      info.poolSize = d.poolSize;
      info.strides = d.strides;
      info.padding = d.padding === 'same' ? 'same' : 'valid';
    } else if (kind === 'relu' && cls === 'Activation') {
      if (checkActivation(d) === 'linear') info.kind = 'identity';
    } else if (kind === 'relu' && cls === 'ReLU' && !d.plainRelu) {
      throw new Error(`layer '${d.name}': only a plain ReLU is supported (no max value, slope or threshold)`);
    } else if (kind === 'rescaling') {
      info.scale = d.scale;
      info.offset = d.offset;
    }
    return info;
  });
}

/** Options of weight quantization. */
export interface WeightQuantOptions {
  bits: number;
  /** 'channel' (default: one scale per output channel, the last kernel axis), 'tensor' or 'group'. */
  granularity?: 'channel' | 'tensor' | 'group';
  groupSize?: number;
  /** Default true (zero point 0, as int8 kernels expect). */
  symmetric?: boolean;
  narrowRange?: boolean;
  method?: RangeMethod;
  /** Layers left in float32 (by name). */
  skip?: string[];
  /** Per-layer bit widths overriding `bits` (mixed precision). */
  bitsPerLayer?: Record<string, number>;
  /**
   * How the scales are stored: 'float16' (default; each scale rounded up to the next float16, so the saved file
   * holds exactly the scales used and no weight clips) or 'float32'. A tensor whose scales fall outside
   * float16's normal range keeps float32 scales.
   */
  scaleFormat?: 'float16' | 'float32';
}

/** One quantized weight tensor: the integers and their parameters. */
export interface QuantizedWeight {
  layer: string;
  shape: number[];
  q: Int32Array;
  qp: QParams;
  /** The float bias, kept for the fake-quant path (the integer path re-quantizes it to int32). */
  bias: Float32Array;
}

/**
 * Quantizes the kernel of every conv / dense layer (signed integers, per-channel along the output axis by
 * default).
 *
 * @example
 * const qw = quantizeWeights(describeModel(model), { bits: 8 }); // Map layer name -> QuantizedWeight
 */
export function quantizeWeights(layers: LayerInfo[], opts: WeightQuantOptions): Map<string, QuantizedWeight> {
  const out = new Map<string, QuantizedWeight>();
  const gran = opts.granularity ?? 'channel';
  for (const l of layers) {
    if (!l.kernel || !l.kernelShape || opts.skip?.includes(l.name)) continue;
    const bits = opts.bitsPerLayer?.[l.name] ?? opts.bits;
    const shape = l.kernelShape;
    const axis = gran === 'tensor' ? undefined : shape.length - 1;
    const qp = computeQParams(l.kernel, shape, {
      bits,
      symmetric: opts.symmetric ?? true,
      signed: true,
      narrowRange: opts.narrowRange,
      method: opts.method,
      ...(axis === undefined ? {} : { axis }),
      ...(gran === 'group' ? { groupSize: opts.groupSize ?? 32 } : {}),
    });
    if ((opts.scaleFormat ?? 'float16') === 'float16') qp.scale = float16ScalesAtLeast(qp.scale);
    out.set(l.name, { layer: l.name, shape, q: quantize(l.kernel, shape, qp), qp, bias: l.bias! });
  }
  return out;
}

/** Smallest positive float16 normal and largest finite float16. */
const F16_MIN_NORMAL = 2 ** -14;
const F16_MAX = 65504;

/**
 * Each scale rounded up to the nearest float16 value (so the quantization range only grows), or the scales
 * unchanged when any of them is outside float16's normal range (subnormal scales would lose precision).
 *
 * @example
 * float16ScalesAtLeast(Float32Array.of(0.1))[0]; // 0.10003662109375 (the nearest float16, 0.0999755859375, is below 0.1)
 */
export function float16ScalesAtLeast(scales: Float32Array): Float32Array {
  if (scales.some((s) => !(s >= F16_MIN_NORMAL && s <= F16_MAX))) return scales;
  const rounded = roundToFloat16(scales);
  const bits = float16Bits(rounded);
  for (let i = 0; i < rounded.length; i++) {
    if (rounded[i] < scales[i]) rounded[i] = decodeFloat([bits[i] + 1], FLOAT16)[0];
  }
  return rounded;
}

/** Options of activation calibration. */
export interface CalibrationOptions {
  /** Default 8. */
  bits?: number;
  /** Default 'minmax'. */
  method?: RangeMethod;
  percentile?: number;
  /** Images used (the first `limit` of the data); default 1000. */
  limit?: number;
  batchSize?: number;
  /** Default false: asymmetric signed int8 activations (as TFLite). */
  symmetric?: boolean;
  /** Called after each calibration batch with the images observed so far and their total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Static activation ranges: runs the float model on a representative set and observes the output of the
 * input rescaling and of every conv / dense layer (after its activation). Per-tensor, signed integers. The
 * input (rescaling output) always uses min/max: its range is fixed by the pixel range.
 *
 * @example
 * const acts = await calibrateActivations(model, subset(train, 1000), { method: 'percentile', percentile: 99.99 });
 */
export async function calibrateActivations(model: tfl.LayersModel, data: Dataset, opts: CalibrationOptions = {}): Promise<Record<string, QParams>> {
  const layers = describeModel(model);
  const n = Math.min(opts.limit ?? 1000, data.count);
  if (n === 0) throw new RangeError('calibration needs at least one image');
  const bits = opts.bits ?? 8;
  const observed = layers.filter((l) => l.kind === 'rescaling' || l.kind === 'conv2d' || l.kind === 'dense');
  // The model input (the rescaling output) has a known, fixed range: it always uses min/max.
  const observers = new Map(
    observed.map((l) => [
      l.name,
      new SampleObserver({ bits, symmetric: opts.symmetric ?? false, signed: true, method: l.kind === 'rescaling' ? 'minmax' : (opts.method ?? 'minmax'), percentile: opts.percentile, maxSamples: 100000 }),
    ]),
  );
  // Without a leading rescaling layer, the raw input is quantized too (entry 'input').
  if (layers[0]?.kind !== 'rescaling') {
    observers.set('input', new SampleObserver({ bits, symmetric: opts.symmetric ?? false, signed: true, method: 'minmax', maxSamples: 1000 }));
  }
  const batch = opts.batchSize ?? 250;
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const outs = tf.tidy(() => {
      let x: tf.Tensor = imagesTensor(data, start, m);
      const keep: [string, tf.Tensor][] = [];
      if (observers.has('input')) keep.push(['input', tf.keep(x.clone())]);
      for (const layer of model.layers) {
        x = layer.apply(x) as tf.Tensor;
        if (observers.has(layer.name)) keep.push([layer.name, tf.keep(x)]);
      }
      return keep;
    });
    for (const [name, t] of outs) {
      observers.get(name)!.observe((await t.data()) as Float32Array);
      t.dispose();
    }
    opts.onProgress?.(start + m, n);
  }
  const out: Record<string, QParams> = {};
  for (const [name, obs] of observers) out[name] = obs.qparams();
  return out;
}

/** Everything the quantized model needs: layers, quantized weights and (optionally) activation parameters. */
export interface QuantPlan {
  layers: LayerInfo[];
  weights: Map<string, QuantizedWeight>;
  /** Static activation parameters by layer name (output of that layer); absent = weight-only. */
  activations?: Record<string, QParams>;
  /**
   * Dynamic activation quantization at this bit width instead of static ranges: the range of every
   * activation tensor is measured on each input image at run time (asymmetric, signed, per image).
   */
  dynamicActivationBits?: number;
}

/**
 * Builds a PTQ plan: quantized weights and, when `calibration` data is given, static activation ranges
 * (full-integer). Without calibration data the plan is weight-only ("hybrid").
 *
 * @example
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 1000));
 */
export async function buildPtqPlan(model: tfl.LayersModel, weights: WeightQuantOptions, calibration?: Dataset, calib: CalibrationOptions = {}): Promise<QuantPlan> {
  const layers = describeModel(model);
  const plan: QuantPlan = { layers, weights: quantizeWeights(layers, weights) };
  if (calibration) plan.activations = await calibrateActivations(model, calibration, calib);
  return plan;
}

/**
 * Fake-quantizes an activation tensor with per-tensor parameters: (clamp(zp + round(x·(1/s))) − zp)·s.
 *
 * @example
 * const y = fakeQuantTensor(x, plan.activations!.conv1);
 */
export function fakeQuantTensor(x: tf.Tensor, qp: QParams): tf.Tensor {
  const inv = Math.fround(1 / qp.scale[0]);
  const zp = qp.zeroPoint[0];
  return tf.tidy(() => tf.mul(tf.sub(tf.clipByValue(tf.add(tf.round(tf.mul(x, inv)), zp), qp.qmin, qp.qmax), zp), qp.scale[0]));
}

/**
 * Dynamic fake quantization: each example (first axis) gets the asymmetric signed parameters of its own
 * range, widened to include 0 (the observer formula, evaluated in tf ops).
 *
 * @example
 * const y = dynamicFakeQuantTensor(activations, 8);
 */
export function dynamicFakeQuantTensor(x: tf.Tensor, bits: number): tf.Tensor {
  const { qmin, qmax } = quantRange(bits, true);
  return tf.tidy(() => {
    const n = x.shape[0];
    const flat = tf.reshape(x, [n, -1]);
    const lo = tf.minimum(tf.min(flat, 1, true), 0);
    const hi = tf.maximum(tf.max(flat, 1, true), 0);
    const scale = tf.maximum(tf.div(tf.sub(hi, lo), qmax - qmin), FLOAT32_EPS);
    const zp = tf.clipByValue(tf.sub(qmin, tf.round(tf.div(lo, scale))), qmin, qmax);
    const q = tf.clipByValue(tf.add(tf.round(tf.div(flat, scale)), zp), qmin, qmax);
    return tf.reshape(tf.mul(tf.sub(q, zp), scale), x.shape);
  });
}

function convOrDense(l: LayerInfo, x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  let y: tf.Tensor;
  if (l.kind === 'conv2d') y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, l.strides!, l.padding!);
  else y = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
  y = tf.add(y, bias);
  return l.activation === 'relu' ? tf.relu(y) : y;
}

/**
 * Applies a non-weight layer (rescaling, pool, flatten) to a tensor.
 *
 * @example
 * const y = applySimpleLayer(describeModel(model)[0], images); // the normalisation
 */
export function applySimpleLayer(l: LayerInfo, x: tf.Tensor): tf.Tensor {
  switch (l.kind) {
    case 'rescaling':
      return tf.add(tf.mul(x, l.scale!), l.offset!);
    case 'maxpool':
      return tf.maxPool(x as tf.Tensor4D, l.poolSize!, l.strides!, l.padding!);
    case 'flatten':
      return tf.reshape(x, [x.shape[0], -1]);
    case 'identity':
      return x;
    case 'relu':
      return tf.relu(x);
    default:
      throw new Error(`layer '${l.name}' (${l.kind}) has weights`);
  }
}

/**
 * The simulated quantized forward pass: float arithmetic on dequantized weights, with activations
 * fake-quantized after the input rescaling and after every conv / dense layer when the plan has them.
 * Returns logits.
 *
 * @example
 * const logits = tf.tidy(() => fakeQuantForward(plan, images));
 */
export function fakeQuantForward(plan: QuantPlan, images: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    let x: tf.Tensor = images;
    if (plan.activations?.input) x = fakeQuantTensor(x, plan.activations.input);
    for (const l of plan.layers) {
      if (l.kind === 'conv2d' || l.kind === 'dense') {
        const qw = plan.weights.get(l.name);
        const k = qw ? fakeQuantize(l.kernel!, l.kernelShape!, qw.qp) : l.kernel!;
        x = convOrDense(l, x, tf.tensor(k, l.kernelShape!), tf.tensor1d(l.bias!));
      } else x = applySimpleLayer(l, x);
      const aq = plan.activations?.[l.name];
      if (aq) x = fakeQuantTensor(x, aq);
      else if (plan.dynamicActivationBits && (l.kind === 'rescaling' || l.kind === 'conv2d' || l.kind === 'dense')) {
        x = dynamicFakeQuantTensor(x, plan.dynamicActivationBits);
      }
    }
    return x as tf.Tensor2D;
  });
}

/**
 * Logits of the fake-quant model on a dataset, in batches.
 *
 * @example
 * const acc = scoreLogits(await fakeQuantLogits(plan, test), test.labels, 10).accuracy;
 */
export async function fakeQuantLogits(plan: QuantPlan, data: Dataset, batchSize = 500): Promise<Float32Array> {
  const out = new Float32Array(data.count * data.numClasses);
  // Dequantized kernels are built once, not per batch.
  const cached: QuantPlan = { ...plan, weights: new Map(), layers: plan.layers.map((l) => {
    const qw = plan.weights.get(l.name);
    return qw && l.kernel ? { ...l, kernel: fakeQuantize(l.kernel, l.kernelShape!, qw.qp) } : l;
  }) };
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    const logits = tf.tidy(() => fakeQuantForward(cached, imagesTensor(data, start, n)));
    out.set((await logits.data()) as Float32Array, start * data.numClasses);
    logits.dispose();
  }
  return out;
}

/**
 * Copies `model` with its conv / dense kernels replaced by their dequantized values (weight-only fake
 * quant as a normal tfjs model, e.g. for `evaluate`). The original is unchanged.
 *
 * @example
 * const q = await fakeQuantModel(model, plan); await evaluate(q, test);
 */
export async function fakeQuantModel(model: tfl.LayersModel, plan: QuantPlan): Promise<tfl.LayersModel> {
  const tflayers = await import('@tensorflow/tfjs-layers');
  const clone = await tflayers.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as never });
  for (const layer of model.layers) {
    const target = clone.getLayer(layer.name);
    const w = layer.getWeights();
    const qw = plan.weights.get(layer.name);
    if (qw && w.length) {
      const deq = tf.tensor(fakeQuantize(w[0].dataSync() as Float32Array, qw.shape, qw.qp), qw.shape);
      target.setWeights([deq, ...w.slice(1)]);
      deq.dispose();
    } else if (w.length) target.setWeights(w);
  }
  return clone;
}

/**
 * Applies an element-wise function to every conv / dense kernel of a copy of `model` (e.g. float16
 * rounding, truncation, zero-thresholding).
 *
 * @example
 * const half = await mapKernels(model, (w) => roundToFloat16(w));
 */
export async function mapKernels(model: tfl.LayersModel, fn: (kernel: Float32Array, layer: string) => Float32Array, includeBias = false): Promise<tfl.LayersModel> {
  const tflayers = await import('@tensorflow/tfjs-layers');
  const clone = await tflayers.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as never });
  for (const layer of model.layers) {
    const w = layer.getWeights();
    if (!w.length) continue;
    const mapped = w.map((t, i) => (i === 0 || includeBias ? tf.tensor(fn(t.dataSync() as Float32Array, layer.name), t.shape) : t));
    clone.getLayer(layer.name).setWeights(mapped);
    mapped.forEach((t, i) => (i === 0 || includeBias) && t.dispose());
  }
  return clone;
}
