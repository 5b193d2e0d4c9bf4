/**
 * The sizes of a 2-D convolution on float32 NHWC images with HWIO weights (the tfjs layouts: input
 * [n, h, w, cin], kernel [kh, kw, cin, cout], output [n, oh, ow, cout]): its output size and padding as tfjs
 * computes them, and its FLOP count. Isomorphic.
 */

export type ConvPadding = 'valid' | 'same';

/** The sizes of one convolution. */
export interface ConvShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  /** Default 1. */
  stride?: number;
  /** Default 'valid'. */
  padding?: ConvPadding;
}

/** Output size and the padding before the first row / column (tfjs' rule: 'same' puts the odd pixel after). */
export interface ConvGeometry {
  outHeight: number;
  outWidth: number;
  padTop: number;
  padLeft: number;
  stride: number;
}

/**
 * The output size and padding of a convolution.
 *
 * @example
 * convGeometry({ batch: 1, height: 28, width: 28, inChannels: 1, outChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: 'same' });
 * // { outHeight: 28, outWidth: 28, padTop: 2, padLeft: 2, stride: 1 }
 */
export function convGeometry(s: ConvShape): ConvGeometry {
  const stride = s.stride ?? 1;
  for (const [name, v] of Object.entries({ ...s, stride })) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 1)) throw new Error(`conv2d: ${name} must be a positive whole number, got ${v}`);
  }
  if ((s.padding ?? 'valid') === 'same') {
    const outHeight = Math.ceil(s.height / stride);
    const outWidth = Math.ceil(s.width / stride);
    const padH = Math.max((outHeight - 1) * stride + s.kernelHeight - s.height, 0);
    const padW = Math.max((outWidth - 1) * stride + s.kernelWidth - s.width, 0);
    return { outHeight, outWidth, padTop: Math.floor(padH / 2), padLeft: Math.floor(padW / 2), stride };
  }
  const outHeight = Math.floor((s.height - s.kernelHeight) / stride) + 1;
  const outWidth = Math.floor((s.width - s.kernelWidth) / stride) + 1;
  if (outHeight < 1 || outWidth < 1) throw new Error(`conv2d: a ${s.kernelHeight}x${s.kernelWidth} kernel does not fit a ${s.height}x${s.width} image without padding`);
  return { outHeight, outWidth, padTop: 0, padLeft: 0, stride };
}

/**
 * FLOPs of one convolution: 2 per multiply-accumulate, batch·oh·ow·cout·kh·kw·cin of them (padding counted,
 * as the kernels compute it).
 *
 * @example
 * convFlops({ batch: 1, height: 28, width: 28, inChannels: 1, outChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: 'same' }); // 235200
 */
export function convFlops(s: ConvShape): number {
  const g = convGeometry(s);
  return 2 * s.batch * g.outHeight * g.outWidth * s.outChannels * s.kernelHeight * s.kernelWidth * s.inChannels;
}
