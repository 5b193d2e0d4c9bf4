/** Model directories on disk (Node): model.json + weights.bin (+ metrics.json), written atomically. */
import * as fs from 'fs';
import * as path from 'path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelFromFiles, modelToFiles } from './io';

/**
 * Writes `model` (and optional `metrics`) to `dir`. The files are written to a temporary sibling folder first
 * and renamed into place, so a crash never leaves a half-written model.
 *
 * @example
 * await saveModel(model, 'runs/lenet5', { accuracy: 0.99 });
 */
export async function saveModel(model: tfl.LayersModel, dir: string, metrics?: unknown): Promise<void> {
  const { modelJson, weights } = await modelToFiles(model);
  const target = path.resolve(dir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
  fs.writeFileSync(path.join(tmp, 'weights.bin'), weights);
  if (metrics !== undefined) fs.writeFileSync(path.join(tmp, 'metrics.json'), JSON.stringify(metrics, null, 2));
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(tmp, target);
}

/**
 * Loads a model saved by `saveModel` (or any tfjs layers model folder with a single weights file).
 *
 * @example
 * const model = await loadModel('runs/lenet5');
 */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const jsonPath = path.join(dir, 'model.json');
  if (!fs.existsSync(jsonPath)) {
    throw new Error(`${jsonPath} does not exist: pass a folder written by \`optilab train --out <dir>\``);
  }
  let modelJson: Record<string, unknown>;
  try {
    modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`${jsonPath} is not valid JSON (${(e as Error).message})`);
  }
  const manifest = modelJson.weightsManifest as { paths: string[] }[] | undefined;
  const paths = manifest?.flatMap((g) => g.paths) ?? [];
  const buffers = paths.map((p) => {
    const file = path.join(dir, p);
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist (listed in ${jsonPath})`);
    return fs.readFileSync(file);
  });
  try {
    return await modelFromFiles({ modelJson, weights: new Uint8Array(Buffer.concat(buffers)) });
  } catch (e) {
    throw new Error(`${dir}: ${(e as Error).message}`);
  }
}

/** Reads a model folder's metrics.json, or undefined when there is none. */
export function readMetrics<T = Record<string, unknown>>(dir: string): T | undefined {
  const file = path.join(dir, 'metrics.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}
