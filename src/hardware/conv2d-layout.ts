/**
 * The direct convolution in both memory layouts (src/hardware/layout.ts), on the same ConvShape (its sizes do
 * not depend on the layout). The math is conv2dDirect's: every output is the sum over the kernel window and the
 * input channels, accumulated in float64 and stored as float32, with tfjs' padding rule. What differs is the
 * loop order, chosen so that the innermost loop is unit-stride in each layout:
 *
 * - NHWC input, HWIO kernel (conv2dNhwc = conv2dDirect): per output pixel, the innermost loop runs over the
 *   output channels, contiguous in the kernel and in the output pixel.
 * - NCHW input, OIHW kernel (conv2dNchw): per (image, output channel), one kernel weight at a time is applied to
 *   a whole output row, so the innermost loop runs along a row of the input plane and of the output plane (unit
 *   stride at stride 1).
 *
 * Each layout loses elsewhere: NHWC with few output channels has a short inner loop; NCHW with few output pixels
 * (or large strides) has a short or strided one. Isomorphic.
 */
import { conv2dDirect } from './conv2d';
import { convGeometry, type ConvShape } from './conv-shape';

/**
 * NHWC convolution with a HWIO kernel: conv2dDirect under the name of its layout. Returns NHWC [n, oh, ow, cout].
 *
 * @example
 * const y = conv2dNhwc(x, w, { batch: 2, height: 9, width: 7, inChannels: 3, outChannels: 5, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 'same' });
 */
export function conv2dNhwc(input: Float32Array, kernelHwio: Float32Array, s: ConvShape): Float32Array {
  return conv2dDirect(input, kernelHwio, s);
}

/**
 * NCHW convolution with an OIHW kernel. Returns NCHW [n, cout, oh, ow].
 *
 * @example
 * const dims = { n: s.batch, h: s.height, w: s.width, c: s.inChannels };
 * const y = conv2dNchw(nhwcToNchw(x, dims), hwioToOihw(w, { kh: 3, kw: 3, cin: 3, cout: 5 }), s);
 */
export function conv2dNchw(input: Float32Array, kernelOihw: Float32Array, s: ConvShape): Float32Array {
  const { batch, height: H, width: W, inChannels: C, outChannels: F, kernelHeight: KH, kernelWidth: KW } = s;
  const inLen = batch * C * H * W;
  const kLen = F * C * KH * KW;
  if (input.length !== inLen) throw new Error(`conv2dNchw: input has ${input.length} elements, ${inLen} expected for [${batch}, ${C}, ${H}, ${W}]`);
  if (kernelOihw.length !== kLen) throw new Error(`conv2dNchw: kernel has ${kernelOihw.length} elements, ${kLen} expected for [${F}, ${C}, ${KH}, ${KW}]`);
  const { outHeight: OH, outWidth: OW, padTop, padLeft, stride } = convGeometry(s);
  const plane = OH * OW;
  const out = new Float32Array(batch * F * plane);
  const acc = new Float64Array(plane);
  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < F; f++) {
      acc.fill(0);
      for (let c = 0; c < C; c++) {
        const inPlane = (n * C + c) * H * W;
        const kBase = (f * C + c) * KH * KW;
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = 0; kx < KW; kx++) {
            const wv = kernelOihw[kBase + ky * KW + kx];
            // The output columns whose input column ox·stride + kx - padLeft lies inside the image: no test per element.
            const oxStart = Math.max(0, Math.ceil((padLeft - kx) / stride));
            const oxEnd = Math.min(OW, Math.floor((W - 1 + padLeft - kx) / stride) + 1);
            for (let oy = 0; oy < OH; oy++) {
              const y = oy * stride + ky - padTop;
              if (y < 0 || y >= H) continue;
              const inRow = inPlane + y * W + kx - padLeft;
              const accRow = oy * OW;
              for (let ox = oxStart; ox < oxEnd; ox++) acc[accRow + ox] += wv * input[inRow + ox * stride];
            }
          }
        }
      }
      out.set(acc, (n * F + f) * plane);
    }
  }
  return out;
}
