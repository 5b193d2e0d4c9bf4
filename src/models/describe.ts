/**
 * The one place that reads a tfjs-layers layer: its class, its config with the fields the techniques use
 * normalised (kernel size, strides, pool size, dilation as [h, w] pairs; padding, activation, bias flag,
 * data format), its shapes and its weight tensors. Quantization, pruning surgery, the model summary and the
 * ONNX / TFLite exporters all read layers through `describeLayer`, so a config quirk is handled once.
 * Isomorphic.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** What a layer does, by its tfjs class; 'other' for classes no technique knows. */
export type LayerClassKind =
  | 'input'
  | 'dropout'
  | 'rescaling'
  | 'conv2d'
  | 'depthwise'
  | 'separable'
  | 'dense'
  | 'maxpool'
  | 'avgpool'
  | 'globalavgpool'
  | 'globalmaxpool'
  | 'flatten'
  | 'relu'
  | 'activation'
  | 'batchnorm'
  | 'other';

const KINDS: Record<string, LayerClassKind> = {
  InputLayer: 'input',
  Dropout: 'dropout',
  SpatialDropout1D: 'dropout',
  Rescaling: 'rescaling',
  Conv2D: 'conv2d',
  DepthwiseConv2D: 'depthwise',
  SeparableConv2D: 'separable',
  Dense: 'dense',
  MaxPooling2D: 'maxpool',
  AveragePooling2D: 'avgpool',
  GlobalAveragePooling2D: 'globalavgpool',
  GlobalMaxPooling2D: 'globalmaxpool',
  Flatten: 'flatten',
  ReLU: 'relu',
  Activation: 'activation',
  BatchNormalization: 'batchnorm',
};

/**
 * The tfjs class name of a layer (e.g. 'Conv2D'), without reading its config or weights.
 *
 * @example
 * layerClassName(lenet5().getLayer('conv1')); // 'Conv2D'
 */
export function layerClassName(layer: tfl.layers.Layer): string {
  return layer.getClassName();
}

/**
 * What a layer does, by its tfjs class ('other' for classes no technique knows); cheaper than `describeLayer`.
 *
 * @example
 * layerKind(lenet5().getLayer('pool1')); // 'maxpool'
 */
export function layerKind(layer: tfl.layers.Layer): LayerClassKind {
  return KINDS[layerClassName(layer)] ?? 'other';
}

/** Plain description of one layer. Pairs are [height, width]. */
export interface LayerDescription {
  name: string;
  /** The tfjs class name, e.g. 'Conv2D'. */
  className: string;
  kind: LayerClassKind;
  /** The layer's config as tfjs serialises it (for fields not normalised here). */
  config: Record<string, unknown>;
  /** Convolutions: the kernel size (default 3x3). */
  kernelSize?: [number, number];
  /** Pooling: the window (default 2x2). */
  poolSize?: [number, number];
  /** Convolutions: `strides` (default 1); pooling: `strides`, else the pool size, else 2. */
  strides?: [number, number];
  /** Convolutions: the dilation rate (default 1). */
  dilation?: [number, number];
  /** The config's padding ('valid' when absent); other values are kept so callers can refuse them. */
  padding: string;
  /** The config's activation ('linear' when absent). */
  activation: string;
  /** False only when the config says `useBias: false`. */
  useBias: boolean;
  /** The config says `dataFormat: 'channelsFirst'`. */
  channelsFirst: boolean;
  /** ReLU layers: no max value, negative slope or threshold (a plain max(x, 0)). */
  plainRelu?: boolean;
  /** Batch norm: the normalised axis as the config gives it (default -1) and epsilon (default 1e-3). */
  axis?: number | number[];
  epsilon?: number;
  /** Rescaling: y = x · scale + offset. */
  scale?: number;
  offset?: number;
  /** The layer's weight tensors, in tfjs order (kernel, bias, ...). The layer's own variables: do not dispose. */
  weights: Tensor[];
  /** Input and output shape without the batch axis (unknown sizes as 1); absent on a layer never called. */
  inputShape?: number[];
  outputShape?: number[];
  /** Number of parameters (trainable and not); 0 on a layer not built yet. */
  params: number;
}

/**
 * A [h, w] pair from a tfjs config value: an array ([h, w] or [n]), a number, or the fallback.
 *
 * @example
 * configPair([3, 5], 1); // [3, 5]
 * configPair(2, 1);      // [2, 2]
 * configPair(undefined, 1); // [1, 1]
 */
export function configPair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

/** A shape without its batch axis, unknown sizes as 1 (the first shape of a multi-output layer). */
function withoutBatch(s: unknown): number[] {
  const shape = (Array.isArray((s as unknown[])[0]) ? (s as unknown[][])[0] : s) as (number | null)[];
  return shape.slice(1).map((d) => d ?? 1);
}

/** A shape getter of tfjs that throws on a layer never called; undefined then. */
function shapeOrUndefined(read: () => unknown): number[] | undefined {
  try {
    return withoutBatch(read());
  } catch {
    return undefined;
  }
}

/**
 * Describes one tfjs-layers layer.
 *
 * @example
 * const d = describeLayer(lenet5().getLayer('conv1'));
 * // { name: 'conv1', className: 'Conv2D', kind: 'conv2d', kernelSize: [5, 5], strides: [1, 1], dilation: [1, 1],
 * //   padding: 'same', activation: 'relu', useBias: true, weights: [kernel [5, 5, 1, 6], bias [6]], outputShape: [28, 28, 6], ... }
 */
export function describeLayer(layer: tfl.layers.Layer): LayerDescription {
  const className = layerClassName(layer);
  const kind = layerKind(layer);
  const cfg = layer.getConfig() as Record<string, unknown>;
  const d: LayerDescription = {
    name: layer.name,
    className,
    kind,
    config: cfg,
    padding: String(cfg.padding ?? 'valid'),
    activation: String(cfg.activation ?? 'linear'),
    useBias: cfg.useBias !== false,
    channelsFirst: cfg.dataFormat === 'channelsFirst',
    weights: layer.getWeights(),
    inputShape: shapeOrUndefined(() => (layer.input as unknown as { shape: unknown }).shape),
    outputShape: shapeOrUndefined(() => layer.outputShape),
    params: layer.built ? layer.countParams() : 0,
  };
  if (kind === 'conv2d' || kind === 'depthwise' || kind === 'separable') {
    d.kernelSize = configPair(cfg.kernelSize, 3);
    d.strides = configPair(cfg.strides, 1);
    d.dilation = configPair(cfg.dilationRate ?? cfg.dilation_rate, 1);
  } else if (kind === 'maxpool' || kind === 'avgpool') {
    d.poolSize = configPair(cfg.poolSize, 2);
    d.strides = configPair(cfg.strides ?? cfg.poolSize, 2);
  } else if (kind === 'relu') {
    d.plainRelu = cfg.maxValue == null && Number(cfg.negativeSlope ?? 0) === 0 && Number(cfg.threshold ?? 0) === 0;
  } else if (kind === 'batchnorm') {
    d.axis = (cfg.axis as number | number[] | undefined) ?? -1;
    d.epsilon = Number(cfg.epsilon ?? 1e-3);
  } else if (kind === 'rescaling') {
    d.scale = Number(cfg.scale);
    d.offset = Number(cfg.offset ?? 0);
  }
  return d;
}

/**
 * Describes every layer of a model, in order.
 *
 * @example
 * describeLayers(lenet5()).map((d) => `${d.name}:${d.kind}`); // ['normalize:rescaling', 'conv1:conv2d', 'pool1:maxpool', ...]
 */
export function describeLayers(model: tfl.LayersModel): LayerDescription[] {
  return model.layers.map(describeLayer);
}
