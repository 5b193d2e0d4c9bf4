// @ts-check
'use strict';
/*
 * The value format between the student's kernel and the trusted tests runner: plain data only, as JSON text.
 * Both sides of the grader use this file (the kernel loads it before any student code; the trusted side has
 * its own copy in another process), but the trusted side never relies on what the kernel does with it: every
 * reply is decoded here with size, depth and type checks, into fresh plain values (numbers, strings,
 * booleans, null, undefined, bigints, arrays, typed arrays, plain objects, Maps, Sets, Dates, errors).
 *
 * Encoding: JSON numbers, strings, booleans and null stand for themselves; an array stands for an array;
 * every JSON object is a tagged value {"$": tag, ...}, so no student key can be mistaken for a tag.
 */

// Built-ins captured when the file loads (before student code): a student who replaces `Number` or
// `Object.keys` in their kernel breaks only their own answers' encoding, not in surprising ways.
const { isFinite } = Number;
const { is, keys, getPrototypeOf, defineProperty, prototype: objectPrototype } = Object;
const { isArray, from: arrayFrom } = Array;
const { isView } = ArrayBuffer;
const { apply } = Reflect;
const objectToString = Object.prototype.toString;
const BufferFrom = Buffer.from;
const ErrorClass = Error;
const MapClass = Map;
const SetClass = Set;
const DateClass = Date;
const DataViewClass = DataView;

const TYPED = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];

/** Limits of one encoded value (a reply larger than MAX_BYTES is refused before it is parsed). */
const LIMITS = Object.freeze({ MAX_BYTES: 64 * 2 ** 20, MAX_DEPTH: 64, MAX_NODES: 2_000_000 });

class WireError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'WireError';
  }
}

/** @param {number} x */
function encodeNumber(x) {
  if (isFinite(x) && !is(x, -0)) return x;
  return { $: 'num', v: is(x, -0) ? '-0' : String(x) };
}

/**
 * Encodes a value as a JSON-compatible tree. Functions, symbols, cycles and class instances other than the
 * listed built-ins are refused with a WireError saying what and where.
 *
 * @param {unknown} value
 * @returns {unknown}
 * @example
 * JSON.stringify(encode({ scale: 0.5, q: Int32Array.of(1, 2) }))
 */
function encode(value) {
  const seen = new Set();
  let nodes = 0;
  /** @param {unknown} v @param {string} where @param {number} depth @returns {unknown} */
  const walk = (v, where, depth) => {
    if (++nodes > LIMITS.MAX_NODES) throw new WireError(`the value has more than ${LIMITS.MAX_NODES} parts`);
    if (depth > LIMITS.MAX_DEPTH) throw new WireError(`the value is nested deeper than ${LIMITS.MAX_DEPTH} levels (at ${where})`);
    switch (typeof v) {
      case 'number':
        return encodeNumber(v);
      case 'string':
      case 'boolean':
        return v;
      case 'undefined':
        return { $: 'undef' };
      case 'bigint':
        return { $: 'big', v: v.toString() };
      case 'function':
        throw new WireError(`${where} is a function, which cannot cross between the tests and the student's code`);
      case 'symbol':
        throw new WireError(`${where} is a symbol, which cannot cross between the tests and the student's code`);
    }
    if (v === null) return null;
    const o = /** @type {object} */ (v);
    if (seen.has(o)) throw new WireError(`${where} refers back to itself (a cycle)`);
    seen.add(o);
    try {
      if (isView(o) && !(o instanceof DataViewClass)) {
        const name = String(apply(objectToString, o, [])).slice(8, -1);
        if (!TYPED.includes(name)) throw new WireError(`${where} is a ${name}`);
        const bytes = apply(BufferFrom, Buffer, [o.buffer, o.byteOffset, o.byteLength]);
        return { $: 'ta', t: name, b: bytes.toString('base64') };
      }
      if (isArray(o)) {
        const out = new Array(o.length);
        for (let i = 0; i < o.length; i++) out[i] = walk(o[i], `${where}[${i}]`, depth + 1);
        return out;
      }
      if (o instanceof MapClass) return { $: 'map', v: arrayFrom(o, ([k, x], i) => [walk(k, `${where} key ${i}`, depth + 1), walk(x, `${where} value ${i}`, depth + 1)]) };
      if (o instanceof SetClass) return { $: 'set', v: arrayFrom(o, (x, i) => walk(x, `${where} element ${i}`, depth + 1)) };
      if (o instanceof DateClass) return { $: 'date', v: o.getTime() };
      if (o instanceof ErrorClass) return { $: 'err', name: String(o.name).slice(0, 100), message: String(o.message).slice(0, 2000) };
      const proto = getPrototypeOf(o);
      if (proto !== objectPrototype && proto !== null) {
        const ctor = proto && typeof proto.constructor === 'function' ? proto.constructor.name : 'object';
        throw new WireError(`${where} is a ${ctor || 'class'} instance; only plain objects, arrays, typed arrays, Maps, Sets and numbers can cross`);
      }
      /** @type {Record<string, unknown>} */
      const fields = {};
      for (const k of keys(o)) fields[k] = walk(/** @type {any} */ (o)[k], `${where}.${k}`, depth + 1);
      return { $: 'obj', v: fields };
    } finally {
      seen.delete(o);
    }
  };
  return walk(value, 'the value', 0);
}

const CTORS = /** @type {Record<string, any>} */ ({
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
});

/**
 * Decodes an encoded tree into fresh plain values, refusing anything malformed.
 *
 * @param {unknown} tree
 * @returns {unknown}
 * @example
 * decode(encode([1, NaN])) // [1, NaN]
 */
function decode(tree) {
  let nodes = 0;
  /** @param {unknown} t @param {number} depth @returns {unknown} */
  const walk = (t, depth) => {
    if (++nodes > LIMITS.MAX_NODES) throw new WireError('the answer has too many parts');
    if (depth > LIMITS.MAX_DEPTH) throw new WireError('the answer is nested too deeply');
    if (t === null || typeof t === 'number' || typeof t === 'string' || typeof t === 'boolean') return t;
    if (Array.isArray(t)) {
      const out = new Array(t.length);
      for (let i = 0; i < t.length; i++) out[i] = walk(t[i], depth + 1);
      return out;
    }
    if (typeof t !== 'object') throw new WireError('malformed answer');
    const tag = /** @type {any} */ (t);
    switch (tag.$) {
      case 'num': {
        const v = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 }[/** @type {'NaN'} */ (tag.v)];
        if (v === undefined) throw new WireError('malformed number in the answer');
        return v;
      }
      case 'undef':
        return undefined;
      case 'big':
        if (typeof tag.v !== 'string' || !/^-?\d{1,5000}$/.test(tag.v)) throw new WireError('malformed bigint in the answer');
        return BigInt(tag.v);
      case 'ta': {
        const C = typeof tag.t === 'string' && TYPED.includes(tag.t) ? CTORS[tag.t] : undefined;
        if (!C || typeof tag.b !== 'string') throw new WireError('malformed typed array in the answer');
        const bytes = Buffer.from(tag.b, 'base64');
        if (bytes.length % C.BYTES_PER_ELEMENT !== 0) throw new WireError('malformed typed array in the answer');
        const out = new C(bytes.length / C.BYTES_PER_ELEMENT);
        new Uint8Array(out.buffer).set(bytes);
        return out;
      }
      case 'map': {
        if (!Array.isArray(tag.v)) throw new WireError('malformed Map in the answer');
        const m = new Map();
        for (const e of tag.v) {
          if (!Array.isArray(e) || e.length !== 2) throw new WireError('malformed Map in the answer');
          m.set(walk(e[0], depth + 1), walk(e[1], depth + 1));
        }
        return m;
      }
      case 'set': {
        if (!Array.isArray(tag.v)) throw new WireError('malformed Set in the answer');
        const s = new Set();
        for (const e of tag.v) s.add(walk(e, depth + 1));
        return s;
      }
      case 'date':
        if (typeof tag.v !== 'number') throw new WireError('malformed Date in the answer');
        return new Date(tag.v);
      case 'err': {
        const e = new Error(typeof tag.message === 'string' ? tag.message.slice(0, 2000) : '');
        e.name = typeof tag.name === 'string' ? tag.name.slice(0, 100) : 'Error';
        return e;
      }
      case 'obj': {
        if (tag.v === null || typeof tag.v !== 'object' || Array.isArray(tag.v)) throw new WireError('malformed object in the answer');
        /** @type {Record<string, unknown>} */
        const o = {};
        // defineProperty: a key named __proto__ becomes an ordinary own property, never the prototype
        for (const k of keys(tag.v)) defineProperty(o, k, { value: walk(tag.v[k], depth + 1), writable: true, enumerable: true, configurable: true });
        return o;
      }
      default:
        throw new WireError('malformed answer');
    }
  };
  return walk(tree, 0);
}

/**
 * Parses one JSON line of at most LIMITS.MAX_BYTES characters (a malformed or deeply nested line is a
 * WireError, never a crash).
 *
 * @param {string} line
 * @returns {any}
 */
function parseLine(line) {
  if (typeof line !== 'string' || line.length > LIMITS.MAX_BYTES) throw new WireError(`the answer is larger than ${LIMITS.MAX_BYTES / 2 ** 20} MiB`);
  try {
    return JSON.parse(line);
  } catch (e) {
    throw new WireError('the answer is not readable (malformed or nested too deeply)');
  }
}

module.exports = { encode, decode, parseLine, WireError, LIMITS };
