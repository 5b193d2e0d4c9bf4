/**
 * tfjs-wasm kernels backed by optilab's native addon (./native.ts). The wasm backend keeps owning every tensor:
 * each kernel allocates its output with the backend, takes Float32Array views of the wasm heap and lets the
 * addon read and write them in place (no copies). Measured on a lenet5 / mnistCnn training step, these are the
 * kernels where the time went: convolutions and their two gradients, matrix products (with transposes), the
 * max-pool gradient, bias gradients (a Sum over the leading axes, which wasm runs as transpose + reduce),
 * Identity (a copy on wasm, shared here) and Adam's ~12 element-wise kernels per variable (fused into one, see
 * src/train/adam.ts).
 * Every replacement falls back to the kernel it replaced outside the cases it handles, and for shapes oneDNN refuses.
 */
import {
  Add,
  backend_util,
  BatchMatMul,
  cast,
  Conv2D,
  Conv2DAttrs,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInput,
  Conv2DBackpropInputAttrs,
  engine,
  FusedConv2D,
  FusedConv2DAttrs,
  _FusedMatMul,
  getBackend,
  getGradient,
  getKernel,
  GradConfig,
  registerGradient,
  Relu,
  Tensor,
  Identity,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  MaxPool,
  MaxPoolAttrs,
  MaxPoolGrad,
  MaxPoolGradAttrs,
  mul,
  registerKernel,
  step,
  Sum,
  SumAttrs,
  TensorInfo,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native';

/** The fused ReLU gradient's kernel name (inputs dy and x, the ReLU's input). */
export const RELU_GRAD = 'OptilabReluGrad';

/** The fused Adam kernel's name (inputs value, gradient, m, v; m and v are updated in place). */
export const ADAM_STEP = 'OptilabAdamStep';

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: Record<string, unknown> };

interface WasmBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

type Shape4 = [number, number, number, number];

/** [N, H, W, C, KH, KW, O, OH, OW, sh, sw, dh, dw, top, left, bottom, right] as the addon reads it. */
export function geometry(info: backend_util.Conv2DInfo): Int32Array {
  const { padInfo: p } = info;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth, info.outChannels,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    p.top, p.left, p.bottom, p.right,
  ]);
}

/** [N, H, W, C, OH, OW, sh, sw, fh, fw, padTop, padLeft] as the addon's pooling kernels read it. */
export function poolGeometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth, info.padInfo.top, info.padInfo.left,
  ]);
}

/** The addon's code for a fused activation it runs itself, or null (the wasm kernel then runs it). */
export function activationCode(activation: unknown): 0 | 1 | 2 | null {
  if (activation === undefined || activation === null || activation === 'linear') return 0;
  if (activation === 'relu') return 1;
  if (activation === 'relu6') return 2;
  return null;
}

/** A bias the epilogue can add: none, or one value per output column. */
const biasFits = (bias: TensorInfo | undefined, cols: number) =>
  bias === undefined || (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === cols && bias.shape.every((d, i) => i === bias.shape.length - 1 || d === 1));

const allFloat = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === 'float32' && util.sizeFromShape(t.shape) > 0);
const channelsLast = (format: unknown) => backend_util.convertConv2DDataFormat((format as 'NHWC' | 'NCHW') ?? 'NHWC') === 'channelsLast';

const ran = new Map<string, number>();

/**
 * How many times each replaced kernel ran on the addon (not on the fallback) in this thread: tests use it to
 * prove a case took the native path.
 *
 * @example
 * const before = nativeKernelRuns('FusedConv2D'); model.predict(x); nativeKernelRuns('FusedConv2D') > before // true
 */
export function nativeKernelRuns(name: string): number {
  return ran.get(name) ?? 0;
}

/** Builds the replacement kernels for one addon; `previous(name)` is the kernel each one replaces. */
function kernels(addon: NativeAddon, previous: (name: string) => KernelFunc): Record<string, (args: Args) => TensorInfo> {
  const fallback = (name: string, args: Args) => previous(name)(args as never) as TensorInfo;
  // Shapes oneDNN refused (no implementation, or only a GEMM-based one, see src/native/src/gemm.cc): these go
  // to the wasm kernel from then on, without asking oneDNN again.
  const refused = new Set<string>();
  const orFallback = (name: string, args: Args, key: Int32Array, out: TensorInfo, run: () => void): TensorInfo => {
    const id = `${name}:${key.join(',')}`;
    if (!refused.has(id)) {
      try {
        run();
        ran.set(name, (ran.get(name) ?? 0) + 1);
        return out;
      } catch (e) {
        if ((e as { code?: string }).code !== 'OPTILAB_DNNL') throw e;
        refused.add(id);
      }
    }
    args.backend.disposeData(out.dataId);
    return fallback(name, args);
  };

  // Convolution forward into a new output; null when the case is not handled here (wrong layout or dtype).
  const convForward = (name: string, args: Args, then?: (out: TensorInfo) => void): TensorInfo | null => {
    const backend = args.backend as WasmBackend;
    const { x, filter } = args.inputs;
    const a = args.attrs as unknown as Conv2DAttrs;
    if (!allFloat(x, filter) || !channelsLast(a.dataFormat) || x.shape.length !== 4) return null;
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, a.strides, a.dilations, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const out = backend.makeOutput(info.outShape, 'float32');
    const g = geometry(info);
    return orFallback(name, args, g, out, () => {
      addon.conv2dForward(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(filter), backend.typedArrayFromHeap(out), g);
      then?.(out);
    });
  };

  // The epilogue of a fused op: bias and activation in one pass over an output of `cols` columns (none to do: none).
  const epilogueFor = (args: Args, bias: TensorInfo | undefined, cols: number, act: 0 | 1 | 2) => {
    if (!bias && act === 0) return undefined;
    const backend = args.backend as WasmBackend;
    return (out: TensorInfo) => {
      const y = backend.typedArrayFromHeap(out);
      addon.biasActivation(y, bias ? backend.typedArrayFromHeap(bias) : new Float32Array(0), y.length / cols, cols, act);
    };
  };

  const conv2d = (args: Args): TensorInfo => convForward(Conv2D, args) ?? fallback(Conv2D, args);

  // Inference runs convolutions as FusedConv2D (tfjs-layers' conv with bias and activation): the convolution
  // on oneDNN, then bias and ReLU/ReLU6 in one pass over the output (src/native/src/epilogue.cc).
  const fusedConv2d = (args: Args): TensorInfo => {
    const { bias, filter } = args.inputs;
    const act = activationCode((args.attrs as unknown as FusedConv2DAttrs).activation);
    const outChannels = filter.shape[3];
    if (act === null || !biasFits(bias, outChannels)) return fallback(FusedConv2D, args);
    return convForward(FusedConv2D, args, epilogueFor(args, bias, outChannels, act)) ?? fallback(FusedConv2D, args);
  };

  const backpropInput = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { dy, filter } = args.inputs;
    const a = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (!allFloat(dy, filter) || !channelsLast(a.dataFormat)) return fallback(Conv2DBackpropInput, args);
    const info = backend_util.computeConv2DInfo(a.inputShape as Shape4, filter.shape as Shape4, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const out = backend.makeOutput(info.inShape, 'float32');
    const g = geometry(info);
    return orFallback(Conv2DBackpropInput, args, g, out, () => addon.conv2dBackwardData(backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(filter), backend.typedArrayFromHeap(out), g));
  };

  const backpropFilter = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x, dy } = args.inputs;
    const a = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!allFloat(x, dy) || !channelsLast(a.dataFormat)) return fallback(Conv2DBackpropFilter, args);
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const out = backend.makeOutput(a.filterShape, 'float32');
    const g = geometry(info);
    return orFallback(Conv2DBackpropFilter, args, g, out, () => addon.conv2dBackwardFilter(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(out), g));
  };

  // Batched matrix product into a new output; null when the shapes are not handled here.
  const matMulForward = (name: string, args: Args, then?: (out: TensorInfo, n: number) => void): TensorInfo | null => {
    const backend = args.backend as WasmBackend;
    const { a, b } = args.inputs;
    const ta = Boolean(args.attrs.transposeA);
    const tb = Boolean(args.attrs.transposeB);
    if (!allFloat(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = util.sizeFromShape(outerA);
    const batchB = util.sizeFromShape(outerB);
    const [a1, a2] = a.shape.slice(-2);
    const [b1, b2] = b.shape.slice(-2);
    const [m, k] = ta ? [a2, a1] : [a1, a2];
    const [kb, n] = tb ? [b2, b1] : [b1, b2];
    // Same batch shape, or one side a single matrix that broadcasts; anything else goes to the wasm kernel.
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (k !== kb || !(sameOuter || batchA === 1 || batchB === 1)) return null;
    const outer = batchA >= batchB ? (outerA.length >= outerB.length ? outerA : outerB) : outerB;
    const out = backend.makeOutput([...outer, m, n], 'float32');
    const dims = Int32Array.from([batchA, batchB, m, n, k, +ta, +tb]);
    return orFallback(name, args, dims, out, () => {
      addon.matmul(backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), backend.typedArrayFromHeap(out), dims);
      then?.(out, n);
    });
  };

  const batchMatMul = (args: Args): TensorInfo => matMulForward(BatchMatMul, args) ?? fallback(BatchMatMul, args);

  // Dense layers at inference: the product on oneDNN, then bias and ReLU/ReLU6 in one pass.
  const fusedMatMul = (args: Args): TensorInfo => {
    const { bias, b } = args.inputs;
    const act = activationCode(args.attrs.activation);
    const n = args.attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    if (act === null || !biasFits(bias, n)) return fallback(_FusedMatMul, args);
    return matMulForward(_FusedMatMul, args, epilogueFor(args, bias, n, act)) ?? fallback(_FusedMatMul, args);
  };

  const maxPool = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs;
    const a = args.attrs as unknown as MaxPoolAttrs;
    if (!allFloat(x) || x.shape.length !== 4) return fallback(MaxPool, args);
    const info = backend_util.computePool2DInfo(x.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    if (info.outHeight <= 0 || info.outWidth <= 0) return fallback(MaxPool, args);
    const out = backend.makeOutput(info.outShape, 'float32');
    addon.maxPool(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), poolGeometry(info));
    ran.set(MaxPool, (ran.get(MaxPool) ?? 0) + 1);
    return out;
  };

  const maxPoolGrad = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { dy, input } = args.inputs;
    const a = args.attrs as unknown as MaxPoolGradAttrs;
    if (!allFloat(dy, input)) return fallback(MaxPoolGrad, args);
    const info = backend_util.computePool2DInfo(input.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const out = backend.makeOutput(input.shape, 'float32');
    addon.maxPoolGrad(backend.typedArrayFromHeap(input), backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(out), poolGeometry(info));
    ran.set(MaxPoolGrad, (ran.get(MaxPoolGrad) ?? 0) + 1);
    return out;
  };

  // Only the bias-gradient case: summing every axis but the last.
  const sum = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs;
    const a = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    if (!allFloat(x) || rank < 2) return fallback(Sum, args);
    const axes = util.parseAxisParam(a.axis, x.shape).sort((p, q) => p - q);
    if (axes.length !== rank - 1 || axes.some((ax, i) => ax !== i)) return fallback(Sum, args);
    const cols = x.shape[rank - 1];
    const out = backend.makeOutput(a.keepDims ? [...Array(rank - 1).fill(1), cols] : [cols], 'float32');
    addon.sumLeading(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), util.sizeFromShape(x.shape) / cols, cols);
    ran.set(Sum, (ran.get(Sum) ?? 0) + 1);
    return out;
  };

  // wasm's Identity copies the tensor; sharing the buffer (reference counted, as reshape and the cpu backend's
  // identity do) is free. Nothing in tfjs writes a kernel input in place, so sharing is safe.
  const identity = (args: Args): TensorInfo => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return fallback(Identity, args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };

  // Only a layer's bias add: float32 [..., C] + [C] (either order); every other Add goes to the wasm kernel.
  const add = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { a, b } = args.inputs;
    const [x, bias] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
    const cols = x.shape[x.shape.length - 1];
    if (!allFloat(a, b) || x.shape.length < 2 || bias.shape.length !== 1 || bias.shape[0] !== cols) return fallback(Add, args);
    const out = backend.makeOutput(x.shape, 'float32');
    addon.addBias(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(bias), backend.typedArrayFromHeap(out), util.sizeFromShape(x.shape) / cols, cols);
    ran.set(Add, (ran.get(Add) ?? 0) + 1);
    return out;
  };

  const reluGrad = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { dy, x } = args.inputs;
    const out = backend.makeOutput(x.shape, 'float32');
    addon.reluGrad(backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), util.sizeFromShape(x.shape));
    ran.set(RELU_GRAD, (ran.get(RELU_GRAD) ?? 0) + 1);
    return out;
  };

  // ReLU forward as the gradient kernel with dy = x: x where x > 0, else 0 (threaded, where tfjs-wasm's is not).
  const relu = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs;
    if (!allFloat(x)) return fallback(Relu, args);
    const out = backend.makeOutput(x.shape, 'float32');
    const input = backend.typedArrayFromHeap(x);
    addon.reluGrad(input, input, backend.typedArrayFromHeap(out), util.sizeFromShape(x.shape));
    ran.set(Relu, (ran.get(Relu) ?? 0) + 1);
    return out;
  };

  const adamStep = (args: Args): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { value, gradient, m, v } = args.inputs;
    const out = backend.makeOutput(value.shape, 'float32');
    addon.adamStep(
      backend.typedArrayFromHeap(value), backend.typedArrayFromHeap(gradient), backend.typedArrayFromHeap(m),
      backend.typedArrayFromHeap(v), backend.typedArrayFromHeap(out), args.attrs.coefficients as Float64Array,
    );
    ran.set(ADAM_STEP, (ran.get(ADAM_STEP) ?? 0) + 1);
    return out;
  };

  return {
    [Conv2D]: conv2d,
    [Conv2DBackpropInput]: backpropInput,
    [Conv2DBackpropFilter]: backpropFilter,
    [BatchMatMul]: batchMatMul,
    [FusedConv2D]: fusedConv2d,
    [_FusedMatMul]: fusedMatMul,
    [MaxPoolGrad]: maxPoolGrad,
    [MaxPool]: maxPool,
    [Sum]: sum,
    [Identity]: identity,
    [ADAM_STEP]: adamStep,
    [RELU_GRAD]: reluGrad,
    [Relu]: relu,
    [Add]: add,
  };
}

/**
 * ReLU's gradient as one kernel where the backend has it (tfjs computes dy * cast(step(x)): three kernels and two
 * temporaries per ReLU per step); elsewhere tfjs's own formula.
 */
function reluGradient(original: GradConfig | undefined): GradConfig {
  return {
    kernelName: Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as Tensor;
      if (getKernel(RELU_GRAD, getBackend()) && d.dtype === 'float32' && x.dtype === 'float32') {
        return { x: () => engine().runKernel(RELU_GRAD, { dy: d, x }) as Tensor };
      }
      if (original) return original.gradFunc(dy, saved, attrs);
      return { x: () => mul(d, cast(step(x), 'float32')) };
    },
  };
}

let registered = false;

/**
 * Registers the native kernels on the wasm backend, replacing what is registered now (optilab's wasm kernels
 * or tfjs's own, which stay as fallbacks). Call after registerWasmGradients/registerFastWasmKernels. Idempotent.
 *
 * @example
 * const addon = loadNative();
 * if (addon) registerNativeKernels(addon);
 */
export function registerNativeKernels(addon: NativeAddon): void {
  if (registered) return;
  registered = true;
  const replaced = new Map<string, KernelFunc>();
  const previous = (name: string) => {
    const k = replaced.get(name);
    if (!k) throw new Error(`optilab: no wasm ${name} kernel to fall back to`);
    return k;
  };
  for (const [name, fn] of Object.entries(kernels(addon, previous))) {
    const existing = getKernel(name, 'wasm');
    if (existing) {
      replaced.set(name, existing.kernelFunc);
      unregisterKernel(name, 'wasm');
    }
    const config: KernelConfig = { ...(existing ?? {}), kernelName: name, backendName: 'wasm', kernelFunc: fn as unknown as KernelFunc };
    registerKernel(config);
  }
  registerGradient(reluGradient(getGradient(Relu)));
}

/** Whether registerNativeKernels ran in this thread. */
export function nativeKernelsRegistered(): boolean {
  return registered;
}
