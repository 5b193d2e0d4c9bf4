/**
 * One TFLite writer per tfjs layer class (src/tflite/export.ts dispatches to them): each appends the layer's
 * operators to the graph, in fp32 or, with a plan, full-integer int8, and returns the tensor that flows on;
 * it throws a TfliteExportError naming the layer when it cannot.
 */
import type { LayerDescription } from '../models/describe';
import { ActivationFunctionType, BuiltinOperator, Padding, TensorType } from './graph';
import { activationName, Cursor, Exporter, hwioToOhwi, outSize, quantOf, TfliteExportError, transpose2d } from './tflite-builder';

/** What a writer sees: the graph so far, the layer, the tensor it reads, and where the layer stands. */
export interface LayerStep {
  x: Exporter;
  d: LayerDescription;
  cur: Cursor;
  /** The layer's index among the model's layers (InputLayer left out). */
  index: number;
  /** The int8 export starts at the first Rescaling's output (the quantized input is the normalized image). */
  skipFirstRescale: boolean;
}

/** Writes one layer; returns the tensor after it (`step.cur` when the layer adds no operator). */
export type LayerWriter = (step: LayerStep) => Cursor;

/** fp32 and int8 versions of an operator differ; `fp`/`i8` are the TFLite op versions. */
const version = (x: Exporter, fp: number, i8: number): number => (x.int8 ? i8 : fp);

function needSpatial({ d, cur }: LayerStep): void {
  if (cur.shape.length !== 3) throw new TfliteExportError(d.name, d.className, 'needs a spatial [h, w, c] input, but the previous layers flattened it');
  if (d.channelsFirst) throw new TfliteExportError(d.name, d.className, "dataFormat 'channelsFirst' is not supported (use channelsLast)");
}

function noInt8({ x, d }: LayerStep, why: string): void {
  if (x.int8) throw new TfliteExportError(d.name, d.className, `full-integer export does not support it: ${why}`);
}

const allowedActivations = (x: Exporter): string[] => (x.int8 ? ['relu', 'linear'] : ['relu', 'linear', 'softmax']);

const rescaling: LayerWriter = (step) => {
  const { x, d, cur, index, skipFirstRescale } = step;
  if (index === 0 && skipFirstRescale) return cur;
  noInt8(step, 'optilab PTQ supports a Rescaling layer only as the first layer');
  const s = x.constant(`${d.name}/scale`, [1], Float32Array.of(d.scale!), TensorType.FLOAT32);
  const scaled = x.op(BuiltinOperator.MUL, 1, [cur.id, s], `${d.name}/mul`, cur.shape, { kind: 'mul', act: ActivationFunctionType.NONE }, d.name);
  const o = x.constant(`${d.name}/offset`, [1], Float32Array.of(d.offset!), TensorType.FLOAT32);
  return x.op(BuiltinOperator.ADD, 1, [scaled.id, o], d.name, cur.shape, { kind: 'add', act: ActivationFunctionType.NONE }, d.name);
};

/** Kernel, strides, padding and output size of a convolution, checked. */
function convGeometry(step: LayerStep) {
  const { d, cur } = step;
  needSpatial(step);
  const cls = d.className;
  const dil = d.dilation!;
  if (dil[0] !== 1 || dil[1] !== 1) throw new TfliteExportError(d.name, cls, `dilation rate [${dil}] is not supported (only 1)`);
  if (d.padding !== 'same' && d.padding !== 'valid') throw new TfliteExportError(d.name, cls, `padding '${d.padding}' is not supported`);
  const act = activationName(d, allowedActivations(step.x));
  if (act === 'softmax') throw new TfliteExportError(d.name, cls, 'softmax on a convolution output is not supported');
  const k = d.kernelSize!;
  const s = d.strides!;
  const [h, w] = cur.shape;
  const oh = outSize(h, k[0], s[0], d.padding);
  const ow = outSize(w, k[1], s[1], d.padding);
  if (oh < 1 || ow < 1) throw new TfliteExportError(d.name, cls, `its ${k[0]}x${k[1]} kernel does not fit the ${h}x${w} input`);
  return {
    oh,
    ow,
    stride: s,
    padding: d.padding === 'same' ? Padding.SAME : Padding.VALID,
    fused: act === 'relu' ? ActivationFunctionType.RELU : ActivationFunctionType.NONE,
  };
}

/** The bias values of a layer (zeros when it has none); `at` is the bias's index among the weights. */
const biasOf = (d: LayerDescription, at: number, size: number): Float32Array => (d.useBias ? (d.weights[at].dataSync() as Float32Array) : new Float32Array(size));

const conv2d: LayerWriter = (step) => {
  const { x, d, cur } = step;
  const { oh, ow, stride, padding, fused } = convGeometry(step);
  const kshape = d.weights[0].shape as number[];
  const cout = kshape[3];
  const [wt, bt] = x.weightAndBias(d.name, d.className, [cout, kshape[0], kshape[1], kshape[2]], hwioToOhwi(kshape), d.weights[0].dataSync() as Float32Array, biasOf(d, 1, cout), cur.quant);
  const q = x.int8 ? quantOf(x.outQuant(d.name, d.className)) : undefined;
  return x.op(BuiltinOperator.CONV_2D, version(x, 1, 3), [cur.id, wt, bt], d.name, [oh, ow, cout], { kind: 'conv', padding, stride, act: fused }, d.name, q);
};

/** The depthwise kernel as TFLite's [1, kh, kw, cin · mult] constant (the same bytes as tfjs's [kh, kw, cin, mult]). */
function depthwiseKernel(x: Exporter, d: LayerDescription): { id: number; channels: number; multiplier: number } {
  const dk = d.weights[0];
  const [kh, kw, cin, multiplier] = dk.shape as number[];
  const channels = cin * multiplier;
  return { id: x.constant(`${d.name}/depthwise_kernel`, [1, kh, kw, channels], dk.dataSync() as Float32Array, TensorType.FLOAT32), channels, multiplier };
}

const depthwiseConv2d: LayerWriter = (step) => {
  const { x, d, cur } = step;
  const { oh, ow, stride, padding, fused } = convGeometry(step);
  noInt8(step, 'optilab PTQ quantizes Conv2D and Dense weights only');
  const dw = depthwiseKernel(x, d);
  const bt = x.constant(`${d.name}/bias`, [dw.channels], biasOf(d, 1, dw.channels), TensorType.FLOAT32);
  return x.op(BuiltinOperator.DEPTHWISE_CONV_2D, 1, [cur.id, dw.id, bt], d.name, [oh, ow, dw.channels], { kind: 'depthwise', padding, stride, multiplier: dw.multiplier, act: fused }, d.name);
};

// A separable convolution is a depthwise convolution (no bias) followed by a 1x1 convolution.
const separableConv2d: LayerWriter = (step) => {
  const { x, d, cur } = step;
  const { oh, ow, stride, padding, fused } = convGeometry(step);
  noInt8(step, 'optilab PTQ quantizes Conv2D and Dense weights only');
  const dw = depthwiseKernel(x, d);
  const zero = x.constant(`${d.name}/depthwise_bias`, [dw.channels], new Float32Array(dw.channels), TensorType.FLOAT32);
  const depthwise = x.op(BuiltinOperator.DEPTHWISE_CONV_2D, 1, [cur.id, dw.id, zero], `${d.name}/depthwise`, [oh, ow, dw.channels], { kind: 'depthwise', padding, stride, multiplier: dw.multiplier, act: ActivationFunctionType.NONE }, d.name);
  const pw = d.weights[1];
  const pshape = pw.shape as number[];
  const cout = pshape[3];
  const [wt, bt] = x.weightAndBias(d.name, d.className, [cout, 1, 1, dw.channels], hwioToOhwi(pshape), pw.dataSync() as Float32Array, biasOf(d, 2, cout), undefined);
  return x.op(BuiltinOperator.CONV_2D, 1, [depthwise.id, wt, bt], d.name, [oh, ow, cout], { kind: 'conv', padding: Padding.VALID, stride: [1, 1], act: fused }, d.name);
};

function pooling(op: BuiltinOperator, int8Version: number): LayerWriter {
  return (step) => {
    const { x, d, cur } = step;
    needSpatial(step);
    if (op === BuiltinOperator.AVERAGE_POOL_2D) noInt8(step, 'optilab PTQ does not quantize average pooling');
    const [h, w, c] = cur.shape;
    const k = d.poolSize!;
    const s = d.strides!;
    const shape = [outSize(h, k[0], s[0], d.padding), outSize(w, k[1], s[1], d.padding), c];
    const options = { kind: 'pool' as const, padding: d.padding === 'same' ? Padding.SAME : Padding.VALID, stride: s, filter: k, act: ActivationFunctionType.NONE };
    return x.op(op, version(x, 1, int8Version), [cur.id], d.name, shape, options, d.name, cur.quant);
  };
}

// Global average pooling is an average pool over the whole map, then a reshape to [1, c].
const globalAveragePooling2d: LayerWriter = (step) => {
  const { x, d, cur } = step;
  needSpatial(step);
  noInt8(step, 'optilab PTQ does not quantize global average pooling');
  if (d.config.keepDims === true) throw new TfliteExportError(d.name, d.className, 'keepDims is not supported');
  const [h, w, c] = cur.shape;
  const pooled = x.op(BuiltinOperator.AVERAGE_POOL_2D, 1, [cur.id], `${d.name}/pool`, [1, 1, c], { kind: 'pool', padding: Padding.VALID, stride: [1, 1], filter: [h, w], act: ActivationFunctionType.NONE }, d.name);
  const shapeT = x.constant(`${d.name}/shape`, [2], Int32Array.of(1, c), TensorType.INT32);
  return x.op(BuiltinOperator.RESHAPE, 1, [pooled.id, shapeT], d.name, [c], { kind: 'reshape', newShape: [1, c] }, d.name);
};

const flatten: LayerWriter = ({ x, d, cur }) => {
  if (cur.shape.length !== 3) return cur;
  const n = cur.shape.reduce((a, b) => a * b, 1);
  const shapeT = x.constant(`${d.name}/shape`, [2], Int32Array.of(1, n), TensorType.INT32);
  return x.op(BuiltinOperator.RESHAPE, 1, [cur.id, shapeT], d.name, [n], { kind: 'reshape', newShape: [1, n] }, d.name, cur.quant);
};

const dense: LayerWriter = ({ x, d, cur }) => {
  const cls = d.className;
  if (cur.shape.length === 3) throw new TfliteExportError(d.name, cls, 'Dense on a non-flattened (rank > 2) input is not supported: add a Flatten layer before it');
  const act = activationName(d, allowedActivations(x));
  const kernel = d.weights[0];
  const [fin, fout] = kernel.shape;
  if (fin !== cur.shape[0]) throw new TfliteExportError(d.name, cls, `expects ${fin} inputs but the previous layer gives ${cur.shape[0]}`);
  const [wt, bt] = x.weightAndBias(d.name, cls, [fout, fin], transpose2d(fin, fout), kernel.dataSync() as Float32Array, biasOf(d, 1, fout), cur.quant);
  const q = x.int8 ? quantOf(x.outQuant(d.name, cls)) : undefined;
  const fused = act === 'relu' ? ActivationFunctionType.RELU : ActivationFunctionType.NONE;
  const out = x.op(BuiltinOperator.FULLY_CONNECTED, version(x, 1, 4), [cur.id, wt, bt], act === 'softmax' ? `${d.name}/logits` : d.name, [fout], { kind: 'fc', act: fused }, d.name, q);
  return act === 'softmax' ? x.op(BuiltinOperator.SOFTMAX, 1, [out.id], d.name, [fout], { kind: 'softmax', beta: 1 }, d.name) : out;
};

// ReLU fuses into the operator before it; softmax is its own operator; linear adds nothing.
const activation: LayerWriter = ({ x, d, cur }) => {
  const cls = d.className;
  if (cls === 'ReLU' && !d.plainRelu) throw new TfliteExportError(d.name, cls, 'only a plain ReLU is supported (no max value, slope or threshold)');
  const act = cls === 'ReLU' ? 'relu' : activationName(d, allowedActivations(x));
  if (act === 'linear') return cur;
  if (act === 'relu') {
    x.fuseRelu(cur, d.name, cls);
    return cur;
  }
  if (cur.shape.length === 3) throw new TfliteExportError(d.name, cls, 'softmax is supported on flat [batch, classes] tensors only');
  return x.op(BuiltinOperator.SOFTMAX, 1, [cur.id], d.name, cur.shape, { kind: 'softmax', beta: 1 }, d.name);
};

/** The writer of each supported tfjs layer class. */
export const LAYER_WRITERS: Record<string, LayerWriter> = {
  Dropout: ({ cur }) => cur,
  Rescaling: rescaling,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  MaxPooling2D: pooling(BuiltinOperator.MAX_POOL_2D, 2),
  AveragePooling2D: pooling(BuiltinOperator.AVERAGE_POOL_2D, 2),
  GlobalAveragePooling2D: globalAveragePooling2d,
  Flatten: flatten,
  Dense: dense,
  ReLU: activation,
  Activation: activation,
};
