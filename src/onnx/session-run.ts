/**
 * Running an ONNX Runtime session on an optilab Dataset, whatever the model's input layout (NHWC [n, h, w, c],
 * NCHW [n, c, h, w] or flat [n, h·w]). Isomorphic: the session and its Tensor class come from the caller,
 * onnxruntime-node in Node (./runtime), onnxruntime-web on the course site.
 */
import type { Dataset } from '../data/dataset';
import { decodeModel, num } from './proto';

/** What optilab needs of an ONNX Runtime tensor (onnxruntime-node's and onnxruntime-web's Tensor both fit). */
export interface OrtTensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The Tensor class of an ONNX Runtime package. */
export type OrtTensorClass = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;

/** What optilab needs of an ONNX Runtime inference session. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run(feeds: Record<string, any>): Promise<Record<string, OrtTensorLike>>;
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
 * Copies images [start, start + n) of a dataset into a float32 tensor of `Tensor` (an ONNX Runtime package's
 * class) in the given layout.
 *
 * @example
 * const x = imagesOrtInput(ort.Tensor, test, 0, 1, 'nchw'); // dims [1, 1, 28, 28]
 */
export function imagesOrtInput(Tensor: OrtTensorClass, data: Dataset, start: number, n: number, layout: InputLayout): OrtTensorLike {
  const size = data.height * data.width;
  const pixels = data.images.subarray(start * size, (start + n) * size);
  // One channel: NHWC, NCHW and flat hold the same bytes in the same order.
  const dims = layout === 'flat' ? [n, size] : layout === 'nchw' ? [n, 1, data.height, data.width] : [n, data.height, data.width, 1];
  return new Tensor('float32', pixels.slice(), dims);
}

/**
 * Runs a session on a whole dataset in batches; returns the logits [count, numClasses] (first output).
 *
 * @example
 * const logits = await runSession(session, ort.Tensor, test, { layout: 'nhwc' });
 */
export async function runSession(session: OrtSessionLike, Tensor: OrtTensorClass, data: Dataset, opts: { layout?: InputLayout; batchSize?: number } = {}): Promise<Float32Array> {
  const batch = opts.batchSize ?? 256;
  const layout = opts.layout ?? 'nhwc';
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  const out = new Float32Array(data.count * data.numClasses);
  for (let start = 0; start < data.count; start += batch) {
    const n = Math.min(batch, data.count - start);
    const res = await session.run({ [input]: imagesOrtInput(Tensor, data, start, n, layout) });
    const y = res[output];
    if (y.dims.length !== 2 || Number(y.dims[1]) !== data.numClasses) {
      throw new Error(`the model outputs shape [${y.dims}] but the data has ${data.numClasses} classes (expected [n, ${data.numClasses}])`);
    }
    out.set(y.data as Float32Array, start * data.numClasses);
  }
  return out;
}
