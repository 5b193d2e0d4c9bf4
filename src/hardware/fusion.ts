/**
 * Operator fusion, two kinds.
 *
 * - **Batch-norm folding** (a graph rewrite): at inference a BatchNormalization layer is a per-channel affine
 *   map y = γ(x − μ)/√(σ² + ε) + β with frozen statistics, so after a convolution (or depthwise convolution,
 *   or dense layer) with no activation in between it folds into that layer's weights:
 *   w' = w·γ/√(σ² + ε) per output channel, b' = (b − μ)·γ/√(σ² + ε) + β. `foldBatchNorm` returns a new
 *   Sequential model without those BN layers (the original is left as it is).
 * - **Kernel fusion**: convolution, bias and ReLU in one pass over the output (the bias starts the
 *   accumulator, the ReLU is applied as the result is stored) versus three passes (convolution, then a bias
 *   pass, then a ReLU pass, each reading and writing the whole output), in TypeScript, and the backend's
 *   tf.fused.conv2d versus tf.conv2d + add + relu; `benchFusion` times them.
 *
 * Isomorphic.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describeLayer, layerKind } from '../models/describe';
import { rebuildSequential, type RebuiltLayer } from '../prune/rebuild';
import { conv2dDirect, conv2dDirectFused } from './conv2d';
import { convFlops, type ConvShape } from './conv-shape';
import { randomMatrix } from './matrix';
import { compareKernels, type TimedRun } from './compare';
import type { MeasureOptions } from './measure';
import type { KernelTiming } from './benchmark';

/** One BN layer folded into the layer before it. */
export interface BatchNormFold {
  /** The conv / depthwise / dense layer that now carries the BN (it keeps its name). */
  layer: string;
  batchNorm: string;
}

/** A BN layer left in place, and why. */
export interface BatchNormKept {
  batchNorm: string;
  reason: string;
}

export interface FoldResult {
  /** A new Sequential model: the folded BN layers removed, their preceding layers with new weights. */
  model: tfl.Sequential;
  folded: BatchNormFold[];
  kept: BatchNormKept[];
}

const FOLDABLE = new Set(['conv2d', 'depthwise', 'dense']);

/** Why BN layer `bn` cannot fold into `prev`, or undefined if it can. */
function foldRefusal(prev: tfl.layers.Layer | undefined, bn: tfl.layers.Layer): string | undefined {
  if (!prev) return 'it is the first layer';
  const p = describeLayer(prev);
  if (!FOLDABLE.has(p.kind)) return `the layer before it, '${p.name}' (${p.className}), is not a Conv2D, DepthwiseConv2D or Dense layer`;
  if (p.activation !== 'linear') return `'${p.name}' applies activation '${p.activation}' before the batch norm (only a linear conv folds)`;
  if (p.channelsFirst) return `'${p.name}' is channelsFirst`;
  const declared = describeLayer(bn).axis ?? -1;
  const rank = (p.outputShape?.length ?? 0) + 1;
  const axis = Array.isArray(declared) ? (declared.length === 1 ? declared[0] : NaN) : declared;
  if (axis !== -1 && axis !== rank - 1) return `it normalises axis ${JSON.stringify(declared)}, not the channel axis (-1)`;
  return undefined;
}

/** The BN parameters by name: gamma (1 without scale), beta (0 without center), moving mean and variance. */
function batchNormParams(bn: tfl.layers.Layer): { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; epsilon: number } {
  const byName: Record<string, Float32Array> = {};
  const values = bn.getWeights();
  bn.weights.forEach((w, i) => {
    const short = (w.originalName ?? w.name).split('/').pop()!.replace(/_\d+$/, '');
    byName[short] = values[i].dataSync() as Float32Array;
  });
  const mean = byName.moving_mean;
  const variance = byName.moving_variance;
  if (!mean || !variance) throw new Error(`batch norm '${bn.name}' has no moving statistics (weights: ${bn.weights.map((w) => w.name).join(', ')})`);
  return {
    gamma: byName.gamma ?? new Float32Array(mean.length).fill(1),
    beta: byName.beta ?? new Float32Array(mean.length),
    mean,
    variance,
    epsilon: describeLayer(bn).epsilon ?? 1e-3,
  };
}

/**
 * The folded weights of a conv / depthwise / dense layer followed by a BN layer: [kernel', bias'].
 * The output channel is the last axis of every kernel (conv [kh, kw, cin, cout], depthwise [kh, kw, cin, mult]
 * with channel c·mult + m, dense [in, out]), so the scale is indexed by the flat position modulo the channels.
 */
function foldedWeights(layer: tfl.layers.Layer, bn: tfl.layers.Layer): tf.Tensor[] {
  const d = describeLayer(layer);
  const kernel = d.weights[0];
  const w = kernel.dataSync() as Float32Array;
  const channels = d.kind === 'depthwise' ? kernel.shape[2]! * kernel.shape[3]! : kernel.shape[kernel.shape.length - 1]!;
  const { gamma, beta, mean, variance, epsilon } = batchNormParams(bn);
  if (mean.length !== channels) throw new Error(`batch norm '${bn.name}' has ${mean.length} channels but '${layer.name}' outputs ${channels}`);
  const bias = d.useBias ? (d.weights[1].dataSync() as Float32Array) : new Float32Array(channels);
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
  const w2 = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) w2[i] = w[i] * scale[i % channels];
  const b2 = new Float32Array(channels);
  for (let c = 0; c < channels; c++) b2[c] = (bias[c] - mean[c]) * scale[c] + beta[c];
  return [tf.tensor(w2, kernel.shape), tf.tensor1d(b2)];
}

/**
 * Folds every BatchNormalization layer that directly follows a Conv2D, DepthwiseConv2D or Dense layer with a
 * linear activation into that layer. Other BN layers (after a ReLU, after pooling, first layer) are kept and
 * listed with the reason. The new model computes the same function at inference, up to float32 rounding.
 *
 * @example
 * const { model: folded, folded: pairs } = foldBatchNorm(model);
 * pairs; // [{ layer: 'conv1', batchNorm: 'bn1' }, { layer: 'dw1', batchNorm: 'bn2' }]
 * folded.predict(x); // ≈ model.predict(x)
 */
export function foldBatchNorm(model: tfl.LayersModel): FoldResult {
  const layers = model.layers;
  const folded: BatchNormFold[] = [];
  const kept: BatchNormKept[] = [];
  const into = new Map<number, number>(); // index of the folded-into layer -> index of its BN
  layers.forEach((layer, i) => {
    if (layerKind(layer) !== 'batchnorm') return;
    const prev = i > 0 ? layers[i - 1] : undefined;
    const reason = foldRefusal(prev, layer) ?? (prev && into.has(i - 1) ? 'the layer before it already folds another batch norm' : undefined);
    if (reason) kept.push({ batchNorm: layer.name, reason });
    else {
      into.set(i - 1, i);
      folded.push({ layer: prev!.name, batchNorm: layer.name });
    }
  });
  const removed = new Set(into.values());
  const tensors: tf.Tensor[] = [];
  try {
    const rebuilt = rebuildSequential(model, (layer, spec, i): RebuiltLayer[] | undefined => {
      if (removed.has(i)) return [];
      const bn = into.get(i);
      if (bn === undefined) return undefined;
      const weights = foldedWeights(layer, layers[bn]);
      tensors.push(...weights);
      spec.config.useBias = true;
      return [{ spec, weights }];
    });
    return { model: rebuilt, folded, kept };
  } finally {
    for (const t of tensors) t.dispose();
  }
}

function checkBiasShape(input: Float32Array, kernel: Float32Array, bias: Float32Array, s: ConvShape): void {
  if (bias.length !== s.outChannels) throw new Error(`conv2dBiasRelu: bias has ${bias.length} elements, ${s.outChannels} (output channels) expected`);
  const inLen = s.batch * s.height * s.width * s.inChannels;
  const kLen = s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels;
  if (input.length !== inLen) throw new Error(`conv2dBiasRelu: input has ${input.length} elements, ${inLen} expected`);
  if (kernel.length !== kLen) throw new Error(`conv2dBiasRelu: kernel has ${kernel.length} elements, ${kLen} expected`);
}

/**
 * relu(conv(x, w) + b) in one pass (NHWC input, HWIO kernel): conv2dDirectFused with the bias and ReLU as its
 * epilogue — the same compiled loop as conv2dDirect, so the comparison with the separate passes measures the
 * passes, not two differently optimised copies of the loop.
 *
 * @example
 * const y = conv2dBiasReluFused(x, w, bias, shape);
 */
export function conv2dBiasReluFused(input: Float32Array, kernel: Float32Array, bias: Float32Array, s: ConvShape): Float32Array {
  checkBiasShape(input, kernel, bias, s);
  return conv2dDirectFused(input, kernel, s, { bias, relu: true });
}

/**
 * relu(conv(x, w) + b) as three passes: conv2dDirect, then a pass adding the bias, then a ReLU pass (what
 * an unfused graph executes, one operator at a time, each reading and writing the whole output).
 *
 * @example
 * const y = conv2dBiasReluSeparate(x, w, bias, shape); // equals conv2dBiasReluFused(x, w, bias, shape)
 */
export function conv2dBiasReluSeparate(input: Float32Array, kernel: Float32Array, bias: Float32Array, s: ConvShape): Float32Array {
  checkBiasShape(input, kernel, bias, s);
  const conv = conv2dDirect(input, kernel, s);
  const F = s.outChannels;
  const withBias = new Float32Array(conv.length);
  for (let i = 0; i < conv.length; i += F) for (let f = 0; f < F; f++) withBias[i + f] = conv[i + f] + bias[f];
  const out = new Float32Array(conv.length);
  for (let i = 0; i < out.length; i++) out[i] = withBias[i] > 0 ? withBias[i] : 0;
  return out;
}

/**
 * Times conv + bias + ReLU fused and as separate passes, in TypeScript and on the backend
 * (tf.fused.conv2d vs tf.conv2d, tf.add, tf.relu; each backend run reads the result back), in interleaved
 * rounds; `seconds` is each variant's best sample (compareKernels).
 *
 * @example
 * benchFusion({ batch: 8, height: 14, width: 14, inChannels: 16, outChannels: 16, kernelHeight: 1, kernelWidth: 1 });
 * // [{ name: 'separate', ... }, { name: 'fused', ... }, { name: 'backend separate', ... }, { name: 'backend fused', ... }]
 */
export function benchFusion(shape: ConvShape, opts: MeasureOptions & { seed?: number; backend?: boolean } = {}): KernelTiming[] {
  const seed = opts.seed ?? 1;
  const x = randomMatrix(1, shape.batch * shape.height * shape.width * shape.inChannels, seed);
  const w = randomMatrix(1, shape.kernelHeight * shape.kernelWidth * shape.inChannels * shape.outChannels, seed + 1);
  const b = randomMatrix(1, shape.outChannels, seed + 2);
  const flops = convFlops(shape);
  const runs: TimedRun[] = [
    { name: 'separate', run: () => conv2dBiasReluSeparate(x, w, b, shape) },
    { name: 'fused', run: () => conv2dBiasReluFused(x, w, b, shape) },
  ];
  const backend = opts.backend ?? true;
  const tx = backend ? tf.tensor4d(x, [shape.batch, shape.height, shape.width, shape.inChannels]) : undefined;
  const tw = backend ? tf.tensor4d(w, [shape.kernelHeight, shape.kernelWidth, shape.inChannels, shape.outChannels]) : undefined;
  const tb = backend ? tf.tensor1d(b) : undefined;
  const stride = shape.stride ?? 1;
  const pad = shape.padding ?? 'valid';
  if (tx && tw && tb) {
    runs.push({
      name: 'backend separate',
      run: () => {
        const y = tf.tidy(() => tf.relu(tf.add(tf.conv2d(tx, tw, stride, pad), tb)));
        y.dataSync();
        y.dispose();
      },
    });
    runs.push({
      name: 'backend fused',
      run: () => {
        const y = tf.fused.conv2d({ x: tx, filter: tw, strides: stride, pad, bias: tb, activation: 'relu' });
        y.dataSync();
        y.dispose();
      },
    });
  }
  try {
    return compareKernels(runs, opts).map((t) => ({ name: t.name, seconds: t.seconds, flops, gflops: flops / t.seconds / 1e9, samples: t.samples }));
  } finally {
    tx?.dispose();
    tw?.dispose();
    tb?.dispose();
  }
}
