/**
 * Small builders over the ONNX protobuf schema (`onnx-proto`, protobufjs): tensors, nodes, attributes and
 * value infos as plain objects, plus encode / decode of a ModelProto with clear errors.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { onnx } = require('onnx-proto') as { onnx: OnnxNamespace };

/** The parts of the protobufjs `onnx` namespace optilab uses (typed loosely: plain objects in, objects out). */
interface OnnxNamespace {
  ModelProto: { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): OnnxModel; verify(m: unknown): string | null };
  TensorProto: { DataType: Record<string, number> };
  AttributeProto: { AttributeType: Record<string, number> };
}

/** ONNX element types used here (TensorProto.DataType). */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** Attribute kinds (AttributeProto.AttributeType). */
const AT = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** A decoded ONNX tensor (initializer). */
export interface OnnxTensor {
  name: string;
  dims: (number | { toNumber(): number })[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: (number | { toNumber(): number })[];
}

/** A decoded ONNX attribute. */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number | { toNumber(): number };
  s?: Uint8Array;
  ints?: (number | { toNumber(): number })[];
  t?: OnnxTensor;
}

/** A decoded ONNX node. */
export interface OnnxNode {
  name?: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** A decoded ONNX value info (graph input / output). */
export interface OnnxValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim: { dimValue?: number | { toNumber(): number }; dimParam?: string }[] } } };
}

/** A decoded ONNX graph. */
export interface OnnxGraph {
  name?: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

/** A decoded ONNX model. */
export interface OnnxModel {
  irVersion?: number | { toNumber(): number };
  producerName?: string;
  opsetImport: { domain?: string; version: number | { toNumber(): number } }[];
  graph?: OnnxGraph;
}

/** int64 fields decode as numbers or Long objects; this reads either. */
export function num(v: number | { toNumber(): number } | undefined | null): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function bytesOf(data: Float32Array | Int8Array | Int32Array | Uint8Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/**
 * An initializer tensor stored as little-endian raw bytes.
 *
 * @example
 * const w = tensor('conv1.W', DT.FLOAT, [32, 1, 3, 3], weights);
 */
export function tensor(name: string, dataType: number, dims: number[], data: Float32Array | Int8Array | Int32Array | Uint8Array | BigInt64Array): OnnxTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`tensor '${name}': shape [${dims}] holds ${count} values but ${data.length} were given`);
  return { name, dataType, dims, rawData: bytesOf(data) };
}

/** Attribute values accepted by `node`. */
export type AttrValue = number | number[] | string | { float: number };

function attribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if (typeof v === 'object') return { name, type: AT.FLOAT, f: v.float };
  return { name, type: AT.INT, i: v };
}

/**
 * A graph node; integer attributes are numbers, integer lists arrays, floats `{ float: x }`.
 *
 * @example
 * node('Conv', ['x', 'W', 'B'], ['y'], 'conv1', { pads: [1, 1, 1, 1], strides: [1, 1] });
 */
export function node(opType: string, input: string[], output: string[], name: string, attrs: Record<string, AttrValue> = {}): OnnxNode {
  return { name, opType, input, output, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
}

/**
 * A tensor value info; string dims are symbolic (e.g. 'batch').
 *
 * @example
 * valueInfo('input', DT.FLOAT, ['batch', 28, 28, 1]);
 */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): OnnxValueInfo {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/**
 * Serializes a model (IR version 8 unless set) to protobuf bytes.
 *
 * @example
 * fs.writeFileSync('m.onnx', encodeModel({ opsetImport: [{ domain: '', version: 13 }], graph }));
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  const full = { irVersion: 8, producerName: 'optilab', ...model };
  const problem = onnx.ModelProto.verify(full);
  if (problem) throw new Error(`internal error: the ONNX model does not match the schema (${problem})`);
  return onnx.ModelProto.encode(full).finish();
}

/**
 * Parses ONNX bytes, with an error that says what is wrong (not protobuf, truncated, no graph) instead of
 * a protobuf stack trace.
 *
 * @example
 * const model = decodeModel(fs.readFileSync('mnist.onnx'), 'mnist.onnx');
 */
export function decodeModel(bytes: Uint8Array, source = 'the ONNX data'): OnnxModel {
  if (bytes.length === 0) throw new Error(`${source} is empty (0 bytes): not an ONNX model`);
  let model: OnnxModel;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${source} is not a valid ONNX model: the protobuf data is corrupted or truncated (${(e as Error).message}); re-export or re-download the file`);
  }
  const g = model.graph;
  if (!g || !g.node?.length || !g.output?.length) {
    throw new Error(`${source} is not a valid ONNX model: it decodes but has no graph with nodes and outputs (corrupted or not an ONNX file)`);
  }
  if (!model.opsetImport?.length) throw new Error(`${source} is not a valid ONNX model: it declares no operator set (opset_import)`);
  return model;
}

/**
 * The values of an initializer as numbers (float, int8, uint8, int32, int64), raw or typed storage.
 *
 * @example
 * const w = tensorValues(init); // Float32Array for FLOAT
 */
export function tensorValues(t: OnnxTensor): Float32Array | Int32Array | Float64Array {
  const count = (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1);
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (t.dataType) {
    case DT.FLOAT: {
      if (!view) return Float32Array.from(t.floatData ?? []);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case DT.INT8:
    case DT.UINT8:
    case DT.INT32: {
      if (!view) return Int32Array.from(t.int32Data ?? []);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = t.dataType === DT.INT8 ? view.getInt8(i) : t.dataType === DT.UINT8 ? view.getUint8(i) : view.getInt32(i * 4, true);
      return out;
    }
    case DT.INT64: {
      if (!view) return Float64Array.from((t.int64Data ?? []).map((v) => num(v)));
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
    default:
      throw new Error(`tensor '${t.name}' has element type ${t.dataType}; only float32, int8, uint8, int32 and int64 are read`);
  }
}
