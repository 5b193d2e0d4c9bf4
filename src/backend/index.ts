/**
 * Compute backend selection (Node): tfjs-node when installed, else wasm with optilab's gradient kernels (and,
 * when src/native is built, its native oneDNN/C++ training kernels), else the plain cpu backend.
 * OPTILAB_BACKEND=tensorflow|wasm|cpu forces one; OPTILAB_NATIVE=0 keeps wasm on its own kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerWasmGradients } from './wasm-conv-grad';
import { registerFastWasmKernels } from './wasm-fast-kernels';
import { loadNative, nativeStatus, NativeStatus } from './native';
import { nativeKernelsRegistered, registerNativeKernels } from './native-kernels';
import { useIntegerKernel, useIntegerPlanKernels } from '../quantize/integer';
import { useForwardCompiler } from '../train/forward-plan';
import { compileNativeForward } from './native-forward';
import { compileNativeTraining } from './native-train';
import { useTrainCompiler } from '../train/train-plan';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

let active: BackendName | null = null;

function loadTensorflow(): boolean {
  try {
    // Optional dependency: present only where its libtensorflow download succeeded at install.
    require('@tensorflow/tfjs-node');
    return tf.findBackend('tensorflow') !== null;
  } catch {
    return false;
  }
}

function loadWasm(): boolean {
  try {
    require('@tensorflow/tfjs-backend-wasm');
    registerWasmGradients();
    if (process.env.OPTILAB_FAST_KERNELS !== '0') registerFastWasmKernels();
    // Registered last, so the wasm kernels above stay as fallbacks outside the native kernels' cases.
    const addon = loadNative();
    if (addon) {
      registerNativeKernels(addon);
      useForwardCompiler(compileNativeForward);
      useTrainCompiler(compileNativeTraining);
    }
    return true;
  } catch {
    return false;
  }
}

const loaders: Record<BackendName, () => boolean> = { tensorflow: loadTensorflow, wasm: loadWasm, cpu: () => true };

/** Reads and validates OPTILAB_BACKEND; undefined when unset. */
export function requestedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const value = env.OPTILAB_BACKEND?.trim();
  if (!value) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new Error(`OPTILAB_BACKEND=${value} is not a backend; use one of ${BACKEND_NAMES.join(', ')} (or unset it to choose automatically)`);
  }
  return value as BackendName;
}

/**
 * Initialises the fastest available backend (or the one forced by `name` / OPTILAB_BACKEND) and returns its name.
 *
 * @example
 * const backend = await initBackend(); // 'tensorflow' | 'wasm' | 'cpu'
 */
export async function initBackend(name: BackendName | undefined = requestedBackend()): Promise<BackendName> {
  if (active && (name === undefined || name === active)) return active;
  // The integer-only path (runIntegerModel) runs on the addon whatever the tfjs backend.
  const addon = loadNative();
  useIntegerKernel(addon ? addon.intConv2d.bind(addon) : null);
  useIntegerPlanKernels(addon);
  const candidates = name ? [name] : BACKEND_NAMES;
  for (const candidate of candidates) {
    if (!loaders[candidate]()) continue;
    if (await tf.setBackend(candidate)) {
      await tf.ready();
      active = candidate;
      return candidate;
    }
  }
  const hint: Record<BackendName, string> = {
    tensorflow: '@tensorflow/tfjs-node is not installed (its install needs to download libtensorflow, which this machine cannot reach)',
    wasm: '@tensorflow/tfjs-backend-wasm failed to load; run `npm install` again',
    cpu: 'the cpu backend failed to initialise',
  };
  throw new Error(`optilab: backend '${name}' is unavailable: ${hint[name as BackendName]}. Unset OPTILAB_BACKEND to pick the best available one.`);
}

/** The backend chosen by initBackend, or null before it ran. */
export function activeBackend(): BackendName | null {
  return active;
}

/**
 * What runs the heavy training kernels: 'native' (the addon on the wasm backend), 'wasm', 'tensorflow' or 'cpu';
 * with the addon's status, for `optilab info` and the benches.
 *
 * @example
 * await initBackend();
 * console.log(kernelsInUse().kernels); // 'native' when src/native is built
 */
export function kernelsInUse(): { backend: BackendName | null; kernels: string; native: NativeStatus } {
  const native = nativeStatus();
  const kernels = active === 'wasm' && nativeKernelsRegistered() ? 'native' : (active ?? 'none');
  return { backend: active, kernels, native };
}

export { registerWasmGradients };
