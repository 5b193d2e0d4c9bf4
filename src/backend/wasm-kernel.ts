/**
 * What the wasm gradient kernels (src/backend/wasm-conv-grad.ts, src/edge/wasm-depthwise-grad.ts) share:
 * running another kernel of the wasm backend directly, and the padding of the input that a strided
 * forward convolution actually read.
 */
import { backend_util, getKernel, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Runs another kernel of the wasm backend directly (no engine bookkeeping, no tape).
 *
 * @example
 * const xT = runWasmKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
 */
export function runWasmKernel(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`optilab: the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as never }) as TensorInfo;
}

/**
 * Padding of the input rows / columns the forward convolution touched: `top` and `left` as the forward pass
 * padded, `bottom` and `right` the rows / columns past the input it read. A negative `bottom` / `right`
 * means trailing input rows / columns were never read (valid padding with a stride): crop them instead.
 *
 * @example
 * const info = backend_util.computeConv2DInfo([1, 5, 5, 1], [2, 2, 1, 1], 2, 1, 'valid');
 * touchedPadding(info, 5, 5); // { top: 0, left: 0, bottom: -1, right: -1 }
 */
export function touchedPadding(info: backend_util.Conv2DInfo, height: number, width: number): { top: number; left: number; bottom: number; right: number } {
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  return {
    top,
    left,
    bottom: strideHeight * (outHeight - 1) + filterHeight - height - top,
    right: strideWidth * (outWidth - 1) + filterWidth - width - left,
  };
}
