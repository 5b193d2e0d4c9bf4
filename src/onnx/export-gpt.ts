/**
 * A tinyGpt's ONNX export under onnxruntime-node: the exporter and the perplexity over a session are
 * isomorphic (./gpt-onnx.ts, re-exported here); this file opens the sessions (Node's ONNX Runtime) and binds
 * its Tensor class. The course site has the same three functions over onnxruntime-web.
 */
import type * as ort from 'onnxruntime-node';
import type { TokenLoss, EvalOptions } from '../transformer/model';
import { decodeModel } from './proto';
import { gptSessionOptions, GptSessionOptions, OrtInt64TensorClass, sessionGptLogits, sessionPerplexity } from './gpt-onnx';

export * from './gpt-onnx';

/** onnxruntime-node, loaded on first use. */
function runtime(): typeof ort {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('onnxruntime-node') as typeof ort;
}

/**
 * An ONNX Runtime session for an exported tinyGpt: createSession's settings (sequential, all graph
 * optimizations, fixed threads, bytes checked first) plus the MatMulNBits accuracy level of `matmulAccuracy`,
 * so that an int8 export computes what its graph says (float32 activations times dequantized int8 weights).
 *
 * @example
 * const session = await createGptSession(exportTinyGptOnnx(model, { weights: 'int8' }));
 * (await onnxPerplexity(session, corpus.validation, model.config.contextLength)).perplexity;
 */
export async function createGptSession(bytes: Uint8Array, opts: GptSessionOptions = {}): Promise<ort.InferenceSession> {
  decodeModel(bytes, 'the tinyGpt ONNX bytes');
  const options = gptSessionOptions(opts);
  try {
    return await runtime().InferenceSession.create(bytes, options);
  } catch (e) {
    throw new Error(`the tinyGpt ONNX bytes: ONNX Runtime cannot load this model (${(e as Error).message})`);
  }
}

const int64Tensor = () => runtime().Tensor as unknown as OrtInt64TensorClass;

/**
 * Logits [batch, seq, vocab] of token ids [batch, seq] (row-major) from an exported tinyGpt session.
 *
 * @example
 * const logits = await onnxGptLogits(session, Int32Array.of(5, 9, 2), 1, 3); // Float32Array(3 * vocab)
 */
export function onnxGptLogits(session: ort.InferenceSession, tokens: ArrayLike<number>, batch: number, seq: number): Promise<Float32Array> {
  return sessionGptLogits(session, int64Tensor(), tokens, batch, seq);
}

/**
 * Mean cross-entropy, perplexity and bits per character of a token array under an exported tinyGpt session,
 * with TinyGpt.evaluate's windowing (see sessionPerplexity).
 *
 * @example
 * const session = await createGptSession(exportTinyGptOnnx(model));
 * (await onnxPerplexity(session, corpus.validation, model.config.contextLength)).perplexity; // = model.perplexity(corpus.validation)
 */
export function onnxPerplexity(session: ort.InferenceSession, tokens: ArrayLike<number>, contextLength: number, opts: EvalOptions = {}): Promise<TokenLoss> {
  return sessionPerplexity(session, int64Tensor(), tokens, contextLength, opts);
}
