/**
 * 2-D convolution on float32 NHWC images with HWIO weights (shapes in src/hardware/conv-shape.ts), two ways:
 * the direct seven-loop form, and im2col (src/hardware/im2col.ts) followed by a matrix product.
 * Isomorphic.
 */
import { gemmPacked } from './gemm-packed';
import type { GemmKernel } from './matrix';
import { im2col } from './im2col';
import { convGeometry, type ConvShape } from './conv-shape';

function checkLengths(input: Float32Array, kernel: Float32Array, s: ConvShape): void {
  const inLen = s.batch * s.height * s.width * s.inChannels;
  const kLen = s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels;
  if (input.length !== inLen) throw new Error(`conv2d: input has ${input.length} elements, ${inLen} expected for [${s.batch}, ${s.height}, ${s.width}, ${s.inChannels}]`);
  if (kernel.length !== kLen) throw new Error(`conv2d: kernel has ${kernel.length} elements, ${kLen} expected for [${s.kernelHeight}, ${s.kernelWidth}, ${s.inChannels}, ${s.outChannels}]`);
}

/** What the direct convolution applies as it stores each output pixel (see src/hardware/fusion.ts). */
export interface ConvEpilogue {
  /** Added to each output channel: the accumulators start at it. */
  bias?: Float32Array;
  /** max(0, ·) on the stored value. */
  relu?: boolean;
}

/**
 * Direct convolution: for every output pixel and filter, the sum over the kernel window and input channels.
 * Returns the NHWC output.
 *
 * @example
 * const y = conv2dDirect(x, w, { batch: 1, height: 28, width: 28, inChannels: 1, outChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: 'same' });
 */
export function conv2dDirect(input: Float32Array, kernel: Float32Array, s: ConvShape): Float32Array {
  return conv2dDirectFused(input, kernel, s, {});
}

/**
 * The direct convolution with a fused epilogue: the accumulators of each output pixel start at the bias, and
 * the ReLU is applied as they are stored, so bias and activation cost no extra pass over the output. The same
 * loop as conv2dDirect (which is this with no epilogue).
 *
 * @example
 * const y = conv2dDirectFused(x, w, shape, { bias, relu: true }); // relu(conv(x, w) + bias)
 */
export function conv2dDirectFused(input: Float32Array, kernel: Float32Array, s: ConvShape, epilogue: ConvEpilogue): Float32Array {
  checkLengths(input, kernel, s);
  const bias = epilogue.bias;
  if (bias && bias.length !== s.outChannels) throw new Error(`conv2d: bias has ${bias.length} elements, ${s.outChannels} (output channels) expected`);
  const relu = epilogue.relu === true;
  const { outHeight: OH, outWidth: OW, padTop, padLeft, stride } = convGeometry(s);
  const { batch, height: H, width: W, inChannels: C, outChannels: F, kernelHeight: KH, kernelWidth: KW } = s;
  const out = new Float32Array(batch * OH * OW * F);
  const acc = new Float64Array(F);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        if (bias) for (let f = 0; f < F; f++) acc[f] = bias[f];
        else acc.fill(0);
        for (let ky = 0; ky < KH; ky++) {
          const y = oy * stride + ky - padTop;
          if (y < 0 || y >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const x = ox * stride + kx - padLeft;
            if (x < 0 || x >= W) continue;
            const inBase = ((n * H + y) * W + x) * C;
            const kBase = (ky * KW + kx) * C * F;
            for (let c = 0; c < C; c++) {
              const v = input[inBase + c];
              const kRow = kBase + c * F;
              for (let f = 0; f < F; f++) acc[f] += v * kernel[kRow + f];
            }
          }
        }
        const o = ((n * OH + oy) * OW + ox) * F;
        if (relu) for (let f = 0; f < F; f++) out[o + f] = acc[f] > 0 ? acc[f] : 0;
        else for (let f = 0; f < F; f++) out[o + f] = acc[f];
      }
    }
  }
  return out;
}

/**
 * im2col + GEMM: the input is unfolded into a [n·oh·ow, kh·kw·cin] matrix, and the HWIO kernel already is a
 * [kh·kw·cin, cout] matrix, so the convolution becomes one matrix product whose result is the NHWC output.
 * `gemm` defaults to the packed kernel; `tile` is passed to it.
 *
 * @example
 * const y = conv2dIm2col(x, w, shape);            // packed GEMM
 * const y2 = conv2dIm2col(x, w, shape, gemmNaive); // any GemmKernel
 */
export function conv2dIm2col(input: Float32Array, kernel: Float32Array, s: ConvShape, gemm: GemmKernel = (a, b, c, sh) => gemmPacked(a, b, c, sh, 64)): Float32Array {
  checkLengths(input, kernel, s);
  const g = convGeometry(s);
  const cols = im2col(input, s, g);
  const M = s.batch * g.outHeight * g.outWidth;
  const K = s.kernelHeight * s.kernelWidth * s.inChannels;
  const out = new Float32Array(M * s.outChannels);
  gemm(cols, kernel, out, { M, N: s.outChannels, K });
  return out;
}
