/**
 * Quantized model files on disk (Node only, not part of the browser-safe barrel): `model.json` (topology,
 * per-tensor packing, zero points, activation parameters) and `weights.qbin` (packed integer kernels,
 * float32 scales and biases).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeQuantizedModel, encodeQuantizedModel, QuantizedModelJson } from '../serialize';
import type { QuantPlan } from '../model';

export const QUANTIZED_MODEL_JSON = 'model.json';
export const QUANTIZED_WEIGHTS = 'weights.qbin';

/**
 * Writes a quantized model to `dir` and returns the size of each file in bytes.
 *
 * @example
 * const { weightsBytes } = saveQuantizedModel(model, plan, 'out/lenet5-int8');
 */
export function saveQuantizedModel(model: tfl.LayersModel, plan: QuantPlan, dir: string): { jsonBytes: number; weightsBytes: number } {
  const files = encodeQuantizedModel(model, plan);
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(files.modelJson);
  fs.writeFileSync(path.join(dir, QUANTIZED_WEIGHTS), files.weights);
  fs.writeFileSync(path.join(dir, QUANTIZED_MODEL_JSON), json);
  return { jsonBytes: Buffer.byteLength(json), weightsBytes: files.weights.length };
}

/**
 * Reads a quantized model written by `saveQuantizedModel`: the float model with dequantized kernels and the
 * plan (integers + parameters) for fake-quant or integer-only inference.
 *
 * @example
 * const { model, plan } = await loadQuantizedModel('out/lenet5-int8');
 */
export async function loadQuantizedModel(dir: string): Promise<Awaited<ReturnType<typeof decodeQuantizedModel>>> {
  const jsonPath = path.join(dir, QUANTIZED_MODEL_JSON);
  const binPath = path.join(dir, QUANTIZED_WEIGHTS);
  for (const f of [jsonPath, binPath]) {
    if (!fs.existsSync(f)) throw new Error(`${f} does not exist: save the model with saveQuantizedModel(model, plan, '${dir}') first`);
  }
  let modelJson: QuantizedModelJson;
  try {
    modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`${jsonPath} is not valid JSON (${(e as Error).message}); save the model again`);
  }
  return decodeQuantizedModel({ modelJson, weights: new Uint8Array(fs.readFileSync(binPath)) });
}
