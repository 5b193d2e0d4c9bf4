/**
 * Faster training kernels for the tfjs wasm backend (tfjs 4.22), measured on this project's machines:
 * - BatchMatMul with transposeA/transposeB runs a slow path (~10x slower than the plain product on a
 *   [64,2048]x[2048,625] dense layer); every dense-layer backward pass uses it. Transposing explicitly first
 *   and calling the fast path is much cheaper.
 * - Conv2DBackpropInput is a naive loop; for stride 1 the input gradient is a plain convolution of the output
 *   gradient with the spatially flipped kernel (input/output channels swapped), which XNNPACK runs fast.
 * - _FusedMatMul (matMul + bias + activation, tf.fused.matMul) with transposeA/transposeB takes the same slow
 *   path, and with transposeB and a bias it is also wrong (the bias lands on the wrong outputs: tinyGpt's
 *   linear layers, x W^T + b, came out up to ~1.5 off on a [16,16]x[48,16]^T product). Transposing explicitly
 *   first and calling the plain fused path is both right and faster.
 * - MaxPoolGrad is a naive kernel; a direct loop over the pooling windows in JavaScript on the backend's heap
 *   is several times faster for the small pools of the course's models.
 * The replacements reuse the backend's own kernels (or its memory) and fall back to the original kernel
 * outside their case. Tests compare each with the cpu backend.
 */
import {
  backend_util,
  BatchMatMul,
  _FusedMatMul,
  Conv2DBackpropInput,
  Conv2DBackpropInputAttrs,
  getKernel,
  MaxPoolGrad,
  MaxPoolGradAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  registerKernel,
  TensorInfo,
  unregisterKernel,
} from '@tensorflow/tfjs-core';

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: Record<string, unknown> };

function kernelFunc(name: string, original: Map<string, KernelFunc>): KernelFunc {
  const saved = original.get(name);
  if (saved) return saved;
  const k = getKernel(name, 'wasm');
  if (!k) throw new Error(`optilab: the wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

const originals = new Map<string, KernelFunc>();

function call(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  return kernelFunc(name, originals)({ inputs, backend, attrs: attrs as never }) as TensorInfo;
}

function transposeLastTwo(x: TensorInfo, backend: KernelBackend): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return call('Transpose', backend, { x }, { perm });
}

function batchMatMul(args: Args): TensorInfo {
  const { inputs, backend, attrs } = args;
  let { a, b } = inputs;
  if (!attrs.transposeA && !attrs.transposeB) return call(BatchMatMul, backend, { a, b }, attrs);
  const temporaries: TensorInfo[] = [];
  if (attrs.transposeA) temporaries.push((a = transposeLastTwo(a, backend)));
  if (attrs.transposeB) temporaries.push((b = transposeLastTwo(b, backend)));
  const out = call(BatchMatMul, backend, { a, b }, { ...attrs, transposeA: false, transposeB: false });
  for (const t of temporaries) backend.disposeData(t.dataId);
  return out;
}

function conv2dBackpropInput(args: Args): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const { dy, filter } = inputs;
  const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const channelsLast = backend_util.convertConv2DDataFormat(attrs.dataFormat) === 'channelsLast';
  if (strides[0] !== 1 || strides[1] !== 1 || !channelsLast) return call(Conv2DBackpropInput, backend, inputs, args.attrs);
  const info = backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], 1, 1, attrs.pad, attrs.dimRoundingMode);
  const [, height, width] = attrs.inputShape;
  const { filterHeight: kh, filterWidth: kw, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // dx[i] = sum_k dy[i + top - k] W[k] = correlation of dy with the flipped kernel, padded by k-1-top before.
  const pad = [
    [0, 0],
    [kh - 1 - top, height - outHeight + top],
    [kw - 1 - left, width - outWidth + left],
    [0, 0],
  ];
  if (pad.some(([before, after]) => before < 0 || after < 0)) return call(Conv2DBackpropInput, backend, inputs, args.attrs);
  const flipped = call('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const swapped = call('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, co, ci]
  const out = call('Conv2D', backend, { x: dy, filter: swapped }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
  backend.disposeData(flipped.dataId);
  backend.disposeData(swapped.dataId);
  return out;
}

interface WasmHeap extends KernelBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

function maxPoolGrad(args: Args): TensorInfo {
  const backend = args.backend as WasmHeap;
  const { dy, input } = args.inputs;
  const attrs = args.attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput(input.shape, 'float32');
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  // Same tie rule as tfjs's cpu kernel: the gradient goes to the first maximum in row-major window order.
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * strideWidth - left;
        const gBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let ch = 0; ch < channels; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let fr = 0; fr < filterHeight; fr++) {
            const r = r0 + fr;
            if (r < 0 || r >= inHeight) continue;
            for (let fc = 0; fc < filterWidth; fc++) {
              const c = c0 + fc;
              if (c < 0 || c >= inWidth) continue;
              const idx = ((b * inHeight + r) * inWidth + c) * channels + ch;
              if (x[idx] > best) {
                best = x[idx];
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] += g[gBase + ch];
        }
      }
    }
  }
  return out;
}

function fusedMatMul(args: Args): TensorInfo {
  const { inputs, backend, attrs } = args;
  let { a, b } = inputs;
  if (!attrs.transposeA && !attrs.transposeB) return call(_FusedMatMul, backend, inputs, attrs);
  const temporaries: TensorInfo[] = [];
  if (attrs.transposeA) temporaries.push((a = transposeLastTwo(a, backend)));
  if (attrs.transposeB) temporaries.push((b = transposeLastTwo(b, backend)));
  const out = call(_FusedMatMul, backend, { ...inputs, a, b }, { ...attrs, transposeA: false, transposeB: false });
  for (const t of temporaries) backend.disposeData(t.dataId);
  return out;
}

function replace(name: string, fn: (args: Args) => TensorInfo) {
  const existing = getKernel(name, 'wasm');
  if (!existing || originals.has(name)) return;
  originals.set(name, existing.kernelFunc);
  unregisterKernel(name, 'wasm');
  const config: KernelConfig = { ...existing, kernelFunc: fn as unknown as KernelFunc };
  registerKernel(config);
}

/**
 * Replaces the slow wasm training kernels with faster equivalents. Safe to call more than once; call it after
 * the wasm backend module has been loaded.
 *
 * @example
 * require('@tensorflow/tfjs-backend-wasm');
 * registerFastWasmKernels();
 */
export function registerFastWasmKernels(): void {
  replace(BatchMatMul, batchMatMul);
  replace(_FusedMatMul, fusedMatMul);
  replace(Conv2DBackpropInput, conv2dBackpropInput);
  replace(MaxPoolGrad, maxPoolGrad);
}
