/**
 * The TFLite graph writer behind `exportTflite` (./export.ts) and its per-layer writers (./export-layers.ts):
 * constants, activations and operators, ReLU fusion, int8 weights and int32 biases from an optilab PTQ plan,
 * and the kernel layout changes (HWIO -> OHWI, [in, out] -> [out, in]).
 */
import type { QuantPlan } from '../quantize/model';
import type { QParams } from '../quantize/qparams';
import { rint } from '../quantize/scalar';
import type { LayerDescription } from '../models/describe';
import { ActivationFunctionType, BuiltinOperator, bytesOf, Graph, GraphOp, OpOptions, TensorType, TfliteQuant } from './graph';

/** An exporter error: names the layer and why it cannot be exported. */
export class TfliteExportError extends Error {
  constructor(public layer: string, public className: string, reason: string) {
    super(`cannot export layer '${layer}' (${className}) to TFLite: ${reason}`);
    this.name = 'TfliteExportError';
  }
}


/** Output size of a window along one axis (TFLite's SAME / VALID rule). */
export function outSize(inp: number, k: number, s: number, padding: string): number {
  return padding === 'same' ? Math.ceil(inp / s) : Math.floor((inp - k) / s) + 1;
}

/** Per-tensor TFLite quantization of optilab quantization parameters (the first scale and zero point). */
export function quantOf(qp: QParams): TfliteQuant {
  return { scale: [qp.scale[0]], zeroPoint: [qp.zeroPoint[0]] };
}

/** The tensor flowing through the model while layers are converted. */
export interface Cursor {
  id: number;
  /** [h, w, c] while spatial; [features] once flat. */
  shape: number[];
  quant?: TfliteQuant;
}

/** The graph being written: tensors, operators, and the int8 plan when the export is full-integer. */
export class Exporter {
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
export function hwioToOhwi(shape: number[]): (k: ArrayLike<number>) => Float32Array {
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
export function transpose2d(fin: number, fout: number): (k: ArrayLike<number>) => Float32Array {
  return (k) => {
    const out = new Float32Array(k.length);
    for (let i = 0; i < fin; i++) for (let o = 0; o < fout; o++) out[o * fin + i] = k[i * fout + o];
    return out;
  };
}

/** The layer's activation, if `allowed` lists it; else a TfliteExportError. */
export function activationName(d: LayerDescription, allowed: string[]): string {
  const act = d.activation;
  if (!allowed.includes(act)) throw new TfliteExportError(d.name, d.className, `activation '${act}' is not supported (only ${allowed.join(', ')})`);
  return act;
}
