/**
 * The backend's own kernels, for comparison with the hand-written ones: tfjs `matMul` and `conv2d` on the
 * active tfjs backend (whatever `initBackend` chose: tfjs-node, wasm with optilab's native or fast kernels, or
 * cpu). Each call uploads the inputs, runs the kernel and reads the result back; `prepare*` variants keep the
 * inputs on the backend so a measurement times the kernel and the read-back only. Isomorphic.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GemmShape } from './matrix';
import { checkGemmShape } from './matrix';
import type { ConvShape } from './conv-shape';

/**
 * C = A·B with tf.matMul on the active backend (fills `c`, like the other GemmKernels).
 *
 * @example
 * await initBackend();
 * gemmBackend(a, b, c, { M, N, K });
 */
export function gemmBackend(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): void {
  checkGemmShape(a, b, c, shape);
  const { M, N, K } = shape;
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N])));
  c.set(out.dataSync() as Float32Array);
  out.dispose();
}

/**
 * NHWC convolution with tf.conv2d on the active backend.
 *
 * @example
 * const y = conv2dBackend(x, w, shape);
 */
export function conv2dBackend(input: Float32Array, kernel: Float32Array, s: ConvShape): Float32Array {
  const out = tf.tidy(() =>
    tf.conv2d(
      tf.tensor4d(input, [s.batch, s.height, s.width, s.inChannels]),
      tf.tensor4d(kernel, [s.kernelHeight, s.kernelWidth, s.inChannels, s.outChannels]),
      s.stride ?? 1,
      s.padding ?? 'valid',
    ),
  );
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return new Float32Array(data);
}

/** A prepared backend kernel: `run()` computes and reads back the result; `dispose()` frees the inputs. */
export interface PreparedKernel {
  run(): void;
  dispose(): void;
}

/**
 * Uploads A and B once; each `run()` is one tf.matMul plus its read-back.
 *
 * @example
 * const k = prepareBackendGemm(a, b, shape);
 * const r = measureGflops(() => k.run(), gemmFlops(shape));
 * k.dispose();
 */
export function prepareBackendGemm(a: Float32Array, b: Float32Array, { M, N, K }: GemmShape): PreparedKernel {
  const ta = tf.tensor2d(a, [M, K]);
  const tb = tf.tensor2d(b, [K, N]);
  return {
    run() {
      const c = tf.matMul(ta, tb);
      c.dataSync();
      c.dispose();
    },
    dispose() {
      ta.dispose();
      tb.dispose();
    },
  };
}

/**
 * Uploads the input and kernel once; each `run()` is one tf.conv2d plus its read-back.
 *
 * @example
 * const k = prepareBackendConv(x, w, shape);
 */
export function prepareBackendConv(input: Float32Array, kernel: Float32Array, s: ConvShape): PreparedKernel {
  const tx = tf.tensor4d(input, [s.batch, s.height, s.width, s.inChannels]);
  const tw = tf.tensor4d(kernel, [s.kernelHeight, s.kernelWidth, s.inChannels, s.outChannels]);
  return {
    run() {
      const y = tf.conv2d(tx, tw, s.stride ?? 1, s.padding ?? 'valid');
      y.dataSync();
      y.dispose();
    },
    dispose() {
      tx.dispose();
      tw.dispose();
    },
  };
}
