/**
 * The library's fast path for training steps: a backend may provide a compiler that turns a model into a
 * plan of its own kernels for one Adam step under softmax cross-entropy (src/backend/native-train.ts on the
 * native addon). `train` uses a plan when there is one and its loss is the default, tfjs's tape otherwise.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** The loss and hits of one training step. */
export interface StepResult {
  /** Mean softmax cross-entropy of the batch, before the update. */
  loss: number;
  /** Images of the batch whose largest logit was their label, before the update. */
  correct: number;
}

/**
 * One model's training, compiled: the plan holds copies of the trainable weights and Adam's moments, so the
 * model's own weights are stale until `writeBack`.
 */
export interface TrainPlan {
  /**
   * One Adam step on `n` images (NHWC, `n * h * w * c` values) with their labels, at `learningRate`.
   * The step count for Adam's bias correction is the plan's own (1 on the first call).
   */
  step(images: Float32Array, labels: Int32Array, n: number, learningRate: number): StepResult;
  /**
   * The gradients of `scale` x the batch's mean loss, into `gradients()` (no update): what a data-parallel
   * worker computes on its share of a batch.
   */
  computeGradients(images: Float32Array, labels: Int32Array, n: number, scale?: number): StepResult;
  /** One Adam step with the gradients now in `gradients()`. */
  applyGradients(learningRate: number): void;
  /** The gradient buffers, one per trainable weight in the model's order (`model.trainableWeights`). */
  gradients(): Float32Array[];
  /** Copies the plan's weights into the model's variables. */
  writeBack(): void;
  /** Re-reads the model's variables (after something else, e.g. a pruning mask, changed them). */
  readWeights(): void;
}

/** Adam's settings for a plan (tfjs's: beta1 0.9, beta2 0.999, epsilon the backend's). */
export interface PlanAdam {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** `batchSize` is the largest batch `step` will be given. */
export type TrainCompiler = (model: LayersModel, batchSize: number, adam: PlanAdam) => TrainPlan | null;

let compiler: TrainCompiler | null = null;

/**
 * Installs (or, with null, removes) the backend's training compiler; initBackend does this for the native addon.
 *
 * @example
 * useTrainCompiler(null); // train() on tfjs's tape from here on
 */
export function useTrainCompiler(c: TrainCompiler | null): void {
  compiler = c;
}

/** The installed training compiler, or null. */
export function trainCompiler(): TrainCompiler | null {
  return compiler;
}

/**
 * A training plan for `model`, or null (no compiler installed, or it does not cover the model).
 *
 * @example
 * const plan = planTraining(model, 64, { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
 */
export function planTraining(model: LayersModel, batchSize: number, adam: PlanAdam): TrainPlan | null {
  return compiler ? compiler(model, batchSize, adam) : null;
}
