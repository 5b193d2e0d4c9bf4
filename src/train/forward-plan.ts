/**
 * The library's fast path for forward passes of image models: a backend may provide a compiler that turns a
 * model into a plan of its own kernels (src/backend/native-forward.ts on the native addon). predictLogits,
 * and so evaluate, use a plan when there is one and model.predict otherwise.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** A compiled forward pass: NHWC images in, the model's outputs (one row per image) out. */
export interface ForwardPlan {
  /** [height, width, channels] of one input image. */
  readonly inputShape: readonly [number, number, number];
  /** Values per image in the output. */
  readonly outputSize: number;
  /**
   * Runs `batch` images (`batch * h * w * c` values, NHWC) and returns their outputs ([batch, outputSize],
   * row-major). The returned array may be the plan's own buffer for that batch size: copy it to keep it past
   * the next call with the same batch size.
   */
  run(images: Float32Array, batch: number): Float32Array;
}

export type ForwardCompiler = (model: LayersModel) => ForwardPlan | null;

let compiler: ForwardCompiler | null = null;

/**
 * Installs (or, with null, removes) the backend's forward compiler; initBackend does this for the native addon.
 *
 * @example
 * useForwardCompiler(compileNativeForward);
 */
export function useForwardCompiler(c: ForwardCompiler | null): void {
  compiler = c;
}

/**
 * A plan of the model's forward pass with the model's current weights, or null (no compiler installed, or it
 * does not cover the model). Make a new plan after the weights change.
 *
 * @example
 * const plan = planForward(model);
 * const logits = plan ? plan.run(images, 16) : null;
 */
export function planForward(model: LayersModel): ForwardPlan | null {
  return compiler ? compiler(model) : null;
}

const plans = new WeakMap<LayersModel, { compiler: ForwardCompiler; weights: object[]; plan: ForwardPlan | null }>();

/**
 * planForward, compiled once and reused while the model holds the same weight tensors (training, pruning and
 * setWeights all assign new tensors, which makes a new plan). A plan copies the weights when it is made, so
 * this saves that copy on every call of predictLogits/evaluate with an unchanged model.
 *
 * @example
 * const plan = currentPlan(model); // the same object on the next call, until the weights change
 */
export function currentPlan(model: LayersModel): ForwardPlan | null {
  if (!compiler) return null;
  const weights = model.weights.map((w) => (w.read() as unknown as { dataId: object }).dataId);
  const hit = plans.get(model);
  if (hit && hit.compiler === compiler && hit.weights.length === weights.length && hit.weights.every((d, i) => d === weights[i])) return hit.plan;
  const plan = compiler(model);
  plans.set(model, { compiler, weights, plan });
  return plan;
}
