/**
 * im2col: unfolds every convolution window of an NHWC image into one row of a matrix, so a convolution is a
 * matrix product. It trades memory for regularity: each input pixel is copied up to kh·kw times (the matrix
 * has n·oh·ow·kh·kw·cin floats against n·h·w·cin in the image). Isomorphic.
 */
import type { ConvGeometry, ConvShape } from './conv-shape';

/**
 * The [n·oh·ow, kh·kw·cin] patch matrix of an NHWC input (row-major; padding as zeros). Column order
 * (ky, kx, c) matches a HWIO kernel read as a [kh·kw·cin, cout] matrix.
 *
 * @example
 * const g = convGeometry(shape);
 * const cols = im2col(x, shape, g); // Float32Array(n * g.outHeight * g.outWidth * kh * kw * cin)
 */
export function im2col(input: Float32Array, s: ConvShape, g: ConvGeometry): Float32Array {
  const { batch, height: H, width: W, inChannels: C, kernelHeight: KH, kernelWidth: KW } = s;
  const { outHeight: OH, outWidth: OW, padTop, padLeft, stride } = g;
  const rowLen = KH * KW * C;
  const cols = new Float32Array(batch * OH * OW * rowLen);
  let row = 0;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, row++) {
        let o = row * rowLen;
        for (let ky = 0; ky < KH; ky++) {
          const y = oy * stride + ky - padTop;
          for (let kx = 0; kx < KW; kx++, o += C) {
            const x = ox * stride + kx - padLeft;
            if (y < 0 || y >= H || x < 0 || x >= W) continue; // stays zero
            const src = ((n * H + y) * W + x) * C;
            for (let c = 0; c < C; c++) cols[o + c] = input[src + c];
          }
        }
      }
    }
  }
  return cols;
}
