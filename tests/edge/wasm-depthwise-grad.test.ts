import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmDepthwiseGradients } from '../../src/edge/wasm-depthwise-grad';
import { mulberry32 } from '../../src/util/random';
import { maxAbsDiff } from '../helpers';

registerWasmDepthwiseGradients();

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => r() * 2 - 1), shape);
}

async function gradients(backend: string, xShape: number[], wShape: number[], strides: number, pad: 'same' | 'valid') {
  await tf.setBackend(backend);
  const x = randomTensor(xShape, 1) as tf.Tensor4D;
  const w = randomTensor(wShape, 2) as tf.Tensor4D;
  const g = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => {
    const y = tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, strides, pad);
    return tf.sum(tf.mul(y, randomTensor(y.shape, 3)));
  });
  const [dx, dw] = g([x, w]);
  return { dx: await dx.data(), dw: await dw.data() };
}

const cases: [string, number[], number[], number, 'same' | 'valid'][] = [
  ['same 3x3 stride 1', [2, 7, 7, 3], [3, 3, 3, 1], 1, 'same'],
  ['valid 3x3 stride 1', [3, 8, 6, 4], [3, 3, 4, 1], 1, 'valid'],
  ['same 5x5 stride 1', [2, 9, 9, 2], [5, 5, 2, 1], 1, 'same'],
  ['same 3x3 stride 2', [2, 9, 8, 5], [3, 3, 5, 1], 2, 'same'],
  ['same 3x3 stride 2 even size', [2, 8, 8, 3], [3, 3, 3, 1], 2, 'same'],
  ['valid 3x3 stride 2 (unread trailing rows)', [2, 8, 8, 2], [3, 3, 2, 1], 2, 'valid'],
];

for (const [name, xShape, wShape, strides, pad] of cases) {
  test(`wasm depthwise gradients match cpu: ${name}`, async () => {
    const cpu = await gradients('cpu', xShape, wShape, strides, pad);
    const wasm = await gradients('wasm', xShape, wShape, strides, pad);
    assert.ok(maxAbsDiff(cpu.dw, wasm.dw) < 5e-5, `filter gradient differs by ${maxAbsDiff(cpu.dw, wasm.dw)}`);
    assert.ok(maxAbsDiff(cpu.dx, wasm.dx) < 5e-5, `input gradient differs by ${maxAbsDiff(cpu.dx, wasm.dx)}`);
  });
}

test('channel multiplier > 1 is refused with a clear error on wasm', async () => {
  await tf.setBackend('wasm');
  const x = randomTensor([1, 5, 5, 2], 1) as tf.Tensor4D;
  const w = randomTensor([3, 3, 2, 2], 2) as tf.Tensor4D;
  assert.throws(() => tf.grad((wi: tf.Tensor) => tf.sum(tf.depthwiseConv2d(x, wi as tf.Tensor4D, 1, 'same')))(w), /channel multiplier 1 only/);
});
