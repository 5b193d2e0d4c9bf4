import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackend, conv2dDirect, conv2dIm2col, convFlops, convGeometry, gemmKernel, im2col, randomMatrix, GEMM_VARIANTS, type ConvShape } from '../../src/hardware';
import { maxAbsDiff, setupBackend } from '../helpers';

// Inputs and weights uniform in [-1, 1), at most 3·3·5 = 45 terms per output: float32 summation differences
// stay far below this; an off-by-one in padding or stride moves outputs by order 1.
const TOL = 1e-4;

const SHAPES: ConvShape[] = [
  { batch: 1, height: 5, width: 5, inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3 },
  { batch: 2, height: 9, width: 7, inChannels: 3, outChannels: 5, kernelHeight: 3, kernelWidth: 2, padding: 'same' },
  { batch: 2, height: 9, width: 7, inChannels: 3, outChannels: 5, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 'same' },
  { batch: 1, height: 11, width: 8, inChannels: 5, outChannels: 7, kernelHeight: 2, kernelWidth: 3, stride: 2 },
  { batch: 3, height: 6, width: 6, inChannels: 2, outChannels: 4, kernelHeight: 4, kernelWidth: 4, stride: 3, padding: 'same' },
];

function data(s: ConvShape, seed: number) {
  return {
    x: randomMatrix(1, s.batch * s.height * s.width * s.inChannels, seed),
    w: randomMatrix(1, s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels, seed + 50),
  };
}

test('the geometry matches the output shape of tf.conv2d', async () => {
  await setupBackend();
  for (const s of SHAPES) {
    const g = convGeometry(s);
    const y = tf.conv2d(tf.zeros([s.batch, s.height, s.width, s.inChannels]) as tf.Tensor4D, tf.zeros([s.kernelHeight, s.kernelWidth, s.inChannels, s.outChannels]) as tf.Tensor4D, s.stride ?? 1, s.padding ?? 'valid');
    assert.deepEqual(y.shape, [s.batch, g.outHeight, g.outWidth, s.outChannels], JSON.stringify(s));
    y.dispose();
  }
});

test('direct convolution equals the backend conv2d within 1e-4 (odd sizes, strides, both paddings)', async () => {
  await setupBackend();
  SHAPES.forEach((s, i) => {
    const { x, w } = data(s, i + 1);
    assert.ok(maxAbsDiff(conv2dDirect(x, w, s), conv2dBackend(x, w, s)) < TOL, JSON.stringify(s));
  });
});

test('im2col + each GEMM variant equals direct convolution within 1e-4', async () => {
  await setupBackend();
  SHAPES.forEach((s, i) => {
    const { x, w } = data(s, i + 1);
    const ref = conv2dDirect(x, w, s);
    assert.ok(maxAbsDiff(conv2dIm2col(x, w, s), ref) < TOL, `default ${JSON.stringify(s)}`);
    for (const v of GEMM_VARIANTS) assert.ok(maxAbsDiff(conv2dIm2col(x, w, s, gemmKernel(v, 5)), ref) < TOL, `${v} ${JSON.stringify(s)}`);
  });
});

test('im2col copies each window row by row with zeros for padding', () => {
  // 1 image 2x2, 1 channel, 2x2 kernel, same padding: the odd pixel of padding goes after (bottom / right).
  const s: ConvShape = { batch: 1, height: 2, width: 2, inChannels: 1, outChannels: 1, kernelHeight: 2, kernelWidth: 2, padding: 'same' };
  const cols = im2col(Float32Array.from([1, 2, 3, 4]), s, convGeometry(s));
  assert.deepEqual([...cols], [1, 2, 3, 4, 2, 0, 4, 0, 3, 4, 0, 0, 4, 0, 0, 0]);
});

test('FLOPs count 2 per multiply-accumulate, and impossible shapes are refused', () => {
  assert.equal(convFlops({ batch: 1, height: 28, width: 28, inChannels: 1, outChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: 'same' }), 2 * 28 * 28 * 6 * 25);
  assert.throws(() => convGeometry({ batch: 1, height: 2, width: 2, inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3 }), /does not fit a 2x2 image/);
  assert.throws(() => convGeometry({ batch: 1, height: 2, width: 2, inChannels: 1, outChannels: 1, kernelHeight: 1, kernelWidth: 1, stride: 0 }), /stride must be a positive/);
  assert.throws(() => conv2dDirect(new Float32Array(3), new Float32Array(1), { batch: 1, height: 2, width: 2, inChannels: 1, outChannels: 1, kernelHeight: 1, kernelWidth: 1 }), /input has 3 elements, 4 expected/);
});
