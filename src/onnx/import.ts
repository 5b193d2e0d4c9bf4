/**
 * ONNX files in Node: read, check and import them (the work itself is isomorphic, in ./import-model).
 */
import * as fs from 'fs';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeModel, OnnxModel } from './proto';
import { checkOnnxGraph, importOnnxModel } from './import-model';

export { OnnxImportError } from './import-ops';

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
  return checkOnnxGraph(decodeModel(fs.readFileSync(file), file), file);
}

/**
 * Converts an ONNX image classifier (a file or a decoded model) into a tfjs-layers Sequential model taking
 * [n, h, w, c] images (see importOnnxModel for what is supported).
 *
 * @example
 * const model = importOnnx('tests/onnx/fixtures/torch_cnn.onnx');
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * fs.writeFileSync('torch_cnn.int8.onnx', exportOnnx(model, { plan }));
 */
export function importOnnx(source: string | OnnxModel, name = 'imported'): tfl.Sequential {
  return typeof source === 'string' ? importOnnxModel(readOnnxFile(source), name, source) : importOnnxModel(source, name);
}
