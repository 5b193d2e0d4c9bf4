/**
 * The files of a notebook session in the browser: an in-memory file system behind the `fs`, `os` and `path`
 * imports of a cell (the subset the chapter notebooks use, synchronous as in Node), so a notebook that writes
 * an .onnx file and reads it back runs unchanged. Files live as long as the session: Restart or a reload
 * empties them. Files the site serves (the ONNX fixtures of tests/onnx, see site/scripts/prepare-runtime.mjs)
 * are mounted under their repository path below PACKAGE_ROOT and fetched before a cell that names them runs.
 * Errors read like Node's (`ENOENT: no such file or directory, open '<path>'`), with `code` set.
 */

/** Where the library's package sits in the page's file system (`require.resolve('optilab/package.json')`). */
export const PACKAGE_ROOT = '/optilab/src';

const files = new Map<string, Uint8Array>();
const dirs = new Set<string>(['/', '/tmp', '/optilab', PACKAGE_ROOT]);

/** Files the site serves, by page path, with their URLs (set by the worker from the build's manifest). */
const mounts = new Map<string, string>();

function fsError(code: 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST', op: string, p: string): Error {
  const text = { ENOENT: 'no such file or directory', EISDIR: 'illegal operation on a directory', ENOTDIR: 'not a directory', EEXIST: 'file already exists' }[code];
  return Object.assign(new Error(`${code}: ${text}, ${op} '${p}'`), { code, path: p, syscall: op });
}

// ---- path (POSIX) ----

function normalize(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s || (abs ? '/' : '.');
}

/** `path` of a cell: POSIX paths (the page's file system has no drive letters). */
export const pagePath = {
  sep: '/',
  delimiter: ':',
  normalize,
  join: (...parts: string[]) => normalize(parts.filter((x) => x !== '').join('/') || '.'),
  resolve: (...parts: string[]) => {
    let p = '';
    for (const part of parts) p = part.startsWith('/') ? part : `${p}/${part}`;
    return normalize(p.startsWith('/') ? p : `/tmp/${p}`);
  },
  dirname: (p: string) => {
    const n = normalize(p);
    const i = n.lastIndexOf('/');
    return i < 0 ? '.' : i === 0 ? '/' : n.slice(0, i);
  },
  basename: (p: string, ext?: string) => {
    const b = normalize(p).split('/').pop() ?? '';
    return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
  },
  extname: (p: string) => {
    const b = normalize(p).split('/').pop() ?? '';
    const i = b.lastIndexOf('.');
    return i > 0 ? b.slice(i) : '';
  },
  isAbsolute: (p: string) => p.startsWith('/'),
  relative: (from: string, to: string) => {
    const a = pagePath.resolve(from).split('/').filter(Boolean);
    const b = pagePath.resolve(to).split('/').filter(Boolean);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
  },
};

const abs = (p: string) => pagePath.resolve(String(p));

// ---- fs ----

function mkdirs(d: string): void {
  for (let p = d; p !== '/' && !dirs.has(p); p = pagePath.dirname(p)) dirs.add(p);
}

type Encoding = BufferEncoding | { encoding?: string | null } | undefined;
type BufferEncoding = 'utf8' | 'utf-8' | 'latin1' | 'binary' | 'ascii';
const encodingOf = (e: Encoding) => (typeof e === 'string' ? e : e?.encoding ?? null);

/** A Uint8Array standing in for a Node Buffer: `subarray`, `length`, and `toString()` as UTF-8. */
function asBuffer(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  Object.defineProperty(b, 'toString', { value: (enc?: string) => (enc === 'base64' ? btoa(String.fromCharCode(...b)) : new TextDecoder().decode(b)) });
  return b;
}

/** `fs` of a cell: synchronous calls on the page's in-memory files. */
export const pageFs = {
  existsSync: (p: string) => files.has(abs(p)) || dirs.has(abs(p)),
  readFileSync(p: string, enc?: Encoding): Uint8Array | string {
    const f = abs(p);
    if (dirs.has(f)) throw fsError('EISDIR', 'read', p);
    const bytes = files.get(f);
    if (!bytes) throw fsError('ENOENT', 'open', p);
    return encodingOf(enc) ? new TextDecoder().decode(bytes) : asBuffer(bytes);
  },
  writeFileSync(p: string, data: string | ArrayBufferView): void {
    const f = abs(p);
    if (dirs.has(f)) throw fsError('EISDIR', 'open', p);
    if (!dirs.has(pagePath.dirname(f))) throw fsError('ENOENT', 'open', p);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    files.set(f, bytes);
  },
  appendFileSync(p: string, data: string | ArrayBufferView): void {
    const old = files.get(abs(p)) ?? new Uint8Array(0);
    const add = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const both = new Uint8Array(old.length + add.length);
    both.set(old);
    both.set(add, old.length);
    pageFs.writeFileSync(p, both);
  },
  statSync(p: string) {
    const f = abs(p);
    const bytes = files.get(f);
    if (!bytes && !dirs.has(f)) throw fsError('ENOENT', 'stat', p);
    const isDir = !bytes;
    return { size: bytes?.length ?? 0, isFile: () => !isDir, isDirectory: () => isDir, mtimeMs: Date.now() };
  },
  mkdirSync(p: string, opts?: { recursive?: boolean }): void {
    const d = abs(p);
    if (files.has(d)) throw fsError('EEXIST', 'mkdir', p);
    if (dirs.has(d)) {
      if (opts?.recursive) return;
      throw fsError('EEXIST', 'mkdir', p);
    }
    if (!opts?.recursive && !dirs.has(pagePath.dirname(d))) throw fsError('ENOENT', 'mkdir', p);
    mkdirs(d);
  },
  mkdtempSync(prefix: string): string {
    let d: string;
    do d = abs(prefix + Math.random().toString(36).slice(2, 8).padEnd(6, '0'));
    while (dirs.has(d));
    pageFs.mkdirSync(d);
    return d;
  },
  readdirSync(p: string): string[] {
    const d = abs(p);
    if (!dirs.has(d)) throw fsError(files.has(d) ? 'ENOTDIR' : 'ENOENT', 'scandir', p);
    const prefix = d === '/' ? '/' : `${d}/`;
    const names = new Set<string>();
    for (const x of [...files.keys(), ...dirs]) if (x.startsWith(prefix) && x !== d) names.add(x.slice(prefix.length).split('/')[0]);
    return [...names].sort();
  },
  unlinkSync(p: string): void {
    if (!files.delete(abs(p))) throw fsError('ENOENT', 'unlink', p);
  },
  rmSync(p: string, opts?: { recursive?: boolean; force?: boolean }): void {
    const f = abs(p);
    if (files.delete(f)) return;
    if (dirs.has(f)) {
      if (!opts?.recursive) throw fsError('EISDIR', 'rm', p);
      for (const x of [...files.keys()]) if (x.startsWith(`${f}/`)) files.delete(x);
      for (const x of [...dirs]) if (x === f || x.startsWith(`${f}/`)) dirs.delete(x);
      return;
    }
    if (!opts?.force) throw fsError('ENOENT', 'rm', p);
  },
};

/** `os` of a cell: what the notebooks ask (a temporary folder of the page's file system). */
export const pageOs = {
  tmpdir: () => '/tmp',
  homedir: () => '/home/reader',
  platform: () => 'browser',
  EOL: '\n',
};

/**
 * `require` of a cell: only `require.resolve` of the library's package.json (notebooks find the repository's
 * test fixtures from it); everything else says why it does not work in a page.
 */
export const pageRequire = Object.assign(
  (spec: string): never => {
    throw new Error(`require('${spec}'): a notebook on the site has no Node require(); use import (optilab, tslab, fs, os, path and tfjs are provided)`);
  },
  {
    resolve(spec: string): string {
      if (spec === 'optilab/package.json') return `${PACKAGE_ROOT}/package.json`;
      throw new Error(`require.resolve('${spec}'): in the browser only 'optilab/package.json' resolves (to ${PACKAGE_ROOT}/package.json)`);
    },
  },
);

/** Registers the files the site serves (page path -> URL, relative to the site's origin). */
export function setMounts(list: Record<string, string>): void {
  for (const [p, url] of Object.entries(list)) {
    mounts.set(p, url);
    mkdirs(pagePath.dirname(p));
  }
}

/** Fetches the mounted files whose name appears in a cell's source, before it runs (the fs calls are synchronous). */
export async function fetchMountsFor(source: string): Promise<void> {
  for (const [p, url] of mounts) {
    if (files.has(p) || !source.includes(pagePath.basename(p))) continue;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${p}: the site did not serve ${url} (HTTP ${res.status}); rebuild the site (npm run build in site/)`);
    files.set(p, new Uint8Array(await res.arrayBuffer()));
  }
}

/** The bytes of a file of the page, for the library's browser counterparts (`createSession(path)` and the like). */
export function readPageFile(p: string, what = 'an .onnx file'): Uint8Array {
  const bytes = files.get(abs(p));
  if (!bytes) throw new Error(`${p} does not exist: pass the path of ${what} (in the browser, files live in the page's memory: write them in an earlier cell)`);
  return bytes;
}
