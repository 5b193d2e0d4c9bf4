/**
 * Measured speed of the kernels on this machine: every matrix-product variant at one size, a tile-size sweep
 * of a tiled variant, and the two convolutions against the backend's. All report GFLOP/s from
 * `measureGflops` (warm-up, median of repeats) with FLOPs = 2·M·N·K for a product and 2 per
 * multiply-accumulate for a convolution. Isomorphic.
 */
import { prepareBackendConv, prepareBackendGemm } from './backend-kernels';
import { conv2dDirect, conv2dIm2col } from './conv2d';
import { convFlops, type ConvShape } from './conv-shape';
import { GEMM_VARIANTS, gemmKernel, type GemmVariant } from './gemm-variants';
import { gemmFlops, randomMatrix, type GemmShape } from './matrix';
import { measureGflops, type Measurement, type MeasureOptions } from './measure';

export interface KernelTiming extends Measurement {
  /** Variant name, e.g. 'blocked'. */
  name: string;
  tile?: number;
}

export interface GemmBenchOptions extends MeasureOptions {
  /** Variants to time (default all). */
  variants?: readonly GemmVariant[];
  /** Tile of the blocked and packed variants (default 64). */
  tile?: number;
  seed?: number;
}

/**
 * Times each matrix-product variant on random matrices of the given shape.
 *
 * @example
 * await initBackend();
 * benchGemm({ M: 256, N: 256, K: 256 }).map((t) => `${t.name} ${t.gflops.toFixed(2)}`);
 */
export function benchGemm(shape: GemmShape, opts: GemmBenchOptions = {}): KernelTiming[] {
  const a = randomMatrix(shape.M, shape.K, opts.seed ?? 1);
  const b = randomMatrix(shape.K, shape.N, (opts.seed ?? 1) + 1);
  const c = new Float32Array(shape.M * shape.N);
  const tile = opts.tile ?? 64;
  return (opts.variants ?? GEMM_VARIANTS).map((name) => {
    if (name === 'backend') {
      const k = prepareBackendGemm(a, b, shape);
      try {
        return { name, ...measureGflops(() => k.run(), gemmFlops(shape), opts) };
      } finally {
        k.dispose();
      }
    }
    const kernel = gemmKernel(name, tile);
    const tiled = name === 'blocked' || name === 'packed';
    return { name, ...(tiled ? { tile } : {}), ...measureGflops(() => kernel(a, b, c, shape), gemmFlops(shape), opts) };
  });
}

/**
 * GFLOP/s of a tiled variant for each tile size (the tile-size experiment).
 *
 * @example
 * tileSweep({ M: 256, N: 256, K: 256 }, [4, 8, 16, 32, 64, 128, 256], 'blocked');
 */
export function tileSweep(shape: GemmShape, tiles: number[], variant: 'blocked' | 'packed' = 'blocked', opts: MeasureOptions & { seed?: number } = {}): KernelTiming[] {
  const a = randomMatrix(shape.M, shape.K, opts.seed ?? 1);
  const b = randomMatrix(shape.K, shape.N, (opts.seed ?? 1) + 1);
  const c = new Float32Array(shape.M * shape.N);
  return tiles.map((tile) => {
    const kernel = gemmKernel(variant, tile);
    return { name: variant, tile, ...measureGflops(() => kernel(a, b, c, shape), gemmFlops(shape), opts) };
  });
}

/**
 * Times direct convolution, im2col + packed GEMM and the backend's conv2d on one shape.
 *
 * @example
 * benchConv({ batch: 8, height: 28, width: 28, inChannels: 32, outChannels: 64, kernelHeight: 3, kernelWidth: 3, padding: 'same' });
 */
export function benchConv(shape: ConvShape, opts: MeasureOptions & { seed?: number; tile?: number } = {}): KernelTiming[] {
  const x = randomMatrix(1, shape.batch * shape.height * shape.width * shape.inChannels, opts.seed ?? 1);
  const w = randomMatrix(1, shape.kernelHeight * shape.kernelWidth * shape.inChannels * shape.outChannels, (opts.seed ?? 1) + 1);
  const flops = convFlops(shape);
  const tile = opts.tile ?? 64;
  const gemm = gemmKernel('packed', tile);
  const backend = prepareBackendConv(x, w, shape);
  try {
    return [
      { name: 'direct', ...measureGflops(() => conv2dDirect(x, w, shape), flops, opts) },
      { name: 'im2col+packed', tile, ...measureGflops(() => conv2dIm2col(x, w, shape, gemm), flops, opts) },
      { name: 'backend', ...measureGflops(() => backend.run(), flops, opts) },
    ];
  } finally {
    backend.dispose();
  }
}
