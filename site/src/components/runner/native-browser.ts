/**
 * The browser's counterpart of src/backend/native.ts (swapped in by the site's bundler config): the native
 * addon is a Node module (N-API, oneDNN), so in a page it is never loaded and every caller takes its
 * TypeScript / wasm path, as in the lab when the addon is not built. Same exports as the Node module.
 */
import type { NativeAddon, NativeStatus } from '@optilab/core';

export type { NativeAddon, NativeStatus };

const DETAIL = 'not in a browser: the native addon is a Node module (the kernels run on the tfjs backend)';

/**
 * Always null in a browser.
 *
 * @example
 * loadNative(); // null
 */
export function loadNative(): NativeAddon | null {
  return null;
}

/** Always false in a browser (no addon to set threads on). */
export function setNativeThreads(threads: number): boolean {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive whole number, got ${threads}`);
  return false;
}

/** The addon's status: not loaded, and why. */
export function nativeStatus(): NativeStatus {
  return { loaded: false, detail: DETAIL };
}
