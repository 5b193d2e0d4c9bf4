// @ts-check
'use strict';
/*
 * The in-kernel half of the grader. It holds NO secret and decides NOTHING about grades: the tests run in
 * a trusted process outside the sandbox (../trusted/checker.js) and reach the student's code only through this
 * call server, which receives plain data and returns plain data (../wire.js). Whatever student code does to
 * this file, to Node or to the kernel, it can only change the answers its own functions give.
 *
 * install(fd), run in the first cell of a fresh sandboxed kernel before any student code:
 *  1. closes the ways to start processes or debuggers (defence in depth; the sandbox is the wall): the
 *     `child_process`, `inspector`, `cluster`, `v8`, `trace_events` modules through every loader
 *     (require, module.constructor, createRequire, ESM import() via a resolve hook, process.getBuiltinModule),
 *     process.binding/_linkedBinding/dlopen/_debugProcess, SIGUSR1; worker threads only for optilab's files;
 *  2. serves requests on socket `fd`, one JSON line each, answered in order:
 *       {"id": n, "op": "get", "name": "f"}              -> {"id": n, "ok": true, "kind": "function"} | {..., "kind": "value", "value": <wire>} | {..., "kind": "missing"}
 *       {"id": n, "op": "call", "name": "f", "args": [<wire>...]} -> {"id": n, "ok": true, "value": <wire>, "args": {"<i>": <wire>}}
 *                                                                   (args: arguments the call changed) | {"id": n, "ok": false, "error": <wire err>}
 *     Names are looked up among the notebook's top-level declarations (tslab keeps them in __tslab__.exports).
 */

const wire = require('../wire.js');

const installed = { done: false };
// captured before student code runs (a student's patch of these would break only their own answers)
const hasOwn = Object.prototype.hasOwnProperty;
const stringify = JSON.stringify;
const isArray = Array.isArray;

const BLOCKED_MODULES = ['inspector', 'inspector/promises', 'child_process', 'cluster', 'v8', 'trace_events'];

/** @param {object} obj @param {string} name @param {unknown} value */
function seal(obj, name, value) {
  Object.defineProperty(obj, name, { value, writable: false, configurable: false, enumerable: false });
}

/** @param {string} what */
function refuse(what) {
  return () => {
    throw new Error(`${what} is not available while grading`);
  };
}

/**
 * Worker threads are allowed only for optilab's own worker entry points (its parallel training), never eval
 * code and never any other file (a worker has a module system of its own, where these locks do not apply).
 */
function guardWorkers() {
  const path = require('path');
  const url = require('url');
  const wt = require('worker_threads');
  // Captured now: student code may later patch the shared path / url / fs functions.
  const resolve = path.resolve;
  const toPath = url.fileURLToPath;
  const URLClass = URL;
  const Original = wt.Worker;
  /** @type {Set<string>} */
  const allowed = new Set();
  try {
    const root = require('fs').realpathSync(path.dirname(require.resolve('optilab/package.json', { paths: [process.cwd()] })));
    allowed.add(path.join(root, 'dist', 'train', 'parallel-worker.js'));
  } catch (_) {
    // no optilab: no workers
  }
  const has = Set.prototype.has;
  class GuardedWorker extends Original {
    /** @param {any} filename @param {any} [options] */
    constructor(filename, options) {
      const file = typeof filename === 'string' ? filename : filename instanceof URLClass ? toPath(filename) : '';
      if ((options && options.eval) || !Reflect.apply(has, allowed, [resolve(file)])) {
        throw new Error('worker threads are not available while grading');
      }
      // the worker's own loaders are closed the same way (its first statement is this file's lockLoaders)
      super(filename, options);
    }
  }
  seal(wt, 'Worker', GuardedWorker);
}

/** Closes every module loader to BLOCKED_MODULES and seals the process's native back doors. */
function lockLoaders() {
  const Module = require('module');
  const blocked = new Set(BLOCKED_MODULES);
  const has = Set.prototype.has;
  /** @param {unknown} request */
  const isBlocked = (request) => {
    if (typeof request !== 'string') return false;
    const r = request.startsWith('node:') ? request.slice(5) : request;
    return Reflect.apply(has, blocked, [r]);
  };
  const load = Module._load;
  // require, module.require, module.constructor._load, createRequire(...) all end in Module._load
  seal(Module, '_load', function (/** @type {unknown} */ request) {
    if (isBlocked(request)) throw new Error(`the module '${String(request)}' is not available while grading`);
    return Reflect.apply(load, this, arguments);
  });
  // ESM: import('node:child_process') resolves through the loader hooks; ours refuses, and nobody can add one
  // before it because module.register is sealed right after.
  if (typeof Module.register === 'function') {
    const hook = `data:text/javascript,${encodeURIComponent(`const b = new Set(${JSON.stringify(BLOCKED_MODULES)});
export async function resolve(specifier, context, next) {
  const s = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (b.has(s)) throw new Error("the module '" + specifier + "' is not available while grading");
  return next(specifier, context);
}`)}`;
    Module.register(hook);
    seal(Module, 'register', refuse('module.register'));
  }
  const getBuiltin = /** @type {any} */ (process).getBuiltinModule;
  if (typeof getBuiltin === 'function') {
    seal(process, 'getBuiltinModule', function (/** @type {unknown} */ id) {
      if (isBlocked(id)) throw new Error(`the module '${String(id)}' is not available while grading`);
      return Reflect.apply(getBuiltin, process, arguments);
    });
  }
  seal(process, 'binding', refuse('process.binding'));
  seal(process, '_linkedBinding', refuse('process._linkedBinding'));
  seal(process, 'dlopen', refuse('process.dlopen'));
  seal(process, '_debugProcess', refuse('process._debugProcess'));
  // SIGUSR1 would open the inspector: keep a listener installed forever.
  const keep = () => undefined;
  process.on('SIGUSR1', keep);
  const remove = process.removeListener;
  const removeAll = process.removeAllListeners;
  seal(process, 'removeListener', function (/** @type {unknown} */ ev, /** @type {unknown} */ fn) {
    if (ev === 'SIGUSR1' && fn === keep) return this;
    return Reflect.apply(remove, this, arguments);
  });
  seal(process, 'off', process.removeListener);
  seal(process, 'removeAllListeners', function (/** @type {unknown} */ ev) {
    const r = Reflect.apply(removeAll, this, arguments);
    if (ev === undefined || ev === 'SIGUSR1') process.on('SIGUSR1', keep);
    return r;
  });
  const kill = process.kill;
  seal(process, 'kill', function (/** @type {unknown} */ _pid, /** @type {unknown} */ sig) {
    if (sig === 'SIGUSR1' || sig === 10) throw new Error('SIGUSR1 is not available while grading');
    return Reflect.apply(kill, process, arguments);
  });
}

/**
 * The notebook's top-level declarations, as tslab keeps them.
 * @returns {Record<string, unknown>}
 */
function notebookScope() {
  const t = /** @type {any} */ (globalThis).__tslab__;
  return t && t.exports ? t.exports : {};
}

/** @param {any} req @returns {Promise<object>} */
async function answer(req) {
  const scope = notebookScope();
  const name = typeof req.name === 'string' ? req.name : '';
  const present = name !== '' && Reflect.apply(hasOwn, scope, [name]);
  if (req.op === 'get') {
    if (!present) return { kind: 'missing' };
    const v = scope[name];
    return typeof v === 'function' ? { kind: 'function' } : { kind: 'value', value: wire.encode(v) };
  }
  if (req.op !== 'call') throw new Error('unknown request');
  const fn = present ? scope[name] : undefined;
  if (typeof fn !== 'function') throw new ReferenceError(present ? `${name} is not a function in your notebook` : `${name} is not defined in your notebook`);
  const sent = isArray(req.args) ? req.args : [];
  const args = sent.map((a) => wire.decode(a));
  let value = fn(...args);
  if (value !== null && typeof value === 'object' && typeof (/** @type {any} */ (value).then) === 'function') value = await value;
  /** @type {Record<string, unknown>} */
  const changed = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === null || typeof args[i] !== 'object') continue;
    const now = wire.encode(args[i]);
    if (stringify(now) !== stringify(sent[i])) changed[i] = now;
  }
  return { value: wire.encode(value), args: changed };
}

/** @param {number} fd */
function serve(fd) {
  const net = require('net');
  const socket = new net.Socket({ fd, readable: true, writable: true });
  let buffer = '';
  let queue = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (/** @type {string} */ chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      queue = queue.then(() => handle(line));
    }
  });
  /** @param {string} line */
  async function handle(line) {
    let id = -1;
    let reply;
    try {
      const req = wire.parseLine(line);
      id = typeof req.id === 'number' ? req.id : -1;
      reply = { id, ok: true, ...(await answer(req)) };
    } catch (e) {
      let err;
      try {
        err = wire.encode(e instanceof Error ? e : new Error(`thrown: ${String(e)}`));
      } catch (_) {
        err = { $: 'err', name: 'Error', message: 'an unreadable value was thrown' };
      }
      reply = { id, ok: false, error: err };
    }
    let text;
    try {
      text = stringify(reply);
    } catch (e) {
      text = JSON.stringify({ id, ok: false, error: { $: 'err', name: 'Error', message: 'the answer could not be sent' } });
    }
    socket.write(`${text}\n`);
  }
}

/**
 * Installs the grading call server in this kernel (see the file comment). Call once, first thing.
 * @param {number} fd
 */
function install(fd) {
  if (installed.done) throw new Error('the grader harness is already installed');
  installed.done = true;
  guardWorkers();
  // Load the course library before closing the loaders (it may load native addons, e.g. onnxruntime-node).
  try {
    require(require.resolve('optilab', { paths: [process.cwd()] }));
  } catch (_) {
    // not resolvable from here: notebooks that import it will say so
  }
  lockLoaders();
  serve(fd);
}

module.exports = { install, lockLoaders, BLOCKED_MODULES };
