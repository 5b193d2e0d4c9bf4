/**
 * A whole forward pass of a Sequential image model as a short list of native addon calls on preallocated
 * buffers. model.predict spends most of a small batch outside its kernels (layers, tensor bookkeeping, one
 * dispatch per op: LeNet-5 at batch 1 was 10% kernel time); this plan runs the same addon kernels the wasm
 * backend's native kernels use (src/backend/native-kernels.ts), in the same order, so its outputs are the
 * same bits as model.predict's on that backend. Weights are copied when the plan is made: make a new plan
 * after training or changing weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadNative, type NativeAddon } from './native';
import { activationCode, geometry, nativeKernelsRegistered, poolGeometry } from './native-kernels';
import type { ForwardPlan } from '../train/forward-plan';

export type Shape3 = [number, number, number];
/** One image's activation: [h, w, c], or a flat vector's length. */
export type Shape = Shape3 | number;
export type Act = 0 | 1 | 2;
type Run = (addon: NativeAddon, src: Float32Array, dst: Float32Array) => void;

/**
 * One layer of the plan: its output shape (one image) and, unless it only reshapes (Flatten), how to run it on
 * a batch. A step reads `src` and writes `dst`, or works on `src` in place.
 */
interface Step {
  out: Shape;
  prepare?(batch: number): Run;
  inPlace?: boolean;
}

const NO_BIAS = new Float32Array(0);
/** Values in one image's activation. */
export const size = (s: Shape) => (typeof s === 'number' ? s : s[0] * s[1] * s[2]);
/** A layer config's [h, w] from a number or a pair. */
export const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/** What the plan reads of a tfjs-layers layer. */
export interface PlannedLayer {
  name: string;
  getClassName(): string;
  getConfig(): unknown;
  getWeights(): tf.Tensor[];
}

/** Why a layer cannot be planned (the caller then uses model.predict). */
export class Unsupported extends Error {}

export function activationOf(config: Record<string, unknown>, layer: string): Act {
  const act = activationCode(config.activation);
  if (act === null) throw new Unsupported(`${layer}: activation ${String(config.activation)}`);
  return act;
}

function weightsOf(layer: PlannedLayer): Float32Array[] {
  return layer.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
}

export function image(shape: Shape, layer: string): Shape3 {
  if (typeof shape === 'number') throw new Unsupported(`${layer} needs an image input`);
  return shape;
}

/** Bias and activation in one pass over `y` ([rows, cols]), as the native kernels' epilogue; nothing when there is neither. */
function epilogue(addon: NativeAddon, y: Float32Array, bias: Float32Array | undefined, rows: number, cols: number, act: Act): void {
  if (bias || act) addon.biasActivation(y, bias ?? NO_BIAS, rows, cols, act);
}

/** The plan's step for one layer, given its input shape (one image); null for layers that change nothing. */
function stepFor(layer: PlannedLayer, inShape: Shape): Step | null {
  const kind = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const name = `${kind} ${layer.name}`;
  switch (kind) {
    case 'InputLayer':
    case 'Dropout':
      return null;
    case 'Flatten': // NHWC rows are already in Flatten's order
      return { out: size(inShape) };
    case 'Rescaling': {
      // tfjs-layers: add(mul(x, scale), offset), each rounded to float32
      const scale = Math.fround(Number(config.scale));
      const offset = Math.fround(Number(config.offset ?? 0));
      return {
        out: inShape,
        prepare: (batch) => {
          const n = batch * size(inShape);
          return (_addon, src, dst) => {
            for (let i = 0; i < n; i++) dst[i] = Math.fround(src[i] * scale) + offset;
          };
        },
      };
    }
    case 'Conv2D': {
      const [h, w, c] = image(inShape, name);
      if (config.dataFormat !== 'channelsLast') throw new Unsupported(`${name}: ${config.dataFormat}`);
      const [kernel, bias] = weightsOf(layer);
      const [kh, kw] = pair(config.kernelSize);
      const filters = Number(config.filters);
      const act = activationOf(config, name);
      const info = (batch: number) =>
        backend_util.computeConv2DInfo([batch, h, w, c], [kh, kw, c, filters], pair(config.strides), pair(config.dilationRate), config.padding as 'same' | 'valid');
      const one = info(1);
      return {
        out: [one.outHeight, one.outWidth, filters],
        prepare: (batch) => {
          const g = geometry(info(batch));
          const rows = batch * one.outHeight * one.outWidth;
          return (addon, src, dst) => {
            addon.conv2dForward(src, kernel, dst, g);
            epilogue(addon, dst, bias, rows, filters, act);
          };
        },
      };
    }
    case 'MaxPooling2D': {
      const [h, w, c] = image(inShape, name);
      if (config.dataFormat !== 'channelsLast') throw new Unsupported(`${name}: ${config.dataFormat}`);
      const info = (batch: number) =>
        backend_util.computePool2DInfo([batch, h, w, c], pair(config.poolSize), pair(config.strides ?? config.poolSize), 1, config.padding as 'same' | 'valid');
      const one = info(1);
      return {
        out: [one.outHeight, one.outWidth, c],
        prepare: (batch) => {
          const g = poolGeometry(info(batch));
          return (addon, src, dst) => addon.maxPool(src, dst, g);
        },
      };
    }
    case 'Dense': {
      if (typeof inShape !== 'number') throw new Unsupported(`${name} on a rank-4 input`);
      const [kernel, bias] = weightsOf(layer);
      const units = Number(config.units);
      const act = activationOf(config, name);
      return {
        out: units,
        prepare: (batch) => {
          const dims = Int32Array.from([1, 1, batch, units, inShape, 0, 0]);
          return (addon, src, dst) => {
            addon.matmul(src, kernel, dst, dims);
            epilogue(addon, dst, bias, batch, units, act);
          };
        },
      };
    }
    case 'ReLU':
    case 'Activation': {
      const act = kind === 'ReLU' ? (config.maxValue == null ? 1 : config.maxValue === 6 ? 2 : null) : activationOf(config, name);
      if (act === null) throw new Unsupported(`${name}: maxValue ${config.maxValue}`);
      return {
        out: inShape,
        inPlace: true,
        prepare: (batch) => {
          const n = batch * size(inShape);
          return (addon, src) => epilogue(addon, src, undefined, n, 1, act);
        },
      };
    }
    default:
      throw new Unsupported(name);
  }
}

/**
 * What every native plan needs of a model: the addon in use and one image input of a Sequential model, or why
 * the model cannot be planned.
 */
export function planTarget(model: LayersModel): { addon: NativeAddon; inputShape: Shape3 } | string {
  const addon = loadNative();
  if (!addon || !nativeKernelsRegistered() || tf.getBackend() !== 'wasm') return 'the native kernels are not in use';
  if (model.getClassName() !== 'Sequential') return `a ${model.getClassName()} model (only Sequential ones are planned)`;
  const input = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !input || input.length !== 4 || input.slice(1).some((d) => d == null)) return 'not one image input';
  return { addon, inputShape: input.slice(1) as Shape3 };
}

/** Why `compileNativeForward` returned null for a model, or '' when it did not. */
export let nativeForwardRefusal = '';

/**
 * The model's forward pass as a native plan, or null when the native kernels are not in use (no addon,
 * OPTILAB_NATIVE=0, another backend) or the model has a layer the plan does not cover (then
 * `nativeForwardRefusal` says which). Covers Sequential models of Rescaling, Conv2D, MaxPooling2D, Flatten,
 * Dense, Dropout and ReLU/ReLU6/linear activations, channels last, one image input.
 *
 * @example
 * const forward = compileNativeForward(lenet5({ seed: 1 }));
 * const logits = forward?.run(images, 8); // Float32Array [8, 10], the bits of model.predict's on the native kernels
 */
export function compileNativeForward(model: LayersModel): ForwardPlan | null {
  const refuse = (why: string) => {
    nativeForwardRefusal = why;
    return null;
  };
  const target = planTarget(model);
  if (typeof target === 'string') return refuse(target);
  const { addon, inputShape } = target;
  const steps: Step[] = [];
  let shape: Shape = inputShape;
  try {
    for (const layer of model.layers) {
      const step = stepFor(layer as unknown as PlannedLayer, shape);
      if (!step) continue;
      steps.push(step);
      shape = step.out;
    }
  } catch (e) {
    if (e instanceof Unsupported) return refuse(e.message);
    throw e;
  }
  const inputSize = size(inputShape);
  const outputSize = size(shape);
  const largest = Math.max(inputSize, ...steps.map((s) => size(s.out)));
  const plans = new Map<number, (images: Float32Array) => Float32Array>();
  const planFor = (batch: number) => {
    // two buffers of the largest activation, used in turn (in-place steps stay on theirs)
    const buffers = [new Float32Array(batch * largest), new Float32Array(batch * largest)];
    const runs = steps.flatMap((s) => (s.prepare ? [{ run: s.prepare(batch), inPlace: s.inPlace === true, n: batch * size(s.out) }] : []));
    return (images: Float32Array) => {
      let src = images.subarray(0, batch * inputSize);
      let next = 0;
      for (const r of runs) {
        if (r.inPlace && src.buffer !== images.buffer) {
          r.run(addon, src, src);
          continue;
        }
        const dst = buffers[next].subarray(0, r.n);
        // the caller's images are never written: an in-place first step works on a copy
        if (r.inPlace) {
          dst.set(src);
          r.run(addon, dst, dst);
        } else r.run(addon, src, dst);
        src = dst;
        next ^= 1;
      }
      return src.buffer === images.buffer ? src.slice() : src.subarray(0, batch * outputSize);
    };
  };
  nativeForwardRefusal = '';
  return {
    inputShape,
    outputSize,
    run(images, batch) {
      if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
      const need = batch * inputSize;
      if (images.length < need) throw new RangeError(`${batch} images of ${inputShape.join('x')} need ${need} values, got ${images.length}`);
      let plan = plans.get(batch);
      if (!plan) {
        plan = planFor(batch);
        plans.set(batch, plan);
      }
      return plan(images);
    },
  };
}
