/**
 * Memory layouts of images and convolution kernels, and the copies between them. The same numbers, stored in a
 * different order: NHWC (tfjs, TFLite: the channels of one pixel are adjacent) against NCHW (PyTorch, cuDNN's
 * default: one channel's whole plane is contiguous), and the kernels that go with them, HWIO
 * [kh, kw, cin, cout] (tfjs) against OIHW [cout, cin, kh, kw] (PyTorch). A layout decides which loop of a
 * kernel walks memory with unit stride; changing it costs one full read and write of the tensor. Isomorphic.
 */

/** The sizes of a 4-D tensor: batch (or output channels), height, width, channels. */
export interface Dims4 {
  n: number;
  h: number;
  w: number;
  c: number;
}

function checkDims(x: Float32Array, { n, h, w, c }: Dims4, what: string): void {
  for (const [name, v] of [['n', n], ['h', h], ['w', w], ['c', c]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} must be a positive whole number, got ${v}`);
  }
  if (x.length !== n * h * w * c) throw new Error(`${what}: the tensor has ${x.length} elements, n·h·w·c = ${n * h * w * c} expected`);
}

/**
 * NHWC [n, h, w, c] to NCHW [n, c, h, w] (a new array).
 *
 * @example
 * nhwcToNchw(Float32Array.of(1, 2, 3, 4), { n: 1, h: 1, w: 2, c: 2 }); // [1, 3, 2, 4]: channel 0's plane, then channel 1's
 */
export function nhwcToNchw(x: Float32Array, dims: Dims4): Float32Array {
  checkDims(x, dims, 'nhwcToNchw');
  const { n, h, w, c } = dims;
  const out = new Float32Array(x.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    // Reads run along the source (unit stride), writes jump by a plane: one of the two always strides.
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[base + ch * plane + p] = x[base + p * c + ch];
  }
  return out;
}

/**
 * NCHW [n, c, h, w] to NHWC [n, h, w, c] (a new array); the inverse of nhwcToNchw.
 *
 * @example
 * nchwToNhwc(Float32Array.of(1, 3, 2, 4), { n: 1, h: 1, w: 2, c: 2 }); // [1, 2, 3, 4]
 */
export function nchwToNhwc(x: Float32Array, dims: Dims4): Float32Array {
  checkDims(x, dims, 'nchwToNhwc');
  const { n, h, w, c } = dims;
  const out = new Float32Array(x.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) out[base + p * c + ch] = x[base + ch * plane + p];
  }
  return out;
}

/** The sizes of a convolution kernel. */
export interface KernelDims {
  kh: number;
  kw: number;
  cin: number;
  cout: number;
}

/**
 * A tfjs HWIO kernel [kh, kw, cin, cout] as OIHW [cout, cin, kh, kw] (a new array).
 *
 * @example
 * const oihw = hwioToOihw(w, { kh: 5, kw: 5, cin: 1, cout: 6 });
 */
export function hwioToOihw(k: Float32Array, { kh, kw, cin, cout }: KernelDims): Float32Array {
  checkDims(k, { n: kh, h: kw, w: cin, c: cout }, 'hwioToOihw');
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[src + o];
      }
    }
  }
  return out;
}

/**
 * An OIHW kernel [cout, cin, kh, kw] as HWIO [kh, kw, cin, cout] (a new array); the inverse of hwioToOihw.
 *
 * @example
 * const hwio = oihwToHwio(torchWeight, { kh: 3, kw: 3, cin: 16, cout: 32 });
 */
export function oihwToHwio(k: Float32Array, { kh, kw, cin, cout }: KernelDims): Float32Array {
  checkDims(k, { n: kh, h: kw, w: cin, c: cout }, 'oihwToHwio');
  const out = new Float32Array(k.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[((y * kw + x) * cin + i) * cout + o] = k[((o * cin + i) * kh + y) * kw + x];
      }
    }
  }
  return out;
}
