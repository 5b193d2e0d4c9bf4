import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from '../../src/backend/wasm-conv-grad';
import { mulberry32 } from '../../src/util/random';
import { maxAbsDiff } from '../helpers';

registerWasmGradients();

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => r() * 2 - 1), shape);
}

async function gradients(backend: string, xShape: number[], wShape: number[], strides: number, pad: 'same' | 'valid') {
  await tf.setBackend(backend);
  const x = randomTensor(xShape, 1) as tf.Tensor4D;
  const w = randomTensor(wShape, 2) as tf.Tensor4D;
  // A non-uniform upstream gradient so every output position weighs differently.
  const g = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => {
    const y = tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, strides, pad);
    return tf.sum(tf.mul(y, randomTensor(y.shape, 3)));
  });
  const [dx, dw] = g([x, w]);
  return { dx: await dx.data(), dw: await dw.data() };
}

const cases: [string, number[], number[], number, 'same' | 'valid'][] = [
  ['same 3x3 stride 1', [2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
  ['valid 3x3 stride 1', [2, 7, 7, 3], [3, 3, 3, 4], 1, 'valid'],
  ['same 5x5 stride 1', [3, 8, 8, 1], [5, 5, 1, 6], 1, 'same'],
  ['valid 5x5 stride 1', [3, 12, 12, 6], [5, 5, 6, 2], 1, 'valid'],
  ['same 3x3 stride 2', [2, 9, 8, 2], [3, 3, 2, 3], 2, 'same'],
  ['valid 3x3 stride 2 (unread trailing rows)', [2, 8, 8, 2], [3, 3, 2, 3], 2, 'valid'],
  ['valid 2x2 stride 2', [1, 6, 6, 1], [2, 2, 1, 2], 2, 'valid'],
];

for (const [name, xShape, wShape, strides, pad] of cases) {
  test(`wasm Conv2DBackpropFilter matches cpu: ${name}`, async () => {
    const cpu = await gradients('cpu', xShape, wShape, strides, pad);
    const wasm = await gradients('wasm', xShape, wShape, strides, pad);
    assert.ok(maxAbsDiff(cpu.dw, wasm.dw) < 5e-5, `filter gradient differs by ${maxAbsDiff(cpu.dw, wasm.dw)}`);
    assert.ok(maxAbsDiff(cpu.dx, wasm.dx) < 5e-5, `input gradient differs by ${maxAbsDiff(cpu.dx, wasm.dx)}`);
  });
}

test('registering twice is harmless', () => {
  registerWasmGradients();
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
});
