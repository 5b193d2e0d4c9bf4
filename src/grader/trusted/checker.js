// @ts-check
'use strict';
/*
 * The trusted tests runner: a worker thread of the grading process, outside every sandbox, that runs the
 * assignment's tests cells (and the locked cells they rely on) taken from the instructor's SOURCE notebook.
 * It never runs student code. A call of a student function is a request to the student's kernel through the
 * parent thread; this thread waits for the answer (Atomics.wait on shared memory, so tests keep their plain
 * synchronous style) and decodes it as plain data (../wire.js). The checks, the expected values and the
 * tolerances all live here, where student code cannot reach them.
 *
 * Messages from the parent:
 *   {t: 'run', id, session, js, hidden, snapshot?: {save?: string, use?: string}}  run one compiled program
 *   {t: 'end', session}                                                             forget a session's scope
 * To the parent: {t: 'call', op, name, args} (then waits), {t: 'done', id, checks, error}.
 */
const { parentPort, workerData } = require('worker_threads');
const vm = require('vm');
const { createRequire } = require('module');
const wire = require('../wire.js');
const { makeChecker, makeExpect, describe } = require('../assess.js');

if (!parentPort) throw new Error('checker.js runs as a worker thread');
const port = parentPort;
const control = new Int32Array(workerData.control);
const data = new Uint8Array(workerData.data);
const trustedRequire = createRequire(workerData.requireFrom);
const expect = makeExpect();
let ref = Object.freeze({});
try {
  ref = trustedRequire('optilab');
} catch (e) {
  // the tests that use `ref` will say `ref.x is not a function`
}

/** @type {Map<string, {scope: Record<string, unknown>, snapshots: Map<string, Record<string, unknown>>}>} */
const sessions = new Map();

/**
 * One synchronous request to the student's kernel; returns the parsed reply.
 * @param {string} op @param {string} name @param {string} [argsJson]
 */
function ask(op, name, argsJson) {
  Atomics.store(control, 0, 0);
  port.postMessage({ t: 'call', op, name, args: argsJson });
  Atomics.wait(control, 0, 0);
  const length = Atomics.load(control, 1);
  const text = Buffer.from(data.buffer, 0, length).toString('utf8');
  const reply = wire.parseLine(text);
  if (reply === null || typeof reply !== 'object') throw new wire.WireError('malformed answer');
  return reply;
}

/** @param {unknown} e */
function studentError(e) {
  let err;
  try {
    err = wire.decode(e);
  } catch (_) {
    err = null;
  }
  if (err instanceof Error) return err;
  return new Error('your code failed');
}

/**
 * A stand-in for one of the student's top-level names: a function that calls into the kernel, or the
 * value itself (copied), or a function that says the name is missing.
 * @param {string} name
 */
function studentName(name) {
  const r = ask('get', name);
  if (r.ok !== true) throw studentError(r.error);
  if (r.kind === 'value') return wire.decode(r.value);
  if (r.kind === 'missing') {
    return () => {
      throw new ReferenceError(`${name} is not defined in your notebook`);
    };
  }
  const proxy = (/** @type {unknown[]} */ ...args) => {
    const encoded = JSON.stringify(args.map((a) => wire.encode(a)));
    const reply = ask('call', name, encoded);
    if (reply.ok !== true) throw studentError(reply.error);
    if (reply.args && typeof reply.args === 'object') copyBack(args, reply.args);
    return wire.decode(reply.value);
  };
  Object.defineProperty(proxy, 'name', { value: name });
  return proxy;
}

/**
 * Arguments are passed by value; when the student's function changed one (an array it sorted in place,
 * say), the change is copied back so tests can see it, as they would in one process.
 * @param {unknown[]} args @param {Record<string, unknown>} changed
 */
function copyBack(args, changed) {
  for (const k of Object.keys(changed)) {
    const i = Number(k);
    const target = /** @type {any} */ (args[i]);
    if (!Number.isInteger(i) || target === null || typeof target !== 'object') continue;
    const now = /** @type {any} */ (wire.decode(changed[k]));
    if (ArrayBuffer.isView(target) && ArrayBuffer.isView(now) && /** @type {any} */ (now).length === /** @type {any} */ (target).length) {
      /** @type {any} */ (target).set(now);
    } else if (Array.isArray(target) && Array.isArray(now)) {
      target.length = 0;
      for (const v of now) target.push(v);
    } else if (!Array.isArray(target) && !ArrayBuffer.isView(target) && now !== null && typeof now === 'object' && !Array.isArray(now)) {
      for (const key of Object.keys(target)) if (!(key in now)) delete target[key];
      Object.assign(target, now);
    }
  }
}

/** @param {any} msg */
async function run(msg) {
  let s = sessions.get(msg.session);
  if (!s) {
    s = { scope: Object.create(null), snapshots: new Map() };
    sessions.set(msg.session, s);
  }
  const session = s;
  if (msg.snapshot && msg.snapshot.save) session.snapshots.set(msg.snapshot.save, { ...session.scope });
  // hidden parts run against the scope their cell saw, and change nothing for later cells
  const scope = msg.snapshot && msg.snapshot.use ? { ...(session.snapshots.get(msg.snapshot.use) || session.scope) } : session.scope;
  /** @type {import('../assess.js').CheckRecord[]} */
  const records = [];
  const region = { hidden: false };
  const check = makeChecker(records, () => region.hidden);
  /** @type {Promise<unknown>[]} */
  const pending = [];
  const api = {
    check: (/** @type {unknown} */ name, /** @type {unknown} */ points, /** @type {unknown} */ fn) => {
      // in the hidden phase only checks inside hidden regions count (the visible ones were run already)
      if (msg.hidden && !region.hidden) return Promise.resolve(undefined);
      const p = check(name, points, fn);
      pending.push(p);
      return p;
    },
    expect,
    ref,
    require: trustedRequire,
    // the kernel's copy of a function a locked cell declares (its name is the trusted copy's): the call runs
    // beside the student's code, so a timing of it compares like with like; its answers are the kernel's
    inKernel: (/** @type {unknown} */ fn) => {
      const name = typeof fn === 'function' ? fn.name : '';
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new TypeError('inKernel(f) takes a function declared by a cell of the notebook');
      return studentName(name);
    },
    scope,
    student: studentName,
    region: (/** @type {boolean} */ on) => {
      region.hidden = on === true;
    },
    keep: (/** @type {Record<string, unknown>} */ declared) => {
      for (const k of Object.keys(declared)) if (k !== 'check' && k !== 'expect') scope[k] = declared[k];
    },
  };
  let error = '';
  try {
    const program = vm.runInThisContext(msg.js, { filename: msg.filename || 'tests' });
    await program(api);
    for (let i = 0; i < pending.length; i++) await pending[i];
  } catch (e) {
    error = describe(e);
  }
  const checks = records.map((r) => ({ name: String(r.name), points: Number(r.points), earned: Number(r.earned), message: String(r.message), hidden: r.hidden === true }));
  port.postMessage({ t: 'done', id: msg.id, checks, error });
}

let chain = Promise.resolve();
port.on('message', (msg) => {
  if (msg && msg.t === 'run') chain = chain.then(() => run(msg));
  else if (msg && msg.t === 'end') sessions.delete(msg.session);
});
