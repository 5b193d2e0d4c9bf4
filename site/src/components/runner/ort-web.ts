/**
 * ONNX Runtime in the notebook worker: onnxruntime-web (npm, the same version as the lab's onnxruntime-node),
 * its wasm build served by the site under /ort/ (site/scripts/prepare-runtime.mjs) and imported on first use,
 * outside the bundle, so only pages whose cells run an ONNX model download it (~14 MB of wasm, then cached).
 * One thread unless the page is cross-origin isolated (threads need SharedArrayBuffer).
 */
import type * as Ort from 'onnxruntime-web';

let loading: Promise<typeof Ort> | null = null;

/** The ONNX Runtime module once loaded (null before {@link loadOrt} resolved). */
export let ortLoaded: typeof Ort | null = null;

/**
 * Loads onnxruntime-web (once per session).
 *
 * @example
 * const ort = await loadOrt();
 * const session = await ort.InferenceSession.create(bytes);
 */
export function loadOrt(): Promise<typeof Ort> {
  if (!loading) {
    const base = new URL('/ort/', self.location.origin).href;
    loading = (import(/* webpackIgnore: true */ `${base}ort.wasm.min.mjs`) as Promise<typeof Ort>).then((ort) => {
      ort.env.wasm.wasmPaths = base;
      ort.env.wasm.numThreads = self.crossOriginIsolated ? 2 : 1;
      ort.env.wasm.proxy = false;
      ort.env.logLevel = 'error';
      ortLoaded = ort;
      return ort;
    });
    loading.catch(() => (loading = null));
  }
  return loading;
}

/** Calls of a cell that need ONNX Runtime (the worker loads it before such a cell runs). */
export const NEEDS_ORT = /\bol\.(createSession|runOnnx|measureOnnxModel|deployBench|createGptSession|onnxGptLogits|onnxPerplexity)\b/;
