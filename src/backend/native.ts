/**
 * Loads optilab's optional native addon (src/native, built by scripts/setup.d/40-native.sh with node-gyp): oneDNN
 * convolutions and matrix products plus a few C++ training kernels, used as tfjs-wasm kernels by
 * ./native-kernels.ts. When the addon is not built (or OPTILAB_NATIVE=0), everything runs on plain wasm.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { IntegerPlanKernels } from '../quantize/integer-plan';

/** The addon's functions. Arrays are caller-owned and written in place; geometry arguments are Int32Arrays. */
/** The addon's exports; the integer plan's functions are listed in IntegerPlanKernels (src/native/src/int8plan.cc). */
export interface NativeAddon extends IntegerPlanKernels {
  conv2dForward(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: Int32Array): void;
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  /** The oneDNN implementation for a geometry; kind 0 forward, 1 input gradient, 2 filter gradient. */
  convImplementation(kind: 0 | 1 | 2, geometry: Int32Array): string;
  /** Batched product on oneDNN matmul; throws (code OPTILAB_DNNL) for shapes it will not run. */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** NHWC max pooling; geometry as maxPoolGrad's. */
  maxPool(x: Float32Array, y: Float32Array, geometry: Int32Array): void;
  sumLeading(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  adamStep(value: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, coefficients: Float64Array): void;
  /** In place y[i, j] = act(y[i, j] + bias[j]) on [rows, cols]; bias of length 0 for none; act 0 linear, 1 relu, 2 relu6. */
  biasActivation(y: Float32Array, bias: Float32Array, rows: number, cols: number, activation: 0 | 1 | 2): void;
  /** dx = dy where x > 0, else 0 (the ReLU gradient, x its input); n elements. */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, n: number): void;
  /** y[i, j] = x[i, j] + bias[j] on [rows, cols]. */
  addBias(x: Float32Array, bias: Float32Array, y: Float32Array, rows: number, cols: number): void;
  /**
   * Integer-only conv (dense: the 1x1 case), bit-exact with src/quantize/integer.ts. geometry [n, h, w, cin, kh, kw,
   * cout, oh, ow, sh, sw, padTop, padLeft]; params [zx, zy, lo, hi]; one multiplier and shift per channel or one.
   */
  intConv2d(x: Int32Array, w: Int32Array, bias: Int32Array, multipliers: Int32Array, shifts: Int32Array, out: Int32Array, geometry: Int32Array, params: Int32Array): void;
  setThreads(n: number): void;
  getThreads(): number;
  version(): string;
}

export interface NativeStatus {
  loaded: boolean;
  /** Where the addon was loaded from, or why it was not. */
  detail: string;
  version?: string;
  threads?: number;
}

const FILE = path.join('native', 'build', 'Release', 'optilab_native.node');

let cached: { addon: NativeAddon | null; detail: string } | null = null;

/** Candidate locations: next to the sources (tsx) and next to the compiled output (src/dist/backend). */
function candidates(): string[] {
  return [path.join(__dirname, '..', FILE), path.join(__dirname, '..', '..', FILE)];
}

/**
 * The native addon, or null when it is not built, fails to load, or OPTILAB_NATIVE=0 turns it off.
 *
 * @example
 * const addon = loadNative();
 * if (addon) console.log(addon.version());
 */
export function loadNative(): NativeAddon | null {
  if (cached) return cached.addon;
  if (process.env.OPTILAB_NATIVE === '0') {
    cached = { addon: null, detail: 'turned off by OPTILAB_NATIVE=0' };
    return null;
  }
  const file = candidates().find((f) => fs.existsSync(f));
  if (!file) {
    cached = { addon: null, detail: 'not built (run bash scripts/setup.sh, which builds src/native with node-gyp)' };
    return null;
  }
  try {
    const addon = require(file) as NativeAddon;
    const threads = Number(process.env.OPTILAB_NATIVE_THREADS ?? 1);
    if (Number.isInteger(threads) && threads >= 1) addon.setThreads(threads);
    cached = { addon, detail: file };
  } catch (e) {
    cached = { addon: null, detail: `failed to load ${file}: ${(e as Error).message.split('\n')[0]}` };
  }
  return cached.addon;
}

/**
 * Sets the native kernels' thread count (OpenMP, per calling thread; default 1 or OPTILAB_NATIVE_THREADS).
 * Returns false when the addon is not loaded.
 *
 * @example
 * setNativeThreads(os.cpus().length);
 */
export function setNativeThreads(threads: number): boolean {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive whole number, got ${threads}`);
  const addon = loadNative();
  addon?.setThreads(threads);
  return addon !== null;
}

/**
 * Whether the native kernels are available, and their library and thread count (for `optilab info` and benches).
 *
 * @example
 * const { loaded, detail } = nativeStatus();
 */
export function nativeStatus(): NativeStatus {
  const addon = loadNative();
  const detail = cached!.detail;
  return addon ? { loaded: true, detail, version: addon.version(), threads: addon.getThreads() } : { loaded: false, detail };
}
