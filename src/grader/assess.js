// @ts-check
'use strict';
/*
 * The labs' test API: `check(name, points, fn)` and the `expect` assertions. One implementation serves the
 * trusted tests runner of the grader (./checker.js) and students running tests cells interactively
 * (./testapi.ts). Plain JavaScript so that the grader's worker loads it without a compiler.
 *
 * Comparisons are strict about non-finite numbers: NaN never equals anything unless a check asks for it
 * (`{ nan: true }`), and tolerances must be finite and non-negative (a tolerance of Infinity would accept
 * any answer).
 */

class CheckFailure extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/**
 * Readable, length-capped text of anything thrown (hostile getters cannot break it).
 *
 * @param {unknown} e
 * @returns {string}
 */
function describe(e) {
  try {
    if (e !== null && typeof e === 'object') {
      const o = /** @type {any} */ (e);
      const name = typeof o.name === 'string' ? o.name : 'Error';
      const msg = typeof o.message === 'string' ? o.message : '';
      return `${name}: ${msg}`.slice(0, 2000);
    }
    return `thrown: ${String(e)}`.slice(0, 2000);
  } catch (_) {
    return 'an unreadable value was thrown';
  }
}

/** @param {unknown} v */
function fmt(v) {
  try {
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6);
    if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    if (ArrayBuffer.isView(v) || Array.isArray(v)) return `${Array.isArray(v) ? 'Array' : Object.prototype.toString.call(v).slice(8, -1)}(${/** @type {any} */ (v).length})`;
    return typeof v;
  } catch (_) {
    return '?';
  }
}

/** @param {unknown} x @param {string} what @returns {ArrayLike<number>} */
function toNumbers(x, what) {
  if (typeof x === 'number') return [x];
  if (!(ArrayBuffer.isView(x) || Array.isArray(x))) throw new CheckFailure(`${what} should be a number or an array of numbers, got ${fmt(x)}`);
  const a = /** @type {ArrayLike<unknown>} */ (/** @type {unknown} */ (x));
  const n = a.length;
  if (typeof n !== 'number' || n > 1e8) throw new CheckFailure(`${what} has an invalid length`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number') throw new CheckFailure(`${what}[${i}] is ${fmt(v)}, not a number`);
    out[i] = v;
  }
  return out;
}

/** @param {unknown} v @param {string} name @param {number} fallback */
function tolerance(v, name, fallback) {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CheckFailure(`the tolerance ${name} must be a finite number >= 0, got ${fmt(v)}`);
  return v;
}

/**
 * @typedef {{ atol?: number, rtol?: number, what?: string, nan?: boolean }} CloseOptions
 */

/**
 * The assertions. Every failure throws CheckFailure naming what differs, where and by how much.
 *
 * @example
 * const expect = makeExpect(); expect.close(0.1 + 0.2, 0.3, { what: 'sum' });
 */
function makeExpect() {
  return Object.freeze({
    /**
     * Numbers or arrays within atol + rtol·|expected| of each other. Infinities must match exactly; NaN
     * fails unless `nan: true`, and then matches only NaN.
     * @param {unknown} actual @param {unknown} expected @param {CloseOptions} [opts]
     */
    close(actual, expected, opts) {
      const o = opts && typeof opts === 'object' ? opts : {};
      const atol = tolerance(o.atol, 'atol', 1e-6);
      const rtol = tolerance(o.rtol, 'rtol', 1e-5);
      const what = typeof o.what === 'string' ? o.what : 'value';
      const nan = o.nan === true;
      const a = toNumbers(actual, what);
      const e = toNumbers(expected, `expected ${what}`);
      if (a.length !== e.length) throw new CheckFailure(`${what} has length ${a.length}, expected ${e.length}`);
      let bad = -1;
      let count = 0;
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        const y = e[i];
        // NaN only under `nan: true`; an infinity only equals itself (|x - y| <= rtol·Infinity would accept any x)
        const ok = x !== x || y !== y ? nan && x !== x && y !== y : x === y || (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= atol + rtol * Math.abs(y));
        if (!ok) {
          count++;
          const d = Math.abs(x - y);
          if (bad < 0) bad = i;
          if (!(d <= worst)) worst = d;
        }
      }
      if (bad >= 0) {
        const at = a.length > 1 ? ` at index ${bad}` : '';
        const hint = a[bad] !== a[bad] && !nan ? ' (NaN is never close to anything unless the check passes { nan: true })' : '';
        throw new CheckFailure(`${what} differs${at}: got ${fmt(a[bad])}, expected ${fmt(e[bad])}${a.length > 1 ? ` (${count} of ${a.length} entries wrong, largest error ${fmt(worst)})` : ''}${hint}`);
      }
    },
    /**
     * Strict equality (===) of primitives, or element-wise strict equality of arrays (NaN equals nothing).
     * @param {unknown} actual @param {unknown} expected @param {string} [what]
     */
    equal(actual, expected, what) {
      const name = typeof what === 'string' ? what : 'value';
      if ((ArrayBuffer.isView(expected) || Array.isArray(expected)) && typeof actual !== 'string') {
        const a = toNumbers(actual, name);
        const e = toNumbers(expected, `expected ${name}`);
        if (a.length !== e.length) throw new CheckFailure(`${name} has length ${a.length}, expected ${e.length}`);
        for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) throw new CheckFailure(`${name} differs at index ${i}: got ${fmt(a[i])}, expected ${fmt(e[i])}`);
        return;
      }
      if (actual !== expected) throw new CheckFailure(`${name} is ${fmt(actual)}, expected ${fmt(expected)}`);
    },
    /**
     * Fails with `message` unless `condition` is exactly true.
     * @param {unknown} condition @param {string} [message]
     */
    ok(condition, message) {
      if (condition !== true) throw new CheckFailure(typeof message === 'string' ? message : 'condition is not true');
    },
    /**
     * Passes if `fn()` throws (optionally an error whose text contains `includes`).
     * @param {() => unknown} fn @param {string} [includes] @param {string} [message]
     */
    throws(fn, includes, message) {
      try {
        fn();
      } catch (e) {
        const text = describe(e);
        if (typeof includes === 'string' && text.indexOf(includes) < 0) throw new CheckFailure(`${message || 'the error'} should mention "${includes}", got: ${text}`);
        return;
      }
      throw new CheckFailure(typeof message === 'string' ? message : 'expected an error, but none was thrown');
    },
  });
}

/**
 * @typedef {{ name: string, points: number, earned: number, message: string, hidden?: boolean }} CheckRecord
 */

/**
 * A check runner: check(name, points, fn) runs fn (sync or async) and appends
 * {name, points, earned, message} to `records`. fn returning nothing earns full credit, a number in [0, 1]
 * partial credit; throwing earns nothing and its message becomes the feedback. Returns the record's promise.
 *
 * @param {CheckRecord[]} records
 * @param {() => boolean} [isHidden] asked when a check starts: records made while it is true are hidden
 * @example
 * const records = []; await makeChecker(records)('adds', 1, () => { if (1 + 1 !== 2) throw new Error('no'); });
 */
function makeChecker(records, isHidden) {
  /** @param {unknown} name @param {unknown} points @param {unknown} fn @returns {Promise<CheckRecord>} */
  return function check(name, points, fn) {
    /** @type {CheckRecord} */
    const rec = { name: typeof name === 'string' ? name.slice(0, 200) : 'check', points: typeof points === 'number' && points >= 0 && points < 1e6 ? points : 0, earned: 0, message: '' };
    if (isHidden && isHidden()) rec.hidden = true;
    records.push(rec);
    /** @param {unknown} value */
    const settle = (value) => {
      if (value === undefined) {
        rec.earned = rec.points;
      } else if (typeof value === 'number' && value >= 0 && value <= 1) {
        rec.earned = rec.points * value;
        if (value < 1) rec.message = `partial credit: ${Math.round(value * 100)}%`;
      } else {
        rec.message = `the check returned ${fmt(value)} instead of nothing or a fraction in [0, 1]`;
      }
    };
    let result;
    try {
      if (typeof fn !== 'function') throw new CheckFailure(`check "${rec.name}" has no test function`);
      result = fn();
    } catch (e) {
      rec.message = describe(e);
      return Promise.resolve(rec);
    }
    if (result instanceof Promise) {
      return result.then(
        (v) => {
          settle(v);
          return rec;
        },
        (e) => {
          rec.message = describe(e);
          return rec;
        },
      );
    }
    settle(result);
    return Promise.resolve(rec);
  };
}

module.exports = { makeExpect, makeChecker, describe, fmt, CheckFailure };
