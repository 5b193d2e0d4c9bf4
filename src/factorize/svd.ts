/**
 * Singular value decomposition in plain TypeScript, float64 throughout: the cyclic Jacobi eigenvalue method
 * on the smaller Gram matrix (AᵀA or AAᵀ), then the other singular vectors as A v / σ. Exact enough for
 * truncation (errors ~1e-12 of the largest singular value), small and dependency-free.
 */

export interface Eigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** n x n, row-major: column k is the unit eigenvector of values[k]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi rotations.
 *
 * @example
 * symmetricEigen(new Float64Array([2, 1, 1, 2]), 2).values; // [3, 1]
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number, opts: { maxSweeps?: number; tolerance?: number } = {}): Eigen {
  if (matrix.length !== n * n) throw new RangeError(`symmetricEigen: ${matrix.length} values is not a ${n}x${n} matrix`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const tol = opts.tolerance ?? 1e-15;
  const maxSweeps = opts.maxSweeps ?? 60;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  scale = Math.sqrt(scale);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (Math.sqrt(off) <= tol * scale || scale === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) <= 1e-300) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let r = 0; r < n; r++) vectors[r * n + k] = v[r * n + order[k]];
  return { values, vectors };
}

export interface Svd {
  m: number;
  n: number;
  /** min(m, n) singular values, largest first. */
  s: Float64Array;
  /** m x r left singular vectors (row-major). */
  u: Float64Array;
  /** n x r right singular vectors (row-major). */
  v: Float64Array;
}

function checkMatrix(a: ArrayLike<number>, m: number, n: number): void {
  if (!(Number.isInteger(m) && Number.isInteger(n) && m > 0 && n > 0) || a.length !== m * n) {
    throw new RangeError(`expected an ${m}x${n} matrix (${m * n} values), got ${a.length} values`);
  }
}

/**
 * Thin SVD of a row-major m x n matrix: A = U diag(s) Vᵀ with r = min(m, n) components.
 *
 * @example
 * const { s } = svd(new Float64Array([3, 0, 0, 4]), 2, 2); // s = [4, 3]
 */
export function svd(a: ArrayLike<number>, m: number, n: number): Svd {
  checkMatrix(a, m, n);
  const tall = m >= n;
  const r = Math.min(m, n);
  // Gram matrix of the smaller side: G = AᵀA (n x n) when tall, else AAᵀ (m x m).
  const g = new Float64Array(r * r);
  if (tall) {
    for (let k = 0; k < m; k++) {
      const row = k * n;
      for (let i = 0; i < n; i++) {
        const aki = a[row + i];
        if (aki === 0) continue;
        for (let j = i; j < n; j++) g[i * n + j] += aki * a[row + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += a[i * n + k] * a[j * n + k];
        g[i * m + j] = sum;
      }
    }
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) g[i * r + j] = g[j * r + i];
  const { values, vectors } = symmetricEigen(g, r);
  const s = values.map((x) => Math.sqrt(Math.max(x, 0)));
  // The other side: columns (A v_k) / s_k (or (Aᵀ u_k) / s_k); zero for vanishing singular values.
  const longSide = tall ? m : n;
  const other = new Float64Array(longSide * r);
  const floor = (s[0] || 0) * 1e-13;
  for (let k = 0; k < r; k++) {
    if (!(s[k] > floor)) continue;
    for (let i = 0; i < longSide; i++) {
      let sum = 0;
      if (tall) for (let j = 0; j < n; j++) sum += a[i * n + j] * vectors[j * r + k];
      else for (let j = 0; j < m; j++) sum += a[j * n + i] * vectors[j * r + k];
      other[i * r + k] = sum / s[k];
    }
  }
  // The Gram matrix squares the condition number, so columns of tiny σ lose orthogonality; one modified
  // Gram-Schmidt pass against the earlier (more accurate) columns restores it.
  for (let k = 1; k < r; k++) {
    if (!(s[k] > floor)) continue;
    for (let j = 0; j < k; j++) {
      if (!(s[j] > floor)) continue;
      let dot = 0;
      for (let i = 0; i < longSide; i++) dot += other[i * r + j] * other[i * r + k];
      for (let i = 0; i < longSide; i++) other[i * r + k] -= dot * other[i * r + j];
    }
    let norm = 0;
    for (let i = 0; i < longSide; i++) norm += other[i * r + k] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < longSide; i++) other[i * r + k] /= norm;
  }
  return tall ? { m, n, s, u: other, v: vectors } : { m, n, s, u: vectors, v: other };
}

/**
 * Smallest rank whose singular values keep at least `energy` of the total Σσ² (the squared Frobenius norm).
 *
 * @example
 * rankForEnergy(new Float64Array([3, 1]), 0.9); // 1 (9 / 10 of the energy)
 */
export function rankForEnergy(s: ArrayLike<number>, energy: number): number {
  if (!(energy > 0 && energy <= 1)) throw new RangeError(`energy must be in (0, 1] (fraction of Σσ² kept), got ${energy}`);
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i] * s[i];
  let kept = 0;
  for (let k = 0; k < s.length; k++) {
    kept += s[k] * s[k];
    if (kept >= energy * total * (1 - 1e-12)) return k + 1;
  }
  return s.length;
}
