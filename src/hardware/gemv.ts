/**
 * The dense matrix-vector product y = A·x (A row-major [M, K]): the baseline the sparse SpMV kernels are
 * timed against. One dot product per row, unrolled by four into independent sums (as gemmUnrolled does for
 * the matrix product), float64 sums stored as float32. Isomorphic.
 */

/**
 * y = A·x for a dense row-major A of `rows`·`cols` floats (fills `y`, length rows).
 *
 * @example
 * const y = new Float32Array(M);
 * gemv(a, x, y, M, K);
 */
export function gemv(a: Float32Array, x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) throw new Error(`gemv: rows and cols must be positive whole numbers, got ${rows}, ${cols}`);
  if (a.length !== rows * cols) throw new Error(`gemv: A has ${a.length} elements, rows·cols = ${rows * cols} expected`);
  if (x.length !== cols) throw new Error(`gemv: x has ${x.length} elements, ${cols} expected`);
  if (y.length !== rows) throw new Error(`gemv: y has ${y.length} elements, ${rows} expected`);
  const k4 = cols - (cols % 4);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let k = 0;
    for (; k < k4; k += 4) {
      s0 += a[r + k] * x[k];
      s1 += a[r + k + 1] * x[k + 1];
      s2 += a[r + k + 2] * x[k + 2];
      s3 += a[r + k + 3] * x[k + 3];
    }
    for (; k < cols; k++) s0 += a[r + k] * x[k];
    y[i] = s0 + s1 + (s2 + s3);
  }
}
