/** Per-layer parameters, multiply-accumulates and storage of a tfjs-layers model (isomorphic). */
import type * as tf from '@tensorflow/tfjs-layers';
import { describeLayers, LayerDescription } from './describe';
import type { TinyGpt } from '../transformer/model';
import { gptLayerSummary } from '../transformer/summary';

export interface LayerSummary {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
  /** Multiply-accumulate operations for one example. */
  macs: number;
  bytes: number;
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totalParams: number;
  totalMacs: number;
  totalBytes: number;
  bitWidth: number;
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

function layerMacs(d: LayerDescription): number {
  const out = d.outputShape!;
  if (d.weights.length === 0) return 0;
  const kernel = d.weights[0].shape as number[];
  if (d.kind === 'dense') return kernel[0] * kernel[1];
  if (d.kind === 'conv2d') return prod(out) * kernel[0] * kernel[1] * kernel[2];
  if (d.kind === 'depthwise') return prod(out) * kernel[0] * kernel[1];
  if (d.kind === 'separable') {
    const pointwise = d.weights[1].shape as number[];
    const [h, w] = out;
    return h * w * (kernel[0] * kernel[1] * kernel[2] * kernel[3] + pointwise[2] * pointwise[3]);
  }
  return 0;
}

/**
 * Summarises a model: per-layer and total parameters, MACs per example, and bytes at `bitWidth` bits per parameter.
 * For a tinyGpt (src/transformer) an example is one token: MACs per token at the full context (gptLayerSummary).
 *
 * @example
 * const s = summarize(lenet5(), 8);
 * console.log(s.totalParams, s.totalMacs, s.totalBytes);
 * summarize(tinyGpt({ vocabSize: 63 })).totalMacs; // 925568 per token
 */
export function summarize(model: tf.LayersModel | TinyGpt, bitWidth = 32): ModelSummary {
  if (!(bitWidth > 0 && bitWidth <= 64)) throw new RangeError(`bitWidth must be in 1..64, got ${bitWidth}`);
  if ('linearNames' in model) return gptLayerSummary(model.config, bitWidth);
  const layers = describeLayers(model).map((d) => ({
    name: d.name,
    type: d.className,
    outputShape: d.outputShape!,
    params: d.params,
    macs: layerMacs(d),
    bytes: Math.ceil((d.params * bitWidth) / 8),
  }));
  const total = (k: 'params' | 'macs' | 'bytes') => layers.reduce((a, l) => a + l[k], 0);
  return { name: model.name, layers, totalParams: total('params'), totalMacs: total('macs'), totalBytes: total('bytes'), bitWidth };
}

/** A fixed-width text table of a summary, for notebooks and the CLI. */
export function formatSummary(s: ModelSummary): string {
  const rows = [['layer', 'type', 'output', 'params', 'MACs', `bytes@${s.bitWidth}b`]];
  for (const l of s.layers) rows.push([l.name, l.type, l.outputShape.join('x'), String(l.params), String(l.macs), String(l.bytes)]);
  rows.push(['total', '', '', String(s.totalParams), String(s.totalMacs), String(s.totalBytes)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}
