/**
 * Export of sequential tfjs-layers models (the zoo, pruned-and-shrunk and low-rank rebuilds, depthwise edge
 * models) to ONNX (opset 13): an fp32 graph, or an int8 QDQ graph built from an optilab PTQ plan
 * (QuantizeLinear / DequantizeLinear around every conv and dense layer, per-channel symmetric int8 weights,
 * int32 biases, per-tensor activations).
 *
 * The graph takes the same NHWC input as tfjs ([batch, h, w, c], pixels in [0, 1]); convolutions run in NCHW
 * after a Transpose, and a Transpose back to NHWC comes before Flatten so the flattened order is exactly
 * tfjs's.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { QParams } from '../quantize/qparams';
import type { QuantPlan } from '../quantize/model';
import { describeLayers, LayerDescription } from '../models/describe';
import { AttrValue, DT, encodeModel, node, OnnxNode, OnnxTensor, tensor, valueInfo } from './proto';

/** The ONNX operator set the exporter writes. */
export const ONNX_OPSET = 13;

/** An exporter error: names the layer and why it cannot be exported. */
export class OnnxExportError extends Error {
  constructor(public layer: string, public className: string, reason: string) {
    super(`cannot export layer '${layer}' (${className}) to ONNX: ${reason}`);
    this.name = 'OnnxExportError';
  }
}

/** Options of `exportOnnx`. */
export interface OnnxExportOptions {
  /** A calibrated optilab PTQ plan (`buildPtqPlan` with calibration data): writes an int8 QDQ graph. */
  plan?: QuantPlan;
  /** Graph name; default the model's name. */
  name?: string;
  /**
   * Element type of quantized activations in QDQ graphs. Default 'uint8': optilab's signed asymmetric int8
   * activations shifted by 128 (q + 128, zero point + 128: the same real values, exactly), which is what
   * ONNX Runtime's x86 kernels fuse into QLinearConv / QGemm (u8 activations x s8 weights). 'int8' keeps
   * the signed form. Weights are int8 either way.
   */
  activationType?: 'uint8' | 'int8';
}

type Layout = 'nhwc' | 'nchw' | 'flat';

/** The graph under construction and the state of the tensor flowing through it. */
class Builder {
  nodes: OnnxNode[] = [];
  inits: OnnxTensor[] = [];
  cur = 'input';
  layout: Layout = 'nhwc';
  /** [h, w, c] while spatial; [features] once flat. */
  shape: number[];
  /** Quantization of `cur` when it is an int8 tensor (QDQ graphs). */
  q?: QParams;
  /** Quantization of the float tensor last produced by `dequantize` (the input scale of the next conv / dense). */
  deq?: QParams;
  private n = 0;

  constructor(inputShape: number[], private unsigned = true) {
    this.shape = inputShape;
  }

  fresh(base: string): string {
    return `${base}_${this.n++}`;
  }

  add(op: string, inputs: string[], name: string, attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? this.fresh(`${name}/${op}`);
    this.nodes.push(node(op, inputs, [out], `${name}/${op}`, attrs));
    return out;
  }

  init(t: OnnxTensor): string {
    this.inits.push(t);
    return t.name;
  }

  scalar(name: string, v: number): string {
    return this.init(tensor(name, DT.FLOAT, [], Float32Array.of(v)));
  }

  toLayout(target: 'nchw' | 'nhwc', name: string): void {
    if (this.layout === target || this.layout === 'flat') return;
    const perm = target === 'nchw' ? [0, 3, 1, 2] : [0, 2, 3, 1];
    this.cur = this.add('Transpose', [this.cur], `${name}/to_${target}`, { perm });
    this.layout = target;
  }

  /** Quantizes `cur` (float) with per-tensor parameters. */
  quantize(qp: QParams, name: string): void {
    if (qp.qmin !== -128 || qp.qmax !== 127 || qp.scale.length !== 1) {
      throw new Error(`int8 QDQ export: activation '${name}' must use per-tensor signed 8-bit parameters [-128, 127], got [${qp.qmin}, ${qp.qmax}] with ${qp.scale.length} scale(s)`);
    }
    const s = this.scalar(`${name}.act_scale`, qp.scale[0]);
    const z = this.unsigned
      ? this.init(tensor(`${name}.act_zero_point`, DT.UINT8, [], Uint8Array.of(qp.zeroPoint[0] + 128)))
      : this.init(tensor(`${name}.act_zero_point`, DT.INT8, [], Int8Array.of(qp.zeroPoint[0])));
    this.cur = this.add('QuantizeLinear', [this.cur, s, z], name);
    this.q = qp;
  }

  /** Dequantizes `cur` when it is int8 (reusing the parameters' initializers of its QuantizeLinear). */
  dequantize(name: string): void {
    if (!this.q) return;
    const q = this.nodes.filter((n) => n.opType === 'QuantizeLinear').pop()!;
    this.cur = this.add('DequantizeLinear', [this.cur, q.input[1], q.input[2]], name);
    this.deq = this.q;
    this.q = undefined;
  }
}

/** Output size and [top, left, bottom, right] pads of tfjs 'same' / 'valid' padding. */
function window(h: number, w: number, k: [number, number], s: [number, number], padding: string): { out: [number, number]; pads: number[] } {
  const one = (inp: number, kk: number, ss: number): [number, number, number] => {
    if (padding === 'same') {
      const out = Math.ceil(inp / ss);
      const total = Math.max((out - 1) * ss + kk - inp, 0);
      return [out, Math.floor(total / 2), total - Math.floor(total / 2)];
    }
    return [Math.floor((inp - kk) / ss) + 1, 0, 0];
  };
  const [oh, pt, pb] = one(h, k[0], s[0]);
  const [ow, pl, pr] = one(w, k[1], s[1]);
  return { out: [oh, ow], pads: [pt, pl, pb, pr] };
}

/** Reorders a tfjs conv kernel [kh, kw, cin, cout] to ONNX's [cout, cin, kh, kw]. */
function convKernelToOihw(k: Float32Array | Int32Array, shape: number[]): Float32Array | Int32Array {
  const [kh, kw, cin, cout] = shape;
  const out = new (k.constructor as typeof Float32Array)(k.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) out[((o * cin + c) * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * cout + o];
  return out;
}

/** Reorders a tfjs depthwise kernel [kh, kw, cin, mult] to ONNX group-conv weights [cin·mult, 1, kh, kw]. */
function depthwiseToOihw(k: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, cin, mult] = shape;
  const out = new Float32Array(k.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < mult; m++) out[((c * mult + m) * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * mult + m];
  return out;
}

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

/**
 * Builds the ONNX ModelProto bytes of a sequential model: fp32, or int8 QDQ when `opts.plan` (a calibrated
 * optilab PTQ plan of this model) is given. Supported layers: InputLayer, Dropout, Rescaling, Conv2D,
 * DepthwiseConv2D, SeparableConv2D and GlobalAveragePooling2D (fp32), MaxPooling2D, Flatten, Dense, ReLU, Activation(relu|linear);
 * anything else throws an OnnxExportError naming the layer and the reason.
 *
 * @example
 * const bytes = exportOnnx(model);                        // fp32
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * const int8 = exportOnnx(model, { plan });               // QDQ
 * fs.writeFileSync('mnistCnn.int8.onnx', int8);
 */
export function exportOnnx(model: tfl.LayersModel, opts: OnnxExportOptions = {}): Uint8Array {
  const inShape = model.inputs[0]?.shape;
  if (!inShape || inShape.length !== 4 || inShape.slice(1).some((d) => d === null)) {
    throw new OnnxExportError(model.name, 'model', `the input shape must be [batch, height, width, channels] with known sizes, got ${JSON.stringify(inShape)}`);
  }
  const [h0, w0, c0] = inShape.slice(1) as number[];
  const plan = opts.plan;
  if (plan && !plan.activations) throw new Error('int8 QDQ export needs a calibrated plan: pass calibration data to buildPtqPlan');
  if (plan?.dynamicActivationBits) throw new Error('int8 QDQ export needs static activation ranges, not dynamic quantization');
  const b = new Builder([h0, w0, c0], (opts.activationType ?? 'uint8') === 'uint8');
  const layers = describeLayers(model);
  const firstReal = layers.find((l) => l.className !== 'InputLayer');
  if (plan && firstReal?.className !== 'Rescaling') {
    const qin = plan.activations!.input;
    if (!qin) throw new Error("int8 QDQ export: the plan has no input quantization ('input' in plan.activations)");
    b.quantize(qin, 'input.q');
  }
  for (const d of layers) {
    const cls = d.className;
    const name = d.name;
    const weights = d.weights;
    switch (cls) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Rescaling': {
        if (b.q) throw new OnnxExportError(name, cls, 'a rescaling layer after quantized layers is not supported in QDQ export');
        b.cur = b.add('Mul', [b.cur, b.scalar(`${name}.scale`, d.scale!)], name);
        b.cur = b.add('Add', [b.cur, b.scalar(`${name}.offset`, d.offset!)], name);
        if (plan) {
          const qp = plan.activations![name];
          if (!qp) throw new OnnxExportError(name, cls, 'the plan has no activation parameters for its output');
          b.quantize(qp, `${name}.output`);
        }
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        if (b.layout === 'flat') throw new OnnxExportError(name, cls, 'a convolution after Flatten is not supported');
        checkConvConfig(d);
        const act = activationOf(d);
        if (plan && cls !== 'Conv2D') throw new OnnxExportError(name, cls, 'int8 QDQ export supports Conv2D and Dense weights only (optilab PTQ does not quantize this layer)');
        if (plan && !plan.weights.get(name)) throw new OnnxExportError(name, cls, 'the plan has no quantized weights for this layer (it was skipped); int8 export needs every layer quantized');
        const k = d.kernelSize!;
        const s = d.strides!;
        const [h, w, c] = b.shape;
        const win = window(h, w, k, s, d.padding);
        if (win.out[0] < 1 || win.out[1] < 1) throw new OnnxExportError(name, cls, `its ${k[0]}x${k[1]} kernel does not fit the ${h}x${w} input`);
        b.toLayout('nchw', name);
        b.deq = undefined;
        b.dequantize(`${name}.input`);
        const useBias = d.useBias;
        const attrs = { kernel_shape: k, strides: s, pads: win.pads, dilations: [1, 1] };
        let cout: number;
        if (cls === 'Conv2D') {
          const shape = weights[0].shape as number[];
          cout = shape[3];
          const kernel = weights[0].dataSync() as Float32Array;
          const bias = useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(cout);
          const qw = plan ? (convKernelToOihw(plan.weights.get(name)!.q, shape) as Int32Array) : undefined;
          const ins = weightInputs(b, name, cls, convKernelToOihw(kernel, shape) as Float32Array, [cout, shape[2], shape[0], shape[1]], bias, plan, qw, 0);
          b.cur = b.add('Conv', [b.cur, ...ins], name, { ...attrs, group: 1 });
        } else {
          const dk = weights[0];
          const [kh, kw, cin, mult] = dk.shape as number[];
          const dwOut = cin * mult;
          const dw = depthwiseToOihw(dk.dataSync() as Float32Array, dk.shape);
          const dwW = b.init(tensor(`${name}.depthwise_weight`, DT.FLOAT, [dwOut, 1, kh, kw], dw));
          if (cls === 'DepthwiseConv2D') {
            cout = dwOut;
            const bias = useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(cout);
            const bb = b.init(tensor(`${name}.bias`, DT.FLOAT, [cout], bias));
            b.cur = b.add('Conv', [b.cur, dwW, bb], name, { ...attrs, group: cin });
          } else {
            // SeparableConv2D: the depthwise step (no bias), then a 1x1 pointwise Conv with the layer's bias.
            b.cur = b.add('Conv', [b.cur, dwW], `${name}/depthwise`, { ...attrs, group: cin });
            const pw = weights[1];
            cout = pw.shape[3] as number;
            const bias = useBias ? (weights[2].dataSync() as Float32Array) : new Float32Array(cout);
            const pwW = b.init(tensor(`${name}.pointwise_weight`, DT.FLOAT, [cout, dwOut, 1, 1], convKernelToOihw(pw.dataSync() as Float32Array, pw.shape) as Float32Array));
            const bb = b.init(tensor(`${name}.bias`, DT.FLOAT, [cout], bias));
            b.cur = b.add('Conv', [b.cur, pwW, bb], `${name}/pointwise`, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], group: 1 });
          }
          void c;
        }
        finishWeighted(b, name, act, plan);
        b.shape = [win.out[0], win.out[1], cout];
        break;
      }
      case 'MaxPooling2D': {
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
        break;
      }
      case 'GlobalAveragePooling2D': {
        if (b.layout === 'flat') throw new OnnxExportError(name, cls, 'pooling after Flatten is not supported');
        if (d.channelsFirst) throw new OnnxExportError(name, cls, "dataFormat 'channelsFirst' is not supported");
        if (plan) throw new OnnxExportError(name, cls, 'int8 QDQ export does not support global average pooling (optilab PTQ does not quantize it)');
        if (d.config.keepDims === true) throw new OnnxExportError(name, cls, 'keepDims is not supported');
        b.toLayout('nchw', name);
        b.cur = b.add('GlobalAveragePool', [b.cur], name);
        b.cur = b.add('Flatten', [b.cur], name, { axis: 1 });
        b.layout = 'flat';
        b.shape = [b.shape[2]];
        break;
      }
      case 'Flatten': {
        if (b.layout !== 'flat') {
          b.toLayout('nhwc', name);
          b.cur = b.add('Flatten', [b.cur], name, { axis: 1 });
          b.layout = 'flat';
          b.shape = [b.shape.reduce((x, y) => x * y, 1)];
        }
        break;
      }
      case 'Dense': {
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
        break;
      }
      case 'ReLU':
      case 'Activation': {
        if (cls === 'ReLU' && !d.plainRelu) {
          throw new OnnxExportError(name, cls, 'only a plain ReLU is supported (no max value, slope or threshold)');
        }
        const act = cls === 'ReLU' ? 'relu' : activationOf(d);
        if (act === 'linear') break;
        const q = b.q;
        b.dequantize(`${name}.input`);
        b.cur = b.add('Relu', [b.cur], name);
        if (q) b.quantize(q, `${name}.output`);
        break;
      }
      default:
        throw new OnnxExportError(name, cls, `the ONNX exporter supports InputLayer, Dropout, Rescaling, Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense, ReLU and Activation layers, not ${cls}`);
    }
  }
  if (b.layout !== 'flat') b.toLayout('nhwc', 'output');
  b.dequantize('logits.dequantize');
  // Name the final tensor 'logits' with an Identity so the graph output has a stable name.
  b.add('Identity', [b.cur], 'output', {}, 'logits');
  const outDims: (number | string)[] = b.layout === 'flat' ? ['batch', ...b.shape] : ['batch', ...b.shape];
  return encodeModel({
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: opts.name ?? model.name,
      node: b.nodes,
      initializer: b.inits,
      input: [valueInfo('input', DT.FLOAT, ['batch', h0, w0, c0])],
      output: [valueInfo('logits', DT.FLOAT, outDims)],
    },
  });
}
