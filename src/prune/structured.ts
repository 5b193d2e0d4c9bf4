/**
 * Structured pruning: score whole output units (dense neurons, conv filters) and mask the least important
 * ones entirely (kernel column and bias), so surgery can later remove them. Criteria: L1 / L2 weight
 * magnitude, mean activation, gradient magnitude and first-order Taylor (|activation x gradient|).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { Dataset, imagesTensor } from '../data/dataset';
import { checkSparsity, kernelShape, kernelValues, LayerMask, maskSmallest, MaskSet, pruneCount, selectLayers } from './masks';
import { layerKind } from '../models/describe';

export type Criterion = 'l1' | 'l2' | 'activation' | 'gradient' | 'taylor';
export const CRITERIA: readonly Criterion[] = ['l1', 'l2', 'activation', 'gradient', 'taylor'];

export interface ScoreOptions {
  /** Examples for the data-driven criteria ('activation', 'gradient', 'taylor'). */
  data?: Dataset;
  /** Examples per batch when scoring on data; default 128. */
  batchSize?: number;
}

type Layer = LayersModel['layers'][number];

function applyRange(model: LayersModel, x: tf.Tensor, from: number, to: number): tf.Tensor {
  let y = x;
  for (let i = from; i < to; i++) y = model.layers[i].apply(y, { training: false }) as tf.Tensor;
  return y;
}

function lossOf(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1] as number), logits as tf.Tensor2D) as tf.Scalar;
}

/** Sums |values| (or squares) over all axes but the last: one number per output unit. */
function perUnit(values: Float32Array, units: number, f: (v: number) => number): Float64Array {
  const out = new Float64Array(units);
  for (let i = 0; i < values.length; i++) out[i % units] += f(values[i]);
  return out;
}

function requireData(criterion: Criterion, opts: ScoreOptions): Dataset {
  if (!opts.data || opts.data.count === 0) {
    throw new RangeError(`criterion '${criterion}' scores units on data: pass { data } with at least one example (e.g. 512 training images)`);
  }
  return opts.data;
}

/**
 * Importance of each output unit (filter or neuron) of a layer; larger = more important.
 *
 * @example
 * const scores = unitImportance(model, 'conv2', 'taylor', { data: subset(train, 512) });
 */
export function unitImportance(model: LayersModel, layerName: string, criterion: Criterion, opts: ScoreOptions = {}): Float64Array {
  const [layer] = selectLayers(model, [layerName]);
  const shape = kernelShape(layer);
  const units = shape[shape.length - 1];
  if (criterion === 'l1') return perUnit(kernelValues(layer), units, Math.abs);
  if (criterion === 'l2') return perUnit(kernelValues(layer), units, (v) => v * v).map(Math.sqrt);
  if (!CRITERIA.includes(criterion)) throw new RangeError(`unknown criterion '${criterion}'; use one of ${CRITERIA.join(', ')}`);
  const data = requireData(criterion, opts);
  const index = model.layers.indexOf(layer);
  const batchSize = opts.batchSize ?? 128;
  const total = new Float64Array(units);
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    const batch = tf.tidy(() => {
      const x = imagesTensor(data, start, n);
      const labels = tf.tensor1d(data.labels.subarray(start, start + n), 'int32');
      if (criterion === 'gradient') return gradientScore(model, layer, x, labels);
      const a = applyRange(model, x, 0, index + 1);
      const reduceAxes = a.shape.slice(1, -1).map((_, i) => i + 1);
      if (criterion === 'activation') {
        // Mean activation per unit over positions, summed over the batch.
        return tf.sum(reduceAxes.length ? tf.mean(a, reduceAxes) : a, 0);
      }
      // First-order Taylor (Molchanov et al.): |mean over positions of a * dL/da| per example.
      const g = tf.grad((ai: tf.Tensor) => lossOf(applyRange(model, ai, index + 1, model.layers.length), labels))(a);
      const prod = tf.mul(a, g);
      return tf.mul(tf.sum(tf.abs(reduceAxes.length ? tf.mean(prod, reduceAxes) : prod), 0), n);
    });
    const v = batch.dataSync();
    batch.dispose();
    for (let j = 0; j < units; j++) total[j] += v[j];
  }
  return total.map((v) => v / data.count);
}

function gradientScore(model: LayersModel, layer: Layer, x: tf.Tensor, labels: tf.Tensor1D): tf.Tensor {
  const kernel = (layer.trainableWeights[0] as unknown as { val: tf.Variable }).val;
  const { grads } = tf.variableGrads(() => lossOf(model.apply(x, { training: false }) as tf.Tensor, labels), [kernel]);
  const g = grads[kernel.name];
  const axes = g.shape.slice(0, -1).map((_, i) => i);
  // Sum of |dL/dW| over the unit's weights; scaled by the batch size so batches of any size average correctly.
  return tf.mul(tf.sum(tf.abs(g), axes), x.shape[0]);
}

export interface StructuredOptions extends ScoreOptions {
  criterion?: Criterion;
  /** Layer names (default: every Dense / Conv2D layer except the output layer). */
  layers?: string[];
}

/** A structured mask from kept-unit flags: the unit's whole kernel column and its bias. */
export function unitMask(layer: Layer, keepUnits: ArrayLike<number>): LayerMask {
  const shape = kernelShape(layer);
  const units = shape[shape.length - 1];
  if (keepUnits.length !== units) throw new RangeError(`layer '${layer.name}' has ${units} units, got ${keepUnits.length} flags`);
  const kernel = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < kernel.length; i++) kernel[i] = keepUnits[i % units] ? 1 : 0;
  return { layer: layer.name, shape, kernel, bias: Float32Array.from(keepUnits, (k) => (k ? 1 : 0)) };
}

/**
 * Structured masks: in each selected layer, remove the `fraction` of output units (filters / neurons) with the
 * lowest importance under `criterion` (default 'l1'). The output layer cannot lose units (they are the classes).
 *
 * @example
 * const masks = structuredMasks(model, 0.5, { criterion: 'l1', layers: ['conv1', 'conv2'] });
 * applyMasks(model, masks);
 */
export function structuredMasks(model: LayersModel, fraction: number, opts: StructuredOptions = {}): MaskSet {
  checkSparsity(fraction, 'fraction of units to remove');
  const output = model.layers[model.layers.length - 1];
  const names = opts.layers ?? selectLayers(model).filter((l) => l !== output && layerKind(l) !== 'depthwise').map((l) => l.name);
  const masks: MaskSet = {};
  for (const layer of selectLayers(model, names)) {
    if (layer === output) {
      throw new RangeError(`layer '${layer.name}' is the model's output: removing its units would remove classes; prune the layers before it`);
    }
    if (layerKind(layer) === 'depthwise') {
      throw new RangeError(`layer '${layer.name}' (DepthwiseConv2D) cannot be pruned by units here: its channels are tied to its input's`);
    }
    const scores = unitImportance(model, layer.name, opts.criterion ?? 'l1', opts);
    masks[layer.name] = unitMask(layer, maskSmallest(scores, pruneCount(scores.length, fraction)));
  }
  return masks;
}

/** Indices of the units a structured mask keeps. */
export function keptUnits(mask: LayerMask): number[] {
  const units = mask.shape[mask.shape.length - 1];
  const keep: number[] = [];
  for (let j = 0; j < units; j++) {
    let any = mask.bias ? mask.bias[j] !== 0 : false;
    for (let i = j; !any && i < mask.kernel.length; i += units) any = mask.kernel[i] !== 0;
    if (any) keep.push(j);
  }
  return keep;
}
