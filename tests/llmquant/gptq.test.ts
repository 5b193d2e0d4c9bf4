import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { gptqHessian, gptqQuantize, cholesky, choleskyInverse, layerOutputError } from '../../src/llmquant/gptq';
import { groupQuantize, groupDequantize } from '../../src/llmquant/group';
import { mulberry32 } from '../../src/util/random';

interface Fixture {
  rows: number;
  cols: number;
  n: number;
  rank: number;
  damp: number;
  Z: number[];
  A: number[];
  W: number[];
  cases: { bits: number; groupSize: number; symmetric: boolean; blockSize: number; q: number[]; gptqError: number; rtnError: number }[];
}
const fx: Fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'gptq_reference.json'), 'utf8'));

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) out[i * m + j] += a[i * k + p] * b[p * m + j];
  return out;
}

function randn(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
}

test('Cholesky and its inverse on a hand-checked 2x2', () => {
  assert.deepEqual(Array.from(cholesky(new Float64Array([4, 2, 2, 5]), 2)), [2, 0, 1, 2]);
  const inv = choleskyInverse(cholesky(new Float64Array([4, 2, 2, 5]), 2), 2);
  // [[4,2],[2,5]]^-1 = [[5,-2],[-2,4]] / 16
  [5 / 16, -2 / 16, -2 / 16, 4 / 16].forEach((v, i) => assert.ok(Math.abs(inv[i] - v) < 1e-15));
  assert.throws(() => cholesky(new Float64Array([1, 2, 2, 1]), 2), /positive definite/);
});

test('GPTQ matches the PyTorch reference within 1e-4 (three configurations)', () => {
  const x = matmul(fx.Z, fx.A, fx.n, fx.rank, fx.cols);
  const h = gptqHessian(x, fx.n, fx.cols);
  for (const c of fx.cases) {
    const q = gptqQuantize(fx.W, fx.rows, fx.cols, h, { bits: c.bits, groupSize: c.groupSize, symmetric: c.symmetric, blockSize: c.blockSize, damp: fx.damp });
    let worst = 0;
    for (let i = 0; i < c.q.length; i++) worst = Math.max(worst, Math.abs(q.dequantized[i] - c.q[i]));
    assert.ok(worst < 1e-4, `${c.bits}-bit g${c.groupSize}: max |TS - torch| = ${worst}`);
    const e = layerOutputError(fx.W, q.dequantized, fx.rows, fx.cols, x, fx.n);
    assert.ok(Math.abs(e - c.gptqError) < 1e-3 * c.gptqError, `error ${e} vs ${c.gptqError}`);
    // the codes and scales describe the same matrix
    const d = groupDequantize(q);
    for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i] - q.dequantized[i]) < 1e-5);
  }
});

test('lazy batches do not change the result (block = group vs block = all columns)', () => {
  const x = matmul(fx.Z, fx.A, fx.n, fx.rank, fx.cols);
  const h = gptqHessian(x, fx.n, fx.cols);
  const a = gptqQuantize(fx.W, fx.rows, fx.cols, h, { bits: 4, groupSize: 16, blockSize: 16 });
  const b = gptqQuantize(fx.W, fx.rows, fx.cols, h, { bits: 4, groupSize: 16, blockSize: 64 });
  for (let i = 0; i < a.dequantized.length; i++) assert.ok(Math.abs(a.dequantized[i] - b.dequantized[i]) < 1e-5);
});

test('acceptance: GPTQ 4-bit g128 has a lower output error ||WX - QX|| than round-to-nearest on correlated X', () => {
  const rows = 32;
  const cols = 256;
  const n = 512;
  // correlated activations: a rank-32 mixture plus small noise, with a few large channels
  const z = randn(n * 32, 11);
  const mix = randn(32 * cols, 12);
  const x = matmul(z, mix, n, 32, cols);
  const noise = randn(n * cols, 13);
  for (let i = 0; i < x.length; i++) x[i] += 0.1 * noise[i];
  for (const ch of [3, 77, 200]) for (let t = 0; t < n; t++) x[t * cols + ch] *= 8;
  const w = Float32Array.from(randn(rows * cols, 14), (v) => v * 0.05);
  const h = gptqHessian(x, n, cols);
  const g = gptqQuantize(w, rows, cols, h, { bits: 4, groupSize: 128 });
  const rtn = groupDequantize(groupQuantize(w, rows, cols, { bits: 4, groupSize: 128 }));
  const eG = layerOutputError(w, g.dequantized, rows, cols, x, n);
  const eR = layerOutputError(w, rtn, rows, cols, x, n);
  assert.ok(eG < 0.8 * eR, `GPTQ ${eG} vs RTN ${eR}`);
  // and the reference's numbers say the same on its fixture
  for (const c of fx.cases) assert.ok(c.gptqError < c.rtnError);
});

test('dead input columns (never active) get zero weight', () => {
  const n = 64;
  const cols = 8;
  const x = randn(n * cols, 21);
  for (let t = 0; t < n; t++) x[t * cols + 5] = 0;
  const w = Float32Array.from(randn(4 * cols, 22));
  const q = gptqQuantize(w, 4, cols, gptqHessian(x, n, cols), { bits: 8, groupSize: 8 });
  for (let r = 0; r < 4; r++) assert.equal(q.dequantized[r * cols + 5], 0);
});
