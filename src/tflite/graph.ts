/**
 * A small in-memory TFLite graph (tensors, operators, constant data) and its serialization to a `.tflite`
 * flatbuffer with the code generated from schema/tflite_subset.fbs (npm `flatbuffers` at run time).
 */
import * as flatbuffers from 'flatbuffers';
import { ActivationFunctionType } from './generated/tflite/activation-function-type';
import { AddOptions } from './generated/tflite/add-options';
import { Buffer as TfliteBuffer } from './generated/tflite/buffer';
import { BuiltinOperator } from './generated/tflite/builtin-operator';
import { BuiltinOptions } from './generated/tflite/builtin-options';
import { Conv2DOptions } from './generated/tflite/conv2doptions';
import { DepthwiseConv2DOptions } from './generated/tflite/depthwise-conv2doptions';
import { FullyConnectedOptions } from './generated/tflite/fully-connected-options';
import { Model } from './generated/tflite/model';
import { MulOptions } from './generated/tflite/mul-options';
import { Operator } from './generated/tflite/operator';
import { OperatorCode } from './generated/tflite/operator-code';
import { Padding } from './generated/tflite/padding';
import { Pool2DOptions } from './generated/tflite/pool2doptions';
import { QuantizationParameters } from './generated/tflite/quantization-parameters';
import { ReshapeOptions } from './generated/tflite/reshape-options';
import { SoftmaxOptions } from './generated/tflite/softmax-options';
import { SubGraph } from './generated/tflite/sub-graph';
import { Tensor } from './generated/tflite/tensor';
import { TensorType } from './generated/tflite/tensor-type';

export { ActivationFunctionType, BuiltinOperator, Padding, TensorType };

/** Per-tensor (one entry) or per-axis quantization: real = scale · (q − zeroPoint). */
export interface TfliteQuant {
  scale: number[];
  zeroPoint: number[];
  /** Axis of the per-channel entries (0 for OHWI conv / [out, in] dense weights, 3 for depthwise). */
  axis?: number;
}

export interface GraphTensor {
  name: string;
  shape: number[];
  type: TensorType;
  /** Little-endian bytes of a constant tensor; absent for tensors computed at run time. */
  data?: Uint8Array;
  quant?: TfliteQuant;
}

/** Builtin options of one operator. */
export type OpOptions =
  | { kind: 'conv'; padding: Padding; stride: [number, number]; act: ActivationFunctionType }
  | { kind: 'depthwise'; padding: Padding; stride: [number, number]; multiplier: number; act: ActivationFunctionType }
  | { kind: 'pool'; padding: Padding; stride: [number, number]; filter: [number, number]; act: ActivationFunctionType }
  | { kind: 'fc'; act: ActivationFunctionType }
  | { kind: 'softmax'; beta: number }
  | { kind: 'add' | 'mul'; act: ActivationFunctionType }
  | { kind: 'reshape'; newShape: number[] };

export interface GraphOp {
  op: BuiltinOperator;
  /** Operator version (TFLite bumps it when an op gains int8 / per-channel support). */
  version: number;
  inputs: number[];
  outputs: number[];
  options: OpOptions;
  /** The model layer this operator comes from (for error messages and reports). */
  layer: string;
}

/** A single-subgraph TFLite model under construction. */
export class Graph {
  tensors: GraphTensor[] = [];
  ops: GraphOp[] = [];
  inputs: number[] = [];
  outputs: number[] = [];

  addTensor(t: GraphTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  addOp(op: GraphOp): void {
    this.ops.push(op);
  }
}

/** Bytes of a Float32Array / Int32Array / Int8Array as a little-endian byte view (the host is little-endian). */
export function bytesOf(a: Float32Array | Int32Array | Int8Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function byteVector(b: flatbuffers.Builder, v: Uint8Array, alignment: number): flatbuffers.Offset {
  b.startVector(1, v.length, alignment);
  // Copy the bytes in one go (the generated createDataVector adds them one by one).
  const bb = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  bb.space -= v.length;
  bb.bb.setPosition(bb.space);
  bb.bb.bytes().set(v, bb.space);
  return b.endVector();
}

function options(b: flatbuffers.Builder, o: OpOptions): [BuiltinOptions, flatbuffers.Offset] {
  switch (o.kind) {
    case 'conv':
      return [BuiltinOptions.Conv2DOptions, Conv2DOptions.createConv2DOptions(b, o.padding, o.stride[1], o.stride[0], o.act, 1, 1)];
    case 'depthwise':
      return [BuiltinOptions.DepthwiseConv2DOptions, DepthwiseConv2DOptions.createDepthwiseConv2DOptions(b, o.padding, o.stride[1], o.stride[0], o.multiplier, o.act, 1, 1)];
    case 'pool':
      return [BuiltinOptions.Pool2DOptions, Pool2DOptions.createPool2DOptions(b, o.padding, o.stride[1], o.stride[0], o.filter[1], o.filter[0], o.act)];
    case 'fc':
      return [BuiltinOptions.FullyConnectedOptions, FullyConnectedOptions.createFullyConnectedOptions(b, o.act, 0)];
    case 'softmax':
      return [BuiltinOptions.SoftmaxOptions, SoftmaxOptions.createSoftmaxOptions(b, o.beta)];
    case 'add':
      return [BuiltinOptions.AddOptions, AddOptions.createAddOptions(b, o.act)];
    case 'mul':
      return [BuiltinOptions.MulOptions, MulOptions.createMulOptions(b, o.act)];
    case 'reshape':
      return [BuiltinOptions.ReshapeOptions, ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, o.newShape))];
  }
}

/**
 * Serializes a graph to `.tflite` bytes (schema version 3, identifier "TFL3"). Constant data is 16-byte
 * aligned inside the file, as TFLite Micro expects when it reads weights in place from flash.
 *
 * @example
 * const bytes = serializeGraph(graph, 'lenet5');
 */
export function serializeGraph(g: Graph, description: string): Uint8Array {
  const b = new flatbuffers.Builder(1024 + g.tensors.reduce((s, t) => s + (t.data?.length ?? 0), 0));
  // Buffers: 0 is the empty sentinel, then one per constant tensor.
  const bufferOffsets: flatbuffers.Offset[] = [TfliteBuffer.createBuffer(b, 0)];
  const bufferIndex: number[] = g.tensors.map((t) => {
    if (!t.data) return 0;
    const data = byteVector(b, t.data, 16);
    bufferOffsets.push(TfliteBuffer.createBuffer(b, data));
    return bufferOffsets.length - 1;
  });
  const tensorOffsets = g.tensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = Tensor.createShapeVector(b, t.shape);
    let quant = 0;
    if (t.quant) {
      const scale = QuantizationParameters.createScaleVector(b, t.quant.scale);
      const zp = QuantizationParameters.createZeroPointVector(b, t.quant.zeroPoint.map((z) => BigInt(z)));
      QuantizationParameters.startQuantizationParameters(b);
      QuantizationParameters.addScale(b, scale);
      QuantizationParameters.addZeroPoint(b, zp);
      QuantizationParameters.addQuantizedDimension(b, t.quant.axis ?? 0);
      quant = QuantizationParameters.endQuantizationParameters(b);
    }
    Tensor.startTensor(b);
    Tensor.addShape(b, shape);
    Tensor.addType(b, t.type);
    Tensor.addBuffer(b, bufferIndex[i]);
    Tensor.addName(b, name);
    if (quant) Tensor.addQuantization(b, quant);
    return Tensor.endTensor(b);
  });
  // Operator codes: one per (op, version).
  const codes: { op: BuiltinOperator; version: number }[] = [];
  const codeIndex = g.ops.map((o) => {
    let k = codes.findIndex((c) => c.op === o.op && c.version === o.version);
    if (k < 0) k = codes.push({ op: o.op, version: o.version }) - 1;
    return k;
  });
  const opOffsets = g.ops.map((o, i) => {
    const ins = Operator.createInputsVector(b, o.inputs);
    const outs = Operator.createOutputsVector(b, o.outputs);
    const [type, opts] = options(b, o.options);
    Operator.startOperator(b);
    Operator.addOpcodeIndex(b, codeIndex[i]);
    Operator.addInputs(b, ins);
    Operator.addOutputs(b, outs);
    Operator.addBuiltinOptionsType(b, type);
    Operator.addBuiltinOptions(b, opts);
    return Operator.endOperator(b);
  });
  const codeOffsets = codes.map((c) => OperatorCode.createOperatorCode(b, c.op, 0, c.version, c.op));
  const sgName = b.createString('main');
  const sg = SubGraph.createSubGraph(
    b,
    SubGraph.createTensorsVector(b, tensorOffsets),
    SubGraph.createInputsVector(b, g.inputs),
    SubGraph.createOutputsVector(b, g.outputs),
    SubGraph.createOperatorsVector(b, opOffsets),
    sgName,
  );
  const desc = b.createString(description);
  const model = Model.createModel(b, 3, Model.createOperatorCodesVector(b, codeOffsets), Model.createSubgraphsVector(b, [sg]), desc, Model.createBuffersVector(b, bufferOffsets));
  b.finish(model, 'TFL3');
  return b.asUint8Array().slice();
}
