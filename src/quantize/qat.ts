/**
 * Quantization-aware training: fine-tunes the float ("shadow") weights while the forward pass uses their
 * fake-quantized values; the straight-through estimator passes gradients through the rounding unchanged
 * (and, for activations, zeroes them outside the clipping range). Per-layer weight quantization MSE is
 * recorded during training.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Dataset, imagesTensor } from '../data/dataset';
import { adam } from '../train/adam';
import { crossEntropy, learningRateAt } from '../train/train';
import { mulberry32, permutation } from '../util/random';
import { applySimpleLayer, calibrateActivations, describeModel, LayerInfo } from './model';
import { FLOAT32_EPS } from './scalar';
import { QParams, quantRange } from './qparams';

/**
 * Symmetric signed fake quantization of a weight tensor in tf ops, per output channel (last axis) or per
 * tensor, with scale = max|w| / ((qmax − qmin) / 2) recomputed from the current weights.
 *
 * @example
 * const wq = fakeQuantWeightTensor(kernel, 4, true);
 */
export function fakeQuantWeightTensor(w: tf.Tensor, bits: number, perChannel = true): tf.Tensor {
  const { qmin, qmax } = quantRange(bits, true);
  return tf.tidy(() => {
    const axes = perChannel ? w.shape.slice(0, -1).map((_, i) => i) : undefined;
    const amax = tf.max(tf.abs(w), axes);
    const scale = tf.maximum(tf.div(amax, (qmax - qmin) / 2), FLOAT32_EPS);
    return tf.mul(tf.clipByValue(tf.round(tf.div(w, scale)), qmin, qmax), scale);
  });
}

/**
 * Weight fake quant with the straight-through estimator: forward = fake-quantized weights, backward =
 * identity.
 *
 * @example
 * const wq = steFakeQuantWeight(kernelVariable, 4);
 */
export function steFakeQuantWeight(w: tf.Tensor, bits: number, perChannel = true): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor) => ({ value: fakeQuantWeightTensor(x, bits, perChannel), gradFunc: (dy: tf.Tensor) => dy })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(w);
}

/**
 * Activation fake quant with fixed (calibrated) parameters and a clipped straight-through estimator: the
 * gradient passes where the input lies inside the representable range, and is zero where it saturates.
 *
 * @example
 * const y = steFakeQuantActivation(x, acts.conv1);
 */
export function steFakeQuantActivation(x: tf.Tensor, qp: QParams): tf.Tensor {
  const s = qp.scale[0];
  const zp = qp.zeroPoint[0];
  const lo = (qp.qmin - zp) * s;
  const hi = (qp.qmax - zp) * s;
  const f = tf.customGrad(((t: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([t]);
    const value = tf.mul(tf.sub(tf.clipByValue(tf.add(tf.round(tf.mul(t, Math.fround(1 / s))), zp), qp.qmin, qp.qmax), zp), s);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const inside = tf.logicalAnd(tf.greaterEqual(saved[0], lo), tf.lessEqual(saved[0], hi));
        return tf.mul(dy, tf.cast(inside, 'float32'));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

export interface QatOptions {
  /** Weight bits (e.g. 4 or 8). */
  bits: number;
  /** Also fake-quantize activations at this width with ranges calibrated on the float model; default none. */
  activationBits?: number;
  perChannel?: boolean;
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate (cosine-decayed); default 5e-4. */
  learningRate?: number;
  seed?: number;
  /** Record per-layer weight MSE every this many steps (default 20). */
  traceEvery?: number;
  onStep?: (step: number, loss: number) => void;
}

export interface QatResult {
  /** Steps at which the MSE trace was recorded. */
  trace: { steps: number[]; mse: Record<string, number[]> };
  losses: number[];
  seconds: number;
  /** Activation parameters used during QAT (when activationBits was set). */
  activations?: Record<string, QParams>;
}

interface LayerVars {
  info: LayerInfo;
  kernel?: tf.Variable;
  bias?: tf.Variable;
}

function layerVariables(model: tfl.LayersModel): LayerVars[] {
  const infos = describeModel(model);
  return model.layers.map((layer, i) => {
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    return { info: infos[i], kernel: vars[0], bias: vars[1] };
  });
}

/** Forward pass with STE fake quant (weights, and activations when given). */
function qatForward(layers: LayerVars[], x: tf.Tensor, bits: number, perChannel: boolean, acts?: Record<string, QParams>): tf.Tensor2D {
  let y = x;
  for (const l of layers) {
    if (l.info.kind === 'conv2d' || l.info.kind === 'dense') {
      const k = steFakeQuantWeight(l.kernel!, bits, perChannel);
      y = l.info.kind === 'conv2d' ? tf.conv2d(y as tf.Tensor4D, k as tf.Tensor4D, l.info.strides!, l.info.padding!) : tf.matMul(y as tf.Tensor2D, k as tf.Tensor2D);
      if (l.bias) y = tf.add(y, l.bias);
      if (l.info.activation === 'relu') y = tf.relu(y);
    } else y = applySimpleLayer(l.info, y);
    const aq = acts?.[l.info.name];
    if (aq) y = steFakeQuantActivation(y, aq);
  }
  return y as tf.Tensor2D;
}

/**
 * Quantization-aware fine-tuning of `model` in place (its float weights move; quantize them afterwards with
 * `buildPtqPlan` to get the deployable integers).
 *
 * @example
 * const r = await quantizationAwareTraining(model, train, { bits: 4, epochs: 1 });
 * const plan = await buildPtqPlan(model, { bits: 4 });
 */
export async function quantizationAwareTraining(model: tfl.LayersModel, data: Dataset, opts: QatOptions): Promise<QatResult> {
  if (data.count === 0) throw new RangeError('cannot train on an empty dataset');
  quantRange(opts.bits, true);
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 64;
  const perChannel = opts.perChannel ?? true;
  const traceEvery = opts.traceEvery ?? 20;
  const acts = opts.activationBits ? await calibrateActivations(model, data, { bits: opts.activationBits, limit: 1000 }) : undefined;
  const layers = layerVariables(model);
  const variables = layers.flatMap((l) => [l.kernel, l.bias]).filter((v): v is tf.Variable => !!v);
  const quantLayers = layers.filter((l) => l.kernel && (l.info.kind === 'conv2d' || l.info.kind === 'dense'));
  const baseLr = opts.learningRate ?? 5e-4;
  const optimizer = adam(baseLr); // the fused one-kernel update where the native addon runs, else tfjs's Adam
  const random = mulberry32(opts.seed ?? 0);
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const total = stepsPerEpoch * epochs;
  const trace: QatResult['trace'] = { steps: [], mse: Object.fromEntries(quantLayers.map((l) => [l.info.name, []])) };
  const losses: number[] = [];
  const record = (step: number) => {
    trace.steps.push(step);
    for (const l of quantLayers) {
      const m = tf.tidy(() => tf.mean(tf.square(tf.sub(fakeQuantWeightTensor(l.kernel!, opts.bits, perChannel), l.kernel!))));
      trace.mse[l.info.name].push(m.dataSync()[0]);
      m.dispose();
    }
  };
  const start = performance.now();
  const allImages = imagesTensor(data);
  const allLabels = tf.tensor1d(data.labels, 'int32');
  let step = 0;
  try {
    record(0);
    for (let e = 0; e < epochs; e++) {
      const order = permutation(data.count, random);
      for (let s = 0; s < stepsPerEpoch; s++) {
        (optimizer as unknown as { learningRate: number }).learningRate = learningRateAt(baseLr, 'cosine', step, total);
        const idx = tf.tensor1d(order.subarray(s * batchSize, Math.min((s + 1) * batchSize, data.count)), 'int32');
        const loss = tf.tidy(() => {
          const xs = tf.gather(allImages, idx);
          const ys = tf.gather(allLabels, idx) as tf.Tensor1D;
          return optimizer.minimize(() => crossEntropy(qatForward(layers, xs, opts.bits, perChannel, acts), ys), true, variables) as tf.Scalar;
        });
        idx.dispose();
        const lv = (await loss.data())[0];
        loss.dispose();
        losses.push(lv);
        step++;
        opts.onStep?.(step, lv);
        if (step % traceEvery === 0 || step === total) record(step);
      }
    }
  } finally {
    allImages.dispose();
    allLabels.dispose();
    optimizer.dispose();
  }
  const result: QatResult = { trace, losses, seconds: (performance.now() - start) / 1000 };
  if (acts) result.activations = acts;
  return result;
}
