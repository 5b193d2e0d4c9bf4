/** Shared test helpers. */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend';

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

export { tf };
