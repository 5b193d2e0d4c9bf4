/**
 * One ONNX exporter per tfjs layer class (src/onnx/export.ts dispatches to them): each appends the layer's
 * nodes to the graph builder, in fp32 or, with a plan, in int8 QDQ form, and throws an OnnxExportError
 * naming the layer when it cannot.
 */
import type { QuantPlan } from '../quantize/model';
import type { LayerDescription } from '../models/describe';
import { DT, tensor } from './proto';
import { Builder, convKernelToOihw, depthwiseToOihw, OnnxExportError, window } from './graph-builder';

/** Exports one layer: `b` is the graph so far, `plan` the PTQ plan of an int8 QDQ export. */
export type LayerExporter = (d: LayerDescription, b: Builder, plan: QuantPlan | undefined) => void;

function activationOf(d: LayerDescription): 'relu' | 'linear' {
  const act = d.activation;
  if (act !== 'relu' && act !== 'linear') {
    throw new OnnxExportError(d.name, d.className, `activation '${act}' is not supported (only relu and linear)`);
  }
  return act;
}

function checkConvConfig(d: LayerDescription): void {
  const cls = d.className;
  if (d.channelsFirst) throw new OnnxExportError(d.name, cls, "dataFormat 'channelsFirst' is not supported (use channelsLast)");
  const dil = d.dilation!;
  if (dil[0] !== 1 || dil[1] !== 1) throw new OnnxExportError(d.name, cls, `dilation rate [${dil}] is not supported (only 1)`);
  if (d.padding !== 'same' && d.padding !== 'valid') throw new OnnxExportError(d.name, cls, `padding '${d.padding}' is not supported`);
}

/** Weight + bias of a conv / dense in float (fp32 graph) or QDQ (int8 graph); returns the input names. */
function weightInputs(b: Builder, layer: string, cls: string, wOnnx: Float32Array, wShape: number[], bias: Float32Array, plan: QuantPlan | undefined, qwOnnx: Int32Array | undefined, channelAxis: number): string[] {
  if (!plan) {
    return [b.init(tensor(`${layer}.weight`, DT.FLOAT, wShape, wOnnx)), b.init(tensor(`${layer}.bias`, DT.FLOAT, [bias.length], bias))];
  }
  const qw = plan.weights.get(layer)!;
  const qp = qw.qp;
  if (qp.groupSize !== undefined) throw new OnnxExportError(layer, cls, 'per-group weight scales have no ONNX QDQ form (use per-channel or per-tensor)');
  if (qp.zeroPoint.some((z) => z !== 0)) throw new OnnxExportError(layer, cls, 'int8 export needs symmetric weights (zero point 0)');
  if ((qp.bits ?? 8) > 8 || qp.qmin < -128 || qp.qmax > 127) throw new OnnxExportError(layer, cls, `weights use ${qp.bits ?? '?'} bits; QDQ export stores int8 weights (at most 8 bits)`);
  if (!b.deq) throw new OnnxExportError(layer, cls, 'its input is not quantized (the plan has no activation parameters before it)');
  const cout = bias.length;
  const perChannel = qp.axis !== undefined && qp.scale.length > 1;
  const wScale = perChannel ? Float32Array.from(qp.scale) : Float32Array.of(qp.scale[0]);
  const inScale = b.deq.scale[0];
  const biasScale = new Float32Array(cout);
  const biasQ = new Int32Array(cout);
  for (let c = 0; c < cout; c++) {
    const acc = inScale * qp.scale[perChannel ? c : 0];
    biasScale[c] = acc;
    biasQ[c] = Math.round(bias[c] / acc);
  }
  const wdims = perChannel ? [cout] : [];
  const wq = b.init(tensor(`${layer}.weight_quantized`, DT.INT8, wShape, Int8Array.from(qwOnnx!)));
  const ws = b.init(tensor(`${layer}.weight_scale`, DT.FLOAT, wdims, wScale));
  const wz = b.init(tensor(`${layer}.weight_zero_point`, DT.INT8, wdims, new Int8Array(perChannel ? cout : 1)));
  const w = b.add('DequantizeLinear', [wq, ws, wz], `${layer}.weight`, perChannel ? { axis: channelAxis } : {});
  const bq = b.init(tensor(`${layer}.bias_quantized`, DT.INT32, [cout], biasQ));
  const bs = b.init(tensor(`${layer}.bias_scale`, DT.FLOAT, [cout], biasScale));
  const bz = b.init(tensor(`${layer}.bias_zero_point`, DT.INT32, [cout], new Int32Array(cout)));
  const bb = b.add('DequantizeLinear', [bq, bs, bz], `${layer}.bias`, { axis: 0 });
  return [w, bb];
}

/** After a conv / dense: ReLU and, in QDQ graphs, the output QuantizeLinear. */
function finishWeighted(b: Builder, layer: string, act: 'relu' | 'linear', plan: QuantPlan | undefined): void {
  if (!plan) {
    if (act === 'relu') b.cur = b.add('Relu', [b.cur], layer);
    return;
  }
  const out = plan.activations![layer];
  if (!out) throw new OnnxExportError(layer, 'layer', 'the plan has no activation parameters for its output (calibrate the plan)');
  // When the output zero point is qmin, QuantizeLinear's clamp already is the ReLU (exactly, on the grid).
  if (act === 'relu' && out.zeroPoint[0] !== out.qmin) b.cur = b.add('Relu', [b.cur], layer);
  b.quantize(out, `${layer}.output`);
}


const skip: LayerExporter = () => {};

const rescaling: LayerExporter = (d, b, plan) => {
  const { name, className: cls } = d;
  if (b.q) throw new OnnxExportError(name, cls, 'a rescaling layer after quantized layers is not supported in QDQ export');
  b.cur = b.add('Mul', [b.cur, b.scalar(`${name}.scale`, d.scale!)], name);
  b.cur = b.add('Add', [b.cur, b.scalar(`${name}.offset`, d.offset!)], name);
  if (plan) {
    const qp = plan.activations![name];
    if (!qp) throw new OnnxExportError(name, cls, 'the plan has no activation parameters for its output');
    b.quantize(qp, `${name}.output`);
  }
};

/** The weights of a conv-like layer as ONNX Conv nodes; returns the output channels. */
type ConvWeights = (d: LayerDescription, b: Builder, plan: QuantPlan | undefined, attrs: { kernel_shape: number[]; strides: number[]; pads: number[]; dilations: number[] }) => number;

const conv2dWeights: ConvWeights = (d, b, plan, attrs) => {
  const { name, className: cls, weights } = d;
  const shape = weights[0].shape as number[];
  const cout = shape[3];
  const kernel = weights[0].dataSync() as Float32Array;
  const bias = d.useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(cout);
  const qw = plan ? (convKernelToOihw(plan.weights.get(name)!.q, shape) as Int32Array) : undefined;
  const ins = weightInputs(b, name, cls, convKernelToOihw(kernel, shape) as Float32Array, [cout, shape[2], shape[0], shape[1]], bias, plan, qw, 0);
  b.cur = b.add('Conv', [b.cur, ...ins], name, { ...attrs, group: 1 });
  return cout;
};

/** The depthwise kernel [kh, kw, cin, mult] as group-conv weights; returns its initializer, cin and cin·mult. */
function depthwiseWeight(d: LayerDescription, b: Builder): { w: string; cin: number; dwOut: number } {
  const dk = d.weights[0];
  const [kh, kw, cin, mult] = dk.shape as number[];
  const dwOut = cin * mult;
  const w = b.init(tensor(`${d.name}.depthwise_weight`, DT.FLOAT, [dwOut, 1, kh, kw], depthwiseToOihw(dk.dataSync() as Float32Array, dk.shape)));
  return { w, cin, dwOut };
}

const depthwiseWeights: ConvWeights = (d, b, _plan, attrs) => {
  const { w, cin, dwOut } = depthwiseWeight(d, b);
  const bias = d.useBias ? (d.weights[1].dataSync() as Float32Array) : new Float32Array(dwOut);
  const bb = b.init(tensor(`${d.name}.bias`, DT.FLOAT, [dwOut], bias));
  b.cur = b.add('Conv', [b.cur, w, bb], d.name, { ...attrs, group: cin });
  return dwOut;
};

/** SeparableConv2D: the depthwise step (no bias), then a 1x1 pointwise Conv with the layer's bias. */
const separableWeights: ConvWeights = (d, b, _plan, attrs) => {
  const { name, weights } = d;
  const { w, cin, dwOut } = depthwiseWeight(d, b);
  b.cur = b.add('Conv', [b.cur, w], `${name}/depthwise`, { ...attrs, group: cin });
  const pw = weights[1];
  const cout = pw.shape[3] as number;
  const bias = d.useBias ? (weights[2].dataSync() as Float32Array) : new Float32Array(cout);
  const pwW = b.init(tensor(`${name}.pointwise_weight`, DT.FLOAT, [cout, dwOut, 1, 1], convKernelToOihw(pw.dataSync() as Float32Array, pw.shape) as Float32Array));
  const bb = b.init(tensor(`${name}.bias`, DT.FLOAT, [cout], bias));
  b.cur = b.add('Conv', [b.cur, pwW, bb], `${name}/pointwise`, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], group: 1 });
  return cout;
};

/** Conv2D, DepthwiseConv2D and SeparableConv2D: checks, NCHW layout, the weights, activation and shape. */
function convolution(weightsOf: ConvWeights): LayerExporter {
  return (d, b, plan) => {
    const { name, className: cls } = d;
    if (b.layout === 'flat') throw new OnnxExportError(name, cls, 'a convolution after Flatten is not supported');
    checkConvConfig(d);
    const act = activationOf(d);
    if (plan && cls !== 'Conv2D') throw new OnnxExportError(name, cls, 'int8 QDQ export supports Conv2D and Dense weights only (optilab PTQ does not quantize this layer)');
    if (plan && !plan.weights.get(name)) throw new OnnxExportError(name, cls, 'the plan has no quantized weights for this layer (it was skipped); int8 export needs every layer quantized');
    const k = d.kernelSize!;
    const s = d.strides!;
    const [h, w] = b.shape;
    const win = window(h, w, k, s, d.padding);
    if (win.out[0] < 1 || win.out[1] < 1) throw new OnnxExportError(name, cls, `its ${k[0]}x${k[1]} kernel does not fit the ${h}x${w} input`);
    b.toLayout('nchw', name);
    b.deq = undefined;
    b.dequantize(`${name}.input`);
    const cout = weightsOf(d, b, plan, { kernel_shape: k, strides: s, pads: win.pads, dilations: [1, 1] });
    finishWeighted(b, name, act, plan);
    b.shape = [win.out[0], win.out[1], cout];
  };
}

const maxPooling: LayerExporter = (d, b) => {
  const { name, className: cls } = d;
  if (b.layout === 'flat') throw new OnnxExportError(name, cls, 'pooling after Flatten is not supported');
  if (d.channelsFirst) throw new OnnxExportError(name, cls, "dataFormat 'channelsFirst' is not supported");
  const k = d.poolSize!;
  const s = d.strides!;
  const [h, w, c] = b.shape;
  const win = window(h, w, k, s, d.padding);
  b.toLayout('nchw', name);
  // MaxPool runs on int8 directly in QDQ graphs (max commutes with the monotone quantizer).
  b.cur = b.add('MaxPool', [b.cur], name, { kernel_shape: k, strides: s, pads: win.pads });
  b.shape = [win.out[0], win.out[1], c];
};

const globalAveragePooling: LayerExporter = (d, b, plan) => {
  const { name, className: cls } = d;
  if (b.layout === 'flat') throw new OnnxExportError(name, cls, 'pooling after Flatten is not supported');
  if (d.channelsFirst) throw new OnnxExportError(name, cls, "dataFormat 'channelsFirst' is not supported");
  if (plan) throw new OnnxExportError(name, cls, 'int8 QDQ export does not support global average pooling (optilab PTQ does not quantize it)');
  if (d.config.keepDims === true) throw new OnnxExportError(name, cls, 'keepDims is not supported');
  b.toLayout('nchw', name);
  b.cur = b.add('GlobalAveragePool', [b.cur], name);
  b.cur = b.add('Flatten', [b.cur], name, { axis: 1 });
  b.layout = 'flat';
  b.shape = [b.shape[2]];
};

const flatten: LayerExporter = (d, b) => {
  if (b.layout === 'flat') return;
  b.toLayout('nhwc', d.name);
  b.cur = b.add('Flatten', [b.cur], d.name, { axis: 1 });
  b.layout = 'flat';
  b.shape = [b.shape.reduce((x, y) => x * y, 1)];
};

const dense: LayerExporter = (d, b, plan) => {
  const { name, className: cls, weights } = d;
  if (b.layout !== 'flat') throw new OnnxExportError(name, cls, 'Dense on a non-flattened (rank > 2) input is not supported: add a Flatten layer before it');
  const act = activationOf(d);
  if (plan && !plan.weights.get(name)) throw new OnnxExportError(name, cls, 'the plan has no quantized weights for this layer (it was skipped); int8 export needs every layer quantized');
  const kernel = weights[0];
  const [fin, cout] = kernel.shape;
  if (fin !== b.shape[0]) throw new OnnxExportError(name, cls, `expects ${fin} inputs but the previous layer gives ${b.shape[0]}`);
  const bias = d.useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(cout);
  b.deq = undefined;
  b.dequantize(`${name}.input`);
  const ins = weightInputs(b, name, cls, kernel.dataSync() as Float32Array, [fin, cout], bias, plan, plan?.weights.get(name)!.q, 1);
  b.cur = b.add('Gemm', [b.cur, ...ins], name);
  finishWeighted(b, name, act, plan);
  b.shape = [cout];
};

/** ReLU and Activation(relu | linear): a Relu node (on the dequantized tensor in QDQ graphs, requantized after). */
const relu: LayerExporter = (d, b) => {
  const { name, className: cls } = d;
  if (cls === 'ReLU' && !d.plainRelu) throw new OnnxExportError(name, cls, 'only a plain ReLU is supported (no max value, slope or threshold)');
  const act = cls === 'ReLU' ? 'relu' : activationOf(d);
  if (act === 'linear') return;
  const q = b.q;
  b.dequantize(`${name}.input`);
  b.cur = b.add('Relu', [b.cur], name);
  if (q) b.quantize(q, `${name}.output`);
};

/** The exporter of each supported tfjs layer class. */
export const LAYER_EXPORTERS: Readonly<Record<string, LayerExporter>> = {
  InputLayer: skip,
  Dropout: skip,
  Rescaling: rescaling,
  Conv2D: convolution(conv2dWeights),
  DepthwiseConv2D: convolution(depthwiseWeights),
  SeparableConv2D: convolution(separableWeights),
  MaxPooling2D: maxPooling,
  GlobalAveragePooling2D: globalAveragePooling,
  Flatten: flatten,
  Dense: dense,
  ReLU: relu,
  Activation: relu,
};
