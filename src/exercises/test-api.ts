/**
 * The test API of code exercises, from the course's one test API (../grader/assess.js): `check(name, points,
 * fn)` registers a test worth `points`, and the assertion helpers throw CheckFailure with messages that tell
 * the reader what was expected and what came out. Scored as the grader scores a lab's checks: a test earns
 * its points when `fn` returns nothing, a share of them for a fraction in [0, 1], nothing when it throws or
 * returns anything else.
 */
import { CheckFailure, describe, makeAsserts, makeChecker } from '../grader/assess';
import type { TestOutcome } from './types';

export { CheckFailure };

/** The functions a code exercise's tests can call. */
export interface TestApi {
  check(name: string, points: number, fn: () => unknown): void;
  assertEqual(actual: unknown, expected: unknown, what?: string): void;
  assertClose(actual: number, expected: number, tolerance?: number, what?: string): void;
  assertArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance?: number, what?: string): void;
  assertTrue(condition: unknown, message: string): void;
}

/**
 * Turns whatever a test threw into the message the reader sees (a failed assertion's own message as is).
 *
 * @example
 * errorMessage(new TypeError('x.map is not a function')) // 'TypeError: x.map is not a function'
 */
export function errorMessage(e: unknown): string {
  return withoutFailureName(describe(e));
}

/** A failed assertion's message as the reader sees it: without the 'CheckFailure: ' that assess.js puts first. */
function withoutFailureName(text: string): string {
  return text.startsWith('CheckFailure: ') ? text.slice('CheckFailure: '.length) : text;
}

/**
 * Creates a fresh, frozen test API plus `run()`, which executes the registered tests in order and reports each.
 *
 * @example
 * const { api, run } = createTestApi();
 * api.check('adds', 2, () => api.assertEqual(1 + 1, 2, '1 + 1'));
 * const outcomes = await run(); // [{ name: 'adds', points: 2, earned: 2, passed: true, message: 'passed' }]
 */
export function createTestApi(): { api: TestApi; run: () => Promise<TestOutcome[]> } {
  const tests: { name: string; points: number; fn: () => unknown }[] = [];
  const api: TestApi = Object.freeze({
    check(name: string, points: number, fn: () => unknown) {
      if (typeof name !== 'string' || !(typeof points === 'number' && points >= 0 && Number.isFinite(points)) || typeof fn !== 'function') {
        throw new Error('check(name, points, fn) needs a test name, a number of points >= 0 and a function');
      }
      tests.push({ name, points, fn });
    },
    ...makeAsserts(),
  });
  async function run(): Promise<TestOutcome[]> {
    const records: { name: string; points: number; earned: number; message: string }[] = [];
    const check = makeChecker(records);
    for (const t of tests) await check(t.name, t.points, t.fn);
    return records.map((r) => {
      const earned = Math.round(r.earned * 1000) / 1000;
      const passed = r.message === '';
      const message = passed ? 'passed' : withoutFailureName(r.message);
      return { name: r.name, points: r.points, earned, passed, message };
    });
  }
  return { api, run };
}
