/**
 * Runs a code exercise: the reader's code (already transpiled to JavaScript), then the exercise's tests in a
 * scope of their own. The reader's code sees neither the test API nor `ref`; the tests see the frozen API,
 * `ref` (library functions they may compare with) and, of the reader's top-level names, only those they
 * mention (never shadowing the API or a JavaScript global). The site calls this inside a Web Worker, after
 * `lockIntrinsics()`, and kills the worker after the time limit; it has no limit itself.
 */
import type { CheckResult, TestOutcome } from './types';
import { createTestApi, errorMessage } from './test-api';

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
  const names = [...API_NAMES];
  const values: unknown[] = [api.check, api.assertEqual, api.assertClose, api.assertArrayClose, api.assertTrue, Object.freeze({ ...ref })];
  const fail = (message: string): CheckResult => ({ correct: false, score: 0, points: 0, message, tests: [] });
  const wanted = readerNamesIn(testsJs);
  let answer: () => unknown;
  try {
    // `typeof x` of a name the reader never declared is 'undefined', not an error
    const collect = wanted.map((n) => `${JSON.stringify(n)}: typeof ${n} === 'undefined' ? undefined : ${n}`).join(', ');
    answer = new Function(`"use strict";\n${userJs}\n;\nreturn { ${collect} };`) as () => unknown;
  } catch (e) {
    return fail(`Your code does not parse: ${errorMessage(e)}`);
  }
  let tests: (...args: unknown[]) => unknown;
  try {
    tests = new Function(...names, ...wanted, `"use strict";\n${testsJs}`) as (...args: unknown[]) => unknown;
  } catch (e) {
    return fail(`The exercise's tests do not parse: ${errorMessage(e)}`);
  }
  let declared: Record<string, unknown>;
  try {
    declared = (await answer()) as Record<string, unknown>;
  } catch (e) {
    return fail(`Your code threw an error before the tests could run: ${errorMessage(e)}`);
  }
  try {
    await tests(...values, ...wanted.map((n) => declared[n]));
  } catch (e) {
    return fail(`The tests stopped before checking anything: ${errorMessage(e)}`);
  }
  return summarizeTests(await run());
}

const API_NAMES = ['check', 'assertEqual', 'assertClose', 'assertArrayClose', 'assertTrue', 'ref'] as const;

const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else export extends false finally for function if import in instanceof ' +
    'new null return super switch this throw true try typeof var void while with yield let static enum await implements package protected ' +
    'interface private public arguments eval undefined NaN Infinity async of get set').split(' '),
);

/**
 * Identifiers the tests mention that may name the reader's declarations: not the API, not a reserved word,
 * not a JavaScript global (a reader's `const Math = ...` stays in their scope) and not a property access.
 *
 * @example
 * readerNamesIn("check('x', 1, () => assertEqual(double(2), 4, Math.abs(-1) + ''))") // ['double']
 */
export function readerNamesIn(testsJs: string): string[] {
  const out = new Set<string>();
  // strings and comments first, so that words inside messages are not taken for names
  const code = testsJs.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, ' ');
  for (const m of code.matchAll(/(?<![.\w$])[A-Za-z_$][\w$]*/g)) {
    const n = m[0];
    if (RESERVED.has(n) || (API_NAMES as readonly string[]).includes(n) || n in globalThis) continue;
    out.add(n);
  }
  return [...out];
}

const INTRINSICS = [
  'Object', 'Function', 'Array', 'Number', 'String', 'Boolean', 'Symbol', 'Math', 'JSON', 'Reflect', 'Promise', 'Map', 'Set', 'WeakMap',
  'ArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array',
];

/**
 * Freezes the JavaScript built-ins (and their prototypes) the test API relies on, so that a reader's
 * `Math.abs = () => 0` or `Array.prototype.every = ...` cannot make a failing answer pass. For a realm that
 * runs only one check (the site's exercise worker); call it before the reader's code.
 *
 * @example
 * lockIntrinsics(); // in a fresh worker, then runCodeChecks(...)
 */
export function lockIntrinsics(realm: Record<string, unknown> = globalThis as unknown as Record<string, unknown>): void {
  const typedArray = Object.getPrototypeOf(Int8Array) as object;
  for (const name of INTRINSICS) {
    const v = realm[name] as { prototype?: object } | undefined;
    if (v === undefined) continue;
    Object.freeze(v);
    if (v.prototype) Object.freeze(v.prototype);
  }
  Object.freeze(typedArray);
  Object.freeze((typedArray as { prototype: object }).prototype);
  for (const name of INTRINSICS) Object.defineProperty(realm, name, { writable: false, configurable: false });
}
