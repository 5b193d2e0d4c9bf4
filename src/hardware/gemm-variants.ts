/**
 * The matrix-product variants by name, so notebooks, benches and tests loop over the same list. Each is a
 * GemmKernel; the tiled ones take the tile size from the options. Isomorphic.
 */
import { gemmBackend } from './backend-kernels';
import { gemmBlocked } from './gemm-blocked';
import { gemmNaive } from './gemm-naive';
import { gemmPacked } from './gemm-packed';
import { gemmUnrolled } from './gemm-unrolled';
import type { GemmKernel } from './matrix';

export type GemmVariant = 'naive' | 'unrolled' | 'blocked' | 'packed' | 'backend';
export const GEMM_VARIANTS: readonly GemmVariant[] = ['naive', 'unrolled', 'blocked', 'packed', 'backend'];

/**
 * The kernel of a variant (tiled variants with the given tile, default 64).
 *
 * @example
 * const k = gemmKernel('blocked', 32);
 * k(a, b, c, { M, N, K });
 */
export function gemmKernel(variant: GemmVariant, tile = 64): GemmKernel {
  switch (variant) {
    case 'naive': return gemmNaive;
    case 'unrolled': return gemmUnrolled;
    case 'blocked': return (a, b, c, s) => gemmBlocked(a, b, c, s, tile);
    case 'packed': return (a, b, c, s) => gemmPacked(a, b, c, s, tile);
    case 'backend': return gemmBackend;
    default: throw new Error(`unknown gemm variant '${String(variant)}'; use one of ${GEMM_VARIANTS.join(', ')}`);
  }
}
