/**
 * LLM-style quantization of a tinyGpt beyond weight-only RTN/GPTQ (isomorphic, tfjs-core only):
 * - weight transforms for AWQ and the OCP MX formats (use with applyWeightTransform, src/transformer/quantize.ts);
 * - activation quantization in the forward pass: per-token int8 fake quantization of every linear layer's input
 *   (W8A8, with int8 per-output-channel weights), optionally after SmoothQuant's per-input-channel migration
 *   (x / s into the activations, W diag(s) into the weights);
 * - KV-cache quantization: keys and values int8 / int4 with one scale (and zero point) per token and head,
 *   src/llmquant/kvcache.ts's 'token' granularity.
 * Activations and keys/values are fake-quantized with tfjs ops (quantize then dequantize in float32), so a
 * quantized evaluation runs as fast as the float one; the codes are those the integer kernels would see.
 */
import * as tf from '@tensorflow/tfjs-core';
import { awqQuantize, AwqOptions } from '../llmquant/awq';
import { groupPackedBytes } from '../llmquant/group';
import { mxBytes, mxDequantize, mxQuantize, MxElement, MxOptions } from '../llmquant/mx';
import { columnAbsMax, smoothQuantScales } from '../llmquant/smoothquant';
import { dequantizeRowsInt8, quantizeRowsInt8 } from '../llmquant/w8a8';
import type { EvalOptions, ForwardOptions, TinyGpt, TokenLoss } from './model';
import type { LinearInputs, WeightTransform } from './quantize';

/** Options of {@link awqTransform}: AWQ's (bits, groupSize, symmetric, grid) and a cap on calibration rows. */
export interface AwqTransformOptions extends AwqOptions {
  /** Use the first this many calibration rows of each layer for the alpha search (default: all). */
  maxRows?: number;
}

/** A weight transform that also reports, by layer name, the bytes its quantized weight is stored in. */
export interface CountingTransform extends WeightTransform {
  /** Storage of each transformed layer, filled as the transform runs. */
  bytes: Map<string, number>;
}

function counting(f: (w: Float32Array, rows: number, cols: number, name: string) => { dequantized: Float32Array; bytes: number }): CountingTransform {
  const bytes = new Map<string, number>();
  const t = ((w: Float32Array, rows: number, cols: number, name: string) => {
    const r = f(w, rows, cols, name);
    bytes.set(name, r.bytes);
    return r.dequantized;
  }) as CountingTransform;
  t.bytes = bytes;
  return t;
}

/**
 * AWQ (src/llmquant/awq.ts) with each layer's activation statistics from its collected inputs, dequantized
 * Q(W s) / s: a {@link WeightTransform}. Stored bytes (in `.bytes`): the group-packed Q(W s) plus the float32
 * per-input-channel scales s (deployments fold 1/s into the previous op; counted here to be safe).
 *
 * @example
 * const inputs = collectLinearInputs(model, corpus.train, { maxTokens: 2048 });
 * applyWeightTransform(model, awqTransform(inputs, { bits: 4, groupSize: 128 }));
 */
export function awqTransform(inputs: Map<string, LinearInputs>, opts: AwqTransformOptions): CountingTransform {
  return counting((w, rows, cols, name) => {
    const x = inputs.get(name);
    if (!x) throw new RangeError(`awqTransform: no calibration inputs for '${name}' (collected: ${[...inputs.keys()].join(', ')})`);
    if (x.cols !== cols) throw new RangeError(`awqTransform: the inputs of '${name}' have ${x.cols} columns, its weight ${cols}`);
    const n = Math.min(x.rows, opts.maxRows ?? x.rows);
    const r = awqQuantize(w, rows, cols, n === x.rows ? x.x : x.x.subarray(0, n * cols), n, opts);
    return { dequantized: r.dequantized, bytes: groupPackedBytes(r.quantized) + 4 * cols };
  });
}

/**
 * An OCP MX format (src/llmquant/mx.ts; blocks of 32 along each row, i.e. the input dimension, one E8M0 scale
 * per block), dequantized: a {@link WeightTransform}. Stored bytes (in `.bytes`): scales plus packed codes.
 *
 * @example
 * applyWeightTransform(model, mxTransform('fp4_e2m1')); // MXFP4: 4.25 bits per weight
 */
export function mxTransform(format: MxElement, opts: Omit<MxOptions, 'rowLength'> = {}): CountingTransform {
  return counting((w, _rows, cols) => {
    const t = mxQuantize(w, format, { ...opts, rowLength: cols });
    return { dequantized: mxDequantize(t), bytes: mxBytes(t).length };
  });
}

/**
 * Int8 per output channel (one symmetric scale per row of W, src/llmquant/w8a8.ts's quantizeRowsInt8),
 * dequantized: the weight half of W8A8. Stored bytes: rows * cols codes + 4 per row.
 *
 * @example
 * applyWeightTransform(model, int8ChannelTransform());
 */
export function int8ChannelTransform(): CountingTransform {
  return counting((w, rows, cols) => ({ dequantized: dequantizeRowsInt8(quantizeRowsInt8(w, rows, cols)), bytes: rows * cols + 4 * rows }));
}

/**
 * Per-row (per-token) symmetric int8 fake quantization of x [n, k] in tfjs ops: scale = max|x_row| / 127
 * (1 for an all-zero row), x -> clip(round(x / scale), -127, 127) * scale, round half to even; the values of
 * src/llmquant/w8a8.ts's quantizeRowsInt8 then dequantizeRowsInt8 (up to float32 division at exact ties).
 *
 * @example
 * fakeQuantTokensInt8(tf.tensor2d([[1, -2], [0.5, 4]])); // each row on its own 127-step grid
 */
export function fakeQuantTokensInt8(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const amax = tf.max(tf.abs(x), 1, true);
    const scale = tf.where(tf.equal(amax, 0), tf.onesLike(amax), tf.div(amax, 127));
    return tf.mul(tf.clipByValue(tf.round(tf.div(x, scale)), -127, 127), scale) as tf.Tensor2D;
  });
}

/**
 * Fake quantization with one scale (and zero point) per group of the last axis, in tfjs ops, with
 * src/llmquant/group.ts's quantizer: symmetric scale = amax / (2^(bits-1) - 1), zero 2^(bits-1); asymmetric
 * range [min(0, min), max(0, max)] ([-1, 1] when empty), scale = range / (2^bits - 1), zero = round(-lo / scale);
 * codes clamped to 0 .. 2^bits - 1. On keys or values [b, heads, t, headDim] this is kvcache.ts's 'token'
 * granularity (one group per token and head).
 *
 * @example
 * fakeQuantLastAxis(k, 4, false); // int4 asymmetric, per token and head
 */
export function fakeQuantLastAxis<T extends tf.Tensor>(x: T, bits: number, symmetric = false): T {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new RangeError(`fakeQuantLastAxis: bits must be a whole number in 2..8, got ${bits}`);
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const top = 2 ** bits - 1;
    let lo: tf.Tensor = tf.minimum(tf.min(x, axis, true), 0);
    let hi: tf.Tensor = tf.maximum(tf.max(x, axis, true), 0);
    let scale: tf.Tensor;
    let zero: tf.Tensor | number;
    if (symmetric) {
      const amax = tf.maximum(tf.neg(lo), hi);
      scale = tf.where(tf.equal(amax, 0), tf.onesLike(amax), tf.div(amax, 2 ** (bits - 1) - 1));
      zero = 2 ** (bits - 1);
    } else {
      const empty = tf.equal(lo, hi);
      lo = tf.where(empty, tf.fill(lo.shape, -1), lo);
      hi = tf.where(empty, tf.onesLike(hi), hi);
      scale = tf.div(tf.sub(hi, lo), top);
      zero = tf.round(tf.div(tf.neg(lo), scale));
    }
    const code = tf.clipByValue(tf.add(tf.round(tf.div(x, scale)), zero), 0, top);
    return tf.mul(tf.sub(code, zero), scale) as T;
  });
}

/** Options of {@link kvQuantForward}. */
export interface KvForwardOptions {
  bits: 4 | 8;
  /** Asymmetric (zero point per token and head) by default, as kvQuantize. */
  symmetric?: boolean;
}

/**
 * Forward options that quantize every block's keys and values per token and head (the KV cache a decoder
 * would keep), at 8 or 4 bits; queries stay float32.
 *
 * @example
 * model.evaluate(corpus.validation, { forward: kvQuantForward({ bits: 4 }) }).perplexity;
 */
export function kvQuantForward(opts: KvForwardOptions): ForwardOptions {
  return { transformKv: (_layer, k, v) => [fakeQuantLastAxis(k, opts.bits, opts.symmetric ?? false), fakeQuantLastAxis(v, opts.bits, opts.symmetric ?? false)] };
}

/** Options of {@link w8a8Plan} and {@link w8a8Evaluate}. */
export interface W8A8Options {
  /** SmoothQuant first: scales s_j = max|X_j|^alpha / max|W_j|^(1-alpha) from these calibration inputs (alpha default 0.5). */
  smooth?: { alpha?: number; inputs: Map<string, LinearInputs> };
  /** Linear layers made W8A8 (default every one, the head included); the others stay float32. */
  names?: string[];
  /** Quantize (default true); false applies the smoothing only, which leaves the model's function unchanged. */
  quantize?: boolean;
}

/** What {@link w8a8Plan} returns: the weights to set, the forward options to run with, and the storage. */
export interface W8A8Plan {
  /** New values of the layers' weights: int8 per output channel (dequantized) of W diag(s). */
  weights: Record<string, Float32Array>;
  /** transformLinearInput: x / s (smoothing) then per-token int8 fake quantization, for the layers in `names`. */
  forward: ForwardOptions;
  /** The smoothing scales s per layer (none without `smooth`). */
  scales: Map<string, Float32Array>;
  /** Bytes of the layers' weights: int8 codes, a float32 scale per output channel, and s as float32 when smoothing. */
  bytes: number;
}

/**
 * W8A8 (optionally SmoothQuant W8A8) of a tinyGpt, without changing it: the new weights and forward options.
 * Set the weights, run with the options, restore the old weights ({@link w8a8Evaluate} does all three).
 *
 * @example
 * const inputs = collectLinearInputs(model, corpus.train, { maxTokens: 2048 });
 * const plan = w8a8Plan(model, { smooth: { alpha: 0.5, inputs } });
 * const keep = model.getWeights(); model.setWeights(plan.weights);
 * model.evaluate(corpus.validation, { forward: plan.forward }); model.setWeights(keep);
 */
export function w8a8Plan(model: TinyGpt, opts: W8A8Options = {}): W8A8Plan {
  const names = opts.names ?? model.linearNames();
  const known = new Set(model.linearNames());
  const quantize = opts.quantize ?? true;
  const alpha = opts.smooth?.alpha ?? 0.5;
  const weights: Record<string, Float32Array> = {};
  const scales = new Map<string, Float32Array>();
  const inverse = new Map<string, Float32Array>();
  let bytes = 0;
  for (const name of names) {
    if (!known.has(name)) throw new RangeError(`w8a8Plan: '${name}' is not a linear layer of this tinyGpt (${[...known].join(', ')})`);
    const v = model.weight(name);
    const [rows, cols] = v.shape as [number, number];
    let w = Float32Array.from(v.dataSync() as Float32Array);
    if (opts.smooth) {
      const x = opts.smooth.inputs.get(name);
      if (!x) throw new RangeError(`w8a8Plan: no calibration inputs for '${name}' (collected: ${[...opts.smooth.inputs.keys()].join(', ')})`);
      if (x.cols !== cols) throw new RangeError(`w8a8Plan: the inputs of '${name}' have ${x.cols} columns, its weight ${cols}`);
      const s = smoothQuantScales(columnAbsMax(x.x, x.rows, cols), columnAbsMax(w, rows, cols), alpha);
      for (let o = 0; o < rows; o++) for (let j = 0; j < cols; j++) w[o * cols + j] *= s[j];
      scales.set(name, s);
      inverse.set(name, Float32Array.from(s, (e) => 1 / e));
      bytes += 4 * cols;
    }
    if (quantize) w = dequantizeRowsInt8(quantizeRowsInt8(w, rows, cols));
    bytes += quantize ? rows * cols + 4 * rows : 4 * rows * cols;
    weights[name] = w;
  }
  const chosen = new Set(names);
  const transformLinearInput = (name: string, x: tf.Tensor2D): tf.Tensor2D => {
    if (!chosen.has(name)) return x;
    const inv = inverse.get(name);
    const y = inv ? (tf.mul(x, tf.tensor1d(inv)) as tf.Tensor2D) : x;
    return quantize ? fakeQuantTokensInt8(y) : y;
  };
  return { weights, forward: { transformLinearInput }, scales, bytes };
}

/**
 * Evaluates the model under W8A8 (or SmoothQuant W8A8 with `smooth`) and restores its weights.
 *
 * @example
 * const plain = w8a8Evaluate(model, corpus.validation).perplexity;
 * const smooth = w8a8Evaluate(model, corpus.validation, { smooth: { alpha: 0.5, inputs } }).perplexity;
 */
export function w8a8Evaluate(model: TinyGpt, tokens: ArrayLike<number>, opts: W8A8Options & { eval?: EvalOptions } = {}): TokenLoss {
  const plan = w8a8Plan(model, opts);
  const keep: Record<string, Float32Array> = {};
  for (const name of Object.keys(plan.weights)) keep[name] = Float32Array.from(model.weight(name).dataSync() as Float32Array);
  try {
    model.setWeights(plan.weights);
    const forward = { ...opts.eval?.forward, ...plan.forward };
    return model.evaluate(tokens, { ...opts.eval, forward });
  } finally {
    model.setWeights(keep);
  }
}
