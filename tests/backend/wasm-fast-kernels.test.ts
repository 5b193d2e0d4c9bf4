import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from '../../src/backend/wasm-conv-grad';
import { registerFastWasmKernels } from '../../src/backend/wasm-fast-kernels';
import { maxAbsDiff, onCpuAndWasm as onBoth, seededTensor as rand } from '../helpers';

registerWasmGradients();
registerFastWasmKernels();
registerFastWasmKernels(); // idempotent

function close(cpu: Float32Array[], wasm: Float32Array[], tol: number, what: string) {
  cpu.forEach((c, i) => assert.ok(maxAbsDiff(c, wasm[i]) <= tol, `${what} [${i}] differs by ${maxAbsDiff(c, wasm[i])}`));
}

for (const [ta, tb] of [[true, false], [false, true], [true, true], [false, false]]) {
  test(`BatchMatMul transposeA=${ta} transposeB=${tb} matches cpu (2-D and batched)`, async () => {
    const [cpu, wasm] = await onBoth(() => [
      tf.matMul(rand(ta ? [7, 5] : [5, 7], 1), rand(tb ? [3, 7] : [7, 3], 2), ta, tb),
      tf.matMul(rand(ta ? [2, 7, 5] : [2, 5, 7], 3), rand(tb ? [2, 3, 7] : [2, 7, 3], 4), ta, tb),
    ]);
    close(cpu, wasm, 1e-5, 'matMul');
  });
}

// tfjs-wasm's own _FusedMatMul puts the bias on the wrong outputs with transposeB (tinyGpt's x W^T + b). 2-D only:
// with batch dimensions the original kernel's bias is wrong too, transposed or not (not used by optilab's models).
for (const [ta, tb] of [[true, false], [false, true], [true, true], [false, false]]) {
  for (const activation of ['linear', 'relu'] as const) {
    test(`fused matMul + bias (${activation}) transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
      const [cpu, wasm] = await onBoth(() => [
        tf.fused.matMul({ a: rand(ta ? [16, 12] : [12, 16], 11), b: rand(tb ? [48, 16] : [16, 48], 12), transposeA: ta, transposeB: tb, bias: rand([48], 13), activation }),
      ]);
      close(cpu, wasm, 1e-5, 'fused matMul');
    });
  }
}

const convCases: [string, number[], number[], number, 'same' | 'valid'][] = [
  ['same 5x5', [2, 9, 9, 3], [5, 5, 3, 4], 1, 'same'],
  ['valid 5x5', [2, 12, 10, 6], [5, 5, 6, 2], 1, 'valid'],
  ['same 3x3 even size', [3, 8, 8, 2], [3, 3, 2, 5], 1, 'same'],
  ['same 2x2 (asymmetric padding)', [1, 6, 7, 2], [2, 2, 2, 3], 1, 'same'],
  ['stride 2 falls back to the original kernel', [2, 9, 9, 2], [3, 3, 2, 3], 2, 'same'],
];
for (const [name, xShape, wShape, stride, pad] of convCases) {
  test(`Conv2DBackpropInput matches cpu: ${name}`, async () => {
    const [cpu, wasm] = await onBoth(() => {
      const w = rand(wShape, 5) as tf.Tensor4D;
      const y = tf.conv2d(rand(xShape, 6) as tf.Tensor4D, w, stride, pad);
      return tf.conv2dTranspose(rand(y.shape, 7) as tf.Tensor4D, w, xShape as [number, number, number, number], stride, pad);
    });
    close(cpu, wasm, 5e-5, 'dx');
  });
}

const poolCases: [string, number[], number, number, 'same' | 'valid'][] = [
  ['2x2 stride 2 valid', [2, 8, 8, 3], 2, 2, 'valid'],
  ['2x2 stride 2 same, odd size', [2, 7, 7, 2], 2, 2, 'same'],
  ['3x3 stride 2 same (overlapping windows)', [1, 9, 9, 2], 3, 2, 'same'],
  ['3x3 stride 1 valid', [1, 6, 6, 1], 3, 1, 'valid'],
];
for (const [name, shape, size, stride, pad] of poolCases) {
  for (const ties of [false, true]) {
    test(`MaxPoolGrad matches cpu: ${name}${ties ? ', with ties' : ''}`, async () => {
      const [cpu, wasm] = await onBoth(() => {
        const x = rand(shape, 8, ties);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), rand(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 9))));
        return g(x);
      });
      close(cpu, wasm, 1e-6, 'dx');
    });
  }
}
