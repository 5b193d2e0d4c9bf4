import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toCsr } from '../../src/prune/storage';
import {
  benchSparseMatrix, csrCrossover, csrFlops, findCrossover, fromNm, gemv, nmBytes, nmCrossover, nmFlops, pruneToNm, randomMatrix,
  randomSparseMatrix, sparsitySweep, sparsitySweepFigure, sparsitySweepSvg, spmmCsr, spmmNm, spmvCsr, spmvNm, toNm,
} from '../../src/hardware';
import { mulberry32 } from '../../src/util/random';
import { maxAbsDiff } from '../helpers';

// Entries uniform in [-1, 1), at most 67 terms per output, sums kept in float64 and stored as float32: the only
// error is the final float32 rounding (|C| < ~10, so < 1e-6). A dropped or misplaced nonzero moves an output by
// the size of one product, ~0.1-1.
const TOL = 1e-5;

/** Odd shapes [rows, cols, batch]: primes, 1s, cols not a multiple of 4 (a short last 2:4 group). */
const SHAPES: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [37, 29, 1], [33, 67, 5], [64, 17, 2], [3, 4, 1]];
const SPARSITIES = [0, 0.3, 0.5, 0.77, 0.95, 1];

/** The dense product in float64, written independently of the kernels under test. */
function exact(a: Float32Array, b: Float32Array, rows: number, cols: number, n: number): Float64Array {
  const c = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * cols + k] * b[k * n + j];
  return c;
}

/** A random matrix with whole rows zeroed (empty rows) on top of the given sparsity. */
function withEmptyRows(rows: number, cols: number, sparsity: number, seed: number): Float32Array {
  const a = randomSparseMatrix(rows, cols, sparsity, seed);
  for (let r = 0; r < rows; r += 3) a.fill(0, r * cols, (r + 1) * cols);
  return a;
}

test('CSR SpMV and SpMM equal the dense product within 1e-5 on odd shapes, sparsities 0-100% and empty rows', () => {
  let seed = 1;
  for (const [rows, cols, n] of SHAPES) {
    for (const s of SPARSITIES) {
      for (const a of [randomSparseMatrix(rows, cols, s, seed), withEmptyRows(rows, cols, s, seed + 1)]) {
        seed += 2;
        const csr = toCsr(a, rows, cols);
        const x = randomMatrix(cols, 1, seed);
        const y = new Float32Array(rows).fill(99); // stale contents must be overwritten
        spmvCsr(csr, x, y);
        assert.ok(maxAbsDiff(y, exact(a, x, rows, cols, 1)) < TOL, `spmv ${rows}x${cols} at ${s}`);
        const b = randomMatrix(cols, n, seed + 7);
        const c = new Float32Array(rows * n).fill(99);
        spmmCsr(csr, b, c, n);
        assert.ok(maxAbsDiff(c, exact(a, b, rows, cols, n)) < TOL, `spmm ${rows}x${cols}x${n} at ${s}`);
      }
    }
  }
});

test('2:4 (and other N:M) SpMV and SpMM equal the dense product within 1e-5 on pruned matrices, extra zeros and empty rows', () => {
  let seed = 100;
  for (const [rows, cols, n] of SHAPES) {
    for (const [pn, pm] of [[2, 4], [1, 4], [3, 8], [4, 4]] as const) {
      for (const extra of [0, 0.5, 1]) {
        seed++;
        const a = pruneToNm(withEmptyRows(rows, cols, extra, seed), rows, cols, pn, pm);
        const nm = toNm(a, rows, cols, pn, pm);
        assert.deepEqual(fromNm(nm), a, 'round trip');
        const x = randomMatrix(cols, 1, seed);
        const y = new Float32Array(rows).fill(99);
        spmvNm(nm, x, y);
        assert.ok(maxAbsDiff(y, exact(a, x, rows, cols, 1)) < TOL, `spmv ${pn}:${pm} ${rows}x${cols}`);
        const b = randomMatrix(cols, n, seed + 7);
        const c = new Float32Array(rows * n).fill(99);
        spmmNm(nm, b, c, n);
        assert.ok(maxAbsDiff(c, exact(a, b, rows, cols, n)) < TOL, `spmm ${pn}:${pm} ${rows}x${cols}x${n}`);
      }
    }
  }
});

test('the dense gemv baseline equals the float64 product', () => {
  for (const [rows, cols] of SHAPES) {
    const a = randomMatrix(rows, cols, rows + cols);
    const x = randomMatrix(cols, 1, 3);
    const y = new Float32Array(rows);
    gemv(a, x, y, rows, cols);
    assert.ok(maxAbsDiff(y, exact(a, x, rows, cols, 1)) < TOL);
  }
});

test('pruneToNm keeps the 2 largest |w| of each group of 4 (ties: the lower column), short last groups keep up to 2', () => {
  const w = Float32Array.of(
    0.1, -3, 2, 0.5, /* */ 1, -1, 1, 0.25, /* */ 7, -8, 9,
    0, 0, 0, 0, /* */ 0, 0, 0, -4, /* */ 0.5, 0, 0,
  );
  assert.deepEqual([...pruneToNm(w, 2, 11)], [
    0, -3, 2, 0, /* */ 1, -1, 0, 0, /* */ 0, -8, 9,
    0, 0, 0, 0, /* */ 0, 0, 0, -4, /* */ 0.5, 0, 0,
  ]);
  // Random check: each group keeps exactly min(2, size) entries, and every kept |w| >= every dropped |w|.
  const r = mulberry32(5);
  const a = Float32Array.from({ length: 9 * 23 }, () => r() * 2 - 1);
  const p = pruneToNm(a, 9, 23);
  for (let row = 0; row < 9; row++) {
    for (let g = 0; g < 23; g += 4) {
      const idx = Array.from({ length: Math.min(4, 23 - g) }, (_, j) => row * 23 + g + j);
      const kept = idx.filter((i) => p[i] !== 0);
      const dropped = idx.filter((i) => p[i] === 0);
      assert.equal(kept.length, Math.min(2, idx.length));
      for (const i of kept) assert.equal(p[i], a[i]);
      assert.ok(Math.min(...kept.map((i) => Math.abs(a[i]))) >= Math.max(0, ...dropped.map((i) => Math.abs(a[i]))));
    }
  }
  assert.throws(() => pruneToNm(w, 2, 11, 3, 2), /1 <= N <= M/);
});

test('2:4 compression refuses a matrix that is not 2:4, naming the row and columns', () => {
  const w = Float32Array.of(1, 0, 2, 0, /* */ 0, 0, 0, 0, /* */ 1, 2, 0, 3, /* */ 4, 0, 0, 0);
  assert.throws(() => toNm(w, 2, 8), /not 2:4 sparse: row 1, columns 0-3 hold 3 nonzeros, at most 2 allowed in each group of 4 consecutive columns \(prune it with pruneToNm first\)/);
  assert.throws(() => toNm(randomMatrix(4, 4, 1), 4, 4), /row 0, columns 0-3 hold 4 nonzeros/);
  assert.throws(() => toNm(new Float32Array(5), 2, 3), /5 values does not match shape \[2, 3\]/);
  // A 2:4 matrix is accepted, and the 1:4 check is stricter on the same matrix.
  const ok = toNm(pruneToNm(w, 2, 8), 2, 8);
  assert.equal(ok.values.length, 2 * 2 * 2);
  assert.throws(() => toNm(pruneToNm(w, 2, 8), 2, 8, 1, 4), /not 1:4 sparse: row 0, columns 0-3 hold 2 nonzeros/);
});

test('byte and FLOP counts of the formats', () => {
  const a = pruneToNm(randomMatrix(64, 64, 2), 64, 64);
  const nm = toNm(a, 64, 64);
  assert.equal(nmBytes(nm), 64 * 16 * 2 * 4 + (64 * 16 * 2 * 2) / 8); // 4 B per value + 2 bits per position
  assert.equal(nmFlops(nm, 3), 2 * 64 * 32 * 3);
  assert.equal(csrFlops(toCsr(a, 64, 64), 3), 2 * 64 * 32 * 3);
  assert.equal(randomSparseMatrix(50, 40, 0.9, 1).filter((v) => v === 0).length, 1800);
});

test('findCrossover: the lowest sparsity from which the sparse kernel stays faster, interpolated in log ratio', () => {
  const pts = (r: number[]) => r.map((ratio, i) => ({ sparsity: i / 10, sparse: ratio, dense: 1 }));
  // Noise: a win at 10% followed by losses does not count; wins from 60% on.
  const c = findCrossover(pts([2, 0.9, 2, 1.8, 1.5, 2, 0.5, 0.4]));
  assert.equal(c.sparsity, 0.6);
  assert.ok(Math.abs(c.estimate! - (0.5 + 0.1 * Math.log(2) / (Math.log(2) + Math.log(2)))) < 1e-12);
  assert.equal(findCrossover(pts([2, 3, 1.1])).sparsity, null);
  assert.deepEqual([findCrossover(pts([0.5, 0.4])).sparsity, findCrossover(pts([0.5, 0.4])).estimate], [0, 0]);
});

test('a small sweep times every kernel, checks their results, and its figures draw every series', async () => {
  const sweep = sparsitySweep({ rows: 24, cols: 36, batch: 3, sparsities: [0, 0.5, 0.99], patterns: [[2, 4], [1, 4]], repeats: 1, warmup: 0, minSampleMs: 0 });
  assert.equal(sweep.operation, 'spmm');
  assert.deepEqual(sweep.points.map((p) => Math.round(p.sparsity * 100)), [0, 50, 99]);
  assert.deepEqual(sweep.structured.map((p) => [p.pattern, p.sparsity]), [['2:4', 0.5], ['1:4', 0.75]]);
  for (const p of [...sweep.points, ...sweep.structured]) for (const v of Object.values(p.seconds)) assert.ok(v > 0);
  assert.equal(csrCrossover(sweep).speedups.length, 3);
  assert.equal(nmCrossover(sweep).speedups.length, 2);
  assert.throws(() => csrCrossover(sweep, 'backend'), /no 'backend' timings/);
  const fig = sparsitySweepFigure(sweep);
  assert.deepEqual(fig.data.map((t) => t.name), ['dense (hand-written)', 'CSR (unstructured)', 'N:M (structured)']);
  const svg = sparsitySweepSvg(sweep);
  assert.match(svg, /^<svg[\s\S]*2:4[\s\S]*1:4[\s\S]*<\/svg>$/);
  assert.equal((svg.match(/<circle/g) ?? []).length, 3);
  // A matrix that is not N:M is refused by the bench before anything is timed.
  assert.throws(() => benchSparseMatrix(randomMatrix(4, 8, 1), 4, 8, { pattern: [2, 4] }), /not 2:4 sparse/);
});
