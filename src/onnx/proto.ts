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
 * An initializer (or constant) whose data does not fit its declared dims or element type: names the file (when
 * known), the tensor and what was found, e.g. "m.onnx: tensor 'fc1.weight' has dims [32, 784] (25088 float32
 * values, 100352 bytes) but its raw_data holds 100000 bytes: ...".
 */
export class TensorDataError extends Error {
  constructor(
    /** The tensor's name ('' for the unnamed value of a Constant node). */
    readonly tensor: string,
    /** What is wrong, after the tensor's name ("has dims [...] but ..."). */
    readonly problem: string,
    source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}${tensor ? `tensor '${tensor}'` : 'an unnamed tensor'} ${problem}`);
    this.name = 'TensorDataError';
  }
}

/** Element types tensorValues reads: name, bytes per element in raw_data, and the typed field used without raw_data. */
const ELEMENTS: Record<number, { type: string; bytes: number; field: 'floatData' | 'int32Data' | 'int64Data'; proto: string }> = {
  [DT.FLOAT]: { type: 'float32', bytes: 4, field: 'floatData', proto: 'float_data' },
  [DT.INT8]: { type: 'int8', bytes: 1, field: 'int32Data', proto: 'int32_data' },
  [DT.UINT8]: { type: 'uint8', bytes: 1, field: 'int32Data', proto: 'int32_data' },
  [DT.INT32]: { type: 'int32', bytes: 4, field: 'int32Data', proto: 'int32_data' },
  [DT.INT64]: { type: 'int64', bytes: 8, field: 'int64Data', proto: 'int64_data' },
};

/**
 * The values of an initializer as numbers (float, int8, uint8, int32, int64), raw or typed storage. Data shorter
 * or longer than the product of the dims throws a {@link TensorDataError} naming `source` (the file) and the tensor.
 *
 * @example
 * const w = tensorValues(init, 'mnist.onnx'); // Float32Array for FLOAT
 */
export function tensorValues(t: OnnxTensor, source?: string): Float32Array | Int32Array | Float64Array {
  const el = ELEMENTS[t.dataType];
  if (!el) throw new TensorDataError(t.name, `has element type ${t.dataType}; only float32, int8, uint8, int32 and int64 are read`, source);
  const dims = (t.dims ?? []).map((d) => num(d));
  const count = dims.reduce<number>((a, d) => a * d, 1);
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  const declared = `has dims [${dims.join(', ')}] (${count} ${el.type} value${count === 1 ? '' : 's'}`;
  const fix = 'the file is truncated or corrupted, or was written by a broken exporter; re-export or re-download the model';
  if (raw) {
    if (raw.length !== count * el.bytes) throw new TensorDataError(t.name, `${declared}, ${count * el.bytes} bytes) but its raw_data holds ${raw.length} bytes: ${fix}`, source);
  } else {
    const n = t[el.field]?.length ?? 0;
    if (n !== count && n === 0 && (t as { dataLocation?: number }).dataLocation === 1) {
      throw new TensorDataError(t.name, `${declared}) stored in an external data file, which optilab does not read: export the model with its weights inside the .onnx file`, source);
    }
    if (n !== count) {
      const found = n ? `its ${el.proto} holds ${n} value${n === 1 ? '' : 's'}` : `it holds no data (neither raw_data nor ${el.proto})`;
      throw new TensorDataError(t.name, `${declared}) but ${found}: ${fix}`, source);
    }
  }
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
    default: {
      if (!view) return Float64Array.from((t.int64Data ?? []).map((v) => num(v)));
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
  }
}
