/**
 * Edge-aware design: depthwise-separable convolution blocks (a per-channel kxk depthwise conv followed by a
 * 1x1 pointwise conv, MobileNet style) and a small MobileNet-style MNIST model, with the same network built
 * from standard convolutions for side-by-side comparisons of size, MACs, latency and accuracy.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { MNIST_MEAN, MNIST_STD } from '../models/zoo';
import { registerWasmDepthwiseGradients } from './wasm-depthwise-grad';

type LayerT = tfl.LayersModel['layers'][number];

export interface BlockOptions {
  filters: number;
  /** Stride of the kxk conv; default 1. */
  stride?: number;
  /** Spatial kernel size; default 3. */
  kernelSize?: number;
  name: string;
  seed?: number;
}

function checkBlock(o: BlockOptions): void {
  for (const [k, v] of [['filters', o.filters], ['stride', o.stride ?? 1], ['kernelSize', o.kernelSize ?? 3]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`block '${o.name}': ${k} must be a positive whole number, got ${v}`);
  }
}

/**
 * A depthwise-separable block: DepthwiseConv2D(k x k, stride, ReLU) named `<name>_dw`, then a 1x1 Conv2D
 * (filters, ReLU) named `<name>_pw`. Parameters k²·c + c·f instead of k²·c·f.
 *
 * @example
 * const model = tf.sequential();
 * for (const layer of depthwiseSeparableBlock({ filters: 64, stride: 2, name: 'block1' })) model.add(layer);
 */
export function depthwiseSeparableBlock(o: BlockOptions): LayerT[] {
  checkBlock(o);
  const seed = o.seed ?? 0;
  return [
    tfl.layers.depthwiseConv2d({
      name: `${o.name}_dw`, kernelSize: o.kernelSize ?? 3, strides: o.stride ?? 1, padding: 'same', depthMultiplier: 1,
      activation: 'relu',
      // He initialisation with the true fan-in of a depthwise filter (k², reported by tfjs as the 'fan out'
      // of a [k, k, c, 1] kernel); Glorot would count k²·c inputs and shrink activations by ~c per block.
      depthwiseInitializer: tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed }),
    }),
    tfl.layers.conv2d({
      name: `${o.name}_pw`, filters: o.filters, kernelSize: 1, activation: 'relu',
      kernelInitializer: tfl.initializers.heNormal({ seed: seed + 1 }),
    }),
  ];
}

/**
 * The standard-convolution equivalent of a depthwise-separable block: one k x k Conv2D with the same stride,
 * filters and output shape.
 *
 * @example
 * const [conv] = standardConvBlock({ filters: 64, stride: 2, name: 'block1' });
 */
export function standardConvBlock(o: BlockOptions): LayerT[] {
  checkBlock(o);
  return [
    tfl.layers.conv2d({
      name: `${o.name}_conv`, filters: o.filters, kernelSize: o.kernelSize ?? 3, strides: o.stride ?? 1, padding: 'same',
      activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: o.seed ?? 0 }),
    }),
  ];
}

export interface EdgeModelOptions {
  seed?: number;
  /** Filters of the three stride-2 blocks; default [32, 64, 128]. */
  widths?: number[];
  /** Width multiplier (MobileNet's alpha) applied to the stem and every block; default 1. */
  alpha?: number;
  /** Filters of the standard 3x3 stem conv; default 16. */
  stem?: number;
}

function build(kind: 'separable' | 'standard', opts: EdgeModelOptions): tfl.Sequential {
  const alpha = opts.alpha ?? 1;
  if (!(alpha > 0)) throw new RangeError(`alpha (width multiplier) must be positive, got ${alpha}`);
  const width = (f: number) => Math.max(1, Math.round(f * alpha));
  // Depthwise layers can only train on wasm with these kernels; registering is idempotent.
  registerWasmDepthwiseGradients();
  const seed = (opts.seed ?? 0) * 1000;
  const model = tfl.sequential({ name: kind === 'separable' ? 'mobileNetMnist' : 'standardConvMnist' });
  model.add(tfl.layers.rescaling({ inputShape: [28, 28, 1], scale: 1 / MNIST_STD, offset: -MNIST_MEAN / MNIST_STD, name: 'normalize' }));
  model.add(tfl.layers.conv2d({ name: 'stem', filters: width(opts.stem ?? 16), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  (opts.widths ?? [32, 64, 128]).forEach((f, i) => {
    const block = kind === 'separable' ? depthwiseSeparableBlock : standardConvBlock;
    for (const layer of block({ filters: width(f), stride: 2, name: `block${i + 1}`, seed: seed + 10 * (i + 1) })) model.add(layer);
  });
  model.add(tfl.layers.globalAveragePooling2d({ name: 'pool' }));
  model.add(tfl.layers.dense({ name: 'logits', units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 99 }) }));
  return model;
}

/**
 * A small MobileNet-style MNIST model: 3x3 stem conv, three depthwise-separable stride-2 blocks
 * (28 -> 14 -> 7 -> 4), global average pooling, dense logits. Building it registers the wasm depthwise
 * gradient kernels, so it trains on every backend.
 *
 * @example
 * const model = mobileNetMnist({ seed: 1, alpha: 0.5 });
 */
export function mobileNetMnist(opts: EdgeModelOptions = {}): tfl.Sequential {
  return build('separable', opts);
}

/**
 * The same network as {@link mobileNetMnist} with standard 3x3 convolutions in place of the separable blocks.
 *
 * @example
 * const baseline = standardConvMnist({ seed: 1 });
 */
export function standardConvMnist(opts: EdgeModelOptions = {}): tfl.Sequential {
  return build('standard', opts);
}
