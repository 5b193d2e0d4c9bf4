/**
 * N:M structured sparsity (2:4 is the form sparse tensor cores run): in each row of A [M, K], every group of M
 * consecutive columns holds at most N nonzeros. The compressed form keeps exactly N slots per group — the
 * values, and for each value its position inside the group (the index metadata: log2(M) bits per value, 2
 * bits for 2:4, held here as one byte each so the kernels read them directly). A group with fewer nonzeros
 * pads with zero values; a last, shorter group (K not a multiple of M) may hold up to N. Because every row has
 * the same number of slots at fixed places, the kernels have no row pointers, no data-dependent loop bounds,
 * and the gathered reads stay inside a window of M columns. Isomorphic.
 */

/** An [rows, cols] matrix in N:M compressed form. */
export interface NmMatrix {
  rows: number;
  cols: number;
  /** At most `n` nonzeros in every group of `m` consecutive columns of a row. */
  n: number;
  m: number;
  /** ceil(cols / m). */
  groupsPerRow: number;
  /** rows · groupsPerRow · n values, row by row, group by group (zeros pad unused slots). */
  values: Float32Array;
  /** Position of each value inside its group, 0..m-1 (column = group · m + index). */
  indices: Uint8Array;
}

function checkPattern(n: number, m: number): void {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 1 && m >= 1 && n <= m && m <= 256)) {
    throw new RangeError(`N:M sparsity needs whole numbers 1 <= N <= M <= 256, got ${n}:${m}`);
  }
}

function checkDense(dense: ArrayLike<number>, rows: number, cols: number, what: string): void {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1) || dense.length !== rows * cols) {
    throw new RangeError(`${what}: a dense array of ${dense.length} values does not match shape [${rows}, ${cols}]`);
  }
}

/**
 * Prunes a dense row-major matrix to N:M: in each group of `m` consecutive columns of a row, keeps the `n`
 * entries of largest |w| (ties: the lower column) and zeros the rest. Returns a new array.
 *
 * @example
 * pruneToNm(Float32Array.of(0.1, -3, 2, 0.5), 1, 4); // [0, -3, 2, 0]
 */
export function pruneToNm(dense: Float32Array, rows: number, cols: number, n = 2, m = 4): Float32Array {
  checkPattern(n, m);
  checkDense(dense, rows, cols, 'pruneToNm');
  const out = new Float32Array(dense.length);
  const order: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let start = 0; start < cols; start += m) {
      const size = Math.min(m, cols - start);
      order.length = 0;
      for (let j = 0; j < size; j++) order.push(r * cols + start + j);
      order.sort((p, q) => Math.abs(dense[q]) - Math.abs(dense[p]) || p - q);
      for (let j = 0; j < Math.min(n, size); j++) out[order[j]] = dense[order[j]];
    }
  }
  return out;
}

/**
 * Compresses a dense row-major matrix that already is N:M (default 2:4). Throws, naming the first row and
 * group that holds more than `n` nonzeros, when it is not (prune it with `pruneToNm` first).
 *
 * @example
 * const a = toNm(pruneToNm(w, M, K), M, K);   // 2:4: half the values, 2-bit positions
 * toNm(Float32Array.of(1, 2, 3, 0), 1, 4);    // throws: row 0, columns 0-3 hold 3 nonzeros
 */
export function toNm(dense: Float32Array, rows: number, cols: number, n = 2, m = 4): NmMatrix {
  checkPattern(n, m);
  checkDense(dense, rows, cols, 'toNm');
  const groupsPerRow = Math.ceil(cols / m);
  const values = new Float32Array(rows * groupsPerRow * n);
  const indices = new Uint8Array(values.length);
  let slot = 0;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groupsPerRow; g++) {
      const start = g * m;
      const size = Math.min(m, cols - start);
      let used = 0;
      for (let j = 0; j < size; j++) {
        const v = dense[r * cols + start + j];
        if (v === 0) continue;
        if (used === n) {
          let count = 0;
          for (let q = 0; q < size; q++) if (dense[r * cols + start + q] !== 0) count++;
          throw new RangeError(`toNm: the matrix is not ${n}:${m} sparse: row ${r}, columns ${start}-${start + size - 1} hold ${count} nonzeros, at most ${n} allowed in each group of ${m} consecutive columns (prune it with pruneToNm first)`);
        }
        values[slot + used] = v;
        indices[slot + used] = j;
        used++;
      }
      slot += n; // unused slots keep value 0 and index 0
    }
  }
  return { rows, cols, n, m, groupsPerRow, values, indices };
}

/**
 * Expands an N:M matrix back to dense row-major.
 *
 * @example
 * fromNm(toNm(w, M, K)); // equals w
 */
export function fromNm(a: NmMatrix): Float32Array {
  const out = new Float32Array(a.rows * a.cols);
  let slot = 0;
  for (let r = 0; r < a.rows; r++) {
    for (let g = 0; g < a.groupsPerRow; g++) {
      for (let s = 0; s < a.n; s++, slot++) {
        if (a.values[slot] !== 0) out[r * a.cols + g * a.m + a.indices[slot]] = a.values[slot];
      }
    }
  }
  return out;
}

/**
 * Bytes of the compressed matrix as hardware stores it: 4 per value slot plus ceil(log2 m) bits of position
 * per slot, packed (2:4: 4.25 bytes per kept value, 2.125 per weight of the dense matrix, vs 4 dense).
 *
 * @example
 * nmBytes(toNm(pruneToNm(w, 64, 64), 64, 64)); // 64·16·2 slots · 4.25 B = 8704
 */
export function nmBytes(a: NmMatrix): number {
  const bits = Math.max(1, Math.ceil(Math.log2(a.m)));
  return a.values.byteLength + Math.ceil((a.values.length * bits) / 8);
}

/**
 * FLOPs the N:M kernels perform: 2 per value slot (padding slots included: the kernel does not test them)
 * and per column of B.
 *
 * @example
 * nmFlops(toNm(pruneToNm(w, M, K), M, K), 1); // M·K for 2:4 (half of a dense 2·M·K)
 */
export function nmFlops(a: NmMatrix, n = 1): number {
  return 2 * a.values.length * n;
}

function checkNm(a: NmMatrix, what: string): void {
  if (a.values.length !== a.rows * a.groupsPerRow * a.n || a.indices.length !== a.values.length || a.groupsPerRow !== Math.ceil(a.cols / a.m)) {
    throw new Error(`${what}: the N:M arrays do not fit together (${a.values.length} values, ${a.indices.length} indices for ${a.rows} rows x ${a.groupsPerRow} groups x ${a.n})`);
  }
}

/**
 * y = A·x with A in N:M form (fills `y`, length rows). 2:4 runs an unrolled two-slot loop.
 *
 * @example
 * const a = toNm(pruneToNm(w, M, K), M, K);
 * spmvNm(a, x, y);
 */
export function spmvNm(a: NmMatrix, x: Float32Array, y: Float32Array): void {
  checkNm(a, 'spmvNm');
  if (x.length !== a.cols) throw new Error(`spmvNm: x has ${x.length} elements, ${a.cols} (columns of A) expected`);
  if (y.length !== a.rows) throw new Error(`spmvNm: y has ${y.length} elements, ${a.rows} (rows of A) expected`);
  const { rows, n, m, groupsPerRow: G, values, indices } = a;
  let slot = 0;
  if (n === 2) {
    for (let i = 0; i < rows; i++) {
      let s0 = 0, s1 = 0;
      for (let g = 0, base = 0; g < G; g++, base += m, slot += 2) {
        s0 += values[slot] * x[base + indices[slot]];
        s1 += values[slot + 1] * x[base + indices[slot + 1]];
      }
      y[i] = s0 + s1;
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let g = 0, base = 0; g < G; g++, base += m) {
      for (let s = 0; s < n; s++, slot++) sum += values[slot] * x[base + indices[slot]];
    }
    y[i] = sum;
  }
}

/**
 * C = A·B with A in N:M form and B dense row-major [cols, N] (fills `c`, length rows·N).
 *
 * @example
 * const a = toNm(pruneToNm(w, M, K), M, K);
 * spmmNm(a, b, c, N);
 */
export function spmmNm(a: NmMatrix, b: Float32Array, c: Float32Array, n: number): void {
  checkNm(a, 'spmmNm');
  if (!Number.isInteger(n) || n < 1) throw new Error(`spmmNm: N must be a positive whole number, got ${n}`);
  if (b.length !== a.cols * n) throw new Error(`spmmNm: B has ${b.length} elements, K·N = ${a.cols * n} expected`);
  if (c.length !== a.rows * n) throw new Error(`spmmNm: C has ${c.length} elements, M·N = ${a.rows * n} expected`);
  const { rows, n: slots, m, groupsPerRow: G, values, indices } = a;
  const acc = new Float64Array(n);
  let slot = 0;
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let g = 0, base = 0; g < G; g++, base += m) {
      for (let s = 0; s < slots; s++, slot++) {
        const v = values[slot];
        const bRow = (base + indices[slot]) * n;
        for (let j = 0; j < n; j++) acc[j] += v * b[bRow + j];
      }
    }
    const cRow = i * n;
    for (let j = 0; j < n; j++) c[cRow + j] = acc[j];
  }
}
