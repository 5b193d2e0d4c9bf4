/**
 * Unstructured sparse kernels on compressed sparse rows (CSR, the encoding of src/prune/storage.ts: `toCsr`
 * turns a dense row-major Float32Array into row pointers, column indices and nonzero values). A is the sparse
 * [M, K] matrix (a weight matrix, one row per output), x a dense vector of K, B a dense row-major [K, N]
 * matrix. Each kernel does one multiply-add per stored nonzero and nothing for the zeros; what it pays instead
 * is an index load per nonzero and an indirect (gathered) read of x or of a row of B. Sums are accumulated in
 * float64 and stored as float32, like the dense reference kernels. Isomorphic.
 */
import type { CsrMatrix } from '../prune/storage';

/**
 * FLOPs the sparse kernels actually perform: 2 per stored nonzero and per column of B (n = 1 for SpMV).
 *
 * @example
 * csrFlops(toCsr(w, 64, 128), 32); // 2 · nonzeros · 32
 */
export function csrFlops(a: CsrMatrix, n = 1): number {
  return 2 * a.values.length * n;
}

function checkCsr(a: CsrMatrix, what: string): void {
  if (a.rowPtr.length !== a.rows + 1 || a.rowPtr[a.rows] !== a.values.length || a.colIndex.length !== a.values.length) {
    throw new Error(`${what}: the CSR arrays do not fit together (rowPtr ${a.rowPtr.length} for ${a.rows} rows, last offset ${a.rowPtr[a.rows]}, ${a.colIndex.length} indices, ${a.values.length} values)`);
  }
}

/**
 * y = A·x with A in CSR: one dot product per row over its nonzeros only (fills `y`, length M).
 *
 * @example
 * const a = toCsr(w, M, K);           // w: dense [M, K]
 * const y = new Float32Array(M);
 * spmvCsr(a, x, y);                   // x: Float32Array(K)
 */
export function spmvCsr(a: CsrMatrix, x: Float32Array, y: Float32Array): void {
  checkCsr(a, 'spmvCsr');
  if (x.length !== a.cols) throw new Error(`spmvCsr: x has ${x.length} elements, ${a.cols} (columns of A) expected`);
  if (y.length !== a.rows) throw new Error(`spmvCsr: y has ${y.length} elements, ${a.rows} (rows of A) expected`);
  const { rows, rowPtr, colIndex, values } = a;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    const end = rowPtr[i + 1];
    for (let p = rowPtr[i]; p < end; p++) sum += values[p] * x[colIndex[p]];
    y[i] = sum;
  }
}

/**
 * C = A·B with A in CSR and B dense [K, N] (row by row: each nonzero A[i, k] adds A[i, k]·B[k, :] to C[i, :],
 * so the innermost loop runs along contiguous rows of B and C). Fills `c`, length M·N.
 *
 * @example
 * const a = toCsr(w, M, K);
 * const c = new Float32Array(M * N);
 * spmmCsr(a, b, c, N);                // b: Float32Array(K · N), row-major
 */
export function spmmCsr(a: CsrMatrix, b: Float32Array, c: Float32Array, n: number): void {
  checkCsr(a, 'spmmCsr');
  if (!Number.isInteger(n) || n < 1) throw new Error(`spmmCsr: N must be a positive whole number, got ${n}`);
  if (b.length !== a.cols * n) throw new Error(`spmmCsr: B has ${b.length} elements, K·N = ${a.cols * n} expected`);
  if (c.length !== a.rows * n) throw new Error(`spmmCsr: C has ${c.length} elements, M·N = ${a.rows * n} expected`);
  const { rows, rowPtr, colIndex, values } = a;
  const acc = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    const end = rowPtr[i + 1];
    for (let p = rowPtr[i]; p < end; p++) {
      const v = values[p];
      const bRow = colIndex[p] * n;
      for (let j = 0; j < n; j++) acc[j] += v * b[bRow + j];
    }
    const cRow = i * n;
    for (let j = 0; j < n; j++) c[cRow + j] = acc[j];
  }
}
