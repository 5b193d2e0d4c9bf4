/**
 * Tiling on a packed layout, the structure of BLAS libraries (GotoBLAS / BLIS): for each tile×tile block, the
 * block of A is copied into panels of 4 rows and the block of B into panels of 4 columns, each panel stored
 * contiguously in the order the micro-kernel reads it (zero-padded at the edges). A 4×4 register-blocked
 * micro-kernel then keeps 16 sums in local variables, and for each k loads 4 values of A and 4 of B for 16
 * multiply-adds: four times the arithmetic per load of the blocked kernel's inner loop. Isomorphic.
 */
import { checkGemmShape, checkTile, type GemmShape } from './matrix';

/** Rows of A and columns of B per micro-kernel panel. */
export const PANEL = 4;

/**
 * The 4×4 micro-kernel: accumulates the product of a packed A panel (kc×4, row k holds A[0..3][k]) and a
 * packed B panel (kc×4, row k holds B[k][0..3]) into `out` (16 values, row-major 4×4). Exported for the
 * peak measurement, which runs it on panels that stay in L1.
 *
 * @example
 * const out = new Float32Array(16);
 * microKernel4x4(ap, 0, bp, 0, kc, out);
 */
export function microKernel4x4(ap: Float32Array, aOff: number, bp: Float32Array, bOff: number, kc: number, out: Float32Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let pa = aOff;
  let pb = bOff;
  for (let p = 0; p < kc; p++, pa += 4, pb += 4) {
    const a0 = ap[pa], a1 = ap[pa + 1], a2 = ap[pa + 2], a3 = ap[pa + 3];
    const b0 = bp[pb], b1 = bp[pb + 1], b2 = bp[pb + 2], b3 = bp[pb + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  out[0] = c00; out[1] = c01; out[2] = c02; out[3] = c03;
  out[4] = c10; out[5] = c11; out[6] = c12; out[7] = c13;
  out[8] = c20; out[9] = c21; out[10] = c22; out[11] = c23;
  out[12] = c30; out[13] = c31; out[14] = c32; out[15] = c33;
}

/** Copies A[i0..i0+mb, k0..k0+kb] into panels of 4 rows: panel ip, step p, row r at ((ip·kb + p)·4 + r). */
function packA(a: Float32Array, K: number, i0: number, mb: number, k0: number, kb: number, dst: Float32Array): void {
  const panels = Math.ceil(mb / PANEL);
  for (let ip = 0; ip < panels; ip++) {
    for (let r = 0; r < PANEL; r++) {
      const i = ip * PANEL + r;
      const base = ip * kb * PANEL + r;
      if (i < mb) {
        const src = (i0 + i) * K + k0;
        for (let p = 0; p < kb; p++) dst[base + p * PANEL] = a[src + p];
      } else {
        for (let p = 0; p < kb; p++) dst[base + p * PANEL] = 0;
      }
    }
  }
}

/** Copies B[k0..k0+kb, j0..j0+nb] into panels of 4 columns: panel jp, step p, column s at ((jp·kb + p)·4 + s). */
function packB(b: Float32Array, N: number, k0: number, kb: number, j0: number, nb: number, dst: Float32Array): void {
  const panels = Math.ceil(nb / PANEL);
  for (let jp = 0; jp < panels; jp++) {
    for (let p = 0; p < kb; p++) {
      const src = (k0 + p) * N + j0 + jp * PANEL;
      const base = (jp * kb + p) * PANEL;
      for (let s = 0; s < PANEL; s++) dst[base + s] = jp * PANEL + s < nb ? b[src + s] : 0;
    }
  }
}

/**
 * C = A·B tiled in tile×tile×tile blocks, each block packed into 4-wide panels and multiplied by the 4×4
 * micro-kernel. Any sizes and any tile (it is rounded up to a multiple of 4 for the panels).
 *
 * @example
 * gemmPacked(a, b, c, { M, N, K }, 64);
 */
export function gemmPacked(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, tile = 64): void {
  checkGemmShape(a, b, c, shape);
  checkTile(tile);
  const { M, N, K } = shape;
  const t = Math.ceil(tile / PANEL) * PANEL;
  const ap = new Float32Array(t * t);
  const bp = new Float32Array(t * t);
  const acc = new Float32Array(PANEL * PANEL);
  c.fill(0);
  for (let jj = 0; jj < N; jj += t) {
    const nb = Math.min(t, N - jj);
    for (let kk = 0; kk < K; kk += t) {
      const kb = Math.min(t, K - kk);
      packB(b, N, kk, kb, jj, nb, bp);
      for (let ii = 0; ii < M; ii += t) {
        const mb = Math.min(t, M - ii);
        packA(a, K, ii, mb, kk, kb, ap);
        for (let ip = 0; ip * PANEL < mb; ip++) {
          const rows = Math.min(PANEL, mb - ip * PANEL);
          for (let jp = 0; jp * PANEL < nb; jp++) {
            const cols = Math.min(PANEL, nb - jp * PANEL);
            microKernel4x4(ap, ip * kb * PANEL, bp, jp * kb * PANEL, kb, acc);
            for (let r = 0; r < rows; r++) {
              const cRow = (ii + ip * PANEL + r) * N + jj + jp * PANEL;
              for (let s = 0; s < cols; s++) c[cRow + s] += acc[r * PANEL + s];
            }
          }
        }
      }
    }
  }
}
