/**
 * Conv2DBackpropFilter for the tfjs wasm backend, which ships without it (tfjs 4.22), so convolutional
 * models could not train on wasm. The filter gradient is itself a convolution: with the batch axis moved
 * into the channel position, dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*s + kh - pad, ow*s + kw - pad, ci] * dy[b, oh, ow, co]
 * is conv2d(x as [ci, H, W, b], dy as a [oh, ow, b, co] filter dilated by the stride). It is expressed with the
 * backend's own Transpose, Slice and Conv2D kernels, so it runs at XNNPACK speed.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  getKernel,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  registerKernel,
  TensorInfo,
} from '@tensorflow/tfjs-core';
// tfjs-core registers no gradient functions by itself; tfjs-layers' bundle registers all of them (CJS and ESM).
import '@tensorflow/tfjs-layers';
import { runWasmKernel as runKernel, touchedPadding } from './wasm-kernel';

function conv2dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
    throw new Error('optilab: Conv2DBackpropFilter on wasm supports channelsLast (NHWC) only');
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [batch, height, width, inChannels] = x.shape;
  const { strideHeight, strideWidth } = info;
  // Rows/columns of the (padded) input that the forward pass touched; a negative value means trailing
  // input rows were never read (valid padding with a stride), so they are cropped instead of padded.
  const { top, left, bottom, right } = touchedPadding(info, height, width);

  const temporaries: TensorInfo[] = [];
  let xT = runKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }); // [ci, H, W, b]
  temporaries.push(xT);
  if (bottom < 0 || right < 0) {
    xT = runKernel('Slice', backend, { x: xT }, {
      begin: [0, 0, 0, 0],
      size: [inChannels, height + Math.min(bottom, 0), width + Math.min(right, 0), batch],
    });
    temporaries.push(xT);
  }
  const dyT = runKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, b, co]
  temporaries.push(dyT);
  const explicitPad = [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ];
  const grad = runKernel('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: explicitPad,
    dataFormat: 'NHWC',
    dilations: [strideHeight, strideWidth],
    dimRoundingMode: undefined,
  }); // [ci, kh, kw, co]
  temporaries.push(grad);
  const out = runKernel('Transpose', backend, { x: grad }, { perm: [1, 2, 0, 3] }); // [kh, kw, ci, co]
  for (const t of temporaries) backend.disposeData(t.dataId);
  return out;
}

const config: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
};

/**
 * Registers the gradient kernels the wasm backend lacks. Safe to call more than once.
 *
 * @example
 * registerWasmGradients();
 * await tf.setBackend('wasm');
 */
export function registerWasmGradients(): void {
  if (!getKernel(Conv2DBackpropFilter, 'wasm')) registerKernel(config);
}
