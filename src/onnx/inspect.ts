/**
 * inspectOnnx in Node: a model's summary (./inspect-model) from a file path, bytes or a decoded model.
 */
import * as fs from 'fs';
import { decodeModel, OnnxModel } from './proto';
import { inspectOnnxModel, OnnxSummary } from './inspect-model';

export type { InitializerInfo, OnnxSummary } from './inspect-model';

/**
 * Summarizes an ONNX model (path, bytes or a decoded model).
 *
 * @example
 * const s = inspectOnnx('mnistCnn.int8.onnx');
 * s.operators; // { Mul: 1, Add: 1, QuantizeLinear: 6, DequantizeLinear: 16, Conv: 3, ... }
 */
export function inspectOnnx(source: string | Uint8Array | OnnxModel): OnnxSummary {
  return inspectOnnxModel(typeof source === 'string' ? decodeModel(fs.readFileSync(source), source) : source);
}
