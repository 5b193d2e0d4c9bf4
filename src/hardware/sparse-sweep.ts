/**
 * When does sparsity pay? Times the dense kernel, CSR and N:M on the same matrices: one given matrix
 * (`benchSparseMatrix`, e.g. a pruned layer), or random matrices over a range of sparsities (`sparsitySweep`,
 * unstructured zeros at random places, plus N:M-pruned matrices for each pattern), and finds the crossover:
 * the lowest sparsity from which the sparse kernel is faster than the dense one. The operation is y = A·x
 * (SpMV, batch 1) or C = A·B with B [K, batch] (SpMM). Dense kernels are the best hand-written ones of this
 * module (gemv, the packed GEMM), so the comparison is between TypeScript loops written with the same care;
 * the backend's compiled matMul can be timed as well. The kernels on one matrix are timed in interleaved rounds
 * and compared by their best sample (compareKernels), so other work on the machine does not favour one of them.
 * Isomorphic.
 */
import { csrBytes, toCsr } from '../prune/storage';
import { mulberry32, permutation } from '../util/random';
import { prepareBackendGemm } from './backend-kernels';
import { gemmPacked } from './gemm-packed';
import { gemv } from './gemv';
import { compareKernels, type TimedRun } from './compare';
import { randomMatrix } from './matrix';
import type { MeasureOptions } from './measure';
import { spmmCsr, spmvCsr } from './sparse-csr';
import { nmBytes, pruneToNm, spmmNm, spmvNm, toNm } from './sparse-nm';

/** Seconds per run of each kernel on one matrix (best of interleaved rounds). */
export interface SparseSeconds {
  /** The hand-written dense kernel: gemv for batch 1, the packed GEMM (tile 64) otherwise. */
  dense: number;
  csr: number;
  /** The N:M kernel, when a pattern was given. */
  nm?: number;
  /** tf.matMul on the active backend, when asked for. */
  backend?: number;
}

/** One matrix, timed. */
export interface SparseTiming {
  /** Fraction of zero entries of the matrix. */
  sparsity: number;
  /** 'n:m' of the N:M kernel timed, if any. */
  pattern?: string;
  seconds: SparseSeconds;
  /** Bytes of the matrix: dense float32, CSR arrays (src/prune/storage.ts), N:M values + packed positions. */
  bytes: { dense: number; csr: number; nm?: number };
}

export interface SparseBenchOptions extends MeasureOptions {
  /** Columns of B (1: matrix-vector product). Default 1. */
  batch?: number;
  /** Also time the N:M kernel with this pattern (the matrix must be N:M, else toNm throws). */
  pattern?: [number, number];
  /** Also time the backend's matMul. Default false. */
  backend?: boolean;
  seed?: number;
}

/**
 * Times dense, CSR (and N:M, backend) on one row-major matrix A [rows, cols] (for a tfjs dense kernel
 * [in, out], pass its transpose: one row per output). Checks that the sparse results equal the dense one first.
 *
 * @example
 * const t = benchSparseMatrix(pruneToNm(w, 120, 400), 120, 400, { batch: 1, pattern: [2, 4] });
 * t.seconds.dense / t.seconds.csr; // speed-up of CSR (below 1: CSR is slower)
 */
export function benchSparseMatrix(a: Float32Array, rows: number, cols: number, opts: SparseBenchOptions = {}): SparseTiming {
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive whole number, got ${batch}`);
  if (a.length !== rows * cols) throw new Error(`A has ${a.length} elements, rows·cols = ${rows * cols} expected`);
  const b = randomMatrix(cols, batch, opts.seed ?? 7);
  const csr = toCsr(a, rows, cols);
  const nm = opts.pattern ? toNm(a, rows, cols, opts.pattern[0], opts.pattern[1]) : undefined;
  const shape = { M: rows, N: batch, K: cols };
  const out = () => new Float32Array(rows * batch);
  const dense = out(), viaCsr = out(), viaNm = out();
  const runDense = batch === 1 ? () => gemv(a, b, dense, rows, cols) : () => gemmPacked(a, b, dense, shape, 64);
  const runCsr = batch === 1 ? () => spmvCsr(csr, b, viaCsr) : () => spmmCsr(csr, b, viaCsr, batch);
  const runNm = nm && (batch === 1 ? () => spmvNm(nm, b, viaNm) : () => spmmNm(nm, b, viaNm, batch));
  runDense();
  runCsr();
  runNm?.();
  for (let i = 0; i < dense.length; i++) {
    const tol = 1e-4 * (1 + Math.abs(dense[i]));
    if (Math.abs(viaCsr[i] - dense[i]) > tol || (runNm && Math.abs(viaNm[i] - dense[i]) > tol)) {
      throw new Error(`sparse and dense products differ at ${i}: dense ${dense[i]}, CSR ${viaCsr[i]}${runNm ? `, N:M ${viaNm[i]}` : ''}`);
    }
  }
  const runs: TimedRun[] = [{ name: 'dense', run: runDense }, { name: 'csr', run: runCsr }];
  if (runNm) runs.push({ name: 'nm', run: runNm });
  const k = opts.backend ? prepareBackendGemm(a, b, shape) : undefined;
  if (k) runs.push({ name: 'backend', run: () => k.run() });
  let timed;
  try {
    timed = compareKernels(runs, opts);
  } finally {
    k?.dispose();
  }
  const seconds = Object.fromEntries(timed.map((t) => [t.name, t.seconds])) as unknown as SparseSeconds;
  let zeros = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) zeros++;
  return {
    sparsity: zeros / a.length,
    ...(nm ? { pattern: `${nm.n}:${nm.m}` } : {}),
    seconds,
    bytes: { dense: a.byteLength, csr: csrBytes(csr), ...(nm ? { nm: nmBytes(nm) } : {}) },
  };
}

/**
 * A seeded [rows, cols] matrix, uniform in [-1, 1), with exactly round(sparsity · rows · cols) zeros at
 * random places (unstructured).
 *
 * @example
 * randomSparseMatrix(256, 256, 0.9, 1); // 58982 zeros
 */
export function randomSparseMatrix(rows: number, cols: number, sparsity: number, seed: number): Float32Array {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`sparsity must be in [0, 1], got ${sparsity}`);
  const a = randomMatrix(rows, cols, seed);
  for (let i = 0; i < a.length; i++) if (a[i] === 0) a[i] = 0.5; // keep the zero count exact
  const order = permutation(a.length, mulberry32(seed + 1));
  const zeros = Math.round(sparsity * a.length);
  for (let i = 0; i < zeros; i++) a[order[i]] = 0;
  return a;
}

/** The sparsities the sweep times by default (fractions of zeros). */
export const DEFAULT_SPARSITIES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

export interface SparsitySweepOptions extends MeasureOptions {
  /** Rows M and columns K of the sparse matrix (default 1024 x 1024). */
  rows?: number;
  cols?: number;
  /** Columns of B (1: SpMV, default). */
  batch?: number;
  /** Fractions of zeros, unstructured (default DEFAULT_SPARSITIES). */
  sparsities?: readonly number[];
  /** N:M patterns, each timed on a random matrix pruned to it (default [[2, 4]]). */
  patterns?: readonly [number, number][];
  /** Also time the backend's matMul at each point (default false). */
  backend?: boolean;
  seed?: number;
}

export interface SparsitySweep {
  operation: 'spmv' | 'spmm';
  rows: number;
  cols: number;
  batch: number;
  /** Random unstructured matrices, by sparsity: dense and CSR (and backend) seconds. */
  points: SparseTiming[];
  /** One N:M-pruned matrix per pattern: dense, CSR and N:M seconds at the pattern's sparsity 1 - N/M. */
  structured: SparseTiming[];
}

/**
 * Times dense vs CSR over unstructured sparsities, and dense vs N:M for each pattern.
 *
 * @example
 * const sweep = sparsitySweep({ rows: 1024, cols: 1024, batch: 1, patterns: [[2, 4], [1, 4]] });
 * csrCrossover(sweep).sparsity; // e.g. 0.7: CSR wins from 70% zeros on
 */
export function sparsitySweep(opts: SparsitySweepOptions = {}): SparsitySweep {
  const rows = opts.rows ?? 1024;
  const cols = opts.cols ?? 1024;
  const batch = opts.batch ?? 1;
  const seed = opts.seed ?? 1;
  const measure: SparseBenchOptions = { warmup: opts.warmup, repeats: opts.repeats, minSampleMs: opts.minSampleMs, batch, backend: opts.backend, seed: seed + 1000 };
  const sparsities = [...(opts.sparsities ?? DEFAULT_SPARSITIES)].sort((x, y) => x - y);
  const points = sparsities.map((s, i) => benchSparseMatrix(randomSparseMatrix(rows, cols, s, seed + i), rows, cols, measure));
  const structured = (opts.patterns ?? [[2, 4]]).map(([n, m], i) =>
    benchSparseMatrix(pruneToNm(randomMatrix(rows, cols, seed + 500 + i), rows, cols, n, m), rows, cols, { ...measure, pattern: [n, m], backend: false }),
  );
  return { operation: batch === 1 ? 'spmv' : 'spmm', rows, cols, batch, points, structured };
}

/** Where a sparse kernel starts to beat the dense one. */
export interface Crossover {
  /** The lowest measured sparsity at which the kernel is faster, and at every measured sparsity above it; null if never. */
  sparsity: number | null;
  /**
   * Where the time ratio sparse / dense crosses 1, interpolated (in log ratio) between the last losing and the
   * first winning point; the first point when it already wins; null if never.
   */
  estimate: number | null;
  /** Speed-up dense / sparse at each measured sparsity. */
  speedups: { sparsity: number; speedup: number }[];
}

/**
 * The crossover of timed points: `sparse` and `dense` seconds at each sparsity.
 *
 * @example
 * findCrossover([{ sparsity: 0.5, sparse: 2, dense: 1 }, { sparsity: 0.9, sparse: 0.5, dense: 1 }]);
 * // { sparsity: 0.9, estimate: 0.5 + 0.4 · log 2 / (log 2 + log 2) = 0.7, ... }
 */
export function findCrossover(points: { sparsity: number; sparse: number; dense: number }[]): Crossover {
  const sorted = [...points].sort((p, q) => p.sparsity - q.sparsity);
  const speedups = sorted.map((p) => ({ sparsity: p.sparsity, speedup: p.dense / p.sparse }));
  let first = sorted.length;
  while (first > 0 && speedups[first - 1].speedup > 1) first--;
  if (first === sorted.length) return { sparsity: null, estimate: null, speedups };
  const s1 = sorted[first].sparsity;
  if (first === 0) return { sparsity: s1, estimate: s1, speedups };
  const s0 = sorted[first - 1].sparsity;
  const r0 = Math.log(speedups[first - 1].speedup); // <= 0
  const r1 = Math.log(speedups[first].speedup); // > 0
  return { sparsity: s1, estimate: s0 + ((s1 - s0) * -r0) / (r1 - r0), speedups };
}

/**
 * The crossover of CSR against the dense kernel in a sweep (or against the backend: `versus: 'backend'`).
 *
 * @example
 * const c = csrCrossover(sparsitySweep());
 * console.log(c.sparsity === null ? 'CSR never wins' : `CSR wins from ${c.sparsity * 100}% zeros`);
 */
export function csrCrossover(sweep: SparsitySweep, versus: 'dense' | 'backend' = 'dense'): Crossover {
  return findCrossover(sweep.points.map((p) => {
    const dense = p.seconds[versus];
    if (dense === undefined) throw new Error(`the sweep has no '${versus}' timings (run it with backend: true)`);
    return { sparsity: p.sparsity, sparse: p.seconds.csr, dense };
  }));
}

/**
 * The crossover of the N:M kernel against dense over the sweep's patterns (each at its sparsity 1 - N/M).
 *
 * @example
 * nmCrossover(sparsitySweep({ patterns: [[2, 4], [1, 4], [1, 8]] })).sparsity; // e.g. 0.5 if 2:4 already wins
 */
export function nmCrossover(sweep: SparsitySweep): Crossover {
  return findCrossover(sweep.structured.map((p) => ({ sparsity: p.sparsity, sparse: p.seconds.nm!, dense: p.seconds.dense })));
}
