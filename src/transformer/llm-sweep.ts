/**
 * Where a tinyGpt's activation outliers live, and perplexity against bits for the LLM quantization methods
 * (isomorphic): per linear layer, per input channel abs-max and mean |x| on calibration text; a function-
 * preserving injection of outlier channels (to show what SmoothQuant is for when training made none); and
 * one sweep over fp32, RTN, GPTQ, AWQ, the MX formats, W8A8 (plain and SmoothQuant) and KV-cache int8/int4,
 * with the weight storage each one needs.
 */
import { channelMeanAbs } from '../llmquant/awq';
import { gptqHessian, gptqQuantize } from '../llmquant/gptq';
import { groupPackedBytes, groupQuantize, groupDequantize } from '../llmquant/group';
import { kvBytes, kvQuantize } from '../llmquant/kvcache';
import { MxElement } from '../llmquant/mx';
import { columnAbsMax } from '../llmquant/smoothquant';
import { dequantizeRowsInt8, quantizeRowsInt8 } from '../llmquant/w8a8';
import { activationRange, methodResult } from '../viz/build';
import { QUANTIZATION_VERSION, type QuantizationPayload } from '../viz/payloads';
import type { EvalOptions, TinyGpt } from './model';
import { applyWeightTransform, collectLinearInputs, LinearInputs } from './quantize';
import { awqTransform, kvQuantForward, mxTransform, w8a8Plan, CountingTransform } from './quantize-llm';

/** Per-input-channel activation magnitudes of one linear layer. */
export interface ChannelStats {
  name: string;
  /** Input channels (columns) and calibration rows (tokens) seen. */
  cols: number;
  rows: number;
  /** max_t |x[t, j]| per channel j. */
  absMax: Float32Array;
  /** mean_t |x[t, j]| per channel j. */
  meanAbs: Float32Array;
  /** Median over channels of absMax. */
  medianAbsMax: number;
  /** max_j absMax / median: how much one channel dominates a per-token scale. */
  maxOverMedian: number;
  /** Channels whose absMax exceeds `threshold` times the median, largest first. */
  outliers: number[];
}

/** Options of {@link activationChannelStats}. */
export interface ChannelStatsOptions {
  /** Calibration tokens used (default 4096). */
  maxTokens?: number;
  /** An outlier channel's absMax is above this many medians (default 6). */
  threshold?: number;
  /** Precollected inputs (then `tokens` may be empty). */
  inputs?: Map<string, LinearInputs>;
}

function median(v: ArrayLike<number>): number {
  const s = Float64Array.from(v).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Per linear layer (in model.linearNames() order), per input channel max |x| and mean |x| of the layer's input
 * on calibration tokens, with the outlier summary (max / median channel ratio, the outlier channels).
 *
 * @example
 * const stats = activationChannelStats(model, corpus.train, { maxTokens: 2048 });
 * stats.map((s) => [s.name, s.maxOverMedian.toFixed(1), s.outliers.slice(0, 3)]);
 */
export function activationChannelStats(model: TinyGpt, tokens: ArrayLike<number>, opts: ChannelStatsOptions = {}): ChannelStats[] {
  const inputs = opts.inputs ?? collectLinearInputs(model, tokens, { maxTokens: opts.maxTokens ?? 4096 });
  const threshold = opts.threshold ?? 6;
  return model.linearNames().filter((n) => inputs.has(n)).map((name) => {
    const x = inputs.get(name)!;
    const absMax = columnAbsMax(x.x, x.rows, x.cols);
    const meanAbs = channelMeanAbs(x.x, x.rows, x.cols);
    const med = median(absMax);
    let max = 0;
    for (const v of absMax) max = Math.max(max, v);
    const outliers = Array.from(absMax.keys()).filter((j) => absMax[j] > threshold * med).sort((a, b) => absMax[b] - absMax[a]);
    return { name, cols: x.cols, rows: x.rows, absMax, meanAbs, medianAbsMax: med, maxOverMedian: med > 0 ? max / med : Infinity, outliers };
  });
}

/** Options of {@link activationOutlierPayload}. */
export interface OutlierPayloadOptions {
  /** Clip range drawn: +-threshold x the median channel abs-max (default 6, as activationChannelStats). */
  threshold?: number;
  title?: string;
  model?: string;
}

/**
 * A quantization payload (QUANTIZATION_MIME, src/viz/payloads.ts) of the linear layers' inputs: per layer the
 * histogram of the activation values against +-threshold x the median channel abs-max (the range a per-tensor
 * int8 scale fitted to the typical channel would cover; the saturation rate is the share of values from outlier
 * channels beyond it), per-input-channel int8 scales (abs-max / 127, granularity 'channel' of shape
 * [tokens, channels]) and the error of per-tensor against per-token int8 quantization of the activations.
 * The existing figures show histograms and the saturation overview; they have no per-channel bar chart.
 *
 * @example
 * const inputs = collectLinearInputs(model, corpus.train, { maxTokens: 2048 });
 * show(QUANTIZATION_MIME, activationOutlierPayload(inputs));
 */
export function activationOutlierPayload(inputs: Map<string, LinearInputs>, opts: OutlierPayloadOptions = {}): QuantizationPayload {
  const threshold = opts.threshold ?? 6;
  const layers = [...inputs.values()].map((x) => {
    const absMax = columnAbsMax(x.x, x.rows, x.cols);
    const clip = threshold * median(absMax);
    return {
      name: x.name,
      shape: [x.rows, x.cols],
      format: { bits: 8, scheme: 'symmetric' as const, signed: true, granularity: 'channel' as const },
      scales: Array.from(absMax, (v) => (v === 0 ? 1 : v / 127)),
      zeroPoints: new Array<number>(x.cols).fill(0),
      methods: [
        methodResult('per-tensor int8', x.x, dequantizeRowsInt8(quantizeRowsInt8(x.x, 1, x.x.length))),
        methodResult('per-token int8', x.x, dequantizeRowsInt8(quantizeRowsInt8(x.x, x.rows, x.cols))),
      ],
      activation: activationRange(x.x, -clip, clip),
    };
  });
  return {
    version: QUANTIZATION_VERSION,
    ...(opts.model ? { model: opts.model } : {}),
    title: opts.title ?? `Linear-layer inputs: values beyond ${threshold} x the median channel abs-max are outlier channels`,
    layers,
  };
}

/** Options of {@link injectActivationOutliers}. */
export interface OutlierInjection {
  /** Residual-stream channels made outliers. */
  channels: number[];
  /** Factor they are scaled by (e.g. 30). */
  factor: number;
  /** Blocks changed (default all). */
  blocks?: number[];
}

/**
 * Makes outlier channels without changing the model's function: for each chosen block and channel j, the
 * LayerNorm gain and bias of ln1 and ln2 are multiplied by `factor` at j and column j of the following weight
 * (attn.qkv, mlp.fc1) divided by it, so the linear inputs get large channels and the outputs stay the same
 * (up to float rounding). Returns the changed parameter names. Keep getWeights() to undo.
 *
 * @example
 * injectActivationOutliers(model, { channels: [3, 17], factor: 30 }); // perplexity unchanged, W8A8 hurt
 */
export function injectActivationOutliers(model: TinyGpt, o: OutlierInjection): string[] {
  const d = model.config.dModel;
  for (const j of o.channels) if (!(Number.isInteger(j) && j >= 0 && j < d)) throw new RangeError(`injectActivationOutliers: channel ${j} is outside 0..${d - 1}`);
  if (!(o.factor > 0)) throw new RangeError(`injectActivationOutliers: factor must be > 0, got ${o.factor}`);
  const blocks = o.blocks ?? Array.from({ length: model.config.nLayers }, (_, i) => i);
  const changed: Record<string, Float32Array> = {};
  const get = (n: string) => (changed[n] ??= Float32Array.from(model.weight(n).dataSync() as Float32Array));
  for (const b of blocks) {
    if (!(Number.isInteger(b) && b >= 0 && b < model.config.nLayers)) throw new RangeError(`injectActivationOutliers: block ${b} is outside 0..${model.config.nLayers - 1}`);
    for (const [ln, lin] of [['ln1', 'attn.qkv'], ['ln2', 'mlp.fc1']]) {
      const gamma = get(`block${b}.${ln}.gamma`);
      const beta = get(`block${b}.${ln}.beta`);
      const w = get(`block${b}.${lin}`);
      const rows = w.length / d;
      for (const j of o.channels) {
        gamma[j] *= o.factor;
        beta[j] *= o.factor;
        for (let r = 0; r < rows; r++) w[r * d + j] /= o.factor;
      }
    }
  }
  model.setWeights(changed);
  return Object.keys(changed);
}

/** One configuration of {@link perplexityVsBits}. */
export type SweepEntry =
  | { method: 'fp32' }
  | { method: 'rtn' | 'gptq' | 'awq'; bits: number; groupSize: number }
  | { method: 'mx'; format: MxElement }
  | { method: 'w8a8'; smoothAlpha?: number }
  | { method: 'kv'; bits: 4 | 8 };

/** One row of {@link perplexityVsBits}. */
export interface SweepRow {
  /** 'fp32', 'rtn', 'gptq', 'awq', 'mxfp8_e4m3', ..., 'mxint8', 'w8a8', 'smoothquant-w8a8', 'kv-int8', 'kv-int4'. */
  method: string;
  /** Bits per weight code (MX: the element's; kv: of the cached keys/values, the weights stay fp32). */
  bits: number;
  /** Input columns per scale group as requested (a layer narrower than it gets one group per row), the MX block (32), or null: per output channel (W8A8) or no weight quantization. */
  groupSize: number | null;
  perplexity: number;
  nll: number;
  /** Model bytes: the linear weights as stored by the method plus every other parameter (embeddings, biases, LayerNorms) as float32. */
  bytes: number;
  /** The linear weights' part of `bytes`, and per weight in bits (codes, scales and zero points included). */
  linearBytes: number;
  bitsPerWeight: number;
  /** KV-cache bytes per token over all layers (keys and values; float32 unless method kv-*). */
  kvBytesPerToken: number;
}

/** Options of {@link perplexityVsBits}. */
export interface SweepOptions {
  /** Calibration tokens (GPTQ, AWQ, SmoothQuant): typically the training split. */
  calibration: ArrayLike<number>;
  /** Evaluation tokens: the validation split. */
  validation: ArrayLike<number>;
  /** Default {@link DEFAULT_SWEEP}. */
  entries?: SweepEntry[];
  /** Calibration tokens used (default 2048). */
  calibrationTokens?: number;
  /** AWQ alpha grid points (default 20). */
  awqGrid?: number;
  /** SmoothQuant / W8A8 layers (default every linear layer, the head included). */
  w8a8Names?: string[];
  eval?: EvalOptions;
  /** Called with each row as it is measured. */
  onRow?: (row: SweepRow) => void;
}

/** fp32; RTN int8/int4 at g128 and g32; GPTQ and AWQ int4 g128; the five MX formats and MXINT8; W8A8 plain and SmoothQuant (alpha 0.5); KV int8/int4. */
export const DEFAULT_SWEEP: readonly SweepEntry[] = Object.freeze([
  { method: 'fp32' },
  { method: 'rtn', bits: 8, groupSize: 128 },
  { method: 'rtn', bits: 8, groupSize: 32 },
  { method: 'rtn', bits: 4, groupSize: 128 },
  { method: 'rtn', bits: 4, groupSize: 32 },
  { method: 'gptq', bits: 4, groupSize: 128 },
  { method: 'awq', bits: 4, groupSize: 128 },
  { method: 'mx', format: 'fp8_e4m3' },
  { method: 'mx', format: 'fp8_e5m2' },
  { method: 'mx', format: 'fp6_e3m2' },
  { method: 'mx', format: 'fp6_e2m3' },
  { method: 'mx', format: 'fp4_e2m1' },
  { method: 'mx', format: 'int8' },
  { method: 'w8a8' },
  { method: 'w8a8', smoothAlpha: 0.5 },
  { method: 'kv', bits: 8 },
  { method: 'kv', bits: 4 },
] as SweepEntry[]);

const MX_BITS: Record<MxElement, number> = { fp8_e4m3: 8, fp8_e5m2: 8, fp6_e3m2: 6, fp6_e2m3: 6, fp4_e2m1: 4, int8: 8 };

/**
 * Validation perplexity and storage of each quantization method on the model (weights restored after each):
 * rows {method, bits, groupSize, perplexity, bytes, ...}. Weight-only methods quantize every linear layer
 * (the head included; embeddings, biases and LayerNorms stay float32). KV rows count the cache per token:
 * packed codes, a float32 scale and a packed zero point per token and head (kvBytes).
 *
 * @example
 * const rows = perplexityVsBits(model, { calibration: corpus.train, validation: corpus.validation });
 * console.table(rows.map(({ method, bits, groupSize, perplexity, bytes }) => ({ method, bits, groupSize, perplexity, bytes })));
 */
export function perplexityVsBits(model: TinyGpt, opts: SweepOptions): SweepRow[] {
  const entries = opts.entries ?? DEFAULT_SWEEP;
  const c = model.config;
  const names = model.linearNames();
  const linearCount = names.reduce((a, n) => a + model.weight(n).size, 0);
  const otherBytes = 4 * (model.parameterCount() - linearCount);
  const dh = c.dModel / c.nHeads;
  const kvPerToken = (bits: 4 | 8 | 32) => (bits === 32 ? 2 * c.nLayers * c.dModel * 4 : 2 * c.nLayers * kvBytes(kvQuantize(new Float32Array(c.dModel), 1, c.nHeads, dh, { bits })));
  const fp32 = model.getWeights();
  let inputs: Map<string, LinearInputs> | undefined;
  const calib = () => (inputs ??= collectLinearInputs(model, opts.calibration, { maxTokens: opts.calibrationTokens ?? 2048 }));
  const rows: SweepRow[] = [];
  const push = (method: string, bits: number, groupSize: number | null, linearBytes: number, forward = {}, kv: 4 | 8 | 32 = 32) => {
    const loss = model.evaluate(opts.validation, { ...opts.eval, forward: { ...opts.eval?.forward, ...forward } });
    const row: SweepRow = { method, bits, groupSize, perplexity: loss.perplexity, nll: loss.nll, bytes: linearBytes + otherBytes, linearBytes, bitsPerWeight: (8 * linearBytes) / linearCount, kvBytesPerToken: kvPerToken(kv) };
    rows.push(row);
    opts.onRow?.(row);
  };
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  try {
    for (const e of entries) {
      model.setWeights(fp32);
      if (e.method === 'fp32') push('fp32', 32, null, 4 * linearCount);
      else if (e.method === 'rtn' || e.method === 'gptq' || e.method === 'awq') {
        let bytes = 0;
        if (e.method === 'awq') {
          const t: CountingTransform = awqTransform(calib(), { bits: e.bits, groupSize: e.groupSize, grid: opts.awqGrid });
          applyWeightTransform(model, t);
          bytes = sum(t.bytes);
        } else {
          applyWeightTransform(model, (w, r, k, name) => {
            if (e.method === 'rtn') {
              const q = groupQuantize(w, r, k, { bits: e.bits, groupSize: e.groupSize });
              bytes += groupPackedBytes(q);
              return groupDequantize(q);
            }
            const x = calib().get(name)!;
            const q = gptqQuantize(w, r, k, gptqHessian(x.x, x.rows, k), { bits: e.bits, groupSize: e.groupSize });
            bytes += groupPackedBytes(q);
            return q.dequantized;
          });
        }
        push(e.method, e.bits, e.groupSize, bytes);
      } else if (e.method === 'mx') {
        const t = mxTransform(e.format);
        applyWeightTransform(model, t);
        push(e.format === 'int8' ? 'mxint8' : `mx${e.format}`, MX_BITS[e.format], 32, sum(t.bytes));
      } else if (e.method === 'w8a8') {
        const smooth = e.smoothAlpha === undefined ? undefined : { alpha: e.smoothAlpha, inputs: calib() };
        const plan = w8a8Plan(model, { smooth, names: opts.w8a8Names });
        model.setWeights(plan.weights);
        const rest = names.filter((n) => !(n in plan.weights)).reduce((a, n) => a + 4 * model.weight(n).size, 0);
        push(smooth ? 'smoothquant-w8a8' : 'w8a8', 8, null, plan.bytes + rest, plan.forward);
      } else if (e.method === 'kv') {
        push(`kv-int${e.bits}`, e.bits, null, 4 * linearCount, kvQuantForward({ bits: e.bits }), e.bits);
      } else throw new RangeError(`perplexityVsBits: unknown method ${(e as { method: string }).method}`);
    }
  } finally {
    model.setWeights(fp32);
  }
  return rows;
}
