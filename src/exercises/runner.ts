/**
 * Runs a code exercise: the reader's code (already transpiled to JavaScript) followed by the exercise's
 * tests, in one function scope that sees the test API and `ref` (library functions the tests may compare
 * with). The site calls this inside a Web Worker that it kills after the time limit; it has no limit itself.
 */
import type { CheckResult, TestOutcome } from './types';
import { createTestApi, errorMessage } from './testApi';

/**
 * Summarizes test outcomes: the score is the sum of earned points, correct when every test passed.
 *
 * @example
 * summarizeTests([{ name: 'a', points: 1, earned: 1, passed: true, message: 'passed' }]).correct; // true
 */
export function summarizeTests(tests: TestOutcome[]): CheckResult {
  const points = tests.reduce((s, t) => s + t.points, 0);
  const score = Math.round(tests.reduce((s, t) => s + t.earned, 0) * 1000) / 1000;
  const failed = tests.filter((t) => !t.passed);
  const correct = tests.length > 0 && failed.length === 0;
  const message = tests.length === 0
    ? 'No test ran: the tests did not call check().'
    : correct
      ? `All ${tests.length} tests passed (${score}/${points} points).`
      : `${failed.length} of ${tests.length} tests failed (${score}/${points} points). First failure, "${failed[0].name}": ${failed[0].message}`;
  return { correct, score, points, message, tests };
}

/**
 * Runs `userJs` then `testsJs` (plain JavaScript) with the test API and `ref` in scope.
 *
 * @example
 * const r = await runCodeChecks('function double(x) { return 2 * x; }',
 *   "check('doubles 3', 1, () => assertEqual(double(3), 6, 'double(3)'));");
 * r.correct; // true
 */
export async function runCodeChecks(userJs: string, testsJs: string, ref: Record<string, unknown> = {}): Promise<CheckResult> {
  const { api, run } = createTestApi();
  const names = ['check', 'assertEqual', 'assertClose', 'assertArrayClose', 'assertTrue', 'ref'];
  const values = [api.check, api.assertEqual, api.assertClose, api.assertArrayClose, api.assertTrue, ref];
  const fail = (message: string): CheckResult => ({ correct: false, score: 0, points: 0, message, tests: [] });
  let body: (...args: unknown[]) => unknown;
  try {
    body = new Function(...names, `"use strict";\n${userJs}\n;\n${testsJs}`) as (...args: unknown[]) => unknown;
  } catch (e) {
    return fail(`Your code does not parse: ${errorMessage(e)}`);
  }
  try {
    await body(...values);
  } catch (e) {
    return fail(`Your code threw an error before the tests could run: ${errorMessage(e)}`);
  }
  return summarizeTests(await run());
}
