/**
 * Weight quantization of a tinyGpt by layer name (isomorphic): collect the inputs of its linear layers on
 * calibration text (what GPTQ, AWQ and SmoothQuant fit to), and replace each linear weight matrix ([out, in],
 * src/llmquant's layout) by a transformed copy, e.g. its per-group round-to-nearest or GPTQ quantization
 * dequantized back to float32 ("fake quantization": the model then runs as usual, with the quantized values).
 * Biases, LayerNorms and the embeddings stay float32, as in weight-only LLM quantization.
 */
import * as tf from '@tensorflow/tfjs-core';
import { groupDequantize, groupQuantize, GroupQuantOptions } from '../llmquant/group';
import { gptqHessian, gptqQuantize, GptqOptions } from '../llmquant/gptq';
import type { TinyGpt } from './model';

/** A new [rows, cols] weight matrix from an old one (row-major, [out, in]); `name` is the layer's. */
export type WeightTransform = (w: Float32Array, rows: number, cols: number, name: string) => Float32Array;

/** What {@link applyWeightTransform} did to one layer. */
export interface WeightTransformReport {
  name: string;
  rows: number;
  cols: number;
  /** ||W' - W|| / ||W|| (Frobenius). */
  relativeError: number;
}

/** The inputs of one linear layer on the calibration tokens: x [rows, cols], row-major, one row per token. */
export interface LinearInputs {
  name: string;
  rows: number;
  cols: number;
  x: Float32Array;
}

/** Options of {@link collectLinearInputs}. */
export interface CollectOptions {
  /** Layers to collect (default model.linearNames()). */
  names?: string[];
  /** Calibration tokens used: the first this many (default 4096), cut into windows of contextLength. */
  maxTokens?: number;
  /** Windows per forward pass; default 8. */
  batchSize?: number;
}

/**
 * Runs the model on calibration tokens (the first `maxTokens`, in windows of contextLength, no gradients) and
 * returns each linear layer's input rows, by layer name.
 *
 * @example
 * const inputs = collectLinearInputs(model, corpus.train, { maxTokens: 2048 });
 * inputs.get('block0.mlp.fc2'); // { rows: 2048, cols: 512, x: Float32Array }
 */
export function collectLinearInputs(model: TinyGpt, tokens: ArrayLike<number>, opts: CollectOptions = {}): Map<string, LinearInputs> {
  const names = opts.names ?? model.linearNames();
  const known = new Set(model.linearNames());
  for (const n of names) if (!known.has(n)) throw new RangeError(`collectLinearInputs: '${n}' is not a linear layer of this tinyGpt (${[...known].join(', ')})`);
  const t = model.config.contextLength;
  const total = Math.min(tokens.length, opts.maxTokens ?? 4096);
  const windows = Math.floor(total / t);
  if (windows < 1) throw new RangeError(`collectLinearInputs: ${total} calibration tokens are fewer than one window of ${t}`);
  const batchSize = opts.batchSize ?? 8;
  const chunks = new Map<string, Float32Array[]>(names.map((n) => [n, []]));
  const wanted = new Set(names);
  for (let w0 = 0; w0 < windows; w0 += batchSize) {
    const b = Math.min(batchSize, windows - w0);
    const ids = new Int32Array(b * t);
    for (let i = 0; i < b * t; i++) ids[i] = tokens[w0 * t + i];
    tf.tidy(() => {
      model.forward(tf.tensor2d(ids, [b, t], 'int32'), {
        onLinearInput: (name, x) => {
          if (wanted.has(name)) chunks.get(name)!.push(Float32Array.from(x.dataSync() as Float32Array));
        },
      });
    });
  }
  const out = new Map<string, LinearInputs>();
  for (const name of names) {
    const parts = chunks.get(name)!;
    const cols = model.weight(name).shape[1] as number;
    const x = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      x.set(p, at);
      at += p.length;
    }
    out.set(name, { name, rows: x.length / cols, cols, x });
  }
  return out;
}

/**
 * Replaces every linear weight of the model (or those of `names`) by `transform` of it, in place, and reports
 * the relative change of each. Keep `model.getWeights()` first to go back to float32.
 *
 * @example
 * const fp32 = model.getWeights();
 * applyWeightTransform(model, rtnTransform({ bits: 4, groupSize: 32 }));
 * model.perplexity(corpus.validation);
 * model.setWeights(fp32);
 */
export function applyWeightTransform(model: TinyGpt, transform: WeightTransform, names: string[] = model.linearNames()): WeightTransformReport[] {
  const known = new Set(model.linearNames());
  return names.map((name) => {
    if (!known.has(name)) throw new RangeError(`applyWeightTransform: '${name}' is not a linear layer of this tinyGpt (${[...known].join(', ')})`);
    const v = model.weight(name);
    const [rows, cols] = v.shape as [number, number];
    const w = Float32Array.from(v.dataSync() as Float32Array);
    const next = transform(Float32Array.from(w), rows, cols, name);
    if (next.length !== w.length) throw new RangeError(`applyWeightTransform: the transform of '${name}' returned ${next.length} values for a [${rows}, ${cols}] weight`);
    let num = 0;
    let den = 0;
    for (let i = 0; i < w.length; i++) {
      num += (next[i] - w[i]) ** 2;
      den += w[i] ** 2;
    }
    model.setWeights({ [name]: next });
    return { name, rows, cols, relativeError: Math.sqrt(num / (den || 1)) };
  });
}

/**
 * Per-group round-to-nearest weight quantization (src/llmquant/group.ts), dequantized: a {@link WeightTransform}.
 *
 * @example
 * applyWeightTransform(model, rtnTransform({ bits: 4, groupSize: 32 }));
 */
export function rtnTransform(opts: GroupQuantOptions): WeightTransform {
  return (w, rows, cols) => groupDequantize(groupQuantize(w, rows, cols, opts));
}

/**
 * GPTQ (src/llmquant/gptq.ts) with each layer's Hessian from its collected inputs, dequantized: a
 * {@link WeightTransform}. A layer without collected inputs throws.
 *
 * @example
 * const inputs = collectLinearInputs(model, corpus.train, { maxTokens: 4096 });
 * applyWeightTransform(model, gptqTransform(inputs, { bits: 4, groupSize: 32 }));
 */
export function gptqTransform(inputs: Map<string, LinearInputs>, opts: GptqOptions): WeightTransform {
  return (w, rows, cols, name) => {
    const x = inputs.get(name);
    if (!x) throw new RangeError(`gptqTransform: no calibration inputs for '${name}' (collected: ${[...inputs.keys()].join(', ')})`);
    if (x.cols !== cols) throw new RangeError(`gptqTransform: the inputs of '${name}' have ${x.cols} columns, its weight ${cols}`);
    return gptqQuantize(w, rows, cols, gptqHessian(x.x, x.rows, cols), opts).dequantized;
  };
}
