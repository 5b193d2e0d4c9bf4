/**
 * The transformer's building blocks as tfjs-core ops (isomorphic; tfjs-layers has no attention): linear layer
 * with [out, in] weights, LayerNorm and GELU with hand-written gradients (a few kernels instead of autodiff's
 * dozen, which is where small models spend their time on wasm), the causal mask and multi-head causal
 * self-attention.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * y = x W^T + b for x [n, in] and a weight W [out, in] (PyTorch's and src/llmquant's layout), bias [out];
 * with `activation` 'relu', relu(x W^T + b) in the same fused op (one pass on the native kernels).
 *
 * @example
 * linear(tf.ones([2, 3]), tf.ones([4, 3]), tf.zeros([4])); // [2, 4] of 3s
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D, activation?: 'relu'): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: weight, transposeB: true, bias, activation }) as tf.Tensor2D;
}

/**
 * LayerNorm over the last axis of x [n, d]: (x - mean) / sqrt(var + eps) * gamma + beta, with its gradient
 * written out (dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma).
 *
 * @example
 * layerNorm(tf.tensor2d([[1, 2, 3]]), tf.ones([3]), tf.zeros([3])); // [[-1.2247, 0, 1.2247]]
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const mean = tf.mean(xi, 1, true);
    const centred = tf.sub(xi, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const [xh, rs, gm] = saved;
        const gx = tf.mul(d, gm);
        const dx = tf.mul(rs, tf.sub(tf.sub(gx, tf.mean(gx, 1, true)), tf.mul(xh, tf.mean(tf.mul(gx, xh), 1, true))));
        return [dx, tf.sum(tf.mul(d, xh), 0), tf.sum(d, 0)];
      },
    };
  });
  return f(x, gamma, beta) as tf.Tensor2D;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, with gradient Phi(x) + x phi(x).
 *
 * @example
 * gelu(tf.tensor1d([-1, 0, 1])); // [-0.1587, 0, 0.8413]
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xi = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const cdf = tf.mul(tf.add(tf.erf(tf.mul(xi, SQRT1_2)), 1), 0.5);
    save([xi, cdf]);
    return {
      value: tf.mul(xi, cdf),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, c] = saved;
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), INV_SQRT_2PI);
        return [tf.mul(dy as tf.Tensor, tf.add(c, tf.mul(xs, pdf)))];
      },
    };
  });
  return f(x) as T;
}

/** What masked attention scores are set to: far below any score, yet finite (a row never becomes NaN). */
export const MASKED_SCORE = -1e9;

/**
 * The additive causal mask [t, t]: 0 where a query may see the key (key <= query), MASKED_SCORE above the diagonal.
 *
 * @example
 * causalMask(3).arraySync(); // [[0, -1e9, -1e9], [0, 0, -1e9], [0, 0, 0]]
 */
export function causalMask(t: number): tf.Tensor2D {
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = MASKED_SCORE;
  return tf.tensor2d(m, [t, t]);
}

/**
 * Multi-head causal self-attention before the output projection: queries, keys and values are x [b * t, d]
 * times the three [d, d] row blocks of the fused weight qkv [3d, d] (plus the bias's thirds), the heads'
 * outputs concatenated, [b * t, d]. Scores are q k^T / sqrt(d / heads) plus `mask` ([t, t], see causalMask),
 * softmax over keys. (Slicing the weight, not the [b * t, 3d] product: wasm's SplitV of the product was the
 * slowest kernel of a training step.) `transformKv`, when given, replaces the keys and values [b, heads, t, dh]
 * before use (KV-cache quantization).
 *
 * @example
 * const y = causalSelfAttention(x, qkv, qkvBias, 2, 16, 4, causalMask(16)); // x [32, 64] -> y [32, 64]
 */
export function causalSelfAttention(
  x: tf.Tensor2D,
  qkv: tf.Tensor2D,
  qkvBias: tf.Tensor1D,
  batch: number,
  t: number,
  heads: number,
  mask: tf.Tensor2D,
  transformKv?: (k: tf.Tensor4D, v: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D],
): tf.Tensor2D {
  const d = qkv.shape[1];
  const dh = d / heads;
  const part = (i: number) => linear(x, tf.slice(qkv, [i * d, 0], [d, d]), tf.slice(qkvBias, [i * d], [d]));
  const split = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [batch, t, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
  let k = split(part(1));
  let v = split(part(2));
  if (transformKv) [k, v] = transformKv(k, v);
  const scores = tf.add(tf.matMul(split(tf.mul(part(0), 1 / Math.sqrt(dh))), k, false, true), mask);
  const mixed = tf.matMul(tf.softmax(scores), v); // [b, heads, t, dh]
  return tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch * t, d]);
}
