/**
 * Pruning masks for tfjs-layers models: one 0/1 mask per prunable layer kernel (and optionally its bias),
 * built by magnitude (per layer or global), at random (the baseline) or N:M (e.g. 2:4), applied by
 * multiplying the weights in place. Masks are plain Float32Arrays so they serialize and test easily.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { mulberry32 } from '../util/random';
import { layerClassName } from '../models/describe';

/** Layer classes whose kernel can be pruned. */
export const PRUNABLE_CLASSES = ['Dense', 'Conv2D', 'DepthwiseConv2D'] as const;

/** The mask of one layer: 1 = weight kept, 0 = pruned. */
export interface LayerMask {
  layer: string;
  /** The kernel's shape (Dense [in, out], Conv2D [kh, kw, cin, cout]). */
  shape: number[];
  kernel: Float32Array;
  /** Present for structured masks: one entry per output unit. */
  bias?: Float32Array;
}

/** Masks by layer name. */
export type MaskSet = Record<string, LayerMask>;

type Layer = LayersModel['layers'][number];

/** The layers of `model` that can be pruned, in order. */
export function prunableLayers(model: LayersModel): Layer[] {
  return model.layers.filter((l) => (PRUNABLE_CLASSES as readonly string[]).includes(layerClassName(l)) && l.getWeights().length > 0);
}

/**
 * Resolves layer names to prunable layers, with a clear error for unknown or unprunable names
 * (default: every prunable layer).
 *
 * @example
 * selectLayers(lenet5(), ['conv1', 'fc1']).map((l) => l.name); // ['conv1', 'fc1']
 */
export function selectLayers(model: LayersModel, names?: string[]): Layer[] {
  const prunable = prunableLayers(model);
  if (!names) return prunable;
  const options = prunable.map((l) => l.name).join(', ');
  return names.map((name) => {
    const layer = model.layers.find((l) => l.name === name);
    if (!layer) throw new RangeError(`model '${model.name}' has no layer '${name}'; prunable layers: ${options}`);
    if (!prunable.includes(layer)) {
      throw new RangeError(`layer '${name}' (${layerClassName(layer)}) cannot be pruned: only ${PRUNABLE_CLASSES.join(', ')} kernels can; prunable layers: ${options}`);
    }
    return layer;
  });
}

/**
 * Throws unless `s` is a sparsity in [0, 1).
 *
 * @example
 * checkSparsity(0.9); // ok
 * checkSparsity(1);   // RangeError
 */
export function checkSparsity(s: number, what = 'sparsity'): void {
  if (!(typeof s === 'number' && s >= 0 && s < 1)) {
    throw new RangeError(`${what} must be in [0, 1) (the fraction of weights removed), got ${s}; e.g. 0.9 removes 90%`);
  }
}

/** The kernel values of a layer (a copy). */
export function kernelValues(layer: Layer): Float32Array {
  return layer.getWeights()[0].dataSync() as Float32Array;
}

/** Number of values to prune out of `n` at `sparsity` (rounded to nearest). */
export function pruneCount(n: number, sparsity: number): number {
  return Math.min(n, Math.round(n * sparsity));
}

/** A mask keeping all but the `k` entries of smallest score (ties broken by index, deterministic). */
export function maskSmallest(scores: ArrayLike<number>, k: number): Float32Array {
  const n = scores.length;
  const mask = new Float32Array(n).fill(1);
  if (k <= 0) return mask;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  for (let i = 0; i < Math.min(k, n); i++) mask[order[i]] = 0;
  return mask;
}

export interface MagnitudeOptions {
  /** 'layer': every layer reaches the sparsity; 'global': one threshold across all selected layers. Default 'layer'. */
  scope?: 'layer' | 'global';
  /** Layer names (default: every prunable layer). */
  layers?: string[];
}

/**
 * Unstructured magnitude masks: prune the `sparsity` fraction of weights with the smallest |w|.
 *
 * @example
 * const masks = magnitudeMasks(model, 0.9, { scope: 'global' });
 * applyMasks(model, masks);
 */
export function magnitudeMasks(model: LayersModel, sparsity: number, opts: MagnitudeOptions = {}): MaskSet {
  checkSparsity(sparsity);
  const layers = selectLayers(model, opts.layers);
  const values = layers.map(kernelValues);
  const masks: MaskSet = {};
  if ((opts.scope ?? 'layer') === 'layer') {
    layers.forEach((layer, i) => {
      const abs = values[i].map(Math.abs);
      masks[layer.name] = { layer: layer.name, shape: kernelShape(layer), kernel: maskSmallest(abs, pruneCount(abs.length, sparsity)) };
    });
    return masks;
  }
  const total = values.reduce((a, v) => a + v.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const v of values) {
    for (let i = 0; i < v.length; i++) all[offset + i] = Math.abs(v[i]);
    offset += v.length;
  }
  const flat = maskSmallest(all, pruneCount(total, sparsity));
  offset = 0;
  layers.forEach((layer, i) => {
    masks[layer.name] = { layer: layer.name, shape: kernelShape(layer), kernel: flat.slice(offset, offset + values[i].length) };
    offset += values[i].length;
  });
  return masks;
}

/**
 * Random masks (the baseline every criterion must beat): each layer loses `sparsity` of its weights at random.
 *
 * @example
 * const masks = randomMasks(model, 0.5, { seed: 1 });
 */
export function randomMasks(model: LayersModel, sparsity: number, opts: { seed?: number; layers?: string[] } = {}): MaskSet {
  checkSparsity(sparsity);
  const random = mulberry32(opts.seed ?? 0);
  const masks: MaskSet = {};
  for (const layer of selectLayers(model, opts.layers)) {
    const n = kernelValues(layer).length;
    const scores = Float32Array.from({ length: n }, () => random());
    masks[layer.name] = { layer: layer.name, shape: kernelShape(layer), kernel: maskSmallest(scores, pruneCount(n, sparsity)) };
  }
  return masks;
}

/**
 * N:M semi-structured masks: in every group of M consecutive weights along a kernel's input dimension
 * (for each output unit), keep the N of largest magnitude. 2:4 gives 50% sparsity that sparse tensor cores run.
 * Input sizes not divisible by M leave a smaller last group, which keeps round(N/M * size) weights.
 *
 * @example
 * const masks = nmMasks(model, 2, 4);
 */
export function nmMasks(model: LayersModel, n = 2, m = 4, opts: { layers?: string[] } = {}): MaskSet {
  if (!(Number.isInteger(n) && Number.isInteger(m) && m >= 1 && n >= 1 && n <= m)) {
    throw new RangeError(`N:M sparsity needs whole numbers 1 <= N <= M, got ${n}:${m}`);
  }
  const masks: MaskSet = {};
  for (const layer of selectLayers(model, opts.layers)) {
    const values = kernelValues(layer);
    const shape = kernelShape(layer);
    const cols = shape[shape.length - 1];
    const rows = values.length / cols;
    const mask = new Float32Array(values.length);
    for (let c = 0; c < cols; c++) {
      for (let start = 0; start < rows; start += m) {
        const size = Math.min(m, rows - start);
        const keep = size === m ? n : Math.round((n / m) * size);
        const idx = Array.from({ length: size }, (_, i) => (start + i) * cols + c);
        idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
        for (let i = 0; i < keep; i++) mask[idx[i]] = 1;
      }
    }
    masks[layer.name] = { layer: layer.name, shape, kernel: mask };
  }
  return masks;
}

/** A layer's kernel shape. */
export function kernelShape(layer: Layer): number[] {
  return layer.getWeights()[0].shape.slice();
}

/**
 * Multiplies each masked layer's kernel (and bias, for structured masks) by its mask, in place.
 *
 * @example
 * applyMasks(model, magnitudeMasks(model, 0.5));
 */
export function applyMasks(model: LayersModel, masks: MaskSet): void {
  for (const mask of Object.values(masks)) {
    const [layer] = selectLayers(model, [mask.layer]);
    const weights = layer.getWeights();
    const shape = weights[0].shape;
    if (shape.join() !== mask.shape.join()) {
      throw new RangeError(`mask of '${mask.layer}' has shape [${mask.shape}] but the kernel is [${shape}]`);
    }
    tf.tidy(() => {
      const next = weights.map((w) => w);
      next[0] = tf.mul(weights[0], tf.tensor(mask.kernel, shape));
      if (mask.bias && weights.length > 1) next[1] = tf.mul(weights[1], tf.tensor(mask.bias, weights[1].shape));
      layer.setWeights(next);
    });
  }
}

export interface SparsityReport {
  /** Zero weights / all weights over the reported layers' kernels. */
  global: number;
  perLayer: Record<string, number>;
}

/**
 * Measured sparsity (fraction of exactly-zero kernel weights) per layer and overall.
 *
 * @example
 * measureSparsity(model).global; // 0.9 after 90% pruning
 */
export function measureSparsity(model: LayersModel, layers?: string[]): SparsityReport {
  let zeros = 0;
  let total = 0;
  const perLayer: Record<string, number> = {};
  for (const layer of selectLayers(model, layers)) {
    const v = kernelValues(layer);
    let z = 0;
    for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
    perLayer[layer.name] = z / v.length;
    zeros += z;
    total += v.length;
  }
  return { global: total ? zeros / total : 0, perLayer };
}

/**
 * Sparsity of a mask set (fraction of zeros) per layer and overall.
 *
 * @example
 * maskSparsity(magnitudeMasks(model, 0.8)).global; // 0.8
 */
export function maskSparsity(masks: MaskSet): SparsityReport {
  let zeros = 0;
  let total = 0;
  const perLayer: Record<string, number> = {};
  for (const m of Object.values(masks)) {
    let z = 0;
    for (let i = 0; i < m.kernel.length; i++) if (m.kernel[i] === 0) z++;
    perLayer[m.layer] = z / m.kernel.length;
    zeros += z;
    total += m.kernel.length;
  }
  return { global: total ? zeros / total : 0, perLayer };
}
