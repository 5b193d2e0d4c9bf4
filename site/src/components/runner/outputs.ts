/** Turns session messages into the outputs a notebook page shows (same shapes as stored outputs). */
import { PAYLOAD_MIMES } from '@optilab/viz';
import type { FromWorker, TrainProgressMsg } from './protocol';
import { errorText } from './cell-error';

/** Every optilab payload type (the library's list: a payload added there is drawn here too). */
export { PAYLOAD_MIMES };

export type LiveOutput =
  | { kind: 'text'; text: string; stream?: string }
  | { kind: 'error'; text: string }
  | { kind: 'html'; html: string }
  | { kind: 'image'; src: string }
  | { kind: 'payload'; mime: string; payload: unknown; text: string }
  | { kind: 'train'; p: TrainProgressMsg };

/** A display bundle as one output (optilab payloads first, then images, HTML, text). */
export function bundleOutput(bundle: Record<string, unknown>): LiveOutput | null {
  for (const mime of PAYLOAD_MIMES) {
    if (bundle[mime] !== undefined) {
      const payload = typeof bundle[mime] === 'string' ? JSON.parse(bundle[mime] as string) : bundle[mime];
      return { kind: 'payload', mime, payload, text: String(bundle['text/plain'] ?? '') };
    }
  }
  if (bundle['image/png']) return { kind: 'image', src: `data:image/png;base64,${bundle['image/png']}` };
  if (bundle['image/svg+xml']) return { kind: 'html', html: String(bundle['image/svg+xml']) };
  if (bundle['text/html']) return { kind: 'html', html: String(bundle['text/html']) };
  if (bundle['text/plain'] !== undefined) return { kind: 'text', text: String(bundle['text/plain']) };
  return null;
}

/** Appends one message's output to a cell's outputs (streams merge; training progress replaces itself). */
export function appendOutput(prev: LiveOutput[], m: FromWorker): LiveOutput[] {
  if (m.type === 'stream') {
    const last = prev[prev.length - 1];
    if (last && last.kind === 'text' && last.stream === m.name) return [...prev.slice(0, -1), { ...last, text: last.text + m.text }];
    return [...prev, { kind: 'text', stream: m.name, text: m.text }];
  }
  if (m.type === 'display') {
    const o = bundleOutput(m.bundle);
    return o ? [...prev, o] : prev;
  }
  if (m.type === 'result') return [...prev, { kind: 'text', text: m.text }];
  if (m.type === 'train') {
    const i = prev.findIndex((o) => o.kind === 'train');
    const o: LiveOutput = { kind: 'train', p: m.p };
    return i < 0 ? [...prev, o] : [...prev.slice(0, i), o, ...prev.slice(i + 1)];
  }
  if (m.type === 'done' && !m.ok && m.error) return [...prev, { kind: 'error', text: errorText(m.error) }];
  return prev;
}

/**
 * What makes a cell lab-only (ol.checkOnnxFile is not here: notebooks guard it with ol.hasPythonOnnx(), false in a
 * page, and an unguarded call throws LabOnlyError saying why): Node modules the page has no counterpart of (fs, os and path it has: ./page-fs;
 * ONNX Runtime it has: onnxruntime-web), Python, Node's zlib, model folders on disk and Node worker threads.
 */
const LAB_ONLY: [RegExp, string][] = [
  [/from\s+['"](?:node:)?(child_process|worker_threads|zlib|onnxruntime-node)['"]/, "imports Node's '$1' module"],
  [/\bol\.(saveModel|loadModel)\b/, 'reads or writes model folders on disk (ol.$1)'],
  [/\bol\.(trainParallel)\b/, 'trains in Node worker threads (ol.$1)'],
  [/\bol\.(flashFootprint)\b/, "compresses the model with Node's zlib (ol.$1)"],
];

/** Why a cell cannot run in the browser, or null when it can. */
export function labOnlyReason(source: string): string | null {
  for (const [re, why] of LAB_ONLY) {
    const m = re.exec(source);
    if (m) return why.replace('$1', m[1] ?? '');
  }
  return null;
}
