/**
 * One ONNX importer per operator (src/onnx/import.ts dispatches to them): each reads one node of the chain
 * and updates the import state: the layers to build, the shape and layout of the current tensor, the folded
 * input normalisation. Unsupported options throw an OnnxImportError naming the node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { num, OnnxAttribute, OnnxNode, tensorValues } from './proto';

/** An importer error: names the ONNX node, its operator and the reason. */
export class OnnxImportError extends Error {
  constructor(nodeName: string, op: string, reason: string) {
    super(`cannot import ONNX node '${nodeName}' (${op}): ${reason}`);
    this.name = 'OnnxImportError';
  }
}

function attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
  return n.attribute.find((a) => a.name === name);
}
function ints(n: OnnxNode, name: string, fallback: number[]): number[] {
  const a = attr(n, name);
  return a?.ints?.length ? a.ints.map((v) => num(v)) : fallback;
}
function int(n: OnnxNode, name: string, fallback: number): number {
  const a = attr(n, name);
  return a ? num(a.i) : fallback;
}
function float(n: OnnxNode, name: string, fallback: number): number {
  const a = attr(n, name);
  return a ? Number(a.f) : fallback;
}
function str(n: OnnxNode, name: string, fallback: string): string {
  const a = attr(n, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

/** One layer to build: its tfjs config and weights. */
export interface Spec {
  kind: 'conv2d' | 'depthwise' | 'maxpool' | 'flatten' | 'dense' | 'relu';
  config: Record<string, unknown>;
  weights?: tf.Tensor[];
}

/** tfjs 'same' pads [top, left, bottom, right] of a window on an h x w input. */
function samePads(h: number, w: number, k: number[], s: number[]): number[] {
  const one = (inp: number, kk: number, ss: number) => {
    const out = Math.ceil(inp / ss);
    const total = Math.max((out - 1) * ss + kk - inp, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = one(h, k[0], s[0]);
  const [l, r] = one(w, k[1], s[1]);
  return [t, l, b, r];
}

function paddingOf(n: OnnxNode, h: number, w: number, k: number[], s: number[]): { padding: 'same' | 'valid'; out: [number, number] } {
  const auto = str(n, 'auto_pad', 'NOTSET');
  const pads = ints(n, 'pads', [0, 0, 0, 0]);
  const same = samePads(h, w, k, s);
  let padding: 'same' | 'valid';
  if (auto === 'SAME_UPPER' || (auto === 'NOTSET' && pads.every((p, i) => p === same[i]) && pads.some((p) => p > 0))) padding = 'same';
  else if (auto === 'VALID' || (auto === 'NOTSET' && pads.every((p) => p === 0))) padding = 'valid';
  else throw new OnnxImportError(n.name ?? '', n.opType, `padding ${auto === 'NOTSET' ? `[${pads}]` : auto} on a ${h}x${w} input matches neither tfjs 'same' [${same}] nor 'valid' padding`);
  const out: [number, number] = padding === 'same' ? [Math.ceil(h / s[0]), Math.ceil(w / s[1])] : [Math.floor((h - k[0]) / s[0]) + 1, Math.floor((w - k[1]) / s[1]) + 1];
  return { padding, out };
}

/** What the importers read and update while walking the chain of nodes. */
export class ImportState {
  /** Constant tensors (initializers and Constant nodes) by name, with their dims. */
  consts = new Map<string, Float32Array | Int32Array | Float64Array>();
  constDims = new Map<string, number[]>();
  specs: Spec[] = [];
  /** The current tensor: [h, w, c] (or [units, 1, 1] once dense) and its layout. */
  shape: [number, number, number];
  layout: 'nchw' | 'nhwc';
  flat = false;
  /** The flattened tensor's shape until the dense layer after it reorders its rows. */
  pendingFlatten?: { c: number; h: number; w: number; nchw: boolean };
  /** The input normalisation folded so far (y = x · scale + offset), open until the first weight layer. */
  norm = { scale: 1, offset: 0 };
  normOpen = true;
  counts = { conv: 0, pool: 0, fc: 0, relu: 0 };

  constructor(shape: [number, number, number], layout: 'nchw' | 'nhwc') {
    this.shape = shape;
    this.layout = layout;
  }

  scalarOf(n: OnnxNode, input: string): number {
    const v = this.consts.get(input);
    if (!v || v.length !== 1) throw new OnnxImportError(n.name ?? '', n.opType, `only element-wise operations with a scalar constant are supported (input '${input}' is not a scalar constant)`);
    return v[0];
  }

  /** The last layer when it is a conv / dense without activation yet (a following Relu fuses into it). */
  lastWeighted(): Spec | undefined {
    const s = this.specs[this.specs.length - 1];
    return s && (s.kind === 'conv2d' || s.kind === 'depthwise' || s.kind === 'dense') && s.config.activation === 'linear' ? s : undefined;
  }
}

/** Imports one node (`nodeName` is its name, or its first output when unnamed). */
export type OpImporter = (n: OnnxNode, st: ImportState, nodeName: string) => void;

/** A Constant node: its value becomes a known constant (not a step of the chain). */
export function importConstant(n: OnnxNode, st: ImportState, nodeName: string): void {
  const t = attr(n, 'value')?.t;
  if (t) {
    st.consts.set(n.output[0], tensorValues(t));
    st.constDims.set(n.output[0], t.dims.map((d) => num(d)));
  } else if (attr(n, 'value_float')) st.consts.set(n.output[0], Float32Array.of(float(n, 'value_float', 0)));
  else throw new OnnxImportError(nodeName, n.opType, 'only tensor and float constants are supported');
}

/** Sub / Div / Mul / Add by a scalar: folded into the input normalisation; Add after MatMul is its bias. */
const elementwise: OpImporter = (n, st, nodeName) => {
  const op = n.opType;
  const prev = st.specs[st.specs.length - 1];
  if (op === 'Add' && prev?.kind === 'dense' && prev.config.pendingBias) {
    const b = st.consts.get(n.input[1]);
    const units = prev.config.units as number;
    if (!b || b.length !== units) throw new OnnxImportError(nodeName, op, `expected a bias of ${units} values after MatMul`);
    prev.weights![1].dispose();
    prev.weights![1] = tf.tensor1d(Float32Array.from(b));
    delete prev.config.pendingBias;
    return;
  }
  if (!st.normOpen) throw new OnnxImportError(nodeName, op, 'element-wise arithmetic is only supported before the first weight layer (input normalisation)');
  const c = st.scalarOf(n, n.input[1]);
  const norm = st.norm;
  if (op === 'Sub') norm.offset -= c;
  else if (op === 'Add') norm.offset += c;
  else if (op === 'Mul') {
    norm.scale *= c;
    norm.offset *= c;
  } else {
    norm.scale /= c;
    norm.offset /= c;
  }
};

const identity: OpImporter = () => {};

const transpose: OpImporter = (n, st, nodeName) => {
  const perm = ints(n, 'perm', []).join(',');
  if (perm === '0,3,1,2' && st.layout === 'nhwc') st.layout = 'nchw';
  else if (perm === '0,2,3,1' && st.layout === 'nchw') st.layout = 'nhwc';
  else throw new OnnxImportError(nodeName, n.opType, `only NHWC <-> NCHW transposes of images are supported, got perm [${perm}] on a ${st.layout} tensor`);
};

/** ONNX OIHW conv weights [cout, cin, kh, kw] as a tfjs HWIO kernel. */
function oihwToHwio(w: ArrayLike<number>, cout: number, cin: number, kh: number, kw: number): Float32Array {
  const k = new Float32Array(w.length);
  for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[((i * kw + j) * cin + c) * cout + o] = w[((o * cin + c) * kh + i) * kw + j];
  return k;
}

/** ONNX group-conv weights [cin·mult, 1, kh, kw] as a tfjs depthwise kernel [kh, kw, cin, mult]. */
function groupToDepthwise(w: ArrayLike<number>, cin: number, mult: number, kh: number, kw: number): Float32Array {
  const k = new Float32Array(w.length);
  for (let c = 0; c < cin; c++) for (let m = 0; m < mult; m++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[((i * kw + j) * cin + c) * mult + m] = w[((c * mult + m) * kh + i) * kw + j];
  return k;
}

/** Conv: a plain (group 1) or depthwise (group = channels) 2-d convolution with 'same' or 'valid' padding. */
const conv: OpImporter = (n, st, nodeName) => {
  const op = n.opType;
  if (st.flat) throw new OnnxImportError(nodeName, op, 'a convolution after flattening is not supported');
  if (st.layout !== 'nchw') throw new OnnxImportError(nodeName, op, 'ONNX Conv reads NCHW tensors, but this tensor is NHWC');
  st.normOpen = false;
  const w = st.consts.get(n.input[1]);
  const wd = st.constDims.get(n.input[1]);
  if (!w || !wd || wd.length !== 4) throw new OnnxImportError(nodeName, op, 'the weights must be a constant 4-d tensor (2-d convolution)');
  const [cout, cinG, kh, kw] = wd;
  const dil = ints(n, 'dilations', [1, 1]);
  if (dil.some((d) => d !== 1)) throw new OnnxImportError(nodeName, op, `dilations [${dil}] are not supported`);
  const group = int(n, 'group', 1);
  const s = ints(n, 'strides', [1, 1]);
  const [h, wdt, cin] = st.shape;
  const { padding, out } = paddingOf(n, h, wdt, [kh, kw], s);
  const bias = n.input[2] ? st.consts.get(n.input[2]) : new Float32Array(cout);
  if (!bias || bias.length !== cout) throw new OnnxImportError(nodeName, op, 'the bias must be a constant with one value per output channel');
  const name = `conv${++st.counts.conv}`;
  if (group === 1) {
    if (cinG !== cin) throw new OnnxImportError(nodeName, op, `weights expect ${cinG} input channels, the tensor has ${cin}`);
    const k = oihwToHwio(w, cout, cin, kh, kw);
    st.specs.push({ kind: 'conv2d', config: { name, filters: cout, kernelSize: [kh, kw], strides: s, padding, activation: 'linear' }, weights: [tf.tensor4d(k, [kh, kw, cin, cout]), tf.tensor1d(Float32Array.from(bias))] });
  } else if (group === cin && cinG === 1 && cout % cin === 0) {
    const mult = cout / cin;
    const k = groupToDepthwise(w, cin, mult, kh, kw);
    st.specs.push({ kind: 'depthwise', config: { name, kernelSize: [kh, kw], strides: s, padding, depthMultiplier: mult, activation: 'linear' }, weights: [tf.tensor4d(k, [kh, kw, cin, mult]), tf.tensor1d(Float32Array.from(bias))] });
  } else throw new OnnxImportError(nodeName, op, `grouped convolutions with group=${group} are not supported (only 1 or depthwise)`);
  st.shape = [out[0], out[1], cout];
};

/** Relu: fused into the conv / dense before it when it has none, else its own layer. */
const relu: OpImporter = (_n, st) => {
  const prev = st.lastWeighted();
  if (prev && !prev.config.pendingBias) prev.config.activation = 'relu';
  else st.specs.push({ kind: 'relu', config: { name: `relu${++st.counts.relu}` } });
};

const maxPool: OpImporter = (n, st, nodeName) => {
  const op = n.opType;
  if (st.flat || st.layout !== 'nchw') throw new OnnxImportError(nodeName, op, 'MaxPool on a flattened or NHWC tensor is not supported');
  if (int(n, 'ceil_mode', 0) !== 0) throw new OnnxImportError(nodeName, op, 'ceil_mode=1 is not supported');
  if (n.output.length > 1 && n.output[1]) throw new OnnxImportError(nodeName, op, 'the Indices output is not supported');
  const k = ints(n, 'kernel_shape', []);
  const s = ints(n, 'strides', [1, 1]);
  if (ints(n, 'dilations', [1, 1]).some((d) => d !== 1)) throw new OnnxImportError(nodeName, op, 'dilated pooling is not supported');
  const { padding, out } = paddingOf(n, st.shape[0], st.shape[1], k, s);
  st.specs.push({ kind: 'maxpool', config: { name: `pool${++st.counts.pool}`, poolSize: k, strides: s, padding } });
  st.shape = [out[0], out[1], st.shape[2]];
};

/** Flatten (axis 1) and Reshape to [batch, -1]: one Flatten layer (the next dense layer fixes the order). */
const flatten: OpImporter = (n, st, nodeName) => {
  const op = n.opType;
  if (op === 'Flatten' && int(n, 'axis', 1) !== 1) throw new OnnxImportError(nodeName, op, 'only axis=1 is supported');
  if (op === 'Reshape') {
    const target = st.consts.get(n.input[1]);
    const size = st.shape[0] * st.shape[1] * st.shape[2];
    if (!target || target.length !== 2 || !(target[1] === -1 || target[1] === size) || !(target[0] === -1 || target[0] === 0 || target[0] > 0)) {
      throw new OnnxImportError(nodeName, op, 'only reshapes to [batch, -1] (flattening) are supported');
    }
  }
  if (!st.flat) {
    st.pendingFlatten = { h: st.shape[0], w: st.shape[1], c: st.shape[2], nchw: st.layout === 'nchw' };
    st.specs.push({ kind: 'flatten', config: { name: 'flatten' } });
    st.flat = true;
  }
  st.normOpen = false;
};

/** Reorders dense rows from the NCHW flatten order (ONNX) to NHWC (tfjs): row (y, x, ch) = ONNX row (ch, y, x). */
function nchwRowsToNhwc(k: Float32Array, h: number, w: number, c: number, units: number): Float32Array {
  const perm = new Float32Array(k.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    const src = (ch * h + y) * w + x;
    const dst = (y * w + x) * c + ch;
    perm.set(k.subarray(src * units, (src + 1) * units), dst * units);
  }
  return perm;
}

/** Gemm and MatMul (its bias comes with the Add after it): a dense layer. */
const dense: OpImporter = (n, st, nodeName) => {
  const op = n.opType;
  if (!st.flat) throw new OnnxImportError(nodeName, op, 'a dense layer needs a flattened input (Flatten before it)');
  st.normOpen = false;
  const wv = st.consts.get(n.input[1]);
  const wd = st.constDims.get(n.input[1]);
  if (!wv || !wd || wd.length !== 2) throw new OnnxImportError(nodeName, op, 'the weight must be a constant matrix');
  if (op === 'Gemm' && (int(n, 'transA', 0) !== 0 || float(n, 'alpha', 1) !== 1 || float(n, 'beta', 1) !== 1)) {
    throw new OnnxImportError(nodeName, op, 'only transA=0, alpha=1, beta=1 are supported');
  }
  const transB = op === 'Gemm' && int(n, 'transB', 0) === 1;
  const [fin, units] = transB ? [wd[1], wd[0]] : wd;
  let k = new Float32Array(fin * units);
  for (let i = 0; i < fin; i++) for (let o = 0; o < units; o++) k[i * units + o] = transB ? wv[o * fin + i] : wv[i * units + o];
  if (st.pendingFlatten) {
    const { h, w, c, nchw } = st.pendingFlatten;
    if (h * w * c !== fin) throw new OnnxImportError(nodeName, op, `expects ${fin} inputs but the flattened tensor has ${h * w * c}`);
    if (nchw && c > 1) k = nchwRowsToNhwc(k, h, w, c, units);
    st.pendingFlatten = undefined;
  }
  const bias = op === 'Gemm' && n.input[2] ? st.consts.get(n.input[2]) : new Float32Array(units);
  if (!bias || bias.length !== units) throw new OnnxImportError(nodeName, op, 'the bias must be a constant vector with one value per output');
  st.specs.push({ kind: 'dense', config: { name: `fc${++st.counts.fc}`, units, activation: 'linear', ...(op === 'MatMul' ? { pendingBias: true } : {}) }, weights: [tf.tensor2d(k, [fin, units]), tf.tensor1d(Float32Array.from(bias))] });
  st.shape = [units, 1, 1];
};

/** The importer of each supported operator of the chain (Constant is handled apart: it is not a step). */
export const OP_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  Sub: elementwise,
  Div: elementwise,
  Mul: elementwise,
  Add: elementwise,
  Identity: identity,
  Transpose: transpose,
  Conv: conv,
  Relu: relu,
  MaxPool: maxPool,
  Flatten: flatten,
  Reshape: flatten,
  Gemm: dense,
  MatMul: dense,
};
