// @ts-check
'use strict';
/*
 * The one test API of the course: `check(name, points, fn)`, the labs' `expect` assertions and the site
 * exercises' `assert*` helpers. One implementation serves the trusted tests runner of the grader
 * (./trusted/checker.js), students running tests cells interactively (./testapi.ts) and the exercises checked in
 * the reader's browser (../exercises/test-api.ts), with the same scoring rules everywhere. Plain JavaScript
 * so that the grader's worker loads it without a compiler.
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
 * Readable text of a value for assertion messages of site exercises (arrays shown by their first entries).
 * @param {unknown} v @returns {string}
 */
function show(v) {
  try {
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const a = Array.from(/** @type {ArrayLike<number>} */ (/** @type {unknown} */ (v)));
      return `${/** @type {object} */ (v).constructor.name}[${a.slice(0, 8).join(', ')}${a.length > 8 ? ', ...' : ''}]`;
    }
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? s.slice(0, 117) + '...' : s;
  } catch (_) {
    return '?';
  }
}

/** @param {unknown} a @param {unknown} b @returns {boolean} */
function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aa = ArrayBuffer.isView(a) ? Array.from(/** @type {ArrayLike<number>} */ (/** @type {unknown} */ (a))) : a;
  const bb = ArrayBuffer.isView(b) ? Array.from(/** @type {ArrayLike<number>} */ (/** @type {unknown} */ (b))) : b;
  if (Array.isArray(aa) !== Array.isArray(bb)) return false;
  const ka = Object.keys(aa);
  const kb = Object.keys(bb);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual(/** @type {any} */ (aa)[k], /** @type {any} */ (bb)[k]));
}

/**
 * The assertions of site exercises: deep equality (NaN equals NaN there), closeness with an absolute
 * tolerance, element-wise closeness and a plain condition. Failures throw CheckFailure.
 *
 * @example
 * const { assertClose } = makeAsserts(); assertClose(0.1 + 0.2, 0.3, 1e-9, 'sum');
 */
function makeAsserts() {
  return Object.freeze({
    /** @param {unknown} actual @param {unknown} expected @param {string} [what] */
    assertEqual(actual, expected, what = 'value') {
      if (!deepEqual(actual, expected)) throw new CheckFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    },
    /** @param {unknown} actual @param {number} expected @param {number} [tol] @param {string} [what] */
    assertClose(actual, expected, tol = 1e-6, what = 'value') {
      const t = tolerance(tol, 'tolerance', 1e-6);
      if (typeof actual !== 'number' || Number.isNaN(actual)) throw new CheckFailure(`${what}: expected a number close to ${show(expected)}, got ${show(actual)}`);
      const d = Math.abs(actual - expected);
      if (!(d <= t) && actual !== expected) throw new CheckFailure(`${what}: expected ${show(expected)} (within ${t}), got ${show(actual)}, off by ${d.toPrecision(3)}`);
    },
    /** @param {unknown} actual @param {ArrayLike<number>} expected @param {number} [tol] @param {string} [what] */
    assertArrayClose(actual, expected, tol = 1e-6, what = 'array') {
      const t = tolerance(tol, 'tolerance', 1e-6);
      if (actual === null || typeof actual !== 'object' || typeof (/** @type {any} */ (actual).length) !== 'number') {
        throw new CheckFailure(`${what}: expected an array of ${expected.length} numbers, got ${show(actual)}`);
      }
      const a = /** @type {ArrayLike<unknown>} */ (actual);
      if (a.length !== expected.length) throw new CheckFailure(`${what}: expected length ${expected.length}, got length ${a.length}`);
      let bad = 0;
      let first = -1;
      for (let i = 0; i < expected.length; i++) {
        const x = a[i];
        const e = expected[i];
        const ok = x === e || (typeof x === 'number' && Math.abs(x - e) <= t);
        if (!ok) {
          bad++;
          if (first < 0) first = i;
        }
      }
      if (bad) throw new CheckFailure(`${what}: ${bad} of ${expected.length} entries differ; first at index ${first}: expected ${show(expected[first])}, got ${show(a[first])}`);
    },
    /** @param {unknown} condition @param {string} message */
    assertTrue(condition, message) {
      if (!condition) throw new CheckFailure(typeof message === 'string' ? message : 'condition is not true');
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

/**
 * The points a set of checks earned, by the grader's rule: each check counts at most its own points and never
 * below 0 (a malformed record counts 0). `total` is the sum of the checks' points. The grader scales a tests
 * cell's points by earned / total over all of its checks, hidden ones included (trusted/runner.ts); the site's
 * lab pages show it over the visible checks only.
 *
 * @param {ReadonlyArray<{ points: unknown, earned: unknown }>} checks
 * @returns {{ earned: number, total: number }}
 * @example
 * tally([{ points: 2, earned: 1 }, { points: 1, earned: 5 }]) // { earned: 2, total: 3 }
 */
function tally(checks) {
  let total = 0;
  let earned = 0;
  for (const c of checks) {
    const points = Math.max(0, Number(c.points) || 0);
    total += points;
    earned += Math.max(0, Math.min(points, Number(c.earned) || 0));
  }
  return { earned, total };
}

module.exports = { makeExpect, makeAsserts, makeChecker, tally, describe, fmt, show, CheckFailure };
