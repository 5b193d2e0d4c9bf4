/**
 * Analysis of quantized models: per-layer sensitivity (accuracy when only that layer is quantized), a
 * mixed-precision suggestion under a size budget, model sizes, and the quantization payload the
 * visualizers draw (error histograms, SQNR, activation saturation, QAT trace, bit layouts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Dataset, imagesTensor } from '../data/dataset';
import { scoreLogits } from '../train/train';
import type { BitLayoutEntry, QuantizationPayload, QuantLayer, QuantMethodResult } from '../viz/payloads';
import { QUANTIZATION_VERSION } from '../viz/payloads';
import { activationRange, methodResult } from '../viz/build';
import { fakeQuantize } from './affine';
import { calibrateActivations, describeModel, fakeQuantLogits, LayerInfo, quantizeWeights, QuantPlan, WeightQuantOptions } from './model';
import { computeQParams, QParams } from './qparams';
import { RangeMethod } from './ranges';

/**
 * Accuracy of a plan on a dataset (fake-quant simulation).
 *
 * @example
 * await planAccuracy(await buildPtqPlan(model, { bits: 4 }), test); // e.g. 0.99
 */
export async function planAccuracy(plan: QuantPlan, data: Dataset): Promise<number> {
  return scoreLogits(await fakeQuantLogits(plan, data), data.labels, data.numClasses).accuracy;
}

export interface SensitivityRow {
  layer: string;
  bits: number;
  accuracy: number;
  /** Accuracy lost against the float model (fraction, e.g. 0.004 = 0.4 pp). */
  drop: number;
  params: number;
}

/**
 * Per-layer sensitivity: for each conv / dense layer and each bit width, the accuracy when only that
 * layer's weights are quantized (per-channel symmetric) and everything else stays float.
 *
 * @example
 * const rows = await layerSensitivity(model, test, [8, 4, 2]);
 */
export async function layerSensitivity(model: tfl.LayersModel, data: Dataset, bitWidths: number[] = [8, 4, 2], opts: Omit<WeightQuantOptions, 'bits'> = {}): Promise<{ baseline: number; rows: SensitivityRow[] }> {
  const layers = describeModel(model);
  const baseline = await planAccuracy({ layers, weights: new Map() }, data);
  const rows: SensitivityRow[] = [];
  for (const l of layers) {
    if (!l.kernel) continue;
    for (const bits of bitWidths) {
      const all = quantizeWeights([l], { ...opts, bits });
      const accuracy = await planAccuracy({ layers, weights: all }, data);
      rows.push({ layer: l.name, bits, accuracy, drop: baseline - accuracy, params: l.kernel.length });
    }
  }
  return { baseline, rows };
}

/**
 * Bytes of a model's conv / dense kernels at the given bit widths (biases and scales in float32).
 *
 * @example
 * modelSizeBytes(describeModel(model), { fc1: 4 }, 8); // fc1 at 4 bits, the rest at 8
 */
export function modelSizeBytes(layers: LayerInfo[], bitsPerLayer: Record<string, number> = {}, defaultBits = 32): number {
  let bytes = 0;
  for (const l of layers) {
    if (!l.kernel) continue;
    const bits = bitsPerLayer[l.name] ?? defaultBits;
    const cout = l.kernelShape![l.kernelShape!.length - 1];
    bytes += Math.ceil((l.kernel.length * bits) / 8) + l.bias!.length * 4 + (bits < 32 ? cout * 4 : 0);
  }
  return bytes;
}

export interface MixedPrecisionSuggestion {
  bitsPerLayer: Record<string, number>;
  sizeBytes: number;
  budgetBytes: number;
  /** Sum of the per-layer accuracy drops of the chosen widths (an additive estimate). */
  estimatedDrop: number;
  /** True when even the lowest widths exceed the budget. */
  overBudget: boolean;
}

/**
 * Mixed precision under a size budget: starts every layer at the widest width and greedily lowers the layer
 * whose next step down costs the least estimated accuracy per byte saved, until the model fits.
 *
 * @example
 * const s = suggestMixedPrecision(describeModel(model), sens.rows, 40_000); // { bitsPerLayer: { conv1: 8, fc1: 4, ... } }
 */
export function suggestMixedPrecision(layers: LayerInfo[], rows: SensitivityRow[], budgetBytes: number): MixedPrecisionSuggestion {
  if (!(budgetBytes > 0)) throw new RangeError(`budgetBytes must be positive, got ${budgetBytes}`);
  const widths = [...new Set(rows.map((r) => r.bits))].sort((a, b) => b - a);
  if (!widths.length) throw new Error('no sensitivity rows: run layerSensitivity first');
  const names = layers.filter((l) => l.kernel).map((l) => l.name);
  const drop = (layer: string, bits: number) => {
    const r = rows.find((x) => x.layer === layer && x.bits === bits);
    if (!r) throw new Error(`no sensitivity for layer '${layer}' at ${bits} bits`);
    return Math.max(0, r.drop);
  };
  const level: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const bitsOf = () => Object.fromEntries(names.map((n) => [n, widths[level[n]]]));
  let size = modelSizeBytes(layers, bitsOf());
  while (size > budgetBytes) {
    let best: string | undefined;
    let bestCost = Infinity;
    for (const n of names) {
      if (level[n] + 1 >= widths.length) continue;
      const cur = bitsOf();
      const next = { ...cur, [n]: widths[level[n] + 1] };
      const saved = size - modelSizeBytes(layers, next);
      if (saved <= 0) continue;
      const cost = (drop(n, widths[level[n] + 1]) - drop(n, widths[level[n]]) + 1e-9) / saved;
      if (cost < bestCost) {
        bestCost = cost;
        best = n;
      }
    }
    if (!best) break;
    level[best]++;
    size = modelSizeBytes(layers, bitsOf());
  }
  const bitsPerLayer = bitsOf();
  return {
    bitsPerLayer,
    sizeBytes: size,
    budgetBytes,
    estimatedDrop: names.reduce((s, n) => s + drop(n, bitsPerLayer[n]), 0),
    overBudget: size > budgetBytes,
  };
}

export interface PayloadOptions {
  bits?: number;
  granularity?: 'channel' | 'tensor' | 'group';
  groupSize?: number;
  symmetric?: boolean;
  /** Weight range methods compared per layer; default ['minmax', 'percentile', 'entropy', 'mse']. */
  methods?: RangeMethod[];
  percentile?: number;
  /** Representative images: adds the activation range and saturation of every conv / dense output. */
  calibration?: Dataset;
  activationMethod?: RangeMethod;
  /** Images used for activation statistics (default 200). */
  activationLimit?: number;
  qatTrace?: { steps: number[]; mse: Record<string, number[]> };
  bitLayout?: BitLayoutEntry[];
  title?: string;
  bins?: number;
}

/**
 * Builds the quantization payload (the contract in src/viz/payloads.ts) of a model: per conv / dense layer the format,
 * scales, an error histogram with MSE / SQNR for each range method, and activation range / saturation.
 *
 * @example
 * const payload = await buildQuantizationPayload(model, { bits: 4, calibration: subset(train, 200) });
 * show(payload); // rendered by the extension / site
 */
export async function buildQuantizationPayload(model: tfl.LayersModel, opts: PayloadOptions = {}): Promise<QuantizationPayload> {
  const bits = opts.bits ?? 8;
  const gran = opts.granularity ?? 'channel';
  const symmetric = opts.symmetric ?? true;
  const methods = opts.methods ?? ['minmax', 'percentile', 'entropy', 'mse'];
  const layers = describeModel(model);
  let acts: Record<string, { values: Float32Array; qp: QParams }> | undefined;
  if (opts.calibration) {
    const n = Math.min(opts.activationLimit ?? 200, opts.calibration.count);
    const qps = await calibrateActivations(model, opts.calibration, { bits: 8, method: opts.activationMethod ?? 'minmax', limit: n });
    acts = {};
    const outs = tf.tidy(() => {
      let x: tf.Tensor = imagesTensor(opts.calibration!, 0, n);
      const kept: [string, tf.Tensor][] = [];
      for (const layer of model.layers) {
        x = layer.apply(x) as tf.Tensor;
        if (qps[layer.name]) kept.push([layer.name, tf.keep(x)]);
      }
      return kept;
    });
    for (const [name, t] of outs) {
      acts[name] = { values: (await t.data()) as Float32Array, qp: qps[name] };
      t.dispose();
    }
  }
  const out: QuantLayer[] = [];
  for (const l of layers) {
    if (!l.kernel) continue;
    const shape = l.kernelShape!;
    const axis = gran === 'tensor' ? undefined : shape.length - 1;
    const base = { bits, symmetric, signed: true, ...(axis === undefined ? {} : { axis }), ...(gran === 'group' ? { groupSize: opts.groupSize ?? 32 } : {}) };
    const results: QuantMethodResult[] = [];
    let first: QParams | undefined;
    for (const method of methods) {
      const qp = computeQParams(l.kernel, shape, { ...base, method, percentile: opts.percentile });
      first ??= qp;
      results.push(methodResult(method, l.kernel, fakeQuantize(l.kernel, shape, qp), opts.bins ?? 40));
    }
    const layer: QuantLayer = {
      name: l.name,
      shape,
      format: { bits, scheme: symmetric ? 'symmetric' : 'asymmetric', signed: true, granularity: gran, ...(gran === 'group' ? { groupSize: opts.groupSize ?? 32 } : {}) },
      scales: Array.from(first!.scale),
      zeroPoints: Array.from(first!.zeroPoint),
      methods: results,
    };
    const a = acts?.[l.name];
    if (a) {
      const s = a.qp.scale[0];
      const z = a.qp.zeroPoint[0];
      layer.activation = activationRange(a.values, (a.qp.qmin - z) * s, (a.qp.qmax - z) * s);
    }
    out.push(layer);
  }
  const payload: QuantizationPayload = { version: QUANTIZATION_VERSION, model: model.name, layers: out };
  if (opts.title) payload.title = opts.title;
  if (opts.qatTrace) payload.qatTrace = opts.qatTrace;
  if (opts.bitLayout) payload.bitLayout = opts.bitLayout;
  return payload;
}
