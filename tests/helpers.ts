/** Shared test helpers. */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend';
import { mulberry32 } from '../src/util/random';

export const ROOT = path.resolve(__dirname, '..');
export const MNIST_SLICE = path.join(ROOT, 'datasets', 'mnist-slice');

/** Initialises the default backend once per test file. */
export async function setupBackend(): Promise<string> {
  return initBackend();
}

/** Largest absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * A seeded tensor of uniform values in [-1, 1), or of whole numbers 0..4 with `round` (ties, which exercise
 * the max-pool tie rule).
 */
export function seededTensor(shape: number[], seed: number, round = false): tf.Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (round ? Math.round(r() * 4) : r() * 2 - 1)), shape);
}

/** Runs `f` on the cpu backend, then on wasm (whatever kernels are registered there): [cpu, wasm] outputs. */
export async function onCpuAndWasm(f: () => tf.Tensor | tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const out = f();
    const list = Array.isArray(out) ? out : [out];
    results.push(await Promise.all(list.map(async (t) => (await t.data()) as Float32Array)));
  }
  return [results[0], results[1]];
}

export { tf };
