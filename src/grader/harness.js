'use strict';
/*
 * The in-kernel half of the grader (plain JavaScript: it is loaded by `require` in the FIRST cell of a fresh
 * sandboxed tslab kernel, before any student code runs, and must not depend on anything the student can touch).
 *
 * install(fd) does, once per kernel:
 *  1. reads the per-kernel secret key (64 hex chars) from file descriptor `fd` (a socket the grader created;
 *     the key is never part of any cell source or environment variable);
 *  2. closes the ways to read this process's memory or run code outside it: the `inspector`, `child_process`,
 *     `worker_threads`, `cluster` and `v8` modules, process.binding/_linkedBinding/dlopen/_debugProcess, and
 *     SIGUSR1 (which would open the inspector);
 *  3. freezes the JavaScript intrinsics (Object, Array, Math, JSON, Promise, typed arrays, ... and their
 *     prototypes) and makes their global names read-only, so student code cannot patch what tests rely on;
 *  4. defines the read-only global `__optilab_grader__` = { run }.
 *
 * The grader then sends every test cell (taken from the assignment SOURCE) wrapped as
 *   await <global>.__optilab_grader__.run('<nonce>', '<grade_id>', async (__og) => { 'use strict'; const {check, expect, Math, ...} = __og; <test code> })
 * with a fresh random nonce per test cell. run() accepts a nonce once, runs the checks, and writes ONE record
 * `{nonce, gradeId, checks, error}` with HMAC-SHA256(key, record) (computed here in plain JS, so patching
 * node's crypto cannot leak the key) to `fd`. The grader counts a record only if its MAC verifies, its nonce is
 * the one it sent for the cell being executed, and it is the first such record.
 */

const installed = { done: false };

// ---- SHA-256 / HMAC (pure JavaScript, local functions only) ----
const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

function sha256(bytes) {
  const n = bytes.length;
  const total = (((n + 9 + 63) / 64) | 0) * 64;
  const m = new Uint8Array(total);
  for (let i = 0; i < n; i++) m[i] = bytes[i];
  m[n] = 0x80;
  const bits = n * 8;
  m[total - 4] = (bits >>> 24) & 255;
  m[total - 3] = (bits >>> 16) & 255;
  m[total - 2] = (bits >>> 8) & 255;
  m[total - 1] = bits & 255;
  m[total - 5] = (n / 0x20000000) & 255;
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) {
      const j = off + t * 4;
      w[t] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15], b = w[t - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K256[t] + w[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = h[i] >>> 24; out[i * 4 + 1] = (h[i] >>> 16) & 255; out[i * 4 + 2] = (h[i] >>> 8) & 255; out[i * 4 + 3] = h[i] & 255;
  }
  return out;
}

function utf8(str) {
  const out = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    if (c < 0x80) out[out.length] = c;
    else if (c < 0x800) { out[out.length] = 0xc0 | (c >> 6); out[out.length] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[out.length] = 0xe0 | (c >> 12); out[out.length] = 0x80 | ((c >> 6) & 63); out[out.length] = 0x80 | (c & 63); }
    else { out[out.length] = 0xf0 | (c >> 18); out[out.length] = 0x80 | ((c >> 12) & 63); out[out.length] = 0x80 | ((c >> 6) & 63); out[out.length] = 0x80 | (c & 63); }
  }
  return new Uint8Array(out);
}

function hex(bytes) {
  const digits = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += digits[bytes[i] >> 4] + digits[bytes[i] & 15];
  return s;
}

/** HMAC-SHA256(key bytes, message string) as hex. */
function hmacHex(key, message) {
  const k = new Uint8Array(64);
  const kb = key.length > 64 ? sha256(key) : key;
  for (let i = 0; i < kb.length; i++) k[i] = kb[i];
  const msg = utf8(message);
  const inner = new Uint8Array(64 + msg.length);
  for (let i = 0; i < 64; i++) inner[i] = k[i] ^ 0x36;
  for (let i = 0; i < msg.length; i++) inner[64 + i] = msg[i];
  const ih = sha256(inner);
  const outer = new Uint8Array(96);
  for (let i = 0; i < 64; i++) outer[i] = k[i] ^ 0x5c;
  for (let i = 0; i < 32; i++) outer[64 + i] = ih[i];
  return hex(sha256(outer));
}

// ---- the test API (used both in grading and, through testapi.ts, interactively) ----

/** Readable, length-capped text of anything thrown (student values may have hostile getters). */
function describe(e) {
  try {
    if (e !== null && typeof e === 'object') {
      const name = typeof e.name === 'string' ? e.name : 'Error';
      const msg = typeof e.message === 'string' ? e.message : '';
      return (name + ': ' + msg).slice(0, 2000);
    }
    return ('thrown: ' + String(e)).slice(0, 2000);
  } catch (_) {
    return 'an unreadable value was thrown';
  }
}

function fmt(v) {
  try {
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6);
    if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    if (ArrayBuffer.isView(v) || Array.isArray(v)) return (Array.isArray(v) ? 'Array' : v.constructor.name) + '(' + v.length + ')';
    return typeof v;
  } catch (_) {
    return '?';
  }
}

class CheckFailure extends Error {
  constructor(message) {
    super(message);
    this.name = 'CheckFailure';
  }
}

function toNumbers(x, what) {
  if (typeof x === 'number') return [x];
  if (!(ArrayBuffer.isView(x) || Array.isArray(x))) throw new CheckFailure(what + ' should be a number or an array of numbers, got ' + fmt(x));
  const n = x.length;
  if (typeof n !== 'number' || n > 1e8) throw new CheckFailure(what + ' has an invalid length');
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(x[i]);
  return out;
}

/**
 * Assertion helpers with helpful messages. Every failure throws CheckFailure naming what differs and where.
 */
function makeExpect() {
  return Object.freeze({
    /** Numbers or arrays close within atol + rtol·|expected| (NaN equals NaN only when both are NaN). */
    close(actual, expected, opts) {
      const atol = opts && typeof opts.atol === 'number' ? opts.atol : 1e-6;
      const rtol = opts && typeof opts.rtol === 'number' ? opts.rtol : 1e-5;
      const what = opts && typeof opts.what === 'string' ? opts.what : 'value';
      const a = toNumbers(actual, what);
      const e = toNumbers(expected, 'expected ' + what);
      if (a.length !== e.length) throw new CheckFailure(what + ' has length ' + a.length + ', expected ' + e.length);
      let bad = -1, count = 0, worst = 0;
      for (let i = 0; i < a.length; i++) {
        const ok = (a[i] !== a[i] && e[i] !== e[i]) || a[i] === e[i] || Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
        if (!ok) {
          count++;
          const d = Math.abs(a[i] - e[i]);
          if (bad < 0) bad = i;
          if (!(d <= worst)) worst = d;
        }
      }
      if (bad >= 0) {
        const at = a.length > 1 ? ' at index ' + bad : '';
        throw new CheckFailure(what + ' differs' + at + ': got ' + fmt(a[bad]) + ', expected ' + fmt(e[bad]) + (a.length > 1 ? ' (' + count + ' of ' + a.length + ' entries wrong, largest error ' + fmt(worst) + ')' : ''));
      }
    },
    /** Strict equality of primitives, or element-wise equality of arrays. */
    equal(actual, expected, what) {
      const name = typeof what === 'string' ? what : 'value';
      if ((ArrayBuffer.isView(expected) || Array.isArray(expected)) && !(typeof actual === 'string')) {
        const a = toNumbers(actual, name), e = toNumbers(expected, 'expected ' + name);
        if (a.length !== e.length) throw new CheckFailure(name + ' has length ' + a.length + ', expected ' + e.length);
        for (let i = 0; i < a.length; i++) if (!(a[i] === e[i] || (a[i] !== a[i] && e[i] !== e[i]))) throw new CheckFailure(name + ' differs at index ' + i + ': got ' + fmt(a[i]) + ', expected ' + fmt(e[i]));
        return;
      }
      if (!(actual === expected || (actual !== actual && expected !== expected))) throw new CheckFailure(name + ' is ' + fmt(actual) + ', expected ' + fmt(expected));
    },
    /** Fails with `message` unless `condition` is exactly true. */
    ok(condition, message) {
      if (condition !== true) throw new CheckFailure(typeof message === 'string' ? message : 'condition is not true');
    },
    /** Passes if `fn()` throws (optionally an error whose message contains `includes`). */
    throws(fn, includes, message) {
      try {
        fn();
      } catch (e) {
        const text = describe(e);
        if (typeof includes === 'string' && text.indexOf(includes) < 0) throw new CheckFailure((message || 'the error') + ' should mention "' + includes + '", got: ' + text);
        return;
      }
      throw new CheckFailure(typeof message === 'string' ? message : 'expected an error, but none was thrown');
    },
  });
}

/**
 * A check runner: check(name, points, fn) runs fn (sync or async) and records
 * {name, points, earned, message}. fn returning a number in [0, 1] gives partial credit; returning nothing
 * gives full credit; throwing gives 0 and the error as feedback. Returns the record's promise.
 */
function makeChecker(records) {
  return function check(name, points, fn) {
    const rec = { name: typeof name === 'string' ? name.slice(0, 200) : 'check', points: typeof points === 'number' && points >= 0 && points < 1e6 ? points : 0, earned: 0, message: '' };
    records[records.length] = rec;
    const settle = (value) => {
      if (value === undefined) {
        rec.earned = rec.points;
      } else if (typeof value === 'number' && value >= 0 && value <= 1) {
        rec.earned = rec.points * value;
        if (value < 1) rec.message = 'partial credit: ' + Math.round(value * 100) + '%';
      } else {
        rec.message = 'the check returned ' + fmt(value) + ' instead of nothing or a fraction in [0, 1]';
      }
    };
    let result;
    try {
      if (typeof fn !== 'function') throw new CheckFailure('check "' + rec.name + '" has no test function');
      result = fn();
    } catch (e) {
      rec.message = describe(e);
      return Promise.resolve(rec);
    }
    if (result !== null && typeof result === 'object' && result instanceof Promise) {
      return result.then(
        (v) => { settle(v); return rec; },
        (e) => { rec.message = describe(e); return rec; },
      );
    }
    settle(result);
    return Promise.resolve(rec);
  };
}

// ---- lockdown ----

const FROZEN_GLOBALS = [
  'Object', 'Function', 'Array', 'Number', 'String', 'Boolean', 'Symbol', 'BigInt', 'Math', 'JSON', 'Reflect', 'Promise',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Date', 'RegExp', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array',
  'Float64Array', 'BigInt64Array', 'BigUint64Array', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'Proxy',
  'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
];

/** The names a wrapped test cell receives as parameters (so student declarations cannot shadow them). */
const SAFE_NAMES = FROZEN_GLOBALS.filter((n) => n !== 'Function' && n !== 'Proxy').concat(['Error']);

/*
 * Names that code commonly assigns on objects inheriting a frozen prototype (`obj.toString = ...`): with a
 * frozen non-writable data property that assignment would throw (the "override mistake"), so these become
 * accessors whose setter defines an own property on the receiver, and refuses to change the intrinsic itself.
 */
const OVERRIDABLE = new Set(['toString', 'valueOf', 'toLocaleString', 'name', 'message', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toJSON', 'then', 'catch', 'finally', 'stack']);

function enableOverride(o, key, value, defineProperty) {
  // method shorthand: accessors without a prototype object of their own
  const accessors = {
    get() { return value; },
    set(v) {
      if (this === o) throw new TypeError("Cannot assign to read only property '" + String(key) + "' of a built-in object");
      defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
    },
  };
  defineProperty(o, key, { get: accessors.get, set: accessors.set, enumerable: false, configurable: false });
}

function freezeDeep(root, seen) {
  const defineProperty = Object.defineProperty;
  const stack = [root];
  while (stack.length) {
    const o = stack.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    const own = Reflect.ownKeys(o);
    for (let i = 0; i < own.length; i++) {
      if (typeof own[i] !== 'string' || !OVERRIDABLE.has(own[i])) continue;
      const d = Object.getOwnPropertyDescriptor(o, own[i]);
      if (d && 'value' in d && d.writable && d.configurable) enableOverride(o, own[i], d.value, defineProperty);
    }
    Object.freeze(o);
    const keys = Reflect.ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const d = Object.getOwnPropertyDescriptor(o, keys[i]);
      if (!d) continue;
      if ('value' in d) stack.push(d.value);
      else { stack.push(d.get); stack.push(d.set); }
    }
    stack.push(Object.getPrototypeOf(o));
  }
}

function lockdown() {
  const seen = new Set();
  // Error itself stays writable (stackTraceLimit / prepareStackTrace are set by tools); its prototype is frozen.
  seen.add(Error);
  freezeDeep(Error.prototype, seen);
  const hidden = [
    Object.getPrototypeOf(Uint8Array),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(async function* () {}),
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(new Map()[Symbol.iterator]()),
    Object.getPrototypeOf(new Set()[Symbol.iterator]()),
    Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(/x/[Symbol.matchAll]('')),
  ];
  for (const h of hidden) freezeDeep(h, seen);
  for (const name of FROZEN_GLOBALS) {
    const value = globalThis[name];
    if (value === undefined) continue;
    freezeDeep(value, seen);
    Object.defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
  }
  Object.defineProperty(globalThis, 'Error', { value: Error, writable: false, configurable: false, enumerable: false });
  Object.defineProperty(globalThis, 'globalThis', { value: globalThis, writable: false, configurable: false, enumerable: false });
}

const BLOCKED_MODULES = ['inspector', 'inspector/promises', 'child_process', 'cluster', 'v8', 'trace_events'];

function seal(obj, name, value) {
  Object.defineProperty(obj, name, { value, writable: false, configurable: false, enumerable: false });
}

/** Worker threads are allowed only for files of the optilab package (its parallel training), never eval code. */
function guardWorkers() {
  const path = require('path');
  const wt = require('worker_threads');
  const Original = wt.Worker;
  let root = null;
  try {
    root = require('fs').realpathSync(path.dirname(require.resolve('optilab/package.json', { paths: [process.cwd()] })));
  } catch (_) {
    root = null;
  }
  class GuardedWorker extends Original {
    constructor(filename, options) {
      const file = typeof filename === 'string' ? filename : filename instanceof URL ? require('url').fileURLToPath(filename) : '';
      if ((options && options.eval) || root === null || !path.resolve(file).startsWith(root + path.sep)) {
        throw new Error('worker threads are not available while grading');
      }
      super(filename, options);
    }
  }
  seal(wt, 'Worker', GuardedWorker);
}

function blockEscapes() {
  const Module = require('module');
  const load = Module._load;
  const blocked = new Set(BLOCKED_MODULES);
  seal(Module, '_load', function (request) {
    const r = typeof request === 'string' && request.startsWith('node:') ? request.slice(5) : request;
    if (blocked.has(r)) throw new Error("the module '" + r + "' is not available while grading");
    return Reflect.apply(load, this, arguments);
  });
  const refuse = (what) => () => {
    throw new Error(what + ' is not available while grading');
  };
  seal(process, 'binding', refuse('process.binding'));
  seal(process, '_linkedBinding', refuse('process._linkedBinding'));
  seal(process, 'dlopen', refuse('process.dlopen'));
  seal(process, '_debugProcess', refuse('process._debugProcess'));
  // SIGUSR1 would open the inspector: keep a listener installed forever.
  const keep = () => undefined;
  process.on('SIGUSR1', keep);
  const remove = process.removeListener;
  const removeAll = process.removeAllListeners;
  seal(process, 'removeListener', function (ev, fn) {
    if (ev === 'SIGUSR1' && fn === keep) return this;
    return Reflect.apply(remove, this, arguments);
  });
  seal(process, 'off', process.removeListener);
  seal(process, 'removeAllListeners', function (ev) {
    if (ev === undefined || ev === 'SIGUSR1') {
      const r = Reflect.apply(removeAll, this, arguments);
      process.on('SIGUSR1', keep);
      return r;
    }
    return Reflect.apply(removeAll, this, arguments);
  });
  const kill = process.kill;
  seal(process, 'kill', function (pid, sig) {
    if (sig === 'SIGUSR1' || sig === 10) throw new Error('SIGUSR1 is not available while grading');
    return Reflect.apply(kill, process, arguments);
  });
}

/**
 * Installs the grading channel in this kernel (see the file comment). Call once, first thing.
 */
function install(fd) {
  if (installed.done) throw new Error('the grader harness is already installed');
  installed.done = true;
  const fs = require('fs');
  const readSync = fs.readSync;
  const writeSync = fs.writeSync;
  const buf = Buffer.alloc(65);
  let got = 0;
  while (got < 65) {
    const n = readSync(fd, buf, got, 65 - got, null);
    if (n <= 0) throw new Error('the grader key channel closed early');
    got += n;
  }
  const keyHex = buf.toString('latin1', 0, 64);
  const key = new Uint8Array(32);
  for (let i = 0; i < 32; i++) key[i] = parseInt(keyHex.slice(i * 2, i * 2 + 2), 16);
  guardWorkers();
  // Load the course library before closing the escapes (it may load native addons, e.g. onnxruntime-node)
  // and before freezing (its dependencies define classes the old way: __extends assigns `constructor` on
  // objects that inherit built-in prototypes).
  let ref = Object.freeze({});
  try {
    const file = require.resolve('optilab', { paths: [process.cwd()] });
    const lib = require(file);
    // Tests may compare with the library (`ref`): freeze its modules' exports so student code cannot swap a
    // reference function (or one it calls) for its own.
    const root = require('path').dirname(require('path').dirname(require('fs').realpathSync(file)));
    for (const cached of Object.keys(require.cache)) {
      const m = require.cache[cached];
      if (cached.startsWith(root + require('path').sep) && !cached.includes(require('path').sep + 'node_modules' + require('path').sep) && m && m.exports && typeof m.exports === 'object') Object.freeze(m.exports);
    }
    const copy = Object.create(null);
    for (const k of Object.keys(lib)) copy[k] = lib[k];
    ref = Object.freeze(copy);
  } catch (_) {
    // not resolvable from here: notebooks that import it will say so
  }
  blockEscapes();
  lockdown();
  const stringify = JSON.stringify;
  const used = new Set();
  const state = { active: false };
  const expect = makeExpect();

  async function run(nonce, gradeId, body) {
    if (typeof nonce !== 'string' || nonce.length < 16 || used.has(nonce)) throw new Error('invalid grading token');
    used.add(nonce);
    if (state.active) throw new Error('a test cell is already running');
    state.active = true;
    const records = [];
    const pending = [];
    const check = makeChecker(records);
    const trackedCheck = (name, points, fn) => {
      const p = check(name, points, fn);
      pending[pending.length] = p;
      return p;
    };
    const scope = { check: trackedCheck, expect, ref };
    for (const n of SAFE_NAMES) scope[n] = globalThis[n];
    Object.freeze(scope);
    let error = '';
    try {
      await body(scope);
      for (let i = 0; i < pending.length; i++) await pending[i];
    } catch (e) {
      error = describe(e);
    }
    state.active = false;
    const checks = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      checks[i] = { name: String(r.name), points: Number(r.points), earned: Number(r.earned), message: String(r.message) };
    }
    const record = stringify({ nonce: String(nonce), gradeId: String(gradeId), checks, error: String(error) });
    const line = stringify({ record, mac: hmacHex(key, record) }) + '\n';
    const bytes = Buffer.from(line, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  }

  seal(globalThis, '__optilab_grader__', Object.freeze({ run }));
}

module.exports = { install, makeExpect, makeChecker, describe, hmacHex, sha256, SAFE_NAMES, CheckFailure };
