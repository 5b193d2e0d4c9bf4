/**
 * Output size and leading padding of a convolution or pooling window along one axis, as tfjs computes them
 * ('same': ceil(in / stride) outputs, the padding split with the smaller half first; 'valid': no padding).
 *
 * @example
 * windowOutput(28, 5, 1, 'same'); // { out: 28, padBefore: 2, padAfter: 2 }
 * windowOutput(10, 3, 2, 'valid'); // { out: 4, padBefore: 0, padAfter: 0 }
 */
export function windowOutput(inp: number, k: number, stride: number, padding: 'same' | 'valid'): { out: number; padBefore: number; padAfter: number } {
  if (padding === 'same') {
    const out = Math.ceil(inp / stride);
    const total = Math.max((out - 1) * stride + k - inp, 0);
    const padBefore = Math.floor(total / 2);
    return { out, padBefore, padAfter: total - padBefore };
  }
  return { out: Math.floor((inp - k) / stride) + 1, padBefore: 0, padAfter: 0 };
}
