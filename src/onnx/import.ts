/**
 * Import of ONNX image classifiers trained elsewhere (PyTorch's torch.onnx.export, or optilab's own export)
 * into an optilab / tfjs-layers Sequential model, so optilab's tools (PTQ, pruning, export) apply to them.
 *
 * Supported: a single chain of Sub / Div / Mul / Add by scalar constants before the first weight layer
 * (folded into one Rescaling layer), Conv (plain or depthwise, padding equal to 'same' or 'valid'), Relu,
 * MaxPool, Transpose (NCHW <-> NHWC), Flatten / Reshape to [n, -1], Gemm, MatMul + Add, Identity. The
 * NCHW flatten order of PyTorch is converted to tfjs's NHWC order by permuting the next dense layer's rows.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decodeModel, num, OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, tensorValues } from './proto';

/** An importer error: names the ONNX node, its operator and the reason. */
export class OnnxImportError extends Error {
  constructor(nodeName: string, op: string, reason: string) {
    super(`cannot import ONNX node '${nodeName}' (${op}): ${reason}`);
    this.name = 'OnnxImportError';
  }
}

/**
 * Reads and checks an ONNX file: clear errors for missing, empty, corrupted or truncated files (bad protobuf,
 * no graph, or tensors that nodes use but nothing defines).
 *
 * @example
 * const model = readOnnxFile('tests/onnx/fixtures/torch_cnn.onnx');
 * model.graph!.node.map((n) => n.opType); // ['Constant', 'Sub', ..., 'Gemm']
 */
export function readOnnxFile(file: string): OnnxModel {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: pass the path of an .onnx file`);
  const model = decodeModel(fs.readFileSync(file), file);
  const g = model.graph!;
  const known = new Set<string>([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name), '']);
  for (const n of g.node) {
    for (const i of n.input) {
      if (!known.has(i)) throw new Error(`${file} is not a valid ONNX model: node '${n.name}' (${n.opType}) uses tensor '${i}' that nothing defines (the file is truncated or corrupted)`);
    }
    n.output.forEach((o) => known.add(o));
  }
  for (const o of g.output) if (!known.has(o.name)) throw new Error(`${file} is not a valid ONNX model: output '${o.name}' is never computed (truncated or corrupted)`);
  return model;
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
interface Spec {
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

/**
 * Converts an ONNX image classifier (a chain of supported operators, see the module doc) into a tfjs-layers
 * Sequential model taking [n, h, w, c] images, with layers named like the zoo ('normalize', 'conv1', 'pool1',
 * 'flatten', 'fc1', ..., 'logits'). Unsupported operators or options throw an OnnxImportError naming the node.
 *
 * @example
 * const model = importOnnx('tests/onnx/fixtures/torch_cnn.onnx');
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * fs.writeFileSync('torch_cnn.int8.onnx', exportOnnx(model, { plan }));
 */
export function importOnnx(source: string | OnnxModel, name = 'imported'): tfl.Sequential {
  const model = typeof source === 'string' ? readOnnxFile(source) : source;
  const g = model.graph!;
  const inits = new Map<string, OnnxTensor>(g.initializer.map((t) => [t.name, t]));
  const inputs = g.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) throw new Error(`the ONNX graph has ${inputs.length} inputs; optilab imports image classifiers with exactly one input`);
  const dims = inputs[0].type?.tensorType?.shape?.dim.map((d) => (d.dimParam ? -1 : num(d.dimValue as number))) ?? [];
  let layout: 'nchw' | 'nhwc';
  let shape: [number, number, number]; // [h, w, c]
  if (dims.length === 4 && dims[1] > 0 && dims[1] <= 4 && dims[3] > 4) {
    layout = 'nchw';
    shape = [dims[2], dims[3], dims[1]];
  } else if (dims.length === 4 && dims[3] > 0 && dims[3] <= 4) {
    layout = 'nhwc';
    shape = [dims[1], dims[2], dims[3]];
  } else throw new Error(`the ONNX input '${inputs[0].name}' has shape [${dims}]; optilab imports images as [n, c, h, w] or [n, h, w, c] with known sizes`);
  const inputShape: [number, number, number] = [...shape];
  const consts = new Map<string, Float32Array | Int32Array | Float64Array>();
  for (const t of g.initializer) consts.set(t.name, tensorValues(t));
  const constDims = new Map<string, number[]>(g.initializer.map((t) => [t.name, t.dims.map((d) => num(d))]));

  const specs: Spec[] = [];
  let cur = inputs[0].name;
  let flat = false;
  let pendingFlatten: { c: number; h: number; w: number; nchw: boolean } | undefined;
  const norm = { scale: 1, offset: 0 };
  let normOpen = true;
  const counts = { conv: 0, pool: 0, fc: 0, relu: 0 };
  const scalarOf = (n: OnnxNode, input: string): number => {
    const v = consts.get(input);
    if (!v || v.length !== 1) throw new OnnxImportError(n.name ?? '', n.opType, `only element-wise operations with a scalar constant are supported (input '${input}' is not a scalar constant)`);
    return v[0];
  };
  const lastWeighted = (): Spec | undefined => {
    const s = specs[specs.length - 1];
    return s && (s.kind === 'conv2d' || s.kind === 'depthwise' || s.kind === 'dense') && s.config.activation === 'linear' ? s : undefined;
  };

  for (const n of g.node) {
    const op = n.opType;
    const nodeName = n.name || n.output[0];
    if (op === 'Constant') {
      const t = attr(n, 'value')?.t;
      if (t) {
        consts.set(n.output[0], tensorValues(t));
        constDims.set(n.output[0], t.dims.map((d) => num(d)));
      } else if (attr(n, 'value_float')) consts.set(n.output[0], Float32Array.of(float(n, 'value_float', 0)));
      else throw new OnnxImportError(nodeName, op, 'only tensor and float constants are supported');
      continue;
    }
    if (n.input[0] !== cur) throw new OnnxImportError(nodeName, op, `the graph is not a single chain (its first input '${n.input[0]}' is not the previous result '${cur}'); optilab imports sequential models`);
    if (n.domain && n.domain !== 'ai.onnx') throw new OnnxImportError(nodeName, op, `operators of domain '${n.domain}' are not supported`);
    switch (op) {
      case 'Sub':
      case 'Div':
      case 'Mul':
      case 'Add': {
        // Add after MatMul is its bias.
        const prev = specs[specs.length - 1];
        if (op === 'Add' && prev?.kind === 'dense' && prev.config.pendingBias) {
          const b = consts.get(n.input[1]);
          const units = prev.config.units as number;
          if (!b || b.length !== units) throw new OnnxImportError(nodeName, op, `expected a bias of ${units} values after MatMul`);
          prev.weights![1].dispose();
          prev.weights![1] = tf.tensor1d(Float32Array.from(b));
          delete prev.config.pendingBias;
          break;
        }
        if (!normOpen) throw new OnnxImportError(nodeName, op, 'element-wise arithmetic is only supported before the first weight layer (input normalisation)');
        const c = scalarOf(n, n.input[1]);
        if (op === 'Sub') norm.offset -= c;
        else if (op === 'Add') norm.offset += c;
        else if (op === 'Mul') {
          norm.scale *= c;
          norm.offset *= c;
        } else {
          norm.scale /= c;
          norm.offset /= c;
        }
        break;
      }
      case 'Identity':
        break;
      case 'Transpose': {
        const perm = ints(n, 'perm', []).join(',');
        if (perm === '0,3,1,2' && layout === 'nhwc') layout = 'nchw';
        else if (perm === '0,2,3,1' && layout === 'nchw') layout = 'nhwc';
        else throw new OnnxImportError(nodeName, op, `only NHWC <-> NCHW transposes of images are supported, got perm [${perm}] on a ${layout} tensor`);
        break;
      }
      case 'Conv': {
        if (flat) throw new OnnxImportError(nodeName, op, 'a convolution after flattening is not supported');
        if (layout !== 'nchw') throw new OnnxImportError(nodeName, op, 'ONNX Conv reads NCHW tensors, but this tensor is NHWC');
        normOpen = false;
        const w = consts.get(n.input[1]);
        const wd = constDims.get(n.input[1]);
        if (!w || !wd || wd.length !== 4) throw new OnnxImportError(nodeName, op, 'the weights must be a constant 4-d tensor (2-d convolution)');
        const [cout, cinG, kh, kw] = wd;
        const dil = ints(n, 'dilations', [1, 1]);
        if (dil.some((d) => d !== 1)) throw new OnnxImportError(nodeName, op, `dilations [${dil}] are not supported`);
        const group = int(n, 'group', 1);
        const s = ints(n, 'strides', [1, 1]);
        const [h, wdt, cin] = shape;
        const { padding, out } = paddingOf(n, h, wdt, [kh, kw], s);
        const bias = n.input[2] ? consts.get(n.input[2]) : new Float32Array(cout);
        if (!bias || bias.length !== cout) throw new OnnxImportError(nodeName, op, 'the bias must be a constant with one value per output channel');
        if (group === 1) {
          if (cinG !== cin) throw new OnnxImportError(nodeName, op, `weights expect ${cinG} input channels, the tensor has ${cin}`);
          const k = new Float32Array(w.length);
          for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[((i * kw + j) * cin + c) * cout + o] = w[((o * cin + c) * kh + i) * kw + j];
          specs.push({ kind: 'conv2d', config: { name: `conv${++counts.conv}`, filters: cout, kernelSize: [kh, kw], strides: s, padding, activation: 'linear' }, weights: [tf.tensor4d(k, [kh, kw, cin, cout]), tf.tensor1d(Float32Array.from(bias))] });
        } else if (group === cin && cinG === 1 && cout % cin === 0) {
          const mult = cout / cin;
          const k = new Float32Array(w.length);
          for (let c = 0; c < cin; c++) for (let m = 0; m < mult; m++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[((i * kw + j) * cin + c) * mult + m] = w[((c * mult + m) * kh + i) * kw + j];
          specs.push({ kind: 'depthwise', config: { name: `conv${++counts.conv}`, kernelSize: [kh, kw], strides: s, padding, depthMultiplier: mult, activation: 'linear' }, weights: [tf.tensor4d(k, [kh, kw, cin, mult]), tf.tensor1d(Float32Array.from(bias))] });
        } else throw new OnnxImportError(nodeName, op, `grouped convolutions with group=${group} are not supported (only 1 or depthwise)`);
        shape = [out[0], out[1], cout];
        break;
      }
      case 'Relu': {
        const prev = lastWeighted();
        if (prev && !prev.config.pendingBias) prev.config.activation = 'relu';
        else specs.push({ kind: 'relu', config: { name: `relu${++counts.relu}` } });
        break;
      }
      case 'MaxPool': {
        if (flat || layout !== 'nchw') throw new OnnxImportError(nodeName, op, 'MaxPool on a flattened or NHWC tensor is not supported');
        if (int(n, 'ceil_mode', 0) !== 0) throw new OnnxImportError(nodeName, op, 'ceil_mode=1 is not supported');
        if (n.output.length > 1 && n.output[1]) throw new OnnxImportError(nodeName, op, 'the Indices output is not supported');
        const k = ints(n, 'kernel_shape', []);
        const s = ints(n, 'strides', [1, 1]);
        if (ints(n, 'dilations', [1, 1]).some((d) => d !== 1)) throw new OnnxImportError(nodeName, op, 'dilated pooling is not supported');
        const { padding, out } = paddingOf(n, shape[0], shape[1], k, s);
        specs.push({ kind: 'maxpool', config: { name: `pool${++counts.pool}`, poolSize: k, strides: s, padding } });
        shape = [out[0], out[1], shape[2]];
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        if (op === 'Flatten' && int(n, 'axis', 1) !== 1) throw new OnnxImportError(nodeName, op, 'only axis=1 is supported');
        if (op === 'Reshape') {
          const target = consts.get(n.input[1]);
          const size = shape[0] * shape[1] * shape[2];
          if (!target || target.length !== 2 || !(target[1] === -1 || target[1] === size) || !(target[0] === -1 || target[0] === 0 || target[0] > 0)) {
            throw new OnnxImportError(nodeName, op, 'only reshapes to [batch, -1] (flattening) are supported');
          }
        }
        if (!flat) {
          pendingFlatten = { h: shape[0], w: shape[1], c: shape[2], nchw: layout === 'nchw' };
          specs.push({ kind: 'flatten', config: { name: 'flatten' } });
          flat = true;
        }
        normOpen = false;
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        if (!flat) throw new OnnxImportError(nodeName, op, 'a dense layer needs a flattened input (Flatten before it)');
        normOpen = false;
        const wv = consts.get(n.input[1]);
        const wd = constDims.get(n.input[1]);
        if (!wv || !wd || wd.length !== 2) throw new OnnxImportError(nodeName, op, 'the weight must be a constant matrix');
        if (op === 'Gemm' && (int(n, 'transA', 0) !== 0 || float(n, 'alpha', 1) !== 1 || float(n, 'beta', 1) !== 1)) {
          throw new OnnxImportError(nodeName, op, 'only transA=0, alpha=1, beta=1 are supported');
        }
        const transB = op === 'Gemm' && int(n, 'transB', 0) === 1;
        const [fin, units] = transB ? [wd[1], wd[0]] : wd;
        let k = new Float32Array(fin * units);
        for (let i = 0; i < fin; i++) for (let o = 0; o < units; o++) k[i * units + o] = transB ? wv[o * fin + i] : wv[i * units + o];
        if (pendingFlatten) {
          const { h, w, c, nchw } = pendingFlatten;
          if (h * w * c !== fin) throw new OnnxImportError(nodeName, op, `expects ${fin} inputs but the flattened tensor has ${h * w * c}`);
          if (nchw && c > 1) {
            // Row for NHWC feature (y, x, ch) = ONNX row for NCHW feature (ch, y, x).
            const perm = new Float32Array(k.length);
            for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
              const src = (ch * h + y) * w + x;
              const dst = (y * w + x) * c + ch;
              perm.set(k.subarray(src * units, (src + 1) * units), dst * units);
            }
            k = perm;
          }
          pendingFlatten = undefined;
        }
        const bias = op === 'Gemm' && n.input[2] ? consts.get(n.input[2]) : new Float32Array(units);
        if (!bias || bias.length !== units) throw new OnnxImportError(nodeName, op, 'the bias must be a constant vector with one value per output');
        specs.push({ kind: 'dense', config: { name: `fc${++counts.fc}`, units, activation: 'linear', ...(op === 'MatMul' ? { pendingBias: true } : {}) }, weights: [tf.tensor2d(k, [fin, units]), tf.tensor1d(Float32Array.from(bias))] });
        shape = [units, 1, 1];
        break;
      }
      default:
        throw new OnnxImportError(nodeName, op, 'this operator is not supported by the importer (supported: Conv, Relu, MaxPool, Flatten, Reshape, Gemm, MatMul, Add, Sub, Mul, Div, Transpose, Identity, Constant)');
    }
    cur = n.output[0];
  }
  if (g.output[0].name !== cur) throw new Error(`the graph output '${g.output[0].name}' is not the end of the chain ('${cur}')`);
  if (!flat) throw new Error('the imported graph never flattens: optilab imports classifiers ending in dense layers');
  const denses = specs.filter((s) => s.kind === 'dense');
  if (!denses.length) throw new Error('the imported graph has no dense layer');
  denses[denses.length - 1].config.name = 'logits';

  const seq = tfl.sequential({ name });
  // The folded input normalisation (Rescaling(1, 0) when the graph has none): PTQ quantizes after it.
  seq.add(tfl.layers.rescaling({ inputShape, scale: norm.scale, offset: norm.offset, name: 'normalize' }));
  const toSet: [tfl.layers.Layer, tf.Tensor[]][] = [];
  for (const s of specs) {
    const { pendingBias, ...config } = s.config;
    if (pendingBias) throw new Error(`dense layer '${config.name}' (MatMul) has no bias Add after it`);
    let layer: tfl.layers.Layer;
    if (s.kind === 'conv2d') layer = tfl.layers.conv2d(config as never);
    else if (s.kind === 'depthwise') layer = tfl.layers.depthwiseConv2d(config as never);
    else if (s.kind === 'maxpool') layer = tfl.layers.maxPooling2d(config as never);
    else if (s.kind === 'flatten') layer = tfl.layers.flatten(config as never);
    else if (s.kind === 'dense') layer = tfl.layers.dense(config as never);
    else layer = tfl.layers.reLU(config as never);
    seq.add(layer);
    if (s.weights) toSet.push([layer, s.weights]);
  }
  for (const [layer, w] of toSet) {
    layer.setWeights(w);
    w.forEach((t) => t.dispose());
  }
  return seq;
}
