/**
 * Import of ONNX image classifiers trained elsewhere (PyTorch's torch.onnx.export, or optilab's own export)
 * into an optilab / tfjs-layers Sequential model, so optilab's tools (PTQ, pruning, export) apply to them.
 *
 * Supported: a single chain of Sub / Div / Mul / Add by scalar constants before the first weight layer
 * (folded into one Rescaling layer), Conv (plain or depthwise, padding equal to 'same' or 'valid'), Relu,
 * MaxPool, Transpose (NCHW <-> NHWC), Flatten / Reshape to [n, -1], Gemm, MatMul + Add, Identity. The
 * NCHW flatten order of PyTorch is converted to tfjs's NHWC order by permuting the next dense layer's rows.
 *
 * Isomorphic: it works on decoded models (`decodeModel` of the bytes); ./import reads them from files in Node,
 * the course site's notebook runner from the page's in-memory files.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decodeModel, num, OnnxModel, OnnxTensor, TensorDataError, tensorValues } from './proto';
import { importConstant, ImportState, OnnxImportError, OP_IMPORTERS, Spec } from './import-ops';

export { OnnxImportError } from './import-ops';

/**
 * Checks a decoded ONNX model for what a truncated or corrupted file leaves behind: no graph, tensors that nodes
 * use but nothing defines, outputs never computed. `where` names the model in errors (a file's path).
 *
 * @example
 * checkOnnxGraph(decodeModel(bytes, 'model.onnx'), 'model.onnx').graph!.node.length;
 */
export function checkOnnxGraph(model: OnnxModel, where: string): OnnxModel {
  const g = model.graph!;
  const known = new Set<string>([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name), '']);
  for (const n of g.node) {
    for (const i of n.input) {
      if (!known.has(i)) throw new Error(`${where} is not a valid ONNX model: node '${n.name}' (${n.opType}) uses tensor '${i}' that nothing defines (the file is truncated or corrupted)`);
    }
    n.output.forEach((o) => known.add(o));
  }
  for (const o of g.output) if (!known.has(o.name)) throw new Error(`${where} is not a valid ONNX model: output '${o.name}' is never computed (truncated or corrupted)`);
  return model;
}

/**
 * Converts an ONNX image classifier (a chain of supported operators, see the module doc) into a tfjs-layers
 * Sequential model taking [n, h, w, c] images, with layers named like the zoo ('normalize', 'conv1', 'pool1',
 * 'flatten', 'fc1', ..., 'logits'). Unsupported operators or options throw an OnnxImportError naming the node.
 *
 * @example
 * const model = importOnnxModel(readOnnxFile('tests/onnx/fixtures/torch_cnn.onnx'), 'torch_cnn');
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * fs.writeFileSync('torch_cnn.int8.onnx', exportOnnx(model, { plan }));
 */
export function importOnnxModel(model: OnnxModel, name = 'imported', where?: string): tfl.Sequential {
  // Named in errors about the model's data: the file, or the graph of a model passed decoded.
  where ??= `the ONNX model${model.graph?.name ? ` '${model.graph.name}'` : ''}`;
  const g = model.graph!;
  const inits = new Map<string, OnnxTensor>(g.initializer.map((t) => [t.name, t]));
  const inputs = g.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) throw new Error(`the ONNX graph has ${inputs.length} inputs; optilab imports image classifiers with exactly one input`);
  const st = inputState(inputs[0].name, inputs[0].type?.tensorType?.shape?.dim.map((d) => (d.dimParam ? -1 : num(d.dimValue as number))) ?? []);
  const inputShape: [number, number, number] = [...st.shape];
  for (const t of g.initializer) st.consts.set(t.name, tensorValues(t, where));
  for (const t of g.initializer) st.constDims.set(t.name, t.dims.map((d) => num(d)));
  let cur = inputs[0].name;
  for (const n of g.node) {
    const op = n.opType;
    const nodeName = n.name || n.output[0];
    if (op === 'Constant') {
      try {
        importConstant(n, st, nodeName);
      } catch (e) {
        if (e instanceof TensorDataError) throw new TensorDataError(e.tensor, `(the value of node '${nodeName}', Constant) ${e.problem}`, where);
        throw e;
      }
      continue;
    }
    if (n.input[0] !== cur) throw new OnnxImportError(nodeName, op, `the graph is not a single chain (its first input '${n.input[0]}' is not the previous result '${cur}'); optilab imports sequential models`);
    if (n.domain && n.domain !== 'ai.onnx') throw new OnnxImportError(nodeName, op, `operators of domain '${n.domain}' are not supported`);
    const importer = OP_IMPORTERS[op];
    if (!importer) throw new OnnxImportError(nodeName, op, 'this operator is not supported by the importer (supported: Conv, Relu, MaxPool, Flatten, Reshape, Gemm, MatMul, Add, Sub, Mul, Div, Transpose, Identity, Constant)');
    importer(n, st, nodeName);
    cur = n.output[0];
  }
  if (g.output[0].name !== cur) throw new Error(`the graph output '${g.output[0].name}' is not the end of the chain ('${cur}')`);
  if (!st.flat) throw new Error('the imported graph never flattens: optilab imports classifiers ending in dense layers');
  return buildSequential(st.specs, inputShape, st.norm, name);
}

/** The layout and [h, w, c] shape of the image input from its ONNX dims. */
function inputState(input: string, dims: number[]): ImportState {
  if (dims.length === 4 && dims[1] > 0 && dims[1] <= 4 && dims[3] > 4) return new ImportState([dims[2], dims[3], dims[1]], 'nchw');
  if (dims.length === 4 && dims[3] > 0 && dims[3] <= 4) return new ImportState([dims[1], dims[2], dims[3]], 'nhwc');
  throw new Error(`the ONNX input '${input}' has shape [${dims}]; optilab imports images as [n, c, h, w] or [n, h, w, c] with known sizes`);
}

/** The Sequential model of the imported layers, after the folded input normalisation; the last dense is 'logits'. */
function buildSequential(specs: Spec[], inputShape: [number, number, number], norm: { scale: number; offset: number }, name: string): tfl.Sequential {
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
