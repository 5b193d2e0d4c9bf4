/**
 * Adam with a fused update step. tfjs's AdamOptimizer runs ~12 element-wise kernels per variable per step
 * (a measurable share of a small model's training step on wasm: many tiny kernel launches). Where the active
 * backend has optilab's fused kernel (the native addon on wasm), each variable is updated by one kernel that
 * computes the same float32 operations in the same order; elsewhere this is exactly tfjs's Adam.
 * State (moments, beta powers, iterations) lives in the parent's fields, so getWeights/setWeights/dispose work.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_STEP } from '../backend/native-kernels';

interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

const f32 = Math.fround;

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * The fused step's scalars, as the native kernel reads them: the same float32 values
 * tfjs's Adam computes (sub(1, accBeta), the constants rounded to float32). `acc1`/`acc2` are beta1^t, beta2^t
 * as tfjs accumulates them (a float32 product per step, starting from beta).
 *
 * @example
 * adamCoefficients(0.9, 0.999, 0.9, 0.999, 1e-7, 1e-3); // the first step's coefficients
 */
export function adamCoefficients(acc1: number, acc2: number, beta1: number, beta2: number, epsilon: number, learningRate: number): Float64Array {
  return Float64Array.from([f32(beta1), f32(1 - beta1), f32(beta2), f32(1 - beta2), f32(1 - acc1), f32(1 - acc2), f32(epsilon), f32(-learningRate)]);
}

class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Gradients): void {
    if (!tf.getKernel(ADAM_STEP, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const s = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const coefficients = adamCoefficients(s.accBeta1.dataSync()[0], s.accBeta2.dataSync()[0], s.beta1, s.beta2, s.epsilon, s.learningRate);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        const zeros = (suffix: string) => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
        s.accumulatedFirstMoment[i] ??= zeros('m');
        s.accumulatedSecondMoment[i] ??= zeros('v');
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = s.accumulatedFirstMoment[i]!.variable;
        const v = s.accumulatedSecondMoment[i]!.variable;
        // m and v are this optimizer's own buffers (never shared), so the kernel updates them in place.
        const next = tf.engine().runKernel(ADAM_STEP, { value, gradient, m, v }, { coefficients } as never) as tf.Tensor;
        value.assign(next);
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    (this as unknown as { incrementIterations(): void }).incrementIterations();
  }
}

/**
 * An Adam optimizer (tfjs defaults: beta1 0.9, beta2 0.999, epsilon from the backend) that uses the fused
 * update kernel when the backend has one; numerically the same as `tf.train.adam(learningRate)`.
 *
 * @example
 * const optimizer = adam(1e-3);
 * optimizer.minimize(() => loss(), false, variables);
 */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999): tf.AdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2);
}
