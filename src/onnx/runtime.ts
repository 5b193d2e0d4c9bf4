/**
 * Running ONNX models with onnxruntime-node (CPU): sessions with a fixed thread count, and batched
 * evaluation on an optilab Dataset whatever the model's input layout (NHWC [n, h, w, c], NCHW [n, c, h, w]
 * or flat [n, h·w]).
 */
import * as fs from 'fs';
import type * as ort from 'onnxruntime-node';
import { Dataset } from '../data/dataset';
import { decodeModel, num } from './proto';

/** onnxruntime-node, loaded on first use (importing optilab does not load the native runtime). */
function runtime(): typeof ort {
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
    return await runtime().InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new Error(`${source}: ONNX Runtime cannot load this model (${(e as Error).message})`);
  }
}

/** The input layout of an image model, read from its first input's static dims. */
export type InputLayout = 'nhwc' | 'nchw' | 'flat';

/**
 * Reads the input layout from the model's declared input shape (NHWC if the last dim is the channel count,
 * NCHW if the second is, flat for rank 2).
 *
 * @example
 * inputLayout(decodeModel(bytes), 1); // 'nchw' for a PyTorch export
 */
export function inputLayout(model: ReturnType<typeof decodeModel>, channels = 1): InputLayout {
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const input = g.input.find((i) => !inits.has(i.name));
  const dims = input?.type?.tensorType?.shape?.dim.map((d) => (d.dimParam ? -1 : num(d.dimValue as number))) ?? [];
  if (dims.length === 2) return 'flat';
  if (dims.length === 4 && dims[3] === channels && dims[1] !== channels) return 'nhwc';
  if (dims.length === 4 && dims[1] === channels) return 'nchw';
  if (dims.length === 4 && dims[3] === channels) return 'nhwc';
  throw new Error(`cannot tell the image layout of input '${input?.name}' with shape [${dims}] (expected [n, h, w, ${channels}], [n, ${channels}, h, w] or [n, h·w])`);
}

/**
 * Copies images [start, start + n) of a dataset into an ort tensor of the given layout.
 *
 * @example
 * const x = imagesOrtTensor(test, 0, 1, 'nchw');
 */
export function imagesOrtTensor(data: Dataset, start: number, n: number, layout: InputLayout): ort.Tensor {
  const size = data.height * data.width;
  const pixels = data.images.subarray(start * size, (start + n) * size);
  // One channel: NHWC, NCHW and flat hold the same bytes in the same order.
  const dims = layout === 'flat' ? [n, size] : layout === 'nchw' ? [n, 1, data.height, data.width] : [n, data.height, data.width, 1];
  return new (runtime().Tensor)('float32', pixels.slice(), dims);
}

/**
 * Runs a session on a whole dataset in batches; returns the logits [count, numClasses] (first output).
 *
 * @example
 * const logits = await runOnnx(session, test, { layout: 'nhwc' });
 * const acc = scoreLogits(logits, test.labels, 10).accuracy;
 */
export async function runOnnx(session: ort.InferenceSession, data: Dataset, opts: { layout?: InputLayout; batchSize?: number } = {}): Promise<Float32Array> {
  const batch = opts.batchSize ?? 256;
  const layout = opts.layout ?? 'nhwc';
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  const out = new Float32Array(data.count * data.numClasses);
  for (let start = 0; start < data.count; start += batch) {
    const n = Math.min(batch, data.count - start);
    const res = await session.run({ [input]: imagesOrtTensor(data, start, n, layout) });
    const y = res[output];
    if (y.dims.length !== 2 || Number(y.dims[1]) !== data.numClasses) {
      throw new Error(`the model outputs shape [${y.dims}] but the data has ${data.numClasses} classes (expected [n, ${data.numClasses}])`);
    }
    out.set(y.data as Float32Array, start * data.numClasses);
  }
  return out;
}
