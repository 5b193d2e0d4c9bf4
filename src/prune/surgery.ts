/**
 * Structured surgery: physically remove pruned filters / neurons and the matching inputs of the next
 * weighted layer, producing a smaller Sequential model (fewer parameters, fewer MACs, faster) that computes
 * the same function as the masked model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, Sequential } from '@tensorflow/tfjs-layers';
import type { MaskSet } from './masks';
import { selectLayers } from './masks';
import { rebuildSequential } from './rebuild';
import { keptUnits } from './structured';
import { describeLayer } from '../models/describe';

/** Layers that pass channels through unchanged. */
const PASS_THROUGH = new Set(['MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Rescaling', 'ReLU', 'Activation', 'Dropout', 'InputLayer', 'ZeroPadding2D', 'SpatialDropout1D']);

/**
 * The entries of `t` at `keep` along `axis`, as a fresh tensor (the wasm backend's gather result shares its
 * buffer with an internal reshape whose recorded shape FusedConv2D rejects as a bias, so copy the values out).
 */
function gatherAxis(t: tf.Tensor, keep: number[] | null, axis: number): tf.Tensor {
  if (!keep) return t;
  const g = tf.tidy(() => tf.gather(t, tf.tensor1d(keep, 'int32'), axis));
  const copy = tf.tensor(g.dataSync(), g.shape, g.dtype);
  g.dispose();
  return copy;
}

/**
 * Removes units: `keep[layer]` lists the output units (filters / neurons) to keep in that layer. Returns a new
 * model; the input model is not changed. Layers between a shrunk layer and the next weighted layer must
 * pass channels through (pooling, activation, dropout, rescaling, flatten, batch normalization).
 *
 * @example
 * const small = removeUnits(model, { conv1: [0, 2, 5], conv2: [1, 3] });
 */
export function removeUnits(model: LayersModel, keep: Record<string, number[]>): Sequential {
  const layers = selectLayers(model, Object.keys(keep));
  const output = model.layers[model.layers.length - 1];
  for (const layer of layers) {
    if (layer === output) throw new RangeError(`layer '${layer.name}' is the model's output: its units (the classes) cannot be removed`);
    const units = describeLayer(layer).weights[0].shape.at(-1) as number;
    const k = keep[layer.name];
    if (k.length === 0) throw new RangeError(`layer '${layer.name}' would keep no units: the model would output a constant; keep at least one`);
    if (k.some((j, i) => !Number.isInteger(j) || j < 0 || j >= units || (i > 0 && j <= k[i - 1]))) {
      throw new RangeError(`keep['${layer.name}'] must be increasing unit indices in 0..${units - 1}`);
    }
  }
  let inKeep: number[] | null = null;
  const tensors: tf.Tensor[] = [];
  // Gathered copies are freed after they are loaded; an ungathered weight is the live variable and stays.
  const track = (t: tf.Tensor, source: tf.Tensor): tf.Tensor => {
    if (t !== source) tensors.push(t);
    return t;
  };
  try {
    return rebuildSequential(model, (layer, spec) => {
      const d = describeLayer(layer);
      const cls = d.className;
      const outKeep = keep[layer.name] ?? null;
      if (cls === 'Dense' || cls === 'Conv2D') {
        const [kernel, bias] = d.weights;
        const inAxis = kernel.rank - 2;
        const k1 = track(gatherAxis(kernel, inKeep, inAxis), kernel);
        const k = track(gatherAxis(k1, outKeep, kernel.rank - 1), k1);
        const weights = [k];
        if (bias) weights.push(track(gatherAxis(bias, outKeep, 0), bias));
        if (outKeep) spec.config[cls === 'Dense' ? 'units' : 'filters'] = outKeep.length;
        inKeep = outKeep;
        return [{ spec, weights }];
      }
      if (inKeep === null) return undefined;
      if (cls === 'Flatten') {
        const inputShape = d.inputShape!;
        const channels = inputShape[inputShape.length - 1];
        const positions = inputShape.reduce((a, b) => a * b, 1) / channels;
        const kept: number[] = [];
        for (let p = 0; p < positions; p++) for (const c of inKeep) kept.push(p * channels + c);
        inKeep = kept;
        return undefined;
      }
      if (cls === 'BatchNormalization') {
        const keepNow: number[] = inKeep;
        return [{ spec, weights: d.weights.map((w) => track(gatherAxis(w, keepNow, 0), w)) }];
      }
      if (cls === 'DepthwiseConv2D') {
        const [kernel, bias] = d.weights;
        if (kernel.shape[3] !== 1) throw new RangeError(`surgery through '${layer.name}' needs depthMultiplier 1, got ${kernel.shape[3]}`);
        const weights = [track(gatherAxis(kernel, inKeep, 2), kernel)];
        if (bias) weights.push(track(gatherAxis(bias, inKeep, 0), bias));
        return [{ spec, weights }];
      }
      if (PASS_THROUGH.has(cls)) return undefined;
      throw new RangeError(`surgery cannot pass removed channels through layer '${layer.name}' (${cls}); supported: Dense, Conv2D, DepthwiseConv2D, BatchNormalization, Flatten and ${[...PASS_THROUGH].join(', ')}`);
    });
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/**
 * Surgery from structured masks: every masked layer keeps the units its mask keeps.
 *
 * @example
 * const masks = structuredMasks(model, 0.5, { layers: ['conv1', 'conv2'] });
 * const small = applySurgery(model, masks);
 */
export function applySurgery(model: LayersModel, masks: MaskSet): Sequential {
  const keep: Record<string, number[]> = {};
  for (const mask of Object.values(masks)) keep[mask.layer] = keptUnits(mask);
  return removeUnits(model, keep);
}
