/**
 * The test API of code exercises: `check(name, points, fn)` registers a visible test worth `points`; the
 * assertion helpers throw errors whose messages tell the reader what was expected and what came out.
 * A test passes when `fn` returns nothing or `true`, fails on `false` or a thrown error, and earns partial
 * credit when it returns a fraction in [0, 1].
 */
import type { TestOutcome } from './types';

/** A failed expectation inside a test (its message is shown to the reader as is). */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** The functions a code exercise's tests can call. */
export interface TestApi {
  check(name: string, points: number, fn: () => unknown): void;
  assertEqual(actual: unknown, expected: unknown, what?: string): void;
  assertClose(actual: number, expected: number, tolerance?: number, what?: string): void;
  assertArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance?: number, what?: string): void;
  assertTrue(condition: unknown, message: string): void;
}

function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = Array.from(v as unknown as ArrayLike<number>);
    return `${(v as object).constructor.name}[${a.slice(0, 8).join(', ')}${a.length > 8 ? ', ...' : ''}]`;
  }
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? s.slice(0, 117) + '...' : s;
  } catch {
    return String(v);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aa = ArrayBuffer.isView(a) ? Array.from(a as unknown as ArrayLike<number>) : a;
  const bb = ArrayBuffer.isView(b) ? Array.from(b as unknown as ArrayLike<number>) : b;
  if (Array.isArray(aa) !== Array.isArray(bb)) return false;
  const ka = Object.keys(aa as object);
  const kb = Object.keys(bb as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((aa as Record<string, unknown>)[k], (bb as Record<string, unknown>)[k]));
}

/** Turns whatever a test threw into the message the reader sees. */
export function errorMessage(e: unknown): string {
  if (e instanceof CheckFailure) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `threw ${show(e)}`;
}

/**
 * Creates a fresh test API plus `run()`, which executes the registered tests in order and reports each.
 *
 * @example
 * const { api, run } = createTestApi();
 * api.check('adds', 2, () => api.assertEqual(1 + 1, 2, '1 + 1'));
 * const outcomes = await run(); // [{ name: 'adds', points: 2, earned: 2, passed: true, message: 'passed' }]
 */
export function createTestApi(): { api: TestApi; run: () => Promise<TestOutcome[]> } {
  const tests: { name: string; points: number; fn: () => unknown }[] = [];
  const api: TestApi = {
    check(name, points, fn) {
      if (typeof name !== 'string' || !(typeof points === 'number' && points >= 0) || typeof fn !== 'function') {
        throw new Error('check(name, points, fn) needs a test name, a number of points >= 0 and a function');
      }
      tests.push({ name, points, fn });
    },
    assertEqual(actual, expected, what = 'value') {
      if (!deepEqual(actual, expected)) throw new CheckFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    },
    assertClose(actual, expected, tolerance = 1e-6, what = 'value') {
      if (typeof actual !== 'number' || Number.isNaN(actual)) throw new CheckFailure(`${what}: expected a number close to ${show(expected)}, got ${show(actual)}`);
      const d = Math.abs(actual - expected);
      if (!(d <= tolerance) && !(actual === expected)) {
        throw new CheckFailure(`${what}: expected ${show(expected)} (within ${tolerance}), got ${show(actual)}, off by ${d.toPrecision(3)}`);
      }
    },
    assertArrayClose(actual, expected, tolerance = 1e-6, what = 'array') {
      if (actual === null || typeof actual !== 'object' || typeof (actual as ArrayLike<number>).length !== 'number') {
        throw new CheckFailure(`${what}: expected an array of ${expected.length} numbers, got ${show(actual)}`);
      }
      if (actual.length !== expected.length) throw new CheckFailure(`${what}: expected length ${expected.length}, got length ${actual.length}`);
      let bad = 0;
      let first = -1;
      for (let i = 0; i < expected.length; i++) {
        const a = actual[i];
        const e = expected[i];
        const ok = a === e || Math.abs(a - e) <= tolerance;
        if (!ok) { bad++; if (first < 0) first = i; }
      }
      if (bad) {
        throw new CheckFailure(`${what}: ${bad} of ${expected.length} entries differ; first at index ${first}: expected ${show(expected[first])}, got ${show(actual[first])}`);
      }
    },
    assertTrue(condition, message) {
      if (!condition) throw new CheckFailure(message);
    },
  };
  async function run(): Promise<TestOutcome[]> {
    const out: TestOutcome[] = [];
    for (const t of tests) {
      try {
        const r = await t.fn();
        if (r === false) out.push({ name: t.name, points: t.points, earned: 0, passed: false, message: 'the test returned false' });
        else if (typeof r === 'number' && r >= 0 && r < 1) {
          const earned = Math.round(t.points * r * 1000) / 1000;
          out.push({ name: t.name, points: t.points, earned, passed: false, message: `partial credit: ${Math.round(r * 100)}% of this test` });
        } else out.push({ name: t.name, points: t.points, earned: t.points, passed: true, message: 'passed' });
      } catch (e) {
        out.push({ name: t.name, points: t.points, earned: 0, passed: false, message: errorMessage(e) });
      }
    }
    return out;
  }
  return { api, run };
}
