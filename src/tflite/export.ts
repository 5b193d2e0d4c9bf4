/**
 * Export of sequential tfjs-layers models (the zoo, trained or pruned rebuilds, depthwise edge models) to
 * TensorFlow Lite: an fp32 model, or a full-integer int8 model from a calibrated optilab PTQ plan
 * (per-channel symmetric int8 weights, per-tensor asymmetric int8 activations, int32 biases at scale
 * s_in · s_w, int8 input and output: TFLite's full-integer mode).
 *
 * Layout: tfjs and TFLite both keep activations in NHWC, so no transposes are needed; conv kernels go from
 * tfjs's HWIO to TFLite's OHWI, dense kernels from [in, out] to [out, in]; depthwise kernels [kh, kw, cin,
 * mult] have the same bytes as TFLite's [1, kh, kw, cin · mult].
 *
 * The int8 model's input tensor holds the quantized image as optilab's integer path quantizes it: when the
 * model starts with a Rescaling layer (the zoo's normalization), the input's scale and zero point describe the
 * normalized image (the rescaling is done in float before quantization, as a TFLite converter given normalized
 * data would do).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { QuantPlan } from '../quantize/model';
import type { QParams } from '../quantize/qparams';
import { rint } from '../quantize/scalar';
import { describeLayers, LayerDescription } from '../models/describe';
import { ActivationFunctionType, BuiltinOperator, bytesOf, Graph, GraphOp, OpOptions, Padding, serializeGraph, TensorType, TfliteQuant } from './graph';

/** An exporter error: names the layer and why it cannot be exported. */
export class TfliteExportError extends Error {
  constructor(public layer: string, public className: string, reason: string) {
    super(`cannot export layer '${layer}' (${className}) to TFLite: ${reason}`);
    this.name = 'TfliteExportError';
  }
}

/** Options of `exportTflite`. */
export interface TfliteExportOptions {
  /** A calibrated optilab PTQ plan of this model (`buildPtqPlan` with calibration data): writes a full-integer int8 model. */
  plan?: QuantPlan;
  /** Free-text description stored in the file; default 'optilab export of <model name>'. */
  description?: string;
}

const SUPPORTED = 'InputLayer, Dropout, Rescaling, Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, ReLU and Activation (relu, linear, softmax)';

function outSize(inp: number, k: number, s: number, padding: string): number {
  return padding === 'same' ? Math.ceil(inp / s) : Math.floor((inp - k) / s) + 1;
}

function quantOf(qp: QParams): TfliteQuant {
  return { scale: [qp.scale[0]], zeroPoint: [qp.zeroPoint[0]] };
}

/** The tensor flowing through the model while layers are converted. */
interface Cursor {
  id: number;
  /** [h, w, c] while spatial; [features] once flat. */
  shape: number[];
  quant?: TfliteQuant;
}

class Exporter {
  g = new Graph();
  n = 0;
  constructor(public plan: QuantPlan | undefined) {}

  get int8(): boolean {
    return this.plan !== undefined;
  }

  constant(name: string, shape: number[], data: Float32Array | Int32Array | Int8Array, type: TensorType, quant?: TfliteQuant): number {
    return this.g.addTensor({ name, shape, type, data: bytesOf(data), quant });
  }

  activation(name: string, shape: number[], quant?: TfliteQuant): number {
    return this.g.addTensor({ name, shape: [1, ...shape], type: quant ? TensorType.INT8 : TensorType.FLOAT32, quant });
  }

  op(op: BuiltinOperator, version: number, inputs: number[], outName: string, outShape: number[], options: OpOptions, layer: string, quant?: TfliteQuant): Cursor {
    const out = this.activation(outName, outShape, quant);
    this.g.addOp({ op, version, inputs, outputs: [out], options, layer });
    return { id: out, shape: outShape, quant };
  }

  /** The last operator, when `c` is its only output and nothing else reads it yet. */
  producer(c: Cursor): GraphOp | undefined {
    const last = this.g.ops[this.g.ops.length - 1];
    return last && last.outputs[0] === c.id ? last : undefined;
  }

  /** Fuses a ReLU into the operator that produced `c`. */
  fuseRelu(c: Cursor, layer: string, cls: string): void {
    const p = this.producer(c);
    const o = p?.options;
    if (!o || !('act' in o)) throw new TfliteExportError(layer, cls, 'a ReLU must follow a layer that can fuse it (conv, dense, pooling); TFLite has no such operator in this exporter');
    if (o.act !== ActivationFunctionType.NONE) return; // relu(relu(x)) = relu(x)
    o.act = ActivationFunctionType.RELU;
  }

  /** Output quantization of a quantized layer in the plan. */
  outQuant(layer: string, cls: string): QParams {
    const qp = this.plan!.activations![layer];
    if (!qp) throw new TfliteExportError(layer, cls, 'the plan has no activation parameters for its output (calibrate the plan)');
    if (qp.qmin !== -128 || qp.qmax !== 127 || qp.scale.length !== 1) {
      throw new TfliteExportError(layer, cls, `full-integer export needs per-tensor signed 8-bit activations [-128, 127], got [${qp.qmin}, ${qp.qmax}] with ${qp.scale.length} scale(s)`);
    }
    return qp;
  }

  /** Weight tensor (float, or int8 per-channel) and int32 / float bias for a conv or dense layer. */
  weightAndBias(layer: string, cls: string, wShape: number[], reorder: (k: ArrayLike<number>) => Float32Array, kernel: Float32Array, bias: Float32Array, inQuant: TfliteQuant | undefined): [number, number] {
    const cout = wShape[0];
    if (!this.plan) {
      return [this.constant(`${layer}/kernel`, wShape, reorder(kernel), TensorType.FLOAT32), this.constant(`${layer}/bias`, [cout], bias, TensorType.FLOAT32)];
    }
    const qw = this.plan.weights.get(layer);
    if (!qw) throw new TfliteExportError(layer, cls, 'the plan has no quantized weights for this layer (it was skipped); full-integer export needs every layer quantized');
    const qp = qw.qp;
    if (qp.groupSize !== undefined) throw new TfliteExportError(layer, cls, 'per-group weight scales have no TFLite form (use per-channel or per-tensor)');
    if (qp.zeroPoint.some((z) => z !== 0)) throw new TfliteExportError(layer, cls, 'TFLite int8 kernels need symmetric weights (zero point 0)');
    if (qp.qmin < -128 || qp.qmax > 127) throw new TfliteExportError(layer, cls, `weights use ${qp.bits ?? '?'} bits; TFLite int8 stores at most 8 bits`);
    if (!inQuant) throw new TfliteExportError(layer, cls, 'its input is not quantized');
    const perChannel = qp.axis !== undefined && qp.scale.length > 1;
    const wScale = Array.from({ length: cout }, (_, c) => qp.scale[perChannel ? c : 0]);
    const q = Int8Array.from(reorder(qw.q));
    const w = this.constant(`${layer}/kernel`, wShape, q, TensorType.INT8, { scale: wScale, zeroPoint: new Array(cout).fill(0), axis: 0 });
    const sIn = inQuant.scale[0];
    const bq = new Int32Array(cout);
    const bScale: number[] = [];
    for (let c = 0; c < cout; c++) {
      const acc = sIn * wScale[c];
      bScale.push(acc);
      bq[c] = rint(bias[c] / acc);
    }
    const b = this.constant(`${layer}/bias`, [cout], bq, TensorType.INT32, { scale: bScale, zeroPoint: new Array(cout).fill(0), axis: 0 });
    return [w, b];
  }
}

/** HWIO [kh, kw, cin, cout] -> OHWI [cout, kh, kw, cin]. */
function hwioToOhwi(shape: number[]): (k: ArrayLike<number>) => Float32Array {
  const [kh, kw, cin, cout] = shape;
  return (k) => {
    const out = new Float32Array(k.length);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let c = 0; c < cin; c++)
          for (let o = 0; o < cout; o++) out[((o * kh + i) * kw + j) * cin + c] = k[((i * kw + j) * cin + c) * cout + o];
    return out;
  };
}

/** [in, out] -> [out, in]. */
function transpose2d(fin: number, fout: number): (k: ArrayLike<number>) => Float32Array {
  return (k) => {
    const out = new Float32Array(k.length);
    for (let i = 0; i < fin; i++) for (let o = 0; o < fout; o++) out[o * fin + i] = k[i * fout + o];
    return out;
  };
}

function activationName(d: LayerDescription, allowed: string[]): string {
  const act = d.activation;
  if (!allowed.includes(act)) throw new TfliteExportError(d.name, d.className, `activation '${act}' is not supported (only ${allowed.join(', ')})`);
  return act;
}

/**
 * Builds the `.tflite` bytes of a sequential model (batch 1, NHWC input of the model's shape, float pixels in
 * [0, 1] for fp32; the quantized image for int8). Supported layers: InputLayer, Dropout, Rescaling, Conv2D,
 * DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense,
 * ReLU and Activation (relu / linear / softmax); ReLUs are fused into the previous operator. With `opts.plan`
 * the layers must be those optilab's integer path runs (Rescaling first, Conv2D, Dense, MaxPooling2D, Flatten,
 * ReLU). Anything else throws a TfliteExportError naming the layer.
 *
 * @example
 * const fp32 = exportTflite(model);
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * fs.writeFileSync('lenet5.int8.tflite', exportTflite(model, { plan }));
 */
export function exportTflite(model: tfl.LayersModel, opts: TfliteExportOptions = {}): Uint8Array {
  const inShape = model.inputs[0]?.shape;
  if (!inShape || inShape.length !== 4 || inShape.slice(1).some((d) => d === null)) {
    throw new TfliteExportError(model.name, 'model', `the input shape must be [batch, height, width, channels] with known sizes, got ${JSON.stringify(inShape)}`);
  }
  const plan = opts.plan;
  if (plan && !plan.activations) throw new Error('full-integer TFLite export needs a calibrated plan: pass calibration data to buildPtqPlan');
  if (plan?.dynamicActivationBits) throw new Error('full-integer TFLite export needs static activation ranges, not dynamic quantization');
  const x = new Exporter(plan);
  const layers = describeLayers(model).filter((l) => l.className !== 'InputLayer');
  let inQuant: TfliteQuant | undefined;
  let skipFirstRescale = false;
  if (plan) {
    if (layers[0]?.className === 'Rescaling') {
      inQuant = quantOf(x.outQuant(layers[0].name, 'Rescaling'));
      skipFirstRescale = true;
    } else {
      const qin = plan.activations!.input;
      if (!qin) throw new Error("full-integer TFLite export: the plan has no input quantization ('input' in plan.activations)");
      inQuant = quantOf(qin);
    }
  }
  const shape0 = inShape.slice(1) as number[];
  let cur: Cursor = { id: x.activation('input', shape0, inQuant), shape: shape0, quant: inQuant };
  x.g.inputs = [cur.id];
  const V = (fp: number, i8: number): number => (plan ? i8 : fp);
  layers.forEach((d, index) => {
    const cls = d.className;
    const name = d.name;
    const weights = d.weights;
    const spatial = cur.shape.length === 3;
    const needSpatial = (): void => {
      if (!spatial) throw new TfliteExportError(name, cls, 'needs a spatial [h, w, c] input, but the previous layers flattened it');
      if (d.channelsFirst) throw new TfliteExportError(name, cls, "dataFormat 'channelsFirst' is not supported (use channelsLast)");
    };
    const noInt8 = (why: string): void => {
      if (plan) throw new TfliteExportError(name, cls, `full-integer export does not support it: ${why}`);
    };
    switch (cls) {
      case 'Dropout':
        return;
      case 'Rescaling': {
        if (index === 0 && skipFirstRescale) return;
        noInt8('optilab PTQ supports a Rescaling layer only as the first layer');
        const s = x.constant(`${name}/scale`, [1], Float32Array.of(d.scale!), TensorType.FLOAT32);
        cur = x.op(BuiltinOperator.MUL, 1, [cur.id, s], `${name}/mul`, cur.shape, { kind: 'mul', act: ActivationFunctionType.NONE }, name);
        const o = x.constant(`${name}/offset`, [1], Float32Array.of(d.offset!), TensorType.FLOAT32);
        cur = x.op(BuiltinOperator.ADD, 1, [cur.id, o], name, cur.shape, { kind: 'add', act: ActivationFunctionType.NONE }, name);
        return;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        needSpatial();
        const dil = d.dilation!;
        if (dil[0] !== 1 || dil[1] !== 1) throw new TfliteExportError(name, cls, `dilation rate [${dil}] is not supported (only 1)`);
        if (d.padding !== 'same' && d.padding !== 'valid') throw new TfliteExportError(name, cls, `padding '${d.padding}' is not supported`);
        const act = activationName(d, plan ? ['relu', 'linear'] : ['relu', 'linear', 'softmax']);
        if (act === 'softmax') throw new TfliteExportError(name, cls, 'softmax on a convolution output is not supported');
        if (cls !== 'Conv2D') noInt8('optilab PTQ quantizes Conv2D and Dense weights only');
        const k = d.kernelSize!;
        const s = d.strides!;
        const [h, w, c] = cur.shape;
        const oh = outSize(h, k[0], s[0], d.padding);
        const ow = outSize(w, k[1], s[1], d.padding);
        if (oh < 1 || ow < 1) throw new TfliteExportError(name, cls, `its ${k[0]}x${k[1]} kernel does not fit the ${h}x${w} input`);
        const padding = d.padding === 'same' ? Padding.SAME : Padding.VALID;
        const fused = act === 'relu' ? ActivationFunctionType.RELU : ActivationFunctionType.NONE;
        const useBias = d.useBias;
        if (cls === 'Conv2D') {
          const kshape = weights[0].shape as number[];
          const cout = kshape[3];
          const bias = useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(cout);
          const [wt, bt] = x.weightAndBias(name, cls, [cout, kshape[0], kshape[1], kshape[2]], hwioToOhwi(kshape), weights[0].dataSync() as Float32Array, bias, cur.quant);
          const q = plan ? quantOf(x.outQuant(name, cls)) : undefined;
          cur = x.op(BuiltinOperator.CONV_2D, V(1, 3), [cur.id, wt, bt], name, [oh, ow, cout], { kind: 'conv', padding, stride: s, act: fused }, name, q);
        } else {
          const dk = weights[0];
          const [kh, kw, cin, mult] = dk.shape as number[];
          const dwOut = cin * mult;
          const dwW = x.constant(`${name}/depthwise_kernel`, [1, kh, kw, dwOut], dk.dataSync() as Float32Array, TensorType.FLOAT32);
          if (cls === 'DepthwiseConv2D') {
            const bias = useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(dwOut);
            const bt = x.constant(`${name}/bias`, [dwOut], bias, TensorType.FLOAT32);
            cur = x.op(BuiltinOperator.DEPTHWISE_CONV_2D, 1, [cur.id, dwW, bt], name, [oh, ow, dwOut], { kind: 'depthwise', padding, stride: s, multiplier: mult, act: fused }, name);
          } else {
            const zero = x.constant(`${name}/depthwise_bias`, [dwOut], new Float32Array(dwOut), TensorType.FLOAT32);
            cur = x.op(BuiltinOperator.DEPTHWISE_CONV_2D, 1, [cur.id, dwW, zero], `${name}/depthwise`, [oh, ow, dwOut], { kind: 'depthwise', padding, stride: s, multiplier: mult, act: ActivationFunctionType.NONE }, name);
            const pw = weights[1];
            const pshape = pw.shape as number[];
            const cout = pshape[3];
            const bias = useBias ? (weights[2].dataSync() as Float32Array) : new Float32Array(cout);
            const [wt, bt] = x.weightAndBias(name, cls, [cout, 1, 1, dwOut], hwioToOhwi(pshape), pw.dataSync() as Float32Array, bias, undefined);
            cur = x.op(BuiltinOperator.CONV_2D, 1, [cur.id, wt, bt], name, [oh, ow, cout], { kind: 'conv', padding: Padding.VALID, stride: [1, 1], act: fused }, name);
          }
          void c;
        }
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
      case 'GlobalAveragePooling2D': {
        needSpatial();
        const [h, w, c] = cur.shape;
        if (cls === 'GlobalAveragePooling2D') {
          noInt8('optilab PTQ does not quantize global average pooling');
          if (d.config.keepDims === true) throw new TfliteExportError(name, cls, 'keepDims is not supported');
          cur = x.op(BuiltinOperator.AVERAGE_POOL_2D, 1, [cur.id], `${name}/pool`, [1, 1, c], { kind: 'pool', padding: Padding.VALID, stride: [1, 1], filter: [h, w], act: ActivationFunctionType.NONE }, name);
          const shapeT = x.constant(`${name}/shape`, [2], Int32Array.of(1, c), TensorType.INT32);
          cur = x.op(BuiltinOperator.RESHAPE, 1, [cur.id, shapeT], name, [c], { kind: 'reshape', newShape: [1, c] }, name);
          return;
        }
        if (cls === 'AveragePooling2D') noInt8('optilab PTQ does not quantize average pooling');
        const k = d.poolSize!;
        const s = d.strides!;
        const pad = d.padding;
        const op = cls === 'MaxPooling2D' ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D;
        cur = x.op(op, V(1, 2), [cur.id], name, [outSize(h, k[0], s[0], pad), outSize(w, k[1], s[1], pad), c], { kind: 'pool', padding: pad === 'same' ? Padding.SAME : Padding.VALID, stride: s, filter: k, act: ActivationFunctionType.NONE }, name, cur.quant);
        return;
      }
      case 'Flatten': {
        if (!spatial) return;
        const n = cur.shape.reduce((a, b) => a * b, 1);
        const shapeT = x.constant(`${name}/shape`, [2], Int32Array.of(1, n), TensorType.INT32);
        cur = x.op(BuiltinOperator.RESHAPE, 1, [cur.id, shapeT], name, [n], { kind: 'reshape', newShape: [1, n] }, name, cur.quant);
        return;
      }
      case 'Dense': {
        if (spatial) throw new TfliteExportError(name, cls, 'Dense on a non-flattened (rank > 2) input is not supported: add a Flatten layer before it');
        const act = activationName(d, plan ? ['relu', 'linear'] : ['relu', 'linear', 'softmax']);
        const kernel = weights[0];
        const [fin, fout] = kernel.shape;
        if (fin !== cur.shape[0]) throw new TfliteExportError(name, cls, `expects ${fin} inputs but the previous layer gives ${cur.shape[0]}`);
        const bias = d.useBias ? (weights[1].dataSync() as Float32Array) : new Float32Array(fout);
        const [wt, bt] = x.weightAndBias(name, cls, [fout, fin], transpose2d(fin, fout), kernel.dataSync() as Float32Array, bias, cur.quant);
        const q = plan ? quantOf(x.outQuant(name, cls)) : undefined;
        const fused = act === 'relu' ? ActivationFunctionType.RELU : ActivationFunctionType.NONE;
        cur = x.op(BuiltinOperator.FULLY_CONNECTED, V(1, 4), [cur.id, wt, bt], act === 'softmax' ? `${name}/logits` : name, [fout], { kind: 'fc', act: fused }, name, q);
        if (act === 'softmax') cur = x.op(BuiltinOperator.SOFTMAX, 1, [cur.id], name, [fout], { kind: 'softmax', beta: 1 }, name);
        return;
      }
      case 'ReLU':
      case 'Activation': {
        if (cls === 'ReLU' && !d.plainRelu) {
          throw new TfliteExportError(name, cls, 'only a plain ReLU is supported (no max value, slope or threshold)');
        }
        const act = cls === 'ReLU' ? 'relu' : activationName(d, plan ? ['relu', 'linear'] : ['relu', 'linear', 'softmax']);
        if (act === 'linear') return;
        if (act === 'relu') x.fuseRelu(cur, name, cls);
        else {
          if (spatial) throw new TfliteExportError(name, cls, 'softmax is supported on flat [batch, classes] tensors only');
          cur = x.op(BuiltinOperator.SOFTMAX, 1, [cur.id], name, cur.shape, { kind: 'softmax', beta: 1 }, name);
        }
        return;
      }
      default:
        throw new TfliteExportError(name, cls, `the TFLite exporter supports ${SUPPORTED} layers, not ${cls}`);
    }
  });
  x.g.outputs = [cur.id];
  return serializeGraph(x.g, opts.description ?? `optilab export of ${model.name}${plan ? ' (full-integer int8)' : ' (fp32)'}`);
}
