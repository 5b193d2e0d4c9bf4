/**
 * A look inside an ONNX model: operator counts, initializers (name, type, shape, bytes), inputs and outputs.
 * Isomorphic (bytes or a decoded model); ./inspect adds file paths in Node.
 */
import { decodeModel, num, OnnxModel } from './proto';

const TYPE_NAMES: Record<number, [string, number]> = { 1: ['float32', 4], 2: ['uint8', 1], 3: ['int8', 1], 6: ['int32', 4], 7: ['int64', 8], 10: ['float16', 2], 11: ['float64', 8] };

/** One initializer (stored tensor) of a graph. */
export interface InitializerInfo {
  name: string;
  type: string;
  dims: number[];
  bytes: number;
}

/** What `inspectOnnx` reports. */
export interface OnnxSummary {
  opset: number;
  producer: string;
  nodes: number;
  /** Operator type -> number of nodes, in order of first use. */
  operators: Record<string, number>;
  initializers: InitializerInfo[];
  /** Bytes of all initializers (weights, scales, zero points). */
  initializerBytes: number;
  /** Initializer bytes by element type, e.g. { float32: 5400000 } or { int8: 1300000, float32: 3500, ... }. */
  bytesByType: Record<string, number>;
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
}

/**
 * Summarizes an ONNX model (bytes or a decoded model).
 *
 * @example
 * const s = inspectOnnxModel(exportOnnx(model, { plan }));
 * s.operators; // { Mul: 1, Add: 1, QuantizeLinear: 6, DequantizeLinear: 16, Conv: 3, ... }
 */
export function inspectOnnxModel(source: Uint8Array | OnnxModel): OnnxSummary {
  const model = source instanceof Uint8Array ? decodeModel(source) : source;
  const g = model.graph!;
  const operators: Record<string, number> = {};
  for (const n of g.node) operators[n.opType] = (operators[n.opType] ?? 0) + 1;
  const bytesByType: Record<string, number> = {};
  const initializers = g.initializer.map((t) => {
    const dims = t.dims.map((d) => num(d));
    const [type, size] = TYPE_NAMES[t.dataType] ?? [`type${t.dataType}`, 0];
    const bytes = t.rawData?.length || dims.reduce((a, b) => a * b, 1) * size;
    bytesByType[type] = (bytesByType[type] ?? 0) + bytes;
    return { name: t.name, type, dims, bytes };
  });
  const shapeOf = (v: (typeof g.input)[number]) => ({
    name: v.name,
    dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : num(d.dimValue as number))),
  });
  const inits = new Set(g.initializer.map((t) => t.name));
  return {
    opset: num(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? model.opsetImport[0].version),
    producer: model.producerName ?? '',
    nodes: g.node.length,
    operators,
    initializers,
    initializerBytes: initializers.reduce((a, t) => a + t.bytes, 0),
    bytesByType,
    inputs: g.input.filter((i) => !inits.has(i.name)).map(shapeOf),
    outputs: g.output.map(shapeOf),
  };
}
