/**
 * The ONNX graph under construction while a tfjs model is exported (src/onnx/export.ts): nodes,
 * initializers, the current tensor with its layout and shape, and its quantization in QDQ graphs; plus the
 * layout helpers the layer exporters share (tfjs padding windows, kernel reorders).
 */
import type { QParams } from '../quantize/qparams';
import { AttrValue, DT, node, OnnxNode, OnnxTensor, tensor } from './proto';

/** An exporter error: names the layer and why it cannot be exported. */
export class OnnxExportError extends Error {
  constructor(public layer: string, public className: string, reason: string) {
    super(`cannot export layer '${layer}' (${className}) to ONNX: ${reason}`);
    this.name = 'OnnxExportError';
  }
}

export type Layout = 'nhwc' | 'nchw' | 'flat';

/** The graph under construction and the state of the tensor flowing through it. */
export class Builder {
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
export function window(h: number, w: number, k: [number, number], s: [number, number], padding: string): { out: [number, number]; pads: number[] } {
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
export function convKernelToOihw(k: Float32Array | Int32Array, shape: number[]): Float32Array | Int32Array {
  const [kh, kw, cin, cout] = shape;
  const out = new (k.constructor as typeof Float32Array)(k.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) out[((o * cin + c) * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * cout + o];
  return out;
}

/** Reorders a tfjs depthwise kernel [kh, kw, cin, mult] to ONNX group-conv weights [cin·mult, 1, kh, kw]. */
export function depthwiseToOihw(k: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, cin, mult] = shape;
  const out = new Float32Array(k.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < mult; m++) out[((c * mult + m) * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * mult + m];
  return out;
}

