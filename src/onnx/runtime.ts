/**
 * Running ONNX models with onnxruntime-node (CPU): sessions with a fixed thread count, and batched
 * evaluation on an optilab Dataset whatever the model's input layout (NHWC [n, h, w, c], NCHW [n, c, h, w]
 * or flat [n, h·w]).
 */
import * as fs from 'fs';
import type * as ort from 'onnxruntime-node';
import { Dataset } from '../data/dataset';
import { decodeModel } from './proto';
import { imagesOrtInput, InputLayout, runSession } from './session-run';

/** onnxruntime-node, loaded on first use (importing optilab does not load the native runtime). */
export function onnxRuntimeNode(): typeof ort {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('onnxruntime-node') as typeof ort;
}

/** Options of `createSession`. */
export interface SessionOptions {
  /** Intra-op threads; default 1 (measurements must fix it). */
  threads?: number;
}

/**
 * Opens an ONNX model (path or bytes) in onnxruntime-node with a fixed thread count. Bytes are checked
 * first, so a corrupted or truncated file gives a clear error, not a runtime stack trace.
 *
 * @example
 * const session = await createSession('mnistCnn.int8.onnx', { threads: 1 });
 */
export async function createSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const source = typeof model === 'string' ? model : 'the ONNX bytes';
  let bytes: Uint8Array;
  if (typeof model === 'string') {
    if (!fs.existsSync(model)) throw new Error(`${model} does not exist: pass the path of an .onnx file`);
    bytes = fs.readFileSync(model);
  } else bytes = model;
  decodeModel(bytes, source);
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive whole number, got ${threads}`);
  try {
    return await onnxRuntimeNode().InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new Error(`${source}: ONNX Runtime cannot load this model (${(e as Error).message})`);
  }
}

/**
 * Copies images [start, start + n) of a dataset into an ort tensor of the given layout.
 *
 * @example
 * const x = imagesOrtTensor(test, 0, 1, 'nchw');
 */
export function imagesOrtTensor(data: Dataset, start: number, n: number, layout: InputLayout): ort.Tensor {
  return imagesOrtInput(onnxRuntimeNode().Tensor, data, start, n, layout) as ort.Tensor;
}

/**
 * Runs a session on a whole dataset in batches; returns the logits [count, numClasses] (first output).
 *
 * @example
 * const logits = await runOnnx(session, test, { layout: 'nhwc' });
 * const acc = scoreLogits(logits, test.labels, 10).accuracy;
 */
export async function runOnnx(session: ort.InferenceSession, data: Dataset, opts: { layout?: InputLayout; batchSize?: number } = {}): Promise<Float32Array> {
  return runSession(session, onnxRuntimeNode().Tensor, data, opts);
}
