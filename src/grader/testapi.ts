/**
 * The test API of graded labs, for test cells run interactively (a student checking their work in
 * JupyterLab, an instructor authoring): `check(name, points, fn)` runs one check and prints its result;
 * `expect` has assertions with helpful messages. When grading, tests cells run in the grader's trusted
 * runner outside the student's kernel with the same `check`/`expect` (one implementation: ./assess.js), so
 * the same cells behave the same in both places.
 */
import { graderAssetPath } from './asset-path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const harness = require(graderAssetPath('assess.js')) as {
  makeExpect(): Expect;
  makeChecker(records: CheckResult[]): (name: string, points: number, fn: () => unknown) => Promise<CheckResult>;
};

/** Options of expect.close. */
export interface CloseOptions {
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Name used in messages (default 'value'). */
  what?: string;
  /** Accept NaN where NaN is expected (default false: NaN is never close to anything). */
  nan?: boolean;
}

/** Assertions that throw a readable CheckFailure. */
export interface Expect {
  /**
   * Numbers or arrays equal within atol + rtol·|expected|; says where and by how much they differ.
   * Tolerances must be finite and >= 0; infinities must match exactly; NaN fails unless `nan: true`.
   */
  close(actual: unknown, expected: number | ArrayLike<number>, opts?: CloseOptions): void;
  /** Strict equality (===) of primitives, element-wise strict equality of arrays (NaN equals nothing). */
  equal(actual: unknown, expected: unknown, what?: string): void;
  /** Fails with `message` unless `condition` is exactly true. */
  ok(condition: unknown, message?: string): void;
  /** Passes when fn throws (optionally an error mentioning `includes`). */
  throws(fn: () => unknown, includes?: string, message?: string): void;
}

/** The result of one check. */
export interface CheckResult {
  name: string;
  points: number;
  earned: number;
  message: string;
}

/**
 * Assertions with helpful messages.
 *
 * @example
 * expect.close(myScale, 0.0392, { atol: 1e-4, what: 'scale' });
 */
export const expect: Expect = harness.makeExpect();

/**
 * Runs one check: `fn` passes by returning nothing, earns partial credit by returning a fraction in [0, 1],
 * and fails by throwing (its message becomes the feedback). Prints a line when the check has finished
 * (returns nothing, so a notebook cell does not display a pending promise; use `runCheck` to await it).
 *
 * @example
 * check('scale of a symmetric range', 2, () => expect.close(scaleOf(-1, 1, 8), 2 / 255));
 */
export function check(name: string, points: number, fn: () => unknown): void {
  void runCheck(name, points, fn);
}

/**
 * Like `check`, but resolves to the result.
 *
 * @example
 * const r = await runCheck('mean', 1, () => expect.close(mean([1, 3]), 2)); // r.earned === 1
 */
export function runCheck(name: string, points: number, fn: () => unknown): Promise<CheckResult> {
  const records: CheckResult[] = [];
  return harness.makeChecker(records)(name, points, fn).then((r) => {
    const mark = r.earned >= r.points ? '✔' : r.earned > 0 ? '◐' : '✘';
    console.log(`${mark} ${r.name}: ${fmtPoints(r.earned)}/${fmtPoints(r.points)} point${r.points === 1 ? '' : 's'}${r.message ? ` — ${r.message}` : ''}`);
    return r;
  });
}

function fmtPoints(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(2);
}

/**
 * The copy of `fn` that runs in the kernel holding the student's code. Here, where a tests cell runs in the
 * notebook's own kernel, that is `fn` itself; when grading, the grader's own `inKernel` calls the copy in
 * the student's sandboxed kernel, so that `fn` (a function of a locked cell, such as a naive reference) and
 * the student's functions run in the same process: what a speed check compares. The time of a call is taken
 * by the tests, outside that kernel.
 *
 * @example
 * const naive = inKernel(matmulNaive);
 * const t0 = performance.now(); naive(a, b, M, N, K); const naiveMs = performance.now() - t0;
 */
export function inKernel<F extends (...args: any[]) => unknown>(fn: F): F {
  return fn;
}
