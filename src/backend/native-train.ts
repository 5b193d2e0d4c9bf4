/**
 * A whole training step of a Sequential image model (forward, softmax cross-entropy, backward, Adam) as a
 * short list of native addon calls on preallocated buffers. On tfjs's tape a LeNet-5 step at batch 64 is about
 * 140 kernel launches, each with its tensor bookkeeping, and much of the step is spent outside the kernels; this
 * plan runs the same addon kernels (src/backend/native-kernels.ts: oneDNN convolutions and their gradients,
 * matmul, max-pool and its gradient, the bias gradient, the fused ReLU gradient and Adam) with none of that.
 * The plan keeps its own copies of the weights and Adam's moments; `writeBack` puts the weights in the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { NativeAddon } from './native';
import { geometry, poolGeometry } from './native-kernels';
import { activationOf, image, pair, planTarget, PlannedLayer, size, Unsupported, type Shape } from './native-forward';
import { adamCoefficients } from '../train/adam';
import type { PlanAdam, StepResult, TrainPlan } from '../train/train-plan';

/** One trainable tensor: the plan's copy of its value, its gradient and Adam's moments. */
interface Param {
  variable: tf.Variable;
  value: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** A layer's forward and backward pass for one batch size. */
interface Pass {
  /** Reads `src`, writes the layer's output `dst` (kept for the backward pass). */
  forward(addon: NativeAddon, src: Float32Array, dst: Float32Array): void;
  /**
   * Given the loss gradient `dDst` of the output (which it may overwrite), fills the layer's parameter
   * gradients and, unless `dSrc` is null, the gradient of its input.
   */
  backward(addon: NativeAddon, src: Float32Array, dst: Float32Array, dDst: Float32Array, dSrc: Float32Array | null): void;
}

interface Layer {
  out: Shape;
  params: Param[];
  prepare(batch: number): Pass;
}

interface TrainableLayer extends PlannedLayer {
  trainableWeights: { val: tf.Variable }[];
  weights: unknown[];
}

/** The layer's trainable tensors, without their buffers yet (`placeParams` puts them in the plan's flat arrays). */
function paramsOf(layer: TrainableLayer, name: string): Param[] {
  if (layer.trainableWeights.length !== layer.weights.length) throw new Unsupported(`${name} has frozen weights`);
  const none = new Float32Array(0);
  return layer.trainableWeights.map(({ val }) => {
    if (val.dtype !== 'float32') throw new Unsupported(`${name}: ${val.dtype} weights`);
    return { variable: val, value: none, grad: none, m: none, v: none };
  });
}

/** Every parameter's value, gradient and moments as consecutive slices of four arrays, so Adam is one call per step. */
function placeParams(params: Param[]): { value: Float32Array; grad: Float32Array; m: Float32Array; v: Float32Array } {
  const total = params.reduce((n, p) => n + p.variable.size, 0);
  const flat = { value: new Float32Array(total), grad: new Float32Array(total), m: new Float32Array(total), v: new Float32Array(total) };
  let offset = 0;
  for (const p of params) {
    const end = offset + p.variable.size;
    p.value = flat.value.subarray(offset, end);
    p.grad = flat.grad.subarray(offset, end);
    p.m = flat.m.subarray(offset, end);
    p.v = flat.v.subarray(offset, end);
    offset = end;
  }
  return flat;
}

/** The ReLU gradient in place on `dy`, from the layer's output y (y > 0 exactly where its input was). */
function reluBackward(addon: NativeAddon, act: number, dy: Float32Array, y: Float32Array): void {
  if (act === 1) addon.reluGrad(dy, y, dy, dy.length);
}

function trainingActivation(config: Record<string, unknown>, name: string): 0 | 1 {
  const act = activationOf(config, name);
  if (act === 2) throw new Unsupported(`${name}: relu6 (the plan's ReLU gradient is plain ReLU's)`);
  return act;
}

/** The plan's layer for a tfjs-layers layer, given its input shape (one image); null for layers that change nothing. */
function layerFor(layer: TrainableLayer, inShape: Shape): Layer | null {
  const kind = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const name = `${kind} ${layer.name}`;
  switch (kind) {
    case 'InputLayer':
      return null;
    case 'Dropout':
      if (Number(config.rate) > 0) throw new Unsupported(`${name}: dropout at rate ${config.rate} (the plan draws no masks)`);
      return null;
    case 'Rescaling': {
      const scale = Math.fround(Number(config.scale));
      const offset = Math.fround(Number(config.offset ?? 0));
      return {
        out: inShape,
        params: [],
        prepare: () => ({
          forward: (_addon, src, dst) => {
            for (let i = 0; i < dst.length; i++) dst[i] = Math.fround(src[i] * scale) + offset;
          },
          backward: (_addon, _src, _dst, dDst, dSrc) => {
            if (dSrc) for (let i = 0; i < dSrc.length; i++) dSrc[i] = Math.fround(dDst[i] * scale);
          },
        }),
      };
    }
    case 'Conv2D': {
      const [h, w, c] = image(inShape, name);
      if (config.dataFormat !== 'channelsLast') throw new Unsupported(`${name}: ${config.dataFormat}`);
      const dilation = pair(config.dilationRate);
      if (dilation[0] !== 1 || dilation[1] !== 1) throw new Unsupported(`${name}: dilation ${dilation.join('x')} (tfjs has no gradient for it either)`);
      const params = paramsOf(layer, name);
      const [kernel, bias] = params;
      const [kh, kw] = pair(config.kernelSize);
      const filters = Number(config.filters);
      const act = trainingActivation(config, name);
      const info = (batch: number) =>
        backend_util.computeConv2DInfo([batch, h, w, c], [kh, kw, c, filters], pair(config.strides), 1, config.padding as 'same' | 'valid');
      const one = info(1);
      return {
        out: [one.outHeight, one.outWidth, filters],
        params,
        prepare: (batch) => {
          const g = geometry(info(batch));
          const rows = batch * one.outHeight * one.outWidth;
          return {
            forward: (addon, src, dst) => {
              addon.conv2dForward(src, kernel.value, dst, g);
              if (bias || act) addon.biasActivation(dst, bias ? bias.value : new Float32Array(0), rows, filters, act);
            },
            backward: (addon, src, dst, dDst, dSrc) => {
              reluBackward(addon, act, dDst, dst);
              if (bias) addon.sumLeading(dDst, bias.grad, rows, filters);
              addon.conv2dBackwardFilter(src, dDst, kernel.grad, g);
              if (dSrc) addon.conv2dBackwardData(dDst, kernel.value, dSrc, g);
            },
          };
        },
      };
    }
    case 'MaxPooling2D': {
      const [h, w, c] = image(inShape, name);
      if (config.dataFormat !== 'channelsLast') throw new Unsupported(`${name}: ${config.dataFormat}`);
      const info = (batch: number) =>
        backend_util.computePool2DInfo([batch, h, w, c], pair(config.poolSize), pair(config.strides ?? config.poolSize), 1, config.padding as 'same' | 'valid');
      const one = info(1);
      return {
        out: [one.outHeight, one.outWidth, c],
        params: [],
        prepare: (batch) => {
          const g = poolGeometry(info(batch));
          return {
            forward: (addon, src, dst) => addon.maxPool(src, dst, g),
            backward: (addon, src, _dst, dDst, dSrc) => {
              if (dSrc) addon.maxPoolGrad(src, dDst, dSrc, g);
            },
          };
        },
      };
    }
    case 'Dense': {
      if (typeof inShape !== 'number') throw new Unsupported(`${name} on a rank-4 input`);
      const params = paramsOf(layer, name);
      const [kernel, bias] = params;
      const units = Number(config.units);
      const act = trainingActivation(config, name);
      return {
        out: units,
        params,
        prepare: (batch) => {
          const forward = Int32Array.from([1, 1, batch, units, inShape, 0, 0]);
          const kernelGrad = Int32Array.from([1, 1, inShape, units, batch, 1, 0]); // x^T dy
          const inputGrad = Int32Array.from([1, 1, batch, inShape, units, 0, 1]); // dy K^T
          return {
            forward: (addon, src, dst) => {
              addon.matmul(src, kernel.value, dst, forward);
              if (bias || act) addon.biasActivation(dst, bias ? bias.value : new Float32Array(0), batch, units, act);
            },
            backward: (addon, src, dst, dDst, dSrc) => {
              reluBackward(addon, act, dDst, dst);
              if (bias) addon.sumLeading(dDst, bias.grad, batch, units);
              addon.matmul(src, dDst, kernel.grad, kernelGrad);
              if (dSrc) addon.matmul(dDst, kernel.value, dSrc, inputGrad);
            },
          };
        },
      };
    }
    case 'ReLU':
    case 'Activation': {
      const act = kind === 'ReLU' ? (config.maxValue == null ? 1 : null) : trainingActivation(config, name);
      if (act === null) throw new Unsupported(`${name}: maxValue ${config.maxValue}`);
      return {
        out: inShape,
        params: [],
        prepare: () => ({
          forward: (addon, src, dst) => {
            dst.set(src);
            if (act) addon.biasActivation(dst, new Float32Array(0), dst.length, 1, act);
          },
          backward: (addon, _src, dst, dDst, dSrc) => {
            reluBackward(addon, act, dDst, dst);
            dSrc?.set(dDst);
          },
        }),
      };
    }
    default:
      throw new Unsupported(name);
  }
}

/**
 * Softmax cross-entropy of logits [n, classes] against labels: the batch's mean loss and hits, and the mean
 * loss's gradient written into `grad` (softmax minus one-hot, over n).
 */
function softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, n: number, classes: number, grad: Float32Array, scale: number): StepResult {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[row + c] > logits[row + best]) best = c;
    const max = logits[row + best];
    let z = 0;
    for (let c = 0; c < classes; c++) z += Math.exp(logits[row + c] - max);
    const label = labels[i];
    loss += Math.log(z) + max - logits[row + label];
    if (best === label) correct++;
    for (let c = 0; c < classes; c++) grad[row + c] = Math.fround(((Math.exp(logits[row + c] - max) / z - (c === label ? 1 : 0)) * scale) / n);
  }
  return { loss: loss / n, correct };
}

/** Why `compileNativeTraining` returned null for a model, or '' when it did not. */
export let nativeTrainingRefusal = '';

/**
 * The model's training step as a native plan, or null when the native kernels are not in use or the model has
 * a layer the plan does not cover (`nativeTrainingRefusal` says which). Covers Sequential models of Rescaling,
 * Conv2D, MaxPooling2D, Flatten, Dense, Dropout at rate 0 and ReLU/linear activations, channels last, all
 * weights trainable, ending in a vector of class scores.
 *
 * @example
 * const plan = compileNativeTraining(lenet5({ seed: 1 }), 64, { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
 * plan?.step(images, labels, 64, 1e-3); // { loss, correct }; plan.writeBack() puts the weights in the model
 */
export function compileNativeTraining(model: LayersModel, batchSize: number, settings: PlanAdam): TrainPlan | null {
  const refuse = (why: string) => {
    nativeTrainingRefusal = why;
    return null;
  };
  const target = planTarget(model);
  if (typeof target === 'string') return refuse(target);
  const { addon, inputShape } = target;
  const layers: Layer[] = [];
  let shape: Shape = inputShape;
  try {
    for (const layer of model.layers) {
      if (layer.getClassName() === 'Flatten') {
        shape = size(shape); // NHWC rows are already in Flatten's order
        continue;
      }
      const planned = layerFor(layer as unknown as TrainableLayer, shape);
      if (!planned) continue;
      layers.push(planned);
      shape = planned.out;
    }
  } catch (e) {
    if (e instanceof Unsupported) return refuse(e.message);
    throw e;
  }
  if (typeof shape !== 'number') return refuse('the output is not a vector of class scores');
  const params = layers.flatMap((l) => l.params);
  if (params.length !== model.trainableWeights.length || params.length === 0) return refuse('trainable weights outside the planned layers');
  const flat = placeParams(params);
  const classes = shape;
  const inputSize = size(inputShape);
  // a layer needs its input's gradient only when a layer before it has parameters
  const needsInputGrad = layers.map((_, i) => layers.slice(0, i).some((l) => l.params.length > 0));
  const largest = Math.max(inputSize, ...layers.map((l) => size(l.out)));
  const outputs = layers.map((l) => new Float32Array(batchSize * size(l.out)));
  const grads = [new Float32Array(batchSize * largest), new Float32Array(batchSize * largest)];
  const passes = new Map<number, Pass[]>();
  const beta1 = Math.fround(settings.beta1);
  const beta2 = Math.fround(settings.beta2);
  let acc1 = beta1;
  let acc2 = beta2;

  const readWeights = () => {
    for (const p of params) p.value.set(p.variable.dataSync() as Float32Array);
  };
  readWeights();
  nativeTrainingRefusal = '';
  const computeGradients = (images: Float32Array, labels: Int32Array, n: number, scale = 1): StepResult => {
    if (!Number.isInteger(n) || n < 1 || n > batchSize) throw new RangeError(`batch must be a whole number in [1, ${batchSize}], got ${n}`);
    if (images.length < n * inputSize) throw new RangeError(`${n} images of ${inputShape.join('x')} need ${n * inputSize} values, got ${images.length}`);
    if (labels.length < n) throw new RangeError(`${n} images need ${n} labels, got ${labels.length}`);
    let batch = passes.get(n);
    if (!batch) {
      batch = layers.map((l) => l.prepare(n));
      passes.set(n, batch);
    }
    const inputOf = (i: number) => (i === 0 ? images.subarray(0, n * inputSize) : outputs[i - 1].subarray(0, n * size(layers[i - 1].out)));
    const outputOf = (i: number) => outputs[i].subarray(0, n * size(layers[i].out));
    for (let i = 0; i < layers.length; i++) batch[i].forward(addon, inputOf(i), outputOf(i));
    let dOut = grads[0].subarray(0, n * classes);
    const result = softmaxCrossEntropy(outputOf(layers.length - 1), labels, n, classes, dOut, scale);
    let next = 1;
    for (let i = layers.length - 1; i >= 0; i--) {
      const dSrc = needsInputGrad[i] ? grads[next].subarray(0, n * (i === 0 ? inputSize : size(layers[i - 1].out))) : null;
      batch[i].backward(addon, inputOf(i), outputOf(i), dOut, dSrc);
      if (!dSrc) break; // nothing before this layer has parameters
      dOut = dSrc;
      next ^= 1;
    }
    return result;
  };
  const applyGradients = (learningRate: number) => {
    const coefficients = adamCoefficients(acc1, acc2, beta1, beta2, settings.epsilon, learningRate);
    addon.adamStep(flat.value, flat.grad, flat.m, flat.v, flat.value, coefficients);
    acc1 = Math.fround(acc1 * beta1);
    acc2 = Math.fround(acc2 * beta2);
  };
  return {
    step(images, labels, n, learningRate) {
      const result = computeGradients(images, labels, n);
      applyGradients(learningRate);
      return result;
    },
    computeGradients,
    applyGradients,
    gradients: () => params.map((p) => p.grad),
    writeBack() {
      tf.tidy(() => {
        for (const p of params) p.variable.assign(tf.tensor(p.value.slice(), p.variable.shape, 'float32'));
      });
    },
    readWeights,
  };
}
