/**
 * A notebook session: a Web Worker that compiles each cell (./transform) and runs it in one global scope, so
 * state carries over between cells like a tslab kernel. Output goes to the page as it comes (console,
 * show.* bundles, tslab.display, training and download progress). The page interrupts by terminating it.
 */
import { compileCell, CellCompileError, type CompiledCell } from './transform';
import type { CellFrame, FromWorker, ToWorker } from './protocol';
import { datasetsRead, readsKjv } from './dataset-names';
import { fetchMountsFor, pageFs, pageOs, pagePath, pageRequire, setMounts } from './page-fs';
import { loadOrt, NEEDS_ORT } from './ort-web';
import runtime from '@site/src/generated/runtime.json';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);
const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;
let current = 0;

// Notebooks read `process.env.OPTILAB_QUICK`: the site runs them in quick mode.
(self as unknown as { process: unknown }).process = { env: { OPTILAB_QUICK: '1' } };
// A cell's `require.resolve('optilab/package.json')` finds the repository's files the site mounts (./page-fs).
(self as unknown as { require: unknown }).require = pageRequire;
setMounts(runtime.mounts ?? {});

function format(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.stack ?? `${v.name}: ${v.message}`;
  if (typeof v === 'function') return `[Function ${v.name || '(anonymous)'}]`;
  if (v && typeof v === 'object' && 'shape' in v && 'dtype' in v && typeof (v as { toString: () => string }).toString === 'function') {
    return (v as { toString: (verbose?: boolean) => string }).toString();
  }
  try {
    const s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : ArrayBuffer.isView(x) && !(x instanceof DataView) ? Array.from(x as unknown as ArrayLike<number>) : x), 2);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
function tableHtml(rows: unknown): string {
  const entries = Object.entries(rows as Record<string, unknown>);
  const cols = [...new Set(entries.flatMap(([, r]) => (r && typeof r === 'object' ? Object.keys(r) : ['Values'])))];
  const cell = (r: unknown, c: string) => escape(r && typeof r === 'object' ? format((r as Record<string, unknown>)[c] ?? '') : c === 'Values' ? format(r) : '');
  return `<table><thead><tr><th>(index)</th>${cols.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${entries
    .map(([k, r]) => `<tr><td>${escape(k)}</td>${cols.map((c) => `<td>${cell(r, c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const out = (name: 'stdout' | 'stderr') => (...args: unknown[]) => post({ type: 'stream', id: current, name, text: args.map(format).join(' ') + '\n' });
console.log = out('stdout');
console.info = out('stdout');
console.debug = out('stdout');
console.warn = out('stderr');
console.error = out('stderr');
console.table = (rows: unknown) => post({ type: 'display', id: current, bundle: { 'text/html': tableHtml(rows), 'text/plain': format(rows) } });

const tslab = {
  display: {
    html: (html: string) => post({ type: 'display', id: current, bundle: { 'text/html': html } }),
    text: (text: string) => post({ type: 'stream', id: current, name: 'stdout', text: text + '\n' }),
    markdown: (md: string) => post({ type: 'display', id: current, bundle: { 'text/plain': md } }),
    svg: (svg: string) => post({ type: 'display', id: current, bundle: { 'image/svg+xml': svg } }),
    png: (b: Uint8Array) => post({ type: 'display', id: current, bundle: { 'image/png': btoa(String.fromCharCode(...b)) } }),
    raw: (mime: string, text: string) => post({ type: 'display', id: current, bundle: { [mime]: text } }),
  },
};

const NODE_ONLY: Record<string, string> = {
  child_process: 'it starts programs', worker_threads: 'it starts Node worker threads', zlib: "it compresses with Node's zlib",
  'onnxruntime-node': 'ONNX Runtime for Node is a native module (the site runs onnxruntime-web through ol.createSession)',
};
/** Node modules a cell gets a page counterpart of: files in the page's memory, POSIX paths (./page-fs). */
const PAGE_MODULES: Record<string, unknown> = { fs: pageFs, os: pageOs, path: pagePath };

let optilab: Promise<typeof import('./optilab-browser')> | null = null;
function loadOptilab() {
  if (!optilab) {
    optilab = import('./optilab-browser').then(async (m) => {
      m.setDisplaySink((bundle) => post({ type: 'display', id: current, bundle }));
      m.setProgressHook((p) => post({ type: 'train', id: current, p }));
      m.setDataProgressHook((p) => post({ type: 'data', id: current, p }));
      post({ type: 'backend', name: await m.initBackend() });
      return m;
    });
  }
  return optilab;
}

async function importModule(spec: string): Promise<unknown> {
  const bare = spec.replace(/^node:/, '');
  if (spec === 'optilab' || spec === 'optilab/core') return loadOptilab();
  if (spec === 'tslab') return tslab;
  if (spec === '@tensorflow/tfjs-core' || spec === '@tensorflow/tfjs') return (await loadOptilab()).tf;
  if (spec === '@tensorflow/tfjs-layers') return (await loadOptilab()).tfl;
  if (PAGE_MODULES[bare]) return PAGE_MODULES[bare];
  if (NODE_ONLY[bare]) throw new Error(`import '${spec}': this cell runs only in the lab (optilab lab), not in the browser: ${NODE_ONLY[bare]}.`);
  throw new Error(`import '${spec}': the browser session provides optilab, tslab, @tensorflow/tfjs-core, @tensorflow/tfjs-layers, and fs, os and path on the page's in-memory files`);
}

/**
 * Fetches what a cell will read synchronously, before it runs: the dataset splits it names (the loaders stay
 * synchronous, as in Node), the KJV when it calls loadKjv, the site's files it names (./page-fs), and ONNX
 * Runtime when it opens sessions.
 */
async function prefetch(source: string): Promise<void> {
  await fetchMountsFor(source);
  if (NEEDS_ORT.test(source)) await loadOrt();
  if (readsKjv(source)) {
    await loadOptilab();
    const { ensureKjv } = await import('./datasets');
    await ensureKjv((p) => post({ type: 'data', id: current, p }));
  }
  const { datasets, splits } = datasetsRead(source);
  if (!datasets.length) return;
  await loadOptilab();
  const { ensureDataset } = await import('./datasets');
  for (const d of datasets) for (const s of splits) await ensureDataset(d, s, (p) => post({ type: 'data', id: current, p }));
}

/** Compiled cells by run id (a function defined by one cell and called by another maps back to its cell). */
const compiled = new Map<number, { cell?: number; code: CompiledCell }>();
const runUrl = (id: number) => `optilab-run-${id}.js`;

/** Lines the engine puts before a Function body (V8: 2, `async function anonymous(__import\n) {\n`). */
const HEADER_LINES = (() => {
  try {
    new Function('__import', `throw new Error('probe');\n//# sourceURL=${runUrl(0)}`)();
  } catch (e) {
    const m = new RegExp(`${runUrl(0).replace('.', '\\.')}:(\\d+):`).exec(String((e as Error).stack));
    if (m) return Number(m[1]) - 1;
  }
  return 2;
})();

/** The frames of an error's stack that lie in cells, mapped to the cells' TypeScript lines. */
function cellFrames(err: unknown): CellFrame[] {
  const stack = err instanceof Error ? String(err.stack ?? '') : '';
  const frames: CellFrame[] = [];
  for (const line of stack.split('\n')) {
    const m = /(?:at\s+(?:async\s+)?([^\s(]+)\s+\()?optilab-run-(\d+)\.js:(\d+):(\d+)/.exec(line);
    if (!m) continue;
    const c = compiled.get(Number(m[2]));
    const pos = c?.code.sourceOf(Number(m[3]) - HEADER_LINES, Number(m[4]));
    if (!c || !pos) continue;
    const fn = m[1] && m[1] !== 'eval' && m[1] !== 'anonymous' ? m[1] : undefined;
    frames.push({ fn, cell: c.cell, line: pos.line, column: pos.column });
  }
  return frames;
}

async function run(msg: ToWorker): Promise<void> {
  current = msg.id;
  post({ type: 'started', id: msg.id });
  try {
    const code = compileCell(msg.source);
    compiled.set(msg.id, { cell: msg.cell, code });
    await prefetch(msg.source);
    let value: unknown;
    if (msg.tests) {
      // A graded lab's tests cell: `check` and `expect` are the grader's own (optilab/core createLabChecks, from
      // src/grader/assess.js), passed as parameters so they shadow whatever the session's globals hold, with
      // the grading API's `inKernel` (here the function itself: tests and answers share this worker).
      const lab = (await loadOptilab()).createLabChecks();
      const fn = new AsyncFunction('__import', 'check', 'expect', 'inKernel', `${code.body}\n//# sourceURL=${runUrl(msg.id)}`);
      try {
        value = await fn(importModule, lab.check, lab.expect, lab.inKernel);
      } finally {
        // the checks that ran count even when the cell threw outside a check (as when grading)
        post({ type: 'checks', id: msg.id, result: await lab.settle() });
      }
    } else {
      const fn = new AsyncFunction('__import', `${code.body}\n//# sourceURL=${runUrl(msg.id)}`);
      value = await fn(importModule);
    }
    if (value !== undefined) post({ type: 'result', id: msg.id, text: format(value) });
    post({ type: 'done', id: msg.id, ok: true });
  } catch (e) {
    const err = e as Error;
    if (e instanceof CellCompileError) {
      post({ type: 'done', id: msg.id, ok: false, error: { name: 'CompileError', message: `line ${e.line}, column ${e.column}: ${e.detail}`, line: e.line, column: e.column } });
    } else {
      const frames = cellFrames(e);
      const here = frames.find((f) => f.cell === msg.cell) ?? frames[0];
      const isError = e instanceof Error;
      post({ type: 'done', id: msg.id, ok: false, error: {
        name: isError ? err.name : 'Error', message: isError ? err.message : `uncaught ${format(e)}`,
        stack: isError ? err.stack : undefined, line: here?.line, column: here?.column, frames,
      } });
    }
  }
}

// Cells run one after another, in the order the page sent them.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  if (ev.data.type === 'run') queue = queue.then(() => run(ev.data));
};
post({ type: 'ready' });
