import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../../src/data/files';
import { imagesTensor } from '../../src/data/dataset';
import { lenet5, mnistCnn } from '../../src/models/zoo';
import { lowRankApprox } from '../../src/factorize/lowrank';
import { factorizeConv, factorizeDense, tucker2, tuckerReconstruct } from '../../src/factorize/layers';
import { rankForEnergy, svd, symmetricEigen } from '../../src/factorize/svd';
import { mulberry32 } from '../../src/util/random';
import { maxAbsDiff, setupBackend } from '../helpers';

test.before(setupBackend);

interface Case { name: string; m: number; n: number; matrix: number[]; s: number[] }
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'svd_reference.json'), 'utf8')) as { cases: Case[] };

function randomMatrix(m: number, n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: m * n }, () => r() * 2 - 1);
}

test('singular values match numpy (LAPACK), including rank-deficient and decaying spectra', () => {
  for (const c of ref.cases) {
    const d = svd(c.matrix, c.m, c.n);
    assert.equal(d.s.length, Math.min(c.m, c.n));
    const err = maxAbsDiff(d.s, c.s);
    assert.ok(err < 1e-8 * c.s[0], `${c.name}: singular values differ by ${err}`);
  }
});

test('the SVD reconstructs the matrix and its singular vectors are orthonormal', () => {
  for (const c of ref.cases.filter((x) => x.name !== 'rank5')) {
    const { u, v, s, m, n } = svd(c.matrix, c.m, c.n);
    const r = s.length;
    let err = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += u[i * r + k] * s[k] * v[j * r + k];
      err = Math.max(err, Math.abs(sum - c.matrix[i * n + j]));
    }
    assert.ok(err < 1e-9, `${c.name}: reconstruction error ${err}`);
    for (const [q, rows] of [[u, m], [v, n]] as const) {
      for (let a = 0; a < r; a++) for (let b = a; b < r; b++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += q[i * r + a] * q[i * r + b];
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-7, `${c.name}: columns ${a},${b} dot ${dot}`);
      }
    }
  }
  assert.deepEqual(Array.from(symmetricEigen([2, 1, 1, 2], 2).values).map((x) => +x.toFixed(12)), [3, 1]);
});

test('lowRankApprox: squared Frobenius error equals the sum of the discarded squared singular values', () => {
  for (const [m, n, k] of [[60, 40, 10], [30, 70, 5], [20, 20, 19]]) {
    const a = randomMatrix(m, n, m + n);
    const { left, right, singularValues } = lowRankApprox(tf.tensor2d(a, [m, n]), k);
    assert.deepEqual(left.shape, [m, k]);
    assert.deepEqual(right.shape, [k, n]);
    const approx = tf.matMul(left, right).dataSync();
    let err2 = 0;
    for (let i = 0; i < a.length; i++) err2 += (a[i] - approx[i]) ** 2;
    let discarded = 0;
    for (let i = k; i < singularValues.length; i++) discarded += singularValues[i] ** 2;
    assert.ok(Math.abs(err2 - discarded) < 1e-3 * discarded + 1e-6, `${m}x${n} rank ${k}: error² ${err2} vs ${discarded}`);
  }
  assert.throws(() => lowRankApprox(tf.tensor2d(randomMatrix(4, 3, 1), [4, 3]), 4), /rank 4 is not possible for a 4x3 matrix.*1\.\.3/);
  assert.throws(() => lowRankApprox(tf.tensor2d(randomMatrix(4, 3, 1), [4, 3]), 0), /rank 0/);
  assert.equal(rankForEnergy([3, 1], 0.9), 1);
  assert.equal(rankForEnergy([3, 1], 0.95), 2);
  assert.throws(() => rankForEnergy([1], 0), /energy must be in \(0, 1\]/);
});

const data = loadMnist({ split: 'train', limit: 16 });

test('factorizeDense: full rank keeps the function, lower rank has fewer parameters, energy picks the rank', async () => {
  const model = lenet5({ seed: 1 });
  const x = imagesTensor(data);
  const y = (model.predict(x) as tf.Tensor).dataSync();
  const full = factorizeDense(model, 'fc1', { rank: 120 });
  assert.deepEqual(full.model.layers.map((l) => l.name).slice(5, 8), ['flatten', 'fc1_lowrank', 'fc1']);
  assert.ok(maxAbsDiff((full.model.predict(x) as tf.Tensor).dataSync(), y) < 1e-4);
  const small = factorizeDense(model, 'fc1', { rank: 16 });
  assert.equal(small.paramsAfter, 16 * (400 + 120));
  assert.equal(model.countParams() - small.model.countParams(), 400 * 120 - 16 * 520);
  const byEnergy = factorizeDense(model, 'fc1', { energy: 0.5 });
  assert.equal(byEnergy.rank, rankForEnergy(byEnergy.singularValues, 0.5));
  assert.ok(byEnergy.rank > 1 && byEnergy.rank < 120);
  assert.throws(() => factorizeDense(model, 'fc1', { rank: 121 }), /rank 121 is not possible.*'fc1'/);
  assert.throws(() => factorizeDense(model, 'conv1', { rank: 2 }), /'conv1' is Conv2D, not Dense/);
});

test('Tucker-2: full ranks reconstruct the kernel, error falls with rank; conv factorization keeps the function', () => {
  const shape = [3, 3, 6, 8];
  const k = randomMatrix(1, 3 * 3 * 6 * 8, 5);
  assert.ok(maxAbsDiff(tuckerReconstruct(tucker2(k, shape, 6, 8), shape), k) < 1e-9);
  const err = (rIn: number, rOut: number) => {
    const r = tuckerReconstruct(tucker2(k, shape, rIn, rOut), shape);
    return r.reduce((a, v, i) => a + (v - k[i]) ** 2, 0);
  };
  assert.ok(err(2, 2) > err(4, 4) && err(4, 4) > err(5, 7) && err(5, 7) > 1e-12);
  assert.throws(() => tucker2(k, shape, 7, 8), /rank 7 is not possible/);

  const model = mnistCnn({ seed: 2 });
  const x = imagesTensor(data, 0, 4);
  const y = (model.predict(x) as tf.Tensor).dataSync();
  const full = factorizeConv(model, 'conv2', { rIn: 32, rOut: 64 });
  assert.deepEqual(full.model.layers.slice(3, 6).map((l) => l.name), ['conv2_in', 'conv2_core', 'conv2']);
  assert.ok(maxAbsDiff((full.model.predict(x) as tf.Tensor).dataSync(), y) < 1e-3);
  const small = factorizeConv(model, 'conv2', { rIn: 8, rOut: 16 });
  assert.equal(small.paramsAfter, 32 * 8 + 9 * 8 * 16 + 16 * 64);
  assert.equal(model.countParams() - small.model.countParams(), 9 * 32 * 64 - small.paramsAfter);
  const e = factorizeConv(model, 'conv2', { energy: 0.8 });
  assert.ok(e.rIn < 32 && e.rOut < 64, `${e.rIn}, ${e.rOut}`);
});
