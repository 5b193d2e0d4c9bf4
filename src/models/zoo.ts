/**
 * The course's model zoo. Every model takes [n, 28, 28, 1] images with pixels in [0, 1], normalises them
 * inside the model (so no caller can forget), and outputs logits (no softmax) from a layer named 'logits'.
 * Initialisers are seeded, so the same seed gives the same starting weights.
 */
import * as tf from '@tensorflow/tfjs-layers';
import { tinyGpt } from '../transformer/model';

/** MNIST mean and standard deviation of the pixel intensities in [0, 1]. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export interface ModelOptions {
  seed?: number;
  inputShape?: [number, number, number];
  numClasses?: number;
}

export type ZooName = 'lenet5' | 'mnistCnn' | 'mlp' | 'cnnSmall';

function seeds(seed: number) {
  let next = seed * 1000;
  return () => tf.initializers.glorotUniform({ seed: next++ });
}

function normalize(inputShape: [number, number, number]) {
  return tf.layers.rescaling({ inputShape, scale: 1 / MNIST_STD, offset: -MNIST_MEAN / MNIST_STD, name: 'normalize' });
}

/**
 * LeNet-5 (modern form: ReLU, max-pooling): conv5x5 6 (same) - pool - conv5x5 16 - pool - 120 - 84 - 10.
 *
 * @example
 * const model = lenet5({ seed: 1 });
 */
export function lenet5(opts: ModelOptions = {}): tf.Sequential {
  const init = seeds(opts.seed ?? 0);
  const model = tf.sequential({ name: 'lenet5' });
  model.add(normalize(opts.inputShape ?? [28, 28, 1]));
  model.add(tf.layers.conv2d({ name: 'conv1', filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 120, activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.dense({ name: 'fc2', units: 84, activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.dense({ name: 'logits', units: opts.numClasses ?? 10, kernelInitializer: init() }));
  return model;
}

/**
 * The BitOptimizer4ML case-study CNN: three conv3x3 layers (32, 64, 128 filters), each with ReLU and a 2x2
 * max-pool, then dense 2048 -> 625 -> 10. Pools use 'same' padding, so 28 -> 14 -> 7 -> 4 and 4*4*128 = 2048.
 *
 * @example
 * const model = mnistCnn({ seed: 1 });
 */
export function mnistCnn(opts: ModelOptions = {}): tf.Sequential {
  const init = seeds(opts.seed ?? 0);
  const model = tf.sequential({ name: 'mnistCnn' });
  model.add(normalize(opts.inputShape ?? [28, 28, 1]));
  [32, 64, 128].forEach((filters, i) => {
    model.add(tf.layers.conv2d({ name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() }));
    model.add(tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2, padding: 'same' }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 625, activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.dense({ name: 'logits', units: opts.numClasses ?? 10, kernelInitializer: init() }));
  return model;
}

/** The Conv32-Conv64-Dense128 CNN used as a training-speed reference (valid convs, one pool). */
export function cnnSmall(opts: ModelOptions = {}): tf.Sequential {
  const init = seeds(opts.seed ?? 0);
  const model = tf.sequential({ name: 'cnnSmall' });
  model.add(normalize(opts.inputShape ?? [28, 28, 1]));
  model.add(tf.layers.conv2d({ name: 'conv1', filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 128, activation: 'relu', kernelInitializer: init() }));
  model.add(tf.layers.dense({ name: 'logits', units: opts.numClasses ?? 10, kernelInitializer: init() }));
  return model;
}

export interface MlpOptions extends ModelOptions {
  /** Hidden layer widths; default [256, 128]. */
  hidden?: number[];
}

/**
 * A multi-layer perceptron on the flattened image.
 *
 * @example
 * const model = mlp({ hidden: [512, 256], seed: 3 });
 */
export function mlp(opts: MlpOptions = {}): tf.Sequential {
  const init = seeds(opts.seed ?? 0);
  const model = tf.sequential({ name: 'mlp' });
  model.add(normalize(opts.inputShape ?? [28, 28, 1]));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  (opts.hidden ?? [256, 128]).forEach((units, i) => {
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`mlp: hidden layer ${i} width must be a positive whole number, got ${units}`);
    model.add(tf.layers.dense({ name: `fc${i + 1}`, units, activation: 'relu', kernelInitializer: init() }));
  });
  model.add(tf.layers.dense({ name: 'logits', units: opts.numClasses ?? 10, kernelInitializer: init() }));
  return model;
}

export const ZOO: Record<ZooName, (opts?: ModelOptions) => tf.Sequential> = { lenet5, mnistCnn, mlp, cnnSmall };

/**
 * The zoo's language models (token ids in, logits out; not tfjs-layers models, so not in ZOO or createModel):
 * tinyGpt, the decoder-only character transformer of src/transformer.
 */
export const LANGUAGE_ZOO = { tinyGpt } as const;
export type LanguageZooName = keyof typeof LANGUAGE_ZOO;

/** Builds a zoo model by name, with a clear error for unknown names. */
export function createModel(name: string, opts: ModelOptions = {}): tf.Sequential {
  const make = (ZOO as Record<string, (o?: ModelOptions) => tf.Sequential>)[name];
  if (!make) throw new RangeError(`unknown model '${name}'; the zoo has ${Object.keys(ZOO).join(', ')}`);
  return make(opts);
}
