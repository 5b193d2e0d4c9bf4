/**
 * tinyGpt: a decoder-only character-level transformer written with tfjs-core ops (isomorphic).
 *
 * tokens -> token embedding + learned position embedding -> nLayers pre-LayerNorm blocks
 * (x += proj(attn(ln1(x))); x += fc2(act(fc1(ln2(x))))) -> final LayerNorm -> output projection 'head' -> logits.
 * The head is untied (its own [vocab, d] weight and bias, not the token embedding), so quantizing the
 * linear layers never touches the embedding. Attention is causal: position i sees positions 0..i only.
 *
 * Every parameter is a named tf.Variable (see weightNames()); linear weights are [out, in], row-major, as
 * src/llmquant expects, so quantization and pruning read and replace them by name:
 *   embed.token [V, d], embed.position [T, d],
 *   block{i}.ln1.gamma/.beta [d], block{i}.attn.qkv [3d, d] (+ .bias), block{i}.attn.proj [d, d] (+ .bias),
 *   block{i}.ln2.gamma/.beta [d], block{i}.mlp.fc1 [r d, d] (+ .bias), block{i}.mlp.fc2 [d, r d] (+ .bias),
 *   lnf.gamma/.beta [d], head [V, d] (+ .bias).
 * Initial weights (seeded): N(0, 0.02), the residual projections (attn.proj, mlp.fc2) N(0, 0.02 / sqrt(2 L)) as
 * in GPT-2; biases 0, LayerNorm gains 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../util/random';
import { TinyGptConfig, gptConfig, gptParameterShapes, TINY_GPT_DEFAULT, GptShape } from './config';
import { causalMask, causalSelfAttention, gelu, layerNorm, linear } from './layers';

/** Called with the input [rows, in] of each linear layer during a forward pass (calibration, src/transformer/quantize.ts). */
export type LinearInputHook = (name: string, x: tf.Tensor2D) => void;

/** Options of {@link TinyGpt.forward}. */
export interface ForwardOptions {
  /** Sees every linear layer's input (inside the forward's tidy: copy what you keep). */
  onLinearInput?: LinearInputHook;
  /** Logits of the last position only ([b, 1, V]), as generation needs. */
  lastOnly?: boolean;
  /**
   * Replaces each linear layer's input (the qkv input included) before its product, e.g. by its per-token int8
   * fake quantization (W8A8, src/transformer/quantize-llm.ts); runs after onLinearInput, which sees the original.
   */
  transformLinearInput?: (name: string, x: tf.Tensor2D) => tf.Tensor2D;
  /**
   * Replaces each block's keys and values ([b, heads, t, headDim] each) before attention uses them, e.g. by
   * their KV-cache quantization; `layer` is the block index.
   */
  transformKv?: KvTransform;
}

/** Keys and values [b, heads, t, headDim] of block `layer` -> the ones attention uses. */
export type KvTransform = (layer: number, k: tf.Tensor4D, v: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D];

/** Options of {@link TinyGpt.generate}. */
export interface GenerateOptions {
  /** Softmax temperature; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Sample among the k most likely tokens only. Default: all. */
  topK?: number;
  /** Seed of the sampler; the same seed and weights give the same tokens. Default 0. */
  seed?: number;
}

/** Options of {@link TinyGpt.perplexity} and {@link TinyGpt.bitsPerChar}. */
export interface EvalOptions {
  /** Sequences per forward pass; default 16. */
  batchSize?: number;
  /** Evaluate on the first this many tokens only. */
  maxTokens?: number;
  /** Options of every forward pass (activation or KV quantization; lastOnly is ignored). */
  forward?: ForwardOptions;
}

/** Mean negative log-likelihood of a token array, with its perplexity and bits per character. */
export interface TokenLoss {
  /** Mean cross-entropy in nats per predicted token. */
  nll: number;
  perplexity: number;
  bitsPerChar: number;
  /** Tokens predicted (each window's first token has no context and is not predicted). */
  predicted: number;
}

let instances = 0;

/**
 * One-hot rows as float32. Made as int32 and cast: the wasm backend's OneHot kernel ignores a float32 dtype
 * and writes int32 bit patterns (1 reads as 1.4e-45, a denormal that also slows every later op).
 */
function oneHotFloat(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(tf.cast(ids, 'int32') as tf.Tensor1D, depth), 'float32') as tf.Tensor2D;
}

/** Seeded N(0, std) values (Box-Muller on mulberry32). */
function normal(n: number, std: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r();
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * A decoder-only character transformer. Build one with {@link tinyGpt}.
 */
export class TinyGpt {
  readonly config: TinyGptConfig;
  private readonly vars = new Map<string, tf.Variable>();
  private readonly masks = new Map<number, tf.Tensor2D>();

  constructor(config: TinyGptConfig) {
    this.config = config;
    const prefix = `tinyGpt${++instances}/`;
    gptParameterShapes(config).forEach((p, i) => {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const values = Number.isNaN(p.std) ? new Float32Array(n).fill(1) : p.std === 0 ? new Float32Array(n) : normal(n, p.std, config.seed * 1000 + i);
      this.vars.set(p.name, tf.variable(tf.tensor(values, p.shape), true, prefix + p.name));
    });
  }

  /**
   * Every parameter's name, in creation order.
   *
   * @example
   * model.weightNames().slice(0, 3); // ['embed.token', 'embed.position', 'block0.ln1.gamma']
   */
  weightNames(): string[] {
    return [...this.vars.keys()];
  }

  /**
   * The weight matrices of the linear layers ([out, in] each), the ones weight quantization replaces:
   * every block's attn.qkv, attn.proj, mlp.fc1, mlp.fc2, then head.
   *
   * @example
   * model.linearNames(); // ['block0.attn.qkv', 'block0.attn.proj', 'block0.mlp.fc1', 'block0.mlp.fc2', ..., 'head']
   */
  linearNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.config.nLayers; i++) names.push(`block${i}.attn.qkv`, `block${i}.attn.proj`, `block${i}.mlp.fc1`, `block${i}.mlp.fc2`);
    names.push('head');
    return names;
  }

  /**
   * The variable holding parameter `name`; throws naming the parameters when there is none.
   *
   * @example
   * model.weight('block0.mlp.fc1').shape; // [512, 128]
   */
  weight(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new RangeError(`tinyGpt has no parameter '${name}'; it has ${this.weightNames().join(', ')}`);
    return v;
  }

  /**
   * All trainable variables, in creation order.
   *
   * @example
   * tf.variableGrads(() => model.loss(x, y), model.variables());
   */
  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /**
   * Total number of parameters.
   *
   * @example
   * tinyGpt({ vocabSize: 63 }).parameterCount(); // 825919
   */
  parameterCount(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /**
   * A copy of every parameter's values, by name (to restore after an experiment with {@link setWeights}).
   *
   * @example
   * const fp32 = model.getWeights(); ...; model.setWeights(fp32);
   */
  getWeights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, v] of this.vars) out[name] = Float32Array.from(v.dataSync() as Float32Array);
    return out;
  }

  /**
   * Replaces parameter values by name (any subset); each array must have the parameter's size.
   *
   * @example
   * model.setWeights({ 'block0.mlp.fc1': quantized });
   */
  setWeights(values: Record<string, ArrayLike<number>>): void {
    for (const [name, data] of Object.entries(values)) {
      const v = this.weight(name);
      if (data.length !== v.size) throw new RangeError(`setWeights: '${name}' has ${v.size} values [${v.shape.join(', ')}], got ${data.length}`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(data), v.shape)));
    }
  }

  private mask(t: number): tf.Tensor2D {
    let m = this.masks.get(t);
    if (!m) {
      m = tf.tidy(() => tf.keep(causalMask(t)));
      this.masks.set(t, m);
    }
    return m;
  }

  /**
   * Logits [b, t, V] of token ids [b, t] (t <= contextLength): at position i, the scores of the token after i
   * given tokens 0..i. Call inside tf.tidy (or dispose the result).
   *
   * @example
   * const logits = tf.tidy(() => model.forward(tf.tensor2d([[5, 9, 2]], [1, 3], 'int32'))); // [1, 3, 63]
   */
  forward(tokens: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const c = this.config;
    const [b, t] = tokens.shape;
    if (t > c.contextLength) throw new RangeError(`tinyGpt: ${t} tokens exceed the context length ${c.contextLength}`);
    if (t < 1 || b < 1) throw new RangeError(`tinyGpt: empty input [${b}, ${t}]`);
    const d = c.dModel;
    const w = (name: string) => this.weight(name) as unknown as tf.Tensor2D;
    const vec = (name: string) => this.weight(name) as unknown as tf.Tensor1D;
    const input = (name: string, x: tf.Tensor2D) => {
      opts.onLinearInput?.(name, x);
      return opts.transformLinearInput ? opts.transformLinearInput(name, x) : x;
    };
    const lin = (x: tf.Tensor2D, name: string, activation?: 'relu') => linear(input(name, x), w(name), vec(`${name}.bias`), activation);
    const ids = tf.reshape(tokens, [b * t]) as tf.Tensor1D;
    // the embedding lookup as a product with one-hot rows: its gradient is a matrix product too (wasm has no
    // kernel for a gather's gradient, UnsortedSegmentSum)
    const tokenEmb = tf.matMul(oneHotFloat(ids, c.vocabSize), w('embed.token'));
    const position = tf.slice(w('embed.position'), [0, 0], [t, d]);
    let x = tf.reshape(tf.add(tf.reshape(tokenEmb, [b, t, d]), position), [b * t, d]) as tf.Tensor2D;
    const mask = this.mask(t);
    for (let i = 0; i < c.nLayers; i++) {
      const p = `block${i}`;
      const normed = layerNorm(x, vec(`${p}.ln1.gamma`), vec(`${p}.ln1.beta`));
      const kv = opts.transformKv;
      const attended = causalSelfAttention(input(`${p}.attn.qkv`, normed), w(`${p}.attn.qkv`), vec(`${p}.attn.qkv.bias`), b, t, c.nHeads, mask, kv && ((k, v) => kv(i, k, v)));
      x = tf.add(x, lin(attended, `${p}.attn.proj`));
      const normed2 = layerNorm(x, vec(`${p}.ln2.gamma`), vec(`${p}.ln2.beta`));
      const hidden = c.activation === 'relu' ? lin(normed2, `${p}.mlp.fc1`, 'relu') : gelu(lin(normed2, `${p}.mlp.fc1`));
      x = tf.add(x, lin(hidden, `${p}.mlp.fc2`));
    }
    let h = layerNorm(x, vec('lnf.gamma'), vec('lnf.beta'));
    let rows = t;
    if (opts.lastOnly) {
      h = tf.reshape(tf.slice(tf.reshape(h, [b, t, d]), [0, t - 1, 0], [b, 1, d]), [b, d]);
      rows = 1;
    }
    return tf.reshape(lin(h, 'head'), [b, rows, c.vocabSize]);
  }

  /**
   * Mean cross-entropy (nats per token) of predicting `targets` [b, t] from `inputs` [b, t]; differentiable.
   *
   * @example
   * const { value, grads } = tf.variableGrads(() => model.loss(x, y), model.variables());
   */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    const logits = tf.reshape(this.forward(inputs), [-1, this.config.vocabSize]) as tf.Tensor2D;
    const labels = oneHotFloat(tf.reshape(targets, [-1]) as tf.Tensor1D, this.config.vocabSize);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }

  /**
   * Mean cross-entropy, perplexity and bits per character of a token array, without gradients: the tokens are
   * cut into windows of contextLength + 1 (each window predicts its tokens 2..), run in batches.
   *
   * @example
   * const { perplexity, bitsPerChar } = model.evaluate(corpus.validation);
   */
  evaluate(tokens: ArrayLike<number>, opts: EvalOptions = {}): TokenLoss {
    const c = this.config;
    const n = Math.min(tokens.length, opts.maxTokens ?? Infinity);
    if (n < 2) throw new RangeError(`tinyGpt: evaluating needs at least 2 tokens, got ${n}`);
    const batchSize = opts.batchSize ?? 16;
    const span = c.contextLength + 1;
    // windows start every contextLength tokens, so consecutive windows share one token and every token but the first is predicted once
    const starts: number[] = [];
    for (let s = 0; s + 1 < n; s += c.contextLength) starts.push(s);
    let total = 0;
    let predicted = 0;
    const run = (group: number[], len: number) => {
      const inputs = new Int32Array(group.length * (len - 1));
      const targets = new Int32Array(group.length * (len - 1));
      group.forEach((s, k) => {
        for (let j = 0; j < len - 1; j++) {
          inputs[k * (len - 1) + j] = tokens[s + j];
          targets[k * (len - 1) + j] = tokens[s + j + 1];
        }
      });
      const sum = tf.tidy(() => {
        const logits = tf.reshape(this.forward(tf.tensor2d(inputs, [group.length, len - 1], 'int32'), { ...opts.forward, lastOnly: false }), [-1, c.vocabSize]) as tf.Tensor2D;
        const picked = tf.sum(tf.mul(logits, oneHotFloat(tf.tensor1d(targets, 'int32'), c.vocabSize)), 1);
        return tf.sum(tf.sub(tf.logSumExp(logits, 1), picked));
      });
      total += sum.dataSync()[0];
      sum.dispose();
      predicted += targets.length;
    };
    const full = starts.filter((s) => s + span <= n);
    for (let i = 0; i < full.length; i += batchSize) run(full.slice(i, i + batchSize), span);
    const rest = starts.filter((s) => s + span > n);
    for (const s of rest) run([s], n - s);
    const nll = total / predicted;
    return { nll, perplexity: Math.exp(nll), bitsPerChar: nll / Math.LN2, predicted };
  }

  /**
   * Perplexity, exp(mean cross-entropy), of a token array (see {@link evaluate}); a uniform model's is the vocabulary size.
   *
   * @example
   * model.perplexity(corpus.validation, { maxTokens: 20000 });
   */
  perplexity(tokens: ArrayLike<number>, opts: EvalOptions = {}): number {
    return this.evaluate(tokens, opts).perplexity;
  }

  /**
   * Bits per character, mean cross-entropy / ln 2, of a token array (see {@link evaluate}).
   *
   * @example
   * model.bitsPerChar(corpus.validation); // ~2.0 after a quick run on the KJV
   */
  bitsPerChar(tokens: ArrayLike<number>, opts: EvalOptions = {}): number {
    return this.evaluate(tokens, opts).bitsPerChar;
  }

  /**
   * Continues `prompt` (token ids, at least one) by `n` tokens, one at a time on the last contextLength tokens;
   * returns the new tokens only. Sampling is seeded: the same weights, prompt and options give the same tokens.
   *
   * @example
   * const v = corpus.vocabulary;
   * v.decode(model.generate(v.encode('And God said'), 100, { temperature: 0.8, topK: 10, seed: 1 }));
   */
  generate(prompt: ArrayLike<number>, n: number, opts: GenerateOptions = {}): Int32Array {
    const c = this.config;
    if (prompt.length < 1) throw new RangeError('generate: the prompt needs at least one token');
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`generate: n must be a whole number >= 0, got ${n}`);
    const temperature = opts.temperature ?? 1;
    if (!(temperature >= 0)) throw new RangeError(`generate: temperature must be >= 0, got ${temperature}`);
    const topK = Math.min(opts.topK ?? c.vocabSize, c.vocabSize);
    if (!(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`generate: topK must be a positive whole number, got ${opts.topK}`);
    const random = mulberry32(opts.seed ?? 0);
    const seq = Array.from(prompt);
    const out = new Int32Array(n);
    for (let step = 0; step < n; step++) {
      const context = seq.slice(-c.contextLength);
      const logits = tf.tidy(() => this.forward(tf.tensor2d(context, [1, context.length], 'int32'), { lastOnly: true }));
      const row = Float64Array.from(logits.dataSync());
      logits.dispose();
      const next = sampleToken(row, temperature, topK, random);
      out[step] = next;
      seq.push(next);
    }
    return out;
  }

  /**
   * Frees the variables and cached masks.
   *
   * @example
   * model.dispose();
   */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    for (const m of this.masks.values()) m.dispose();
    this.vars.clear();
    this.masks.clear();
  }
}

/**
 * One token drawn from logits: the argmax at temperature 0, else from softmax(logits / temperature) over the
 * `topK` largest (ties broken by the lower id).
 *
 * @example
 * sampleToken(Float64Array.from([0, 5, 1]), 0, 3, mulberry32(0)); // 1
 */
export function sampleToken(logits: Float64Array, temperature: number, topK: number, random: () => number): number {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  if (temperature === 0) return order[0];
  const kept = order.slice(0, topK);
  const max = logits[kept[0]];
  const weights = kept.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random() * total;
  for (let i = 0; i < kept.length; i++) {
    u -= weights[i];
    if (u < 0) return kept[i];
  }
  return kept[kept.length - 1];
}

/**
 * Builds a tinyGpt: `overrides` on top of `preset` (default TINY_GPT_DEFAULT), seeded initial weights.
 *
 * @example
 * const model = tinyGpt({ vocabSize: corpus.vocabulary.size, seed: 1 });
 * const quick = tinyGpt({ vocabSize: 63 }, TINY_GPT_QUICK);
 */
export function tinyGpt(overrides: Partial<TinyGptConfig> & { vocabSize: number }, preset: Readonly<GptShape> = TINY_GPT_DEFAULT): TinyGpt {
  return new TinyGpt(gptConfig(overrides, preset));
}
