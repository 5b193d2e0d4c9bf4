/**
 * GPTQ (Frantar et al. 2022): quantize a [out, in] weight matrix column by column, spreading each column's
 * rounding error over the columns not yet quantized, weighted by the inverse Hessian of the layer's
 * reconstruction loss ||W X^T - Q X^T||^2 (X: [n, in] calibration activations).
 *
 * Steps, as in the reference implementation: H = 2 X^T X / n; columns with H_jj = 0 are dead (weight 0,
 * H_jj = 1); H += damp * mean(diag H) * I; U = upper Cholesky factor of H^-1; for each column j:
 * q = quant(w_j), e = (w_j - q) / U_jj, w_k -= e * U_jk for k > j. Group scales are fitted when the first
 * column of a group is reached, on the weights as updated so far. Lazy batches of `blockSize` columns apply
 * the update to later blocks at once (same result, fewer passes over W).
 */
import { GroupQuantized, GroupParams, groupParams, groupLayout, quantizeToCode } from './group';

/** Options of {@link gptqQuantize}. */
export interface GptqOptions {
  bits: number;
  /** Input columns per group (default 128; the row length for one group per row). */
  groupSize?: number;
  symmetric?: boolean;
  /** Dampening as a fraction of the mean Hessian diagonal (default 0.01). */
  damp?: number;
  /** Lazy-batch width (default 128), rounded up to a multiple of the group size so groups never straddle. */
  blockSize?: number;
}

/**
 * Hessian of the layer loss: H = 2 X^T X / n for activations X [n, cols] (row-major), as float64 [cols, cols].
 *
 * @example
 * const h = gptqHessian(x, 512, 128); // h[i * 128 + j] = 2/512 * sum_t x[t,i] x[t,j]
 */
export function gptqHessian(x: ArrayLike<number>, n: number, cols: number): Float64Array {
  if (x.length !== n * cols) throw new Error(`gptqHessian: ${x.length} values for [${n}, ${cols}]`);
  const h = new Float64Array(cols * cols);
  for (let t = 0; t < n; t++) {
    const o = t * cols;
    for (let i = 0; i < cols; i++) {
      const xi = x[o + i];
      if (xi === 0) continue;
      const hr = i * cols;
      for (let j = i; j < cols; j++) h[hr + j] += xi * x[o + j];
    }
  }
  const f = 2 / n;
  for (let i = 0; i < cols; i++) {
    for (let j = i; j < cols; j++) {
      const v = h[i * cols + j] * f;
      h[i * cols + j] = v;
      h[j * cols + i] = v;
    }
  }
  return h;
}

/**
 * Lower Cholesky factor L (A = L L^T) of a symmetric positive definite [n, n] matrix, float64.
 *
 * @example
 * cholesky(new Float64Array([4, 2, 2, 5]), 2); // [2, 0, 1, 2]
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${j}: ${d})`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/**
 * Inverse of an SPD matrix from its lower Cholesky factor: A^-1 = L^-T L^-1 (torch.cholesky_inverse).
 *
 * @example
 * choleskyInverse(cholesky(new Float64Array([4, 0, 0, 2]), 2), 2); // [0.25, 0, 0, 0.5]
 */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // M = L^-1 (lower), by forward substitution on the identity
  const m = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * m[k * n + c];
      m[i * n + c] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += m[k * n + i] * m[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/**
 * The upper Cholesky factor of the dampened inverse Hessian that GPTQ iterates with; dead columns
 * (H_jj = 0) are reported so their weights can be zeroed.
 *
 * @example
 * const { u, dead } = gptqInverseHessian(gptqHessian(x, n, cols), cols, 0.01);
 */
export function gptqInverseHessian(hessian: ArrayLike<number>, cols: number, damp = 0.01): { u: Float64Array; dead: boolean[] } {
  const h = Float64Array.from(hessian);
  const dead: boolean[] = [];
  for (let i = 0; i < cols; i++) {
    dead.push(h[i * cols + i] === 0);
    if (dead[i]) h[i * cols + i] = 1;
  }
  let mean = 0;
  for (let i = 0; i < cols; i++) mean += h[i * cols + i];
  mean /= cols;
  for (let i = 0; i < cols; i++) h[i * cols + i] += damp * mean;
  const inv = choleskyInverse(cholesky(h, cols), cols);
  const l = cholesky(inv, cols);
  const u = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j <= i; j++) u[j * cols + i] = l[i * cols + j];
  return { u, dead };
}

/** GPTQ result: the quantized matrix (same layout as {@link groupQuantize}) and its float values. */
export interface GptqResult extends GroupQuantized {
  /** scale * (code - zero), float32 [rows, cols]. */
  dequantized: Float32Array;
}

/**
 * GPTQ-quantize a row-major [rows, cols] weight matrix given the layer's Hessian (see {@link gptqHessian}).
 *
 * @example
 * const h = gptqHessian(x, n, cols);
 * const q = gptqQuantize(w, rows, cols, h, { bits: 4, groupSize: 128 });
 * // ||W X^T - Q X^T|| is lower than with groupQuantize at the same bits
 */
export function gptqQuantize(w: ArrayLike<number>, rows: number, cols: number, hessian: ArrayLike<number>, opts: GptqOptions): GptqResult {
  if (w.length !== rows * cols) throw new Error(`gptqQuantize: ${w.length} values for a [${rows}, ${cols}] matrix`);
  if (hessian.length !== cols * cols) throw new Error(`gptqQuantize: Hessian must be [${cols}, ${cols}]`);
  const bits = opts.bits;
  const symmetric = opts.symmetric ?? true;
  const { groupSize, groups } = groupLayout(cols, opts.groupSize);
  const block = Math.max(groupSize, Math.ceil((opts.blockSize ?? 128) / groupSize) * groupSize);
  const { u, dead } = gptqInverseHessian(hessian, cols, opts.damp ?? 0.01);
  const W = Float64Array.from(w);
  for (let c = 0; c < cols; c++) if (dead[c]) for (let r = 0; r < rows; r++) W[r * cols + c] = 0;
  const codes = new Uint8Array(rows * cols);
  const scales = new Float32Array(rows * groups);
  const zeros = new Uint8Array(rows * groups);
  const deq = new Float32Array(rows * cols);
  const params: GroupParams[] = new Array(rows);
  const err = new Float64Array(rows * block); // scaled errors of the current block, [rows, block]
  for (let i1 = 0; i1 < cols; i1 += block) {
    const i2 = Math.min(i1 + block, cols);
    const count = i2 - i1;
    for (let i = i1; i < i2; i++) {
      if (i % groupSize === 0) {
        const g = i / groupSize;
        const end = Math.min(i + groupSize, cols);
        for (let r = 0; r < rows; r++) {
          const p = groupParams(W.subarray(r * cols + i, r * cols + end), bits, symmetric);
          params[r] = p;
          scales[r * groups + g] = p.scale;
          zeros[r * groups + g] = p.zero;
        }
      }
      const d = u[i * cols + i];
      for (let r = 0; r < rows; r++) {
        const wv = W[r * cols + i];
        const code = quantizeToCode(wv, params[r], bits);
        const qv = params[r].scale * (code - params[r].zero);
        codes[r * cols + i] = code;
        deq[r * cols + i] = qv;
        const e = (wv - qv) / d;
        err[r * block + (i - i1)] = e;
        // update the rest of this block now
        const wr = r * cols;
        const ur = i * cols;
        for (let k = i + 1; k < i2; k++) W[wr + k] -= e * u[ur + k];
      }
    }
    // lazy batch: the later columns get the whole block's update at once, W[:, i2:] -= Err @ U[i1:i2, i2:]
    if (i2 < cols) {
      for (let r = 0; r < rows; r++) {
        const wr = r * cols;
        for (let j = 0; j < count; j++) {
          const e = err[r * block + j];
          if (e === 0) continue;
          const ur = (i1 + j) * cols;
          for (let k = i2; k < cols; k++) W[wr + k] -= e * u[ur + k];
        }
      }
    }
  }
  return { rows, cols, bits, groupSize, symmetric, codes, scales, zeros, dequantized: deq };
}

/**
 * Output error ||W X^T - Q X^T||_F of a quantized weight on activations X [n, cols]: the quantity GPTQ
 * minimizes (up to the damping), used to compare it with round-to-nearest.
 *
 * @example
 * layerOutputError(w, gptqQuantize(w, rows, cols, h, { bits: 4 }).dequantized, rows, cols, x, n);
 */
export function layerOutputError(w: ArrayLike<number>, q: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let c = 0; c < cols; c++) acc += (w[r * cols + c] - q[r * cols + c]) * x[t * cols + c];
      s += acc * acc;
    }
  }
  return Math.sqrt(s);
}
