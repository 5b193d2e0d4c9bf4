/**
 * Pruning a tinyGpt (isomorphic, tfjs-core only): weight masks for its linear layers ([out, in] weights, by
 * name, as src/transformer/quantize.ts reads them) and attention-head removal.
 *
 * Weight pruning scores every weight, then keeps the best ones in one of two patterns:
 * - scores: magnitude |W_ij|, or Wanda (Sun et al. 2023, "A Simple and Effective Pruning Approach for Large
 *   Language Models") |W_ij| · ||x_j||₂, x_j being input feature j of the layer over calibration tokens
 *   (collectLinearInputs): a small weight on a loud input can matter more than a large weight on a quiet one;
 * - patterns: unstructured (a target sparsity, compared within each output row, each layer, or globally), or
 *   2:4 semi-structured (in each group of 4 consecutive input weights of a row, keep the 2 best: the pattern
 *   sparse tensor cores run, src/hardware/sparse-nm.ts).
 * Masks are plain Float32Arrays (1 kept, 0 pruned) applied by multiplying the weights in place; keep
 * `model.getWeights()` first to go back.
 *
 * By default only the blocks' linear layers (attn.qkv, attn.proj, mlp.fc1, mlp.fc2) are pruned, not `head`:
 * the output projection maps the final residual stream to every character's logit, so each of its weights
 * shifts a logit directly, with no later layer to absorb the error; it is a small share of the parameters
 * (4,032 of 112,319 in the quick shape, 3.6%), so pruning it buys little; and LLM pruning (Wanda, SparseGPT)
 * leaves the embeddings and the LM head dense too. `includeHead: true` prunes it as well (measured below: it
 * costs 50% unstructured magnitude 5.32 -> 5.57 perplexity for 1.8% more zeros).
 *
 * Measured on the quick shape trained with GPT_TRAINING_QUICK on the full KJV (validation perplexity over all
 * 398,939 validation characters, dense 3.89; Wanda calibrated on 4,096 training characters): 50% unstructured,
 * magnitude per layer 5.32, per row 5.10, Wanda per row 5.05; 2:4, magnitude 7.35, Wanda 6.86. Removing the 2
 * least important of 8 heads by loss increase: 4.15 (by output RMS: 4.79).
 *
 * Heads: {@link headImportance} scores each attention head by the RMS of its contribution to the residual
 * stream (its slice of the attention output through its columns of attn.proj) on calibration tokens, or by
 * the loss increase when it is removed; {@link pruneHeads} removes heads by zeroing their rows of attn.qkv
 * (the q, k and v slices, and their biases) and their columns of attn.proj — no change to the model's code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSparsity, maskSmallest, pruneCount } from '../prune/masks';
import type { TinyGpt } from './model';
import { collectLinearInputs, LinearInputs } from './quantize';

/** How a weight is scored: |W_ij| ('magnitude') or |W_ij| · ||x_j||₂ ('wanda'). */
export type GptPruneMethod = 'magnitude' | 'wanda';

/** Which weights may go: any (to a target sparsity), or 2 of every 4 consecutive inputs of a row. */
export type GptSparsityPattern = 'unstructured' | '2:4';

/** Where unstructured pruning compares scores: within each output row, within each layer, or across all layers. */
export type GptPruneScope = 'row' | 'layer' | 'global';

/** The mask of one linear layer: [rows, cols] = the weight's [out, in], row-major; 1 kept, 0 pruned. */
export interface GptLinearMask {
  name: string;
  rows: number;
  cols: number;
  mask: Float32Array;
}

/** Masks by layer name. */
export type GptMaskSet = Record<string, GptLinearMask>;

/** Options of {@link gptPruneMasks} and {@link pruneTinyGpt}. */
export interface GptPruneOptions {
  /** Default 'magnitude'. */
  method?: GptPruneMethod;
  /** Default 'unstructured'. */
  pattern?: GptSparsityPattern;
  /** Fraction of weights removed, in [0, 1), for 'unstructured' (required there); '2:4' is 0.5 by construction. */
  sparsity?: number;
  /** Where unstructured pruning compares scores. Default: 'row' for Wanda (as its paper), 'layer' for magnitude. */
  scope?: GptPruneScope;
  /** Layers to prune (default {@link gptPrunableNames}: the blocks' linears, plus head with includeHead). */
  names?: string[];
  /** Prune `head` too when `names` is not given. Default false (see the file's comment for why). */
  includeHead?: boolean;
  /** Calibration inputs of the layers (collectLinearInputs), required by Wanda. */
  inputs?: Map<string, LinearInputs>;
}

/** What pruning did to one layer. */
export interface GptLayerPruneReport {
  name: string;
  rows: number;
  cols: number;
  /** Weights the mask removes / weights of the layer. */
  maskSparsity: number;
  /** Exactly-zero weights / weights of the layer after applying the mask (counts zeros that were there before). */
  sparsity: number;
}

/** What pruning did to the model. */
export interface GptPruneReport {
  layers: GptLayerPruneReport[];
  /** Zero weights / weights over the pruned layers. */
  sparsity: number;
  /** Zero weights of the pruned layers / all parameters of the model (embeddings, LayerNorms and biases included). */
  modelSparsity: number;
}

/**
 * The linear layers pruning touches by default: every block's attn.qkv, attn.proj, mlp.fc1, mlp.fc2, and
 * `head` only with `includeHead`.
 *
 * @example
 * gptPrunableNames(model);       // ['block0.attn.qkv', 'block0.attn.proj', 'block0.mlp.fc1', 'block0.mlp.fc2', 'block1.attn.qkv', ...]
 * gptPrunableNames(model, true); // the same, then 'head'
 */
export function gptPrunableNames(model: TinyGpt, includeHead = false): string[] {
  return model.linearNames().filter((n) => includeHead || n !== 'head');
}

/**
 * The L2 norm of each input feature over the calibration rows: ||x_j||₂ = sqrt(sum over rows of x[r, j]²), [cols].
 *
 * @example
 * inputFeatureNorms({ name: 'l', rows: 2, cols: 2, x: Float32Array.of(3, 0, 4, 1) }); // [5, 1]
 */
export function inputFeatureNorms(inputs: LinearInputs): Float64Array {
  const { rows, cols, x } = inputs;
  if (x.length !== rows * cols) throw new RangeError(`inputFeatureNorms: ${x.length} values do not make [${rows}, ${cols}] inputs of '${inputs.name}'`);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) sq[j] += x[r * cols + j] * x[r * cols + j];
  return sq.map(Math.sqrt);
}

/**
 * Magnitude scores |W_ij| of a weight.
 *
 * @example
 * magnitudeScores(Float32Array.of(-2, 0.5)); // [2, 0.5]
 */
export function magnitudeScores(w: ArrayLike<number>): Float64Array {
  return Float64Array.from(w, Math.abs);
}

/**
 * Wanda scores |W_ij| · ||x_j||₂ of a [rows, cols] weight given its input feature norms ({@link inputFeatureNorms}).
 *
 * @example
 * wandaScores(Float32Array.of(1, -2, 3, 4), 2, 2, Float64Array.of(5, 1)); // [5, 2, 15, 4]
 */
export function wandaScores(w: ArrayLike<number>, rows: number, cols: number, norms: ArrayLike<number>): Float64Array {
  if (w.length !== rows * cols) throw new RangeError(`wandaScores: ${w.length} weights do not make [${rows}, ${cols}]`);
  if (norms.length !== cols) throw new RangeError(`wandaScores: ${norms.length} input norms for ${cols} input columns`);
  const s = new Float64Array(w.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) s[r * cols + j] = Math.abs(w[r * cols + j]) * norms[j];
  return s;
}

/**
 * An unstructured mask of a [rows, cols] score matrix removing round(rows · cols · sparsity) of its lowest
 * scores, compared within each row (`'row'`: every row loses the same number, give or take one — the first
 * rows take the remainder — so the layer's sparsity is exact too) or over the whole matrix (`'layer'`). Ties
 * go to the lower index.
 *
 * @example
 * unstructuredMask(Float64Array.of(1, 4, 3, 2), 1, 4, 0.5); // [0, 1, 1, 0]
 * unstructuredMask(Float64Array.of(1, 2, 8, 9), 2, 2, 0.5, 'row'); // [0, 1, 0, 1]
 */
export function unstructuredMask(scores: ArrayLike<number>, rows: number, cols: number, sparsity: number, scope: 'row' | 'layer' = 'layer'): Float32Array {
  checkSparsity(sparsity);
  if (scores.length !== rows * cols) throw new RangeError(`unstructuredMask: ${scores.length} scores do not make [${rows}, ${cols}]`);
  if (scope === 'layer') return maskSmallest(scores, pruneCount(scores.length, sparsity));
  // round(rows * cols * sparsity) in all, spread over the rows: the first (total mod rows) rows lose one more
  const total = pruneCount(rows * cols, sparsity);
  const base = Math.floor(total / rows);
  const extra = total - base * rows;
  const mask = new Float32Array(rows * cols);
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) row[j] = scores[r * cols + j];
    mask.set(maskSmallest(row, base + (r < extra ? 1 : 0)), r * cols);
  }
  return mask;
}

/**
 * An N:M mask (default 2:4) of a [rows, cols] score matrix: in each group of `m` consecutive columns (inputs)
 * of a row, keeps the `n` highest scores (ties: the lower column); a shorter last group keeps min(n, its size).
 * With magnitude scores it keeps what src/hardware's pruneToNm keeps.
 *
 * @example
 * nmMask(Float64Array.of(0.1, 3, 2, 0.5, 1, 1, 1, 1), 1, 8); // [0, 1, 1, 0, 1, 1, 0, 0]
 */
export function nmMask(scores: ArrayLike<number>, rows: number, cols: number, n = 2, m = 4): Float32Array {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 1 && n <= m)) throw new RangeError(`nmMask: N:M sparsity needs whole numbers 1 <= N <= M, got ${n}:${m}`);
  if (scores.length !== rows * cols) throw new RangeError(`nmMask: ${scores.length} scores do not make [${rows}, ${cols}]`);
  const mask = new Float32Array(rows * cols);
  const order: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let start = 0; start < cols; start += m) {
      const size = Math.min(m, cols - start);
      order.length = 0;
      for (let j = 0; j < size; j++) order.push(r * cols + start + j);
      order.sort((p, q) => scores[q] - scores[p] || p - q);
      for (let j = 0; j < Math.min(n, size); j++) mask[order[j]] = 1;
    }
  }
  return mask;
}

function checkNames(model: TinyGpt, names: string[], what: string): void {
  const known = new Set(model.linearNames());
  for (const n of names) if (!known.has(n)) throw new RangeError(`${what}: '${n}' is not a linear layer of this tinyGpt (${[...known].join(', ')})`);
}

/**
 * The masks of the chosen linear layers: magnitude or Wanda scores, unstructured (a target sparsity) or 2:4.
 * Wanda needs each layer's calibration inputs in `inputs` (collectLinearInputs). Nothing is changed; apply
 * them with {@link applyGptMasks} (or use {@link pruneTinyGpt}).
 *
 * @example
 * const inputs = collectLinearInputs(model, corpus.train, { maxTokens: 4096 });
 * const masks = gptPruneMasks(model, { method: 'wanda', pattern: '2:4', inputs });
 * const half = gptPruneMasks(model, { sparsity: 0.5 }); // magnitude, per layer, blocks only
 */
export function gptPruneMasks(model: TinyGpt, opts: GptPruneOptions = {}): GptMaskSet {
  const method = opts.method ?? 'magnitude';
  const pattern = opts.pattern ?? 'unstructured';
  if (method !== 'magnitude' && method !== 'wanda') throw new RangeError(`gptPruneMasks: method must be 'magnitude' or 'wanda', got ${String(method)}`);
  if (pattern !== 'unstructured' && pattern !== '2:4') throw new RangeError(`gptPruneMasks: pattern must be 'unstructured' or '2:4', got ${String(pattern)}`);
  const scope = opts.scope ?? (method === 'wanda' ? 'row' : 'layer');
  if (scope !== 'row' && scope !== 'layer' && scope !== 'global') throw new RangeError(`gptPruneMasks: scope must be 'row', 'layer' or 'global', got ${String(scope)}`);
  if (pattern === 'unstructured') {
    if (opts.sparsity === undefined) throw new RangeError("gptPruneMasks: unstructured pruning needs a sparsity in [0, 1), e.g. { sparsity: 0.5 }");
    checkSparsity(opts.sparsity);
  } else if (opts.sparsity !== undefined && opts.sparsity !== 0.5) {
    throw new RangeError(`gptPruneMasks: 2:4 pruning removes exactly half the weights; got sparsity ${opts.sparsity} (leave it out or use pattern 'unstructured')`);
  }
  const names = opts.names ?? gptPrunableNames(model, opts.includeHead ?? false);
  checkNames(model, names, 'gptPruneMasks');
  const layers = names.map((name) => {
    const v = model.weight(name);
    const [rows, cols] = v.shape as [number, number];
    const w = v.dataSync() as Float32Array;
    let scores: Float64Array;
    if (method === 'magnitude') scores = magnitudeScores(w);
    else {
      const x = opts.inputs?.get(name);
      if (!x) throw new RangeError(`gptPruneMasks: Wanda needs the calibration inputs of '${name}' (pass inputs: collectLinearInputs(model, tokens)); collected: ${[...(opts.inputs?.keys() ?? [])].join(', ') || 'none'}`);
      if (x.cols !== cols) throw new RangeError(`gptPruneMasks: the inputs of '${name}' have ${x.cols} columns, its weight ${cols}`);
      scores = wandaScores(w, rows, cols, inputFeatureNorms(x));
    }
    return { name, rows, cols, scores };
  });
  const masks: GptMaskSet = {};
  if (pattern === '2:4') {
    for (const l of layers) masks[l.name] = { name: l.name, rows: l.rows, cols: l.cols, mask: nmMask(l.scores, l.rows, l.cols, 2, 4) };
    return masks;
  }
  const sparsity = opts.sparsity!;
  if (scope !== 'global') {
    for (const l of layers) masks[l.name] = { name: l.name, rows: l.rows, cols: l.cols, mask: unstructuredMask(l.scores, l.rows, l.cols, sparsity, scope) };
    return masks;
  }
  const total = layers.reduce((a, l) => a + l.scores.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const l of layers) {
    all.set(l.scores, at);
    at += l.scores.length;
  }
  const flat = maskSmallest(all, pruneCount(total, sparsity));
  at = 0;
  for (const l of layers) {
    masks[l.name] = { name: l.name, rows: l.rows, cols: l.cols, mask: flat.slice(at, at + l.scores.length) };
    at += l.scores.length;
  }
  return masks;
}

function zeroFraction(a: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) z++;
  return z / a.length;
}

/**
 * Multiplies each masked layer's weight by its mask, in place, and reports the sparsity reached per layer
 * and overall (biases, LayerNorms and embeddings are not touched).
 *
 * @example
 * const fp32 = model.getWeights();
 * const report = applyGptMasks(model, gptPruneMasks(model, { sparsity: 0.5 }));
 * report.layers[0].sparsity; // 0.5
 * model.setWeights(fp32);
 */
export function applyGptMasks(model: TinyGpt, masks: GptMaskSet): GptPruneReport {
  const names = Object.keys(masks);
  checkNames(model, names, 'applyGptMasks');
  const layers: GptLayerPruneReport[] = [];
  let zeros = 0;
  let total = 0;
  for (const name of names) {
    const m = masks[name];
    const v = model.weight(name);
    const [rows, cols] = v.shape as [number, number];
    if (m.rows !== rows || m.cols !== cols || m.mask.length !== rows * cols) throw new RangeError(`applyGptMasks: the mask of '${name}' is [${m.rows}, ${m.cols}] (${m.mask.length} values), the weight [${rows}, ${cols}]`);
    const w = Float32Array.from(v.dataSync() as Float32Array);
    for (let i = 0; i < w.length; i++) if (m.mask[i] === 0) w[i] = 0;
    model.setWeights({ [name]: w });
    const sparsity = zeroFraction(w);
    layers.push({ name, rows, cols, maskSparsity: zeroFraction(m.mask), sparsity });
    zeros += sparsity * w.length;
    total += w.length;
  }
  return { layers, sparsity: total ? zeros / total : 0, modelSparsity: zeros / model.parameterCount() };
}

/**
 * Prunes the model in place ({@link gptPruneMasks} then {@link applyGptMasks}); Wanda collects its calibration
 * inputs from `calibration` tokens when `inputs` is not given. Returns the masks and the per-layer report.
 *
 * @example
 * const fp32 = model.getWeights();
 * const { report } = pruneTinyGpt(model, { method: 'wanda', sparsity: 0.5 }, corpus.train);
 * model.perplexity(corpus.validation);
 * model.setWeights(fp32);
 */
export function pruneTinyGpt(model: TinyGpt, opts: GptPruneOptions, calibration?: ArrayLike<number>, calibrationTokens = 4096): { masks: GptMaskSet; report: GptPruneReport } {
  let inputs = opts.inputs;
  if (opts.method === 'wanda' && !inputs) {
    if (!calibration) throw new RangeError('pruneTinyGpt: Wanda needs calibration tokens (or opts.inputs)');
    inputs = collectLinearInputs(model, calibration, { names: opts.names ?? gptPrunableNames(model, opts.includeHead ?? false), maxTokens: calibrationTokens });
  }
  const masks = gptPruneMasks(model, { ...opts, inputs });
  return { masks, report: applyGptMasks(model, masks) };
}

/**
 * Fraction of exactly-zero weights per linear layer (default all of them, head included) and overall.
 *
 * @example
 * measureGptSparsity(model).perLayer['block0.mlp.fc1']; // 0.5 after 2:4 pruning
 */
export function measureGptSparsity(model: TinyGpt, names: string[] = model.linearNames()): { sparsity: number; perLayer: Record<string, number> } {
  checkNames(model, names, 'measureGptSparsity');
  const perLayer: Record<string, number> = {};
  let zeros = 0;
  let total = 0;
  for (const name of names) {
    const w = model.weight(name).dataSync() as Float32Array;
    perLayer[name] = zeroFraction(w);
    zeros += perLayer[name] * w.length;
    total += w.length;
  }
  return { sparsity: total ? zeros / total : 0, perLayer };
}

/** One point of {@link perplexityVsSparsity}. */
export interface GptSparsityRow {
  method: GptPruneMethod;
  pattern: GptSparsityPattern;
  /** The target sparsity (0.5 for 2:4). */
  sparsity: number;
  /** Measured fraction of zeros over the pruned layers. */
  actualSparsity: number;
  perplexity: number;
  bitsPerChar: number;
}

/** Options of {@link perplexityVsSparsity}. */
export interface GptSparsitySweepOptions {
  /** Unstructured target sparsities (0 gives the dense model's row, evaluated once). Default [0, 0.25, 0.5, 0.7]. */
  sparsities?: number[];
  /** Default ['magnitude', 'wanda']. */
  methods?: GptPruneMethod[];
  /** Default ['unstructured', '2:4'] (2:4 adds one row per method, at 0.5). */
  patterns?: GptSparsityPattern[];
  /** Unstructured scope (default: each method's own, see GptPruneOptions.scope). */
  scope?: GptPruneScope;
  includeHead?: boolean;
  /** Calibration tokens Wanda uses (the first this many of `calibration`); default 4096. */
  calibrationTokens?: number;
  /** Evaluate on the first this many tokens of `evaluation`; default 32768 (0: all). */
  evalTokens?: number;
}

/**
 * Perplexity of the model pruned by each method and pattern at each sparsity, on `evaluation` tokens; Wanda
 * is calibrated on `calibration` (inputs of the dense model, collected once). The model's weights are restored
 * after every point and at the end.
 *
 * @example
 * const rows = perplexityVsSparsity(model, corpus.train, corpus.validation, { sparsities: [0, 0.5] });
 * // [{ method: 'magnitude', pattern: 'unstructured', sparsity: 0, perplexity: 3.7, ... }, ...]
 */
export function perplexityVsSparsity(model: TinyGpt, calibration: ArrayLike<number>, evaluation: ArrayLike<number>, opts: GptSparsitySweepOptions = {}): GptSparsityRow[] {
  const sparsities = opts.sparsities ?? [0, 0.25, 0.5, 0.7];
  const methods = opts.methods ?? ['magnitude', 'wanda'];
  const patterns = opts.patterns ?? ['unstructured', '2:4'];
  sparsities.forEach((s) => checkSparsity(s));
  const evalTokens = opts.evalTokens ?? 32768;
  const names = gptPrunableNames(model, opts.includeHead ?? false);
  const original = model.getWeights();
  const kept = Object.fromEntries(names.map((n) => [n, original[n]]));
  const inputs = methods.includes('wanda') ? collectLinearInputs(model, calibration, { names, maxTokens: opts.calibrationTokens ?? 4096 }) : undefined;
  const measure = () => model.evaluate(evaluation, { maxTokens: evalTokens || undefined });
  const rows: GptSparsityRow[] = [];
  let dense: ReturnType<typeof measure> | undefined;
  try {
    for (const pattern of patterns) {
      const points = pattern === '2:4' ? [0.5] : sparsities;
      for (const method of methods) {
        for (const sparsity of points) {
          let actualSparsity: number;
          let loss: ReturnType<typeof measure>;
          if (pattern === 'unstructured' && sparsity === 0) {
            dense ??= measure();
            loss = dense;
            actualSparsity = measureGptSparsity(model, names).sparsity;
          } else {
            const masks = gptPruneMasks(model, { method, pattern, sparsity: pattern === '2:4' ? undefined : sparsity, scope: opts.scope, names, inputs });
            actualSparsity = applyGptMasks(model, masks).sparsity;
            loss = measure();
            model.setWeights(kept);
          }
          rows.push({ method, pattern, sparsity, actualSparsity, perplexity: loss.perplexity, bitsPerChar: loss.bitsPerChar });
        }
      }
    }
  } finally {
    model.setWeights(kept);
  }
  return rows;
}

/** One attention head: block `layer`, head `head` (0-based). */
export interface GptHead {
  layer: number;
  head: number;
}

/** A head's importance score (higher: more important). */
export interface GptHeadScore extends GptHead {
  score: number;
}

/** Options of {@link headImportance}. */
export interface HeadImportanceOptions {
  /**
   * 'output': the RMS over calibration tokens of the head's contribution to the residual stream (its slice
   * of the attention output times its columns of attn.proj); 'loss': the increase of the mean NLL on the
   * tokens when the head alone is removed ({@link pruneHeads}). Default 'output'.
   */
  method?: 'output' | 'loss';
  /** Tokens used (the first this many); default 4096. */
  maxTokens?: number;
}

function checkHead(model: TinyGpt, h: GptHead, what: string): void {
  const c = model.config;
  if (!(Number.isInteger(h.layer) && h.layer >= 0 && h.layer < c.nLayers && Number.isInteger(h.head) && h.head >= 0 && h.head < c.nHeads)) {
    throw new RangeError(`${what}: no head ${h.head} in block ${h.layer} (the model has ${c.nLayers} blocks of ${c.nHeads} heads)`);
  }
}

/**
 * Removes attention heads in place by zeroing their weights: for head h of block i (width dh = dModel / nHeads),
 * rows h·dh .. (h+1)·dh of each of the q, k and v slices of block{i}.attn.qkv and of its bias, and the same
 * columns of block{i}.attn.proj. With its v rows and bias zero, the head's output is exactly 0 whatever its
 * attention pattern, so it adds nothing to the residual stream (the proj columns alone would suffice; zeroing
 * q, k and v too makes the removed parameters real zeros a compacting step can drop). Returns the number of
 * weights set to zero.
 *
 * @example
 * const fp32 = model.getWeights();
 * pruneHeads(model, [{ layer: 0, head: 2 }]);
 * model.setWeights(fp32);
 */
export function pruneHeads(model: TinyGpt, heads: GptHead[]): number {
  const c = model.config;
  const d = c.dModel;
  const dh = d / c.nHeads;
  heads.forEach((h) => checkHead(model, h, 'pruneHeads'));
  let zeroed = 0;
  for (let layer = 0; layer < c.nLayers; layer++) {
    const mine = heads.filter((h) => h.layer === layer).map((h) => h.head);
    if (!mine.length) continue;
    const p = `block${layer}.attn`;
    const qkv = Float32Array.from(model.weight(`${p}.qkv`).dataSync() as Float32Array);
    const qkvBias = Float32Array.from(model.weight(`${p}.qkv.bias`).dataSync() as Float32Array);
    const proj = Float32Array.from(model.weight(`${p}.proj`).dataSync() as Float32Array);
    for (const h of new Set(mine)) {
      for (let part = 0; part < 3; part++) {
        for (let j = 0; j < dh; j++) {
          const row = part * d + h * dh + j;
          qkv.fill(0, row * d, (row + 1) * d);
          qkvBias[row] = 0;
        }
      }
      for (let r = 0; r < d; r++) proj.fill(0, r * d + h * dh, r * d + (h + 1) * dh);
      zeroed += 3 * dh * d + 3 * dh + d * dh;
    }
    model.setWeights({ [`${p}.qkv`]: qkv, [`${p}.qkv.bias`]: qkvBias, [`${p}.proj`]: proj });
  }
  return zeroed;
}

/**
 * Scores every attention head on calibration tokens (see {@link HeadImportanceOptions.method}), block by block,
 * head by head. The weights are left as they were.
 *
 * @example
 * const scores = headImportance(model, corpus.train, { maxTokens: 4096 });
 * scores.sort((a, b) => a.score - b.score)[0]; // the least important head, e.g. { layer: 1, head: 3, score: 0.04 }
 */
export function headImportance(model: TinyGpt, tokens: ArrayLike<number>, opts: HeadImportanceOptions = {}): GptHeadScore[] {
  const c = model.config;
  const method = opts.method ?? 'output';
  const maxTokens = opts.maxTokens ?? 4096;
  const out: GptHeadScore[] = [];
  if (method === 'loss') {
    const original = model.getWeights();
    const base = model.evaluate(tokens, { maxTokens }).nll;
    try {
      for (let layer = 0; layer < c.nLayers; layer++) {
        for (let head = 0; head < c.nHeads; head++) {
          pruneHeads(model, [{ layer, head }]);
          out.push({ layer, head, score: model.evaluate(tokens, { maxTokens }).nll - base });
          const p = `block${layer}.attn`;
          model.setWeights({ [`${p}.qkv`]: original[`${p}.qkv`], [`${p}.qkv.bias`]: original[`${p}.qkv.bias`], [`${p}.proj`]: original[`${p}.proj`] });
        }
      }
    } finally {
      model.setWeights(original);
    }
    return out;
  }
  if (method !== 'output') throw new RangeError(`headImportance: method must be 'output' or 'loss', got ${String(method)}`);
  const names = Array.from({ length: c.nLayers }, (_, i) => `block${i}.attn.proj`);
  const inputs = collectLinearInputs(model, tokens, { names, maxTokens });
  const d = c.dModel;
  const dh = d / c.nHeads;
  for (let layer = 0; layer < c.nLayers; layer++) {
    const x = inputs.get(names[layer])!;
    const scores = tf.tidy(() => {
      const xs = tf.tensor2d(x.x, [x.rows, d]);
      const w = model.weight(names[layer]) as unknown as tf.Tensor2D;
      const per: tf.Scalar[] = [];
      for (let h = 0; h < c.nHeads; h++) {
        // the head's contribution to the residual stream: x[:, head h] · proj[:, head h]^T, [rows, d]
        const y = tf.matMul(tf.slice(xs, [0, h * dh], [x.rows, dh]), tf.slice(w, [0, h * dh], [d, dh]), false, true);
        per.push(tf.sqrt(tf.div(tf.sum(tf.square(y)), x.rows)) as tf.Scalar);
      }
      return tf.stack(per);
    });
    const values = scores.dataSync();
    scores.dispose();
    for (let head = 0; head < c.nHeads; head++) out.push({ layer, head, score: values[head] });
  }
  return out;
}

/**
 * The `k` heads of lowest score (ties: the earlier block, then the lower head), from {@link headImportance}.
 *
 * @example
 * pruneHeads(model, leastImportantHeads(headImportance(model, corpus.train), 2));
 */
export function leastImportantHeads(scores: GptHeadScore[], k: number): GptHead[] {
  if (!(Number.isInteger(k) && k >= 0 && k <= scores.length)) throw new RangeError(`leastImportantHeads: k must be a whole number in [0, ${scores.length}], got ${k}`);
  return [...scores]
    .sort((a, b) => a.score - b.score || a.layer - b.layer || a.head - b.head)
    .slice(0, k)
    .map(({ layer, head }) => ({ layer, head }));
}

/** One point of {@link perplexityVsHeadsRemoved}. */
export interface GptHeadsRow {
  removed: number;
  heads: GptHead[];
  perplexity: number;
  bitsPerChar: number;
}

/**
 * Perplexity on `evaluation` after removing the k least important heads for each k in `counts` (scored once on
 * `calibration` with {@link headImportance}, on the intact model); the weights are restored after each point.
 *
 * @example
 * perplexityVsHeadsRemoved(model, corpus.train, corpus.validation, [0, 1, 2, 4]);
 * // [{ removed: 0, heads: [], perplexity: 3.7 }, { removed: 1, heads: [{ layer: 1, head: 0 }], perplexity: 3.8 }, ...]
 */
export function perplexityVsHeadsRemoved(model: TinyGpt, calibration: ArrayLike<number>, evaluation: ArrayLike<number>, counts: number[], opts: HeadImportanceOptions & { evalTokens?: number } = {}): GptHeadsRow[] {
  const scores = headImportance(model, calibration, opts);
  const original = model.getWeights();
  const evalTokens = opts.evalTokens ?? 32768;
  const rows: GptHeadsRow[] = [];
  try {
    for (const k of counts) {
      const heads = leastImportantHeads(scores, k);
      pruneHeads(model, heads);
      const loss = model.evaluate(evaluation, { maxTokens: evalTokens || undefined });
      rows.push({ removed: k, heads, perplexity: loss.perplexity, bitsPerChar: loss.bitsPerChar });
      model.setWeights(original);
    }
  } finally {
    model.setWeights(original);
  }
  return rows;
}
