/**
 * NHWC against NCHW, measured: the two direct convolutions of src/hardware/conv2d-layout.ts on the same random
 * data (each in its own layout, converted once beforehand), and NCHW with the conversions of its input and
 * output included, which is what a model stored in NHWC pays to run one NCHW kernel. Timed in interleaved rounds
 * and compared by the best sample (compareKernels), GFLOP/s with convFlops. Isomorphic.
 */
import type { KernelTiming } from './benchmark';
import { compareKernels } from './compare';
import { conv2dNchw, conv2dNhwc } from './conv2d-layout';
import { convFlops, convGeometry, type ConvShape } from './conv-shape';
import { hwioToOihw, nchwToNhwc, nhwcToNchw } from './layout';
import { randomMatrix } from './matrix';
import type { MeasureOptions } from './measure';

/** The names benchConvLayouts reports, in order. */
export const LAYOUT_VARIANTS = ['nhwc', 'nchw', 'nchw + conversions'] as const;

/**
 * Times the direct convolution in NHWC and in NCHW on one shape (seconds: best sample; gflops from it).
 *
 * @example
 * const [nhwc, nchw] = benchConvLayouts({ batch: 8, height: 14, width: 14, inChannels: 32, outChannels: 64, kernelHeight: 3, kernelWidth: 3, padding: 'same' });
 * nhwc.seconds / nchw.seconds; // > 1: NCHW is faster on this shape
 */
export function benchConvLayouts(shape: ConvShape, opts: MeasureOptions & { seed?: number } = {}): KernelTiming[] {
  const seed = opts.seed ?? 1;
  const dims = { n: shape.batch, h: shape.height, w: shape.width, c: shape.inChannels };
  const x = randomMatrix(1, shape.batch * shape.height * shape.width * shape.inChannels, seed);
  const w = randomMatrix(1, shape.kernelHeight * shape.kernelWidth * shape.inChannels * shape.outChannels, seed + 1);
  const xNchw = nhwcToNchw(x, dims);
  const wOihw = hwioToOihw(w, { kh: shape.kernelHeight, kw: shape.kernelWidth, cin: shape.inChannels, cout: shape.outChannels });
  const g = convGeometry(shape);
  const outDims = { n: shape.batch, h: g.outHeight, w: g.outWidth, c: shape.outChannels };
  const flops = convFlops(shape);
  const timed = compareKernels([
    { name: LAYOUT_VARIANTS[0], run: () => conv2dNhwc(x, w, shape) },
    { name: LAYOUT_VARIANTS[1], run: () => conv2dNchw(xNchw, wOihw, shape) },
    { name: LAYOUT_VARIANTS[2], run: () => nchwToNhwc(conv2dNchw(nhwcToNchw(x, dims), wOihw, shape), outDims) },
  ], opts);
  return timed.map((t) => ({ name: t.name, seconds: t.seconds, flops, gflops: flops / t.seconds / 1e9, samples: t.samples }));
}
