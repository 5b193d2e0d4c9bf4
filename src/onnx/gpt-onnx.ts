/**
 * Export of a tinyGpt (src/transformer/model.ts) to ONNX (opset 17), fp32 or weight-only int8, and its
 * perplexity under ONNX Runtime with the windowing of TinyGpt.evaluate.
 *
 * Graph (input `tokens` int64 [batch, seq], seq <= contextLength, both dynamic; output `logits` float32
 * [batch, seq, vocab]):
 *   Gather(embed.token, tokens) + Slice(embed.position, 0..seq) -> nLayers pre-LayerNorm blocks -> LayerNorm -> head.
 * Each block: LayerNormalization (axis -1, eps 1e-5) -> one MatMul with the fused qkv weight [d, 3d] + bias ->
 * Reshape [b, t, 3, heads, dh] -> Transpose [3, b, heads, t, dh] -> Gather q, k, v -> q / sqrt(dh) ->
 * q k^T + causal mask -> Softmax -> times v -> Transpose / Reshape [b, t, d] -> proj, residual Add; then
 * LayerNormalization -> fc1 -> Relu (or exact GELU as x (erf(x / sqrt 2) + 1) / 2) -> fc2, residual Add.
 * The causal mask is a [contextLength, contextLength] initializer (0 on and below the diagonal, MASKED_SCORE
 * above, as tfjs adds it) sliced to [seq, seq] from the input's Shape. Token ids must be in [0, vocab): Gather
 * rejects others (tfjs's one-hot lookup gives them a zero embedding).
 *
 * Linear layers are MatMul by the transposed weight [in, out] plus the bias. With `weights: 'int8'` each linear
 * weight (every block's attn.qkv, attn.proj, mlp.fc1, mlp.fc2, and head; the ones TinyGpt.linearNames lists) is
 * stored int8 [in, out] with one float32 scale per output channel (symmetric, round half to even, codes in
 * [-127, 127], src/llmquant/group.ts with a group of the whole row), dequantized by DequantizeLinear (axis 1)
 * into the MatMul: weight-only quantization, the activations stay float32. Embeddings, biases and LayerNorms
 * stay float32. The dequantized weights are exactly those of {@link gptInt8Weights}, so the int8 graph computes
 * the fake-quantized tinyGpt. Run it with createGptSession: ONNX Runtime (1.30) fuses DequantizeLinear +
 * MatMul into MatMulNBits, whose default arithmetic also quantizes the activations (see GptSessionOptions).
 *
 * Isomorphic: the exporter, the session settings ({@link gptSessionOptions}) and the perplexity over a session
 * the caller opened ({@link sessionPerplexity}, with its ONNX Runtime package's Tensor class, as runSession).
 * ./export-gpt.ts opens sessions with onnxruntime-node; the course site with onnxruntime-web.
 */
import type { TinyGpt, TokenLoss, EvalOptions } from '../transformer/model';
import { MASKED_SCORE } from '../transformer/layers';
import { groupDequantize, groupQuantize } from '../llmquant/group';
import { Builder } from './graph-builder';
import { DT, encodeModel, tensor, valueInfo } from './proto';
import type { OrtSessionLike, OrtTensorLike } from './session-run';

/** The ONNX operator set of tinyGpt exports (LayerNormalization needs 17). */
export const GPT_ONNX_OPSET = 17;

/** Options of {@link exportTinyGptOnnx}. */
export interface GptOnnxExportOptions {
  /** 'fp32' (default) or 'int8': weight-only int8 linear layers, per-output-channel scales. */
  weights?: 'fp32' | 'int8';
  /** Graph name; default 'tinyGpt'. */
  name?: string;
}

/** A linear weight [out, in] quantized to int8 per output channel: codes [out, in] in [-127, 127], scales [out]. */
export interface Int8Linear {
  rows: number;
  cols: number;
  codes: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric per-output-channel (per-row) int8 quantization of an [out, in] weight: scale = max |w_row| / 127,
 * code = round half to even (w / scale), as groupQuantize with 8 bits and one group per row.
 *
 * @example
 * const q = int8PerChannel(w, 192, 64); // q.codes Int8Array(192 * 64), q.scales Float32Array(192)
 */
export function int8PerChannel(w: ArrayLike<number>, rows: number, cols: number): Int8Linear {
  const g = groupQuantize(w, rows, cols, { bits: 8, groupSize: cols, symmetric: true });
  const codes = new Int8Array(rows * cols);
  for (let i = 0; i < codes.length; i++) codes[i] = g.codes[i] - 128;
  return { rows, cols, codes, scales: g.scales };
}

/**
 * The linear weights of a tinyGpt after weight-only int8 quantization, dequantized to float32 (fake quantization),
 * by name: what the int8 ONNX export computes with. `model.setWeights(gptInt8Weights(model))` makes the tfjs twin.
 *
 * @example
 * const fp32 = model.getWeights();
 * model.setWeights(gptInt8Weights(model)); model.evaluate(valid); model.setWeights(fp32);
 */
export function gptInt8Weights(model: TinyGpt): Record<string, Float32Array> {
  const w = model.getWeights();
  const out: Record<string, Float32Array> = {};
  for (const name of model.linearNames()) {
    const [rows, cols] = model.weight(name).shape as [number, number];
    out[name] = groupDequantize(groupQuantize(w[name], rows, cols, { bits: 8, groupSize: cols, symmetric: true }));
  }
  return out;
}

/** Transposes a row-major [rows, cols] matrix to [cols, rows]. */
function transpose<T extends Float32Array | Int8Array>(w: T, rows: number, cols: number): T {
  const out = new (w.constructor as { new (n: number): T })(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

const i64 = (name: string, dims: number[], values: number[]) => tensor(name, DT.INT64, dims, BigInt64Array.from(values.map((v) => BigInt(v))));

/**
 * The ONNX ModelProto bytes of a tinyGpt: input `tokens` int64 [batch, seq] (seq <= contextLength), output
 * `logits` float32 [batch, seq, vocab], the same function as TinyGpt.forward; fp32, or weight-only int8 linear
 * layers with `weights: 'int8'` (see the file comment).
 *
 * @example
 * const bytes = exportTinyGptOnnx(model);                        // fp32
 * const int8 = exportTinyGptOnnx(model, { weights: 'int8' });    // int8 weights + DequantizeLinear
 * const session = await createGptSession(int8);
 * await onnxPerplexity(session, corpus.validation, model.config.contextLength);
 */
export function exportTinyGptOnnx(model: TinyGpt, opts: GptOnnxExportOptions = {}): Uint8Array {
  const mode = opts.weights ?? 'fp32';
  if (mode !== 'fp32' && mode !== 'int8') throw new RangeError(`exportTinyGptOnnx: weights must be 'fp32' or 'int8', got ${String(mode)}`);
  const c = model.config;
  const d = c.dModel;
  const heads = c.nHeads;
  const dh = d / heads;
  const T = c.contextLength;
  const w = model.getWeights();
  const b = new Builder([]);
  const f32 = (name: string, dims: number[], data: Float32Array) => b.init(tensor(name, DT.FLOAT, dims, data));

  // y = x W^T + bias, with W [out, in] stored as [in, out] (float32, or int8 + per-column scales)
  const linear = (x: string, name: string): string => {
    const [rows, cols] = model.weight(name).shape as [number, number];
    let weight: string;
    if (mode === 'int8') {
      const q = int8PerChannel(w[name], rows, cols);
      const codes = b.init(tensor(`${name}.weight_q`, DT.INT8, [cols, rows], transpose(q.codes, rows, cols)));
      const scale = f32(`${name}.weight_scale`, [rows], q.scales);
      const zero = b.init(tensor(`${name}.weight_zero_point`, DT.INT8, [rows], new Int8Array(rows)));
      weight = b.add('DequantizeLinear', [codes, scale, zero], `${name}/weight`, { axis: 1 });
    } else {
      weight = f32(`${name}.weight_t`, [cols, rows], transpose(w[name], rows, cols));
    }
    const y = b.add('MatMul', [x, weight], name);
    return b.add('Add', [y, f32(`${name}.bias`, [rows], w[`${name}.bias`])], name);
  };
  const layerNorm = (x: string, p: string): string =>
    b.add('LayerNormalization', [x, f32(`${p}.gamma`, [d], w[`${p}.gamma`]), f32(`${p}.beta`, [d], w[`${p}.beta`])], p, { axis: -1, epsilon: { float: 1e-5 } });

  // embeddings: Gather rows of the token table, plus the first seq rows of the position table
  const seq = b.add('Shape', ['tokens'], 'seq', { start: 1, end: 2 }); // [1] int64
  const zero1 = b.init(i64('const.zero1', [1], [0]));
  const zero2 = b.init(i64('const.zero2', [2], [0, 0]));
  const axes01 = b.init(i64('const.axes01', [2], [0, 1]));
  const tok = b.add('Gather', [f32('embed.token', [c.vocabSize, d], w['embed.token']), 'tokens'], 'embed.token', { axis: 0 });
  const pos = b.add('Slice', [f32('embed.position', [T, d], w['embed.position']), zero1, seq, zero1], 'embed.position');
  let x = b.add('Add', [tok, pos], 'embed');

  // causal mask [seq, seq] sliced from the full [T, T] one
  const full = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) full[i * T + j] = MASKED_SCORE;
  const seq2 = b.add('Concat', [seq, seq], 'mask/ends', { axis: 0 });
  const mask = b.add('Slice', [f32('attn.causal_mask', [T, T], full), zero2, seq2, axes01], 'mask');

  const qkvShape = b.init(i64('const.qkv_shape', [5], [0, 0, 3, heads, dh]));
  const mergedShape = b.init(i64('const.merged_shape', [3], [0, 0, d]));
  const pick = [0, 1, 2].map((i) => b.init(i64(`const.index${i}`, [], [i])));
  const invSqrtDh = b.scalar('attn.inv_sqrt_dh', 1 / Math.sqrt(dh));
  const gelu = c.activation === 'gelu' ? { one: b.scalar('gelu.one', 1), half: b.scalar('gelu.half', 0.5), invSqrt2: b.scalar('gelu.inv_sqrt2', Math.SQRT1_2) } : undefined;

  for (let i = 0; i < c.nLayers; i++) {
    const p = `block${i}`;
    const qkv = linear(layerNorm(x, `${p}.ln1`), `${p}.attn.qkv`); // [b, t, 3d]
    const split = b.add('Transpose', [b.add('Reshape', [qkv, qkvShape], `${p}.attn.heads`)], `${p}.attn.heads`, { perm: [2, 0, 3, 1, 4] }); // [3, b, h, t, dh]
    const [q, k, v] = ['q', 'k', 'v'].map((n, j) => b.add('Gather', [split, pick[j]], `${p}.attn.${n}`, { axis: 0 })); // [b, h, t, dh]
    const qs = b.add('Mul', [q, invSqrtDh], `${p}.attn.q_scaled`);
    const kt = b.add('Transpose', [k], `${p}.attn.k_t`, { perm: [0, 1, 3, 2] });
    const scores = b.add('Add', [b.add('MatMul', [qs, kt], `${p}.attn.scores`), mask], `${p}.attn.masked`);
    const probs = b.add('Softmax', [scores], `${p}.attn.softmax`, { axis: -1 });
    const mixed = b.add('MatMul', [probs, v], `${p}.attn.mix`); // [b, h, t, dh]
    const merged = b.add('Reshape', [b.add('Transpose', [mixed], `${p}.attn.merge`, { perm: [0, 2, 1, 3] }), mergedShape], `${p}.attn.merge`);
    x = b.add('Add', [x, linear(merged, `${p}.attn.proj`)], `${p}.residual1`);
    let hidden = linear(layerNorm(x, `${p}.ln2`), `${p}.mlp.fc1`);
    if (!gelu) hidden = b.add('Relu', [hidden], `${p}.mlp.act`);
    else {
      // exact GELU as tfjs computes it: x * ((erf(x / sqrt 2) + 1) * 0.5)
      const e = b.add('Erf', [b.add('Mul', [hidden, gelu.invSqrt2], `${p}.mlp.gelu_scaled`)], `${p}.mlp.gelu`);
      const cdf = b.add('Mul', [b.add('Add', [e, gelu.one], `${p}.mlp.gelu`), gelu.half], `${p}.mlp.gelu_cdf`);
      hidden = b.add('Mul', [hidden, cdf], `${p}.mlp.gelu_out`);
    }
    x = b.add('Add', [x, linear(hidden, `${p}.mlp.fc2`)], `${p}.residual2`);
  }
  const logits = linear(layerNorm(x, 'lnf'), 'head');
  b.add('Identity', [logits], 'output', {}, 'logits');
  return encodeModel({
    opsetImport: [{ domain: '', version: GPT_ONNX_OPSET }],
    graph: {
      name: opts.name ?? 'tinyGpt',
      node: b.nodes,
      initializer: b.inits,
      input: [valueInfo('tokens', DT.INT64, ['batch', 'seq'])],
      output: [valueInfo('logits', DT.FLOAT, ['batch', 'seq', c.vocabSize])],
    },
  });
}

/** Options of createGptSession (and of {@link gptSessionOptions}). */
export interface GptSessionOptions {
  /** Intra-op threads; default 1. */
  threads?: number;
  /**
   * Arithmetic of the int8 linear layers once ONNX Runtime fuses DequantizeLinear + MatMul into its
   * MatMulNBits kernel (it does at the 'extended' optimization level and above, for 8-bit weights too, blocks
   * of 32 along the input): 'fp32' (default) keeps the int8 weights in memory and multiplies float32
   * activations by them, i.e. weight-only quantization, the function of the graph; 'int8' is ONNX Runtime's
   * own default (accuracy_level 4), which also quantizes each block of 32 activations to int8 on the fly: faster,
   * but no longer the weight-only model (logits move by ~1e-2). No effect on an fp32 export.
   */
  matmulAccuracy?: 'fp32' | 'int8';
}

/** The int64 Tensor constructor of an ONNX Runtime package (onnxruntime-node's and onnxruntime-web's fit). */
export type OrtInt64TensorClass = new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => OrtTensorLike;

/**
 * The session options of createGptSession: sequential, all graph optimizations, `threads` intra-op threads
 * (default 1), and the MatMulNBits accuracy level of `matmulAccuracy` as the session config entry
 * `session.qdq_matmulnbits_accuracy_level` (onnxruntime-node and onnxruntime-web both pass `extra` through).
 *
 * @example
 * gptSessionOptions({ matmulAccuracy: 'int8' }).extra; // { session: { qdq_matmulnbits_accuracy_level: '4' } }
 */
export function gptSessionOptions(opts: GptSessionOptions = {}) {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive whole number, got ${threads}`);
  const accuracy = opts.matmulAccuracy ?? 'fp32';
  if (accuracy !== 'fp32' && accuracy !== 'int8') throw new RangeError(`matmulAccuracy must be 'fp32' or 'int8', got ${String(accuracy)}`);
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
    // MatMulNBits accuracy_level: 1 = float32 compute, 4 = int8 activations (ONNX Runtime's default)
    extra: { session: { qdq_matmulnbits_accuracy_level: accuracy === 'fp32' ? '1' : '4' } },
  };
}

/**
 * Logits [batch, seq, vocab] of token ids [batch, seq] (row-major) from an exported tinyGpt session; `Tensor` is
 * the session's ONNX Runtime package's Tensor class.
 *
 * @example
 * const logits = await sessionGptLogits(session, ort.Tensor, Int32Array.of(5, 9, 2), 1, 3); // Float32Array(3 * vocab)
 */
export async function sessionGptLogits(session: OrtSessionLike, Tensor: OrtInt64TensorClass, tokens: ArrayLike<number>, batch: number, seq: number): Promise<Float32Array> {
  if (tokens.length !== batch * seq) throw new RangeError(`onnxGptLogits: ${tokens.length} tokens for [${batch}, ${seq}]`);
  const ids = new BigInt64Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) ids[i] = BigInt(tokens[i]);
  let res: Record<string, OrtTensorLike>;
  try {
    res = await session.run({ [session.inputNames[0]]: new Tensor('int64', ids, [batch, seq]) });
  } catch (e) {
    throw new Error(`onnxGptLogits: ONNX Runtime failed on tokens [${batch}, ${seq}] (seq must be at most the model's contextLength, ids below its vocabulary size): ${(e as Error).message}`);
  }
  const y = res[session.outputNames[0]];
  if (y.dims.length !== 3 || Number(y.dims[0]) !== batch || Number(y.dims[1]) !== seq) {
    throw new Error(`onnxGptLogits: the model outputs shape [${y.dims}] for input [${batch}, ${seq}] (expected [${batch}, ${seq}, vocab])`);
  }
  return y.data as Float32Array;
}

/**
 * Mean cross-entropy, perplexity and bits per character of a token array under an exported tinyGpt session,
 * with TinyGpt.evaluate's windowing: windows of contextLength + 1 tokens starting every contextLength tokens,
 * full windows in batches of `batchSize` (default 16), the shorter ones one by one; the first token of each
 * window is not predicted. `Tensor` is the session's ONNX Runtime package's Tensor class.
 *
 * @example
 * const session = await createGptSession(exportTinyGptOnnx(model));
 * (await sessionPerplexity(session, ort.Tensor, corpus.validation, model.config.contextLength)).perplexity; // = model.perplexity(corpus.validation)
 */
export async function sessionPerplexity(session: OrtSessionLike, Tensor: OrtInt64TensorClass, tokens: ArrayLike<number>, contextLength: number, opts: EvalOptions = {}): Promise<TokenLoss> {
  if (!(Number.isInteger(contextLength) && contextLength >= 1)) throw new RangeError(`onnxPerplexity: contextLength must be a positive whole number, got ${contextLength}`);
  const n = Math.min(tokens.length, opts.maxTokens ?? Infinity);
  if (n < 2) throw new RangeError(`onnxPerplexity: evaluating needs at least 2 tokens, got ${n}`);
  const batchSize = opts.batchSize ?? 16;
  const span = contextLength + 1;
  const starts: number[] = [];
  for (let s = 0; s + 1 < n; s += contextLength) starts.push(s);
  let total = 0;
  let predicted = 0;
  const run = async (group: number[], len: number) => {
    const t = len - 1;
    const inputs = new Int32Array(group.length * t);
    const targets = new Int32Array(group.length * t);
    group.forEach((s, k) => {
      for (let j = 0; j < t; j++) {
        inputs[k * t + j] = tokens[s + j];
        targets[k * t + j] = tokens[s + j + 1];
      }
    });
    const logits = await sessionGptLogits(session, Tensor, inputs, group.length, t);
    const vocab = logits.length / targets.length;
    for (let r = 0; r < targets.length; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      let max = -Infinity;
      for (let i = 0; i < vocab; i++) if (row[i] > max) max = row[i];
      let sum = 0;
      for (let i = 0; i < vocab; i++) sum += Math.exp(row[i] - max);
      total += max + Math.log(sum) - row[targets[r]];
    }
    predicted += targets.length;
  };
  const fullWindows = starts.filter((s) => s + span <= n);
  for (let i = 0; i < fullWindows.length; i += batchSize) await run(fullWindows.slice(i, i + batchSize), span);
  for (const s of starts.filter((s) => s + span > n)) await run([s], n - s);
  const nll = total / predicted;
  return { nll, perplexity: Math.exp(nll), bitsPerChar: nll / Math.LN2, predicted };
}
