/**
 * The depthwise-convolution gradient kernels the tfjs wasm backend lacks (tfjs 4.22), so depthwise-separable
 * models can train on wasm. Both are expressed with the backend's own kernels (channel multiplier 1, the
 * MobileNet case):
 * - filter gradient: dW[kh, kw, c] = Σ_{b, oh, ow} x[b, oh·s + kh - pad, ow·s + kw - pad, c] · dy[b, oh, ow, c] is a
 *   depthwise convolution of x viewed as [1, H, W, c·b] with dy viewed as a [oh, ow, c·b] filter dilated by the
 *   stride, summed over b;
 * - input gradient: for stride 1, a depthwise convolution of dy with the spatially flipped filter and the
 *   complementary padding; for larger strides, the dense transposed convolution (Conv2DBackpropInput) with the
 *   block-diagonal [kh, kw, c, c] filter.
 */
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInput,
  DepthwiseConv2dNativeBackpropInputAttrs,
  getKernel,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  registerKernel,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { runWasmKernel as run, touchedPadding } from '../backend/wasm-kernel';

function checkMultiplier(filterShape: number[]): void {
  if (filterShape[3] !== 1) {
    throw new Error(`optilab: depthwise gradients on wasm support channel multiplier 1 only, got ${filterShape[3]}; use depthMultiplier: 1 (or the cpu backend)`);
  }
}

function backpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: KernelBackend; attrs: DepthwiseConv2dNativeBackpropFilterAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  checkMultiplier(filterShape);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations, pad, dimRoundingMode, true);
  const [batch, height, width, channels] = x.shape;
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth } = info;
  const { top, left, bottom, right } = touchedPadding(info, height, width);
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  const xT = keep(run('Transpose', backend, { x }, { perm: [1, 2, 3, 0] })); // [H, W, c, b]
  let xs = keep(run('Reshape', backend, { x: xT }, { shape: [1, height, width, channels * batch] }));
  if (bottom < 0 || right < 0) {
    xs = keep(run('Slice', backend, { x: xs }, { begin: [0, 0, 0, 0], size: [1, height + Math.min(bottom, 0), width + Math.min(right, 0), channels * batch] }));
  }
  const dyT = keep(run('Transpose', backend, { x: dy }, { perm: [1, 2, 3, 0] })); // [oh, ow, c, b]
  const dyF = keep(run('Reshape', backend, { x: dyT }, { shape: [outHeight, outWidth, channels * batch, 1] }));
  const g = keep(run('DepthwiseConv2dNative', backend, { x: xs, filter: dyF }, {
    strides: [1, 1],
    pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [strideHeight, strideWidth],
    dimRoundingMode: undefined,
  })); // [1, kh, kw, c*b]
  const g4 = keep(run('Reshape', backend, { x: g }, { shape: [filterHeight, filterWidth, channels, batch] }));
  const summed = keep(run('Sum', backend, { x: g4 }, { axis: [3], keepDims: true })); // [kh, kw, c, 1]
  const out = run('Reshape', backend, { x: summed }, { shape: filterShape });
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

function backpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: KernelBackend; attrs: DepthwiseConv2dNativeBackpropInputAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const filterShape = filter.shape as [number, number, number, number];
  checkMultiplier(filterShape);
  const info = backend_util.computeConv2DInfo(inputShape, filterShape, strides, dilations, pad, dimRoundingMode, true);
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth, inHeight, inWidth, inChannels } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  if (strideHeight === 1 && strideWidth === 1) {
    const flipped = run('Reverse', backend, { x: filter }, { dims: [0, 1] });
    const out = run('DepthwiseConv2dNative', backend, { x: dy, filter: flipped }, {
      strides: [1, 1],
      pad: [[0, 0], [filterHeight - 1 - top, inHeight - outHeight + top], [filterWidth - 1 - left, inWidth - outWidth + left], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    });
    backend.disposeData(flipped.dataId);
    return out;
  }
  // Block-diagonal dense filter: full[kh, kw, c, c] = w[kh, kw, c] on the diagonal.
  const w = backend.readSync(filter.dataId) as Float32Array;
  const c = inChannels;
  const full = new Float32Array(filterHeight * filterWidth * c * c);
  for (let p = 0; p < filterHeight * filterWidth; p++) for (let ch = 0; ch < c; ch++) full[(p * c + ch) * c + ch] = w[p * c + ch];
  const dense = (backend as unknown as { makeOutput(s: number[], d: string, o: null, v: Float32Array): TensorInfo }).makeOutput([filterHeight, filterWidth, c, c], 'float32', null, full);
  const out = run('Conv2DBackpropInput', backend, { dy, filter: dense }, { strides, pad, dataFormat: 'NHWC', dimRoundingMode, inputShape });
  backend.disposeData(dense.dataId);
  return out;
}

const configs: KernelConfig[] = [
  { kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: backpropFilter as unknown as KernelFunc },
  { kernelName: DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: backpropInput as unknown as KernelFunc },
];

/**
 * Registers the depthwise-convolution gradient kernels for the wasm backend (no-op where present).
 * Call before training depthwise-separable models on wasm.
 *
 * @example
 * registerWasmDepthwiseGradients();
 * await train(mobileNetMnist({ seed: 1 }), data, { epochs: 1 });
 */
export function registerWasmDepthwiseGradients(): void {
  for (const c of configs) if (!getKernel(c.kernelName, 'wasm')) registerKernel(c);
}
