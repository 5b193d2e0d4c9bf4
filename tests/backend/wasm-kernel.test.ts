import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel, touchedPadding } from '../../src/backend/wasm-kernel';

test('touchedPadding: valid padding with a stride leaves trailing rows unread (negative bottom / right)', () => {
  const info = backend_util.computeConv2DInfo([1, 5, 5, 1], [2, 2, 1, 1], 2, 1, 'valid');
  assert.deepEqual(touchedPadding(info, 5, 5), { top: 0, left: 0, bottom: -1, right: -1 });
});

test('touchedPadding: same padding reads past the input on both sides', () => {
  const info = backend_util.computeConv2DInfo([1, 4, 6, 1], [3, 3, 1, 1], 1, 1, 'same');
  assert.deepEqual(touchedPadding(info, 4, 6), { top: 1, left: 1, bottom: 1, right: 1 });
});

test('runWasmKernel runs a wasm kernel directly and names a missing one', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const backend = tf.backend();
  const out = runWasmKernel('Transpose', backend, { x }, { perm: [1, 0] });
  assert.deepEqual(out.shape, [3, 2]);
  assert.deepEqual(Array.from(backend.readSync(out.dataId) as Float32Array), [1, 4, 2, 5, 3, 6]);
  backend.disposeData(out.dataId);
  x.dispose();
  assert.throws(() => runWasmKernel('NoSuchKernel', backend, {}, {}), /the wasm backend has no NoSuchKernel kernel/);
});
