/**
 * The visible tests of a graded lab run outside the grader: the course site's lab pages run a tests cell in the
 * reader's browser with the `check` and `expect` made here. Both come from the course's one test API
 * (./assess.js), the module the grader's trusted tests runner uses (./trusted/checker.js), so a check earns
 * the same points in both places: full points when its function returns nothing, `points · f` for a fraction
 * f in [0, 1], nothing when it throws (the message is the feedback) or returns anything else; NaN and
 * infinities are compared as strictly. Isomorphic (no Node built-in): exported by optilab/core.
 *
 * Only the checks a cell shows are run here. The hidden tests of a lab are never in the student version and
 * run only when the instructor grades, so a visible score is not the grade.
 */
import { makeChecker, makeExpect, tally } from './assess.js';

/** The result of one check of a tests cell, as the grader records it. */
export interface LabCheckRecord {
  name: string;
  points: number;
  earned: number;
  /** Empty when the check earned all its points; else why not (the thrown message, or the partial credit). */
  message: string;
}

/** What a tests cell's visible checks earned. */
export interface LabChecksResult {
  checks: LabCheckRecord[];
  /** Points earned over the checks (each at most its own points, as the grader counts them). */
  earned: number;
  /** Sum of the checks' points. */
  total: number;
}

/** The `check` and `expect` of one run of a tests cell, and `settle()`, which waits for its checks. */
export interface LabChecks {
  /**
   * Runs one check (scored when it settles). Returns nothing, as the lab's `check` does, so a cell ending in
   * a check shows no value.
   */
  check(name: string, points: number, fn: () => unknown): void;
  expect: ReturnType<typeof makeExpect>;
  /**
   * The copy of a locked cell's function that runs beside the student's code (the grader's `inKernel`). Here
   * the tests and the student's code run in one place, so it is the function itself, as in a lab's kernel.
   */
  inKernel<F extends (...args: any[]) => unknown>(fn: F): F;
  /** Waits for every check started so far (async ones included) and scores them. */
  settle(): Promise<LabChecksResult>;
}

/**
 * A fresh test API for one run of a lab's tests cell.
 *
 * @example
 * const lab = createLabChecks();
 * lab.check('adds', 2, () => lab.expect.equal(1 + 1, 2, '1 + 1'));
 * await lab.settle(); // { checks: [{ name: 'adds', points: 2, earned: 2, message: '' }], earned: 2, total: 2 }
 */
export function createLabChecks(): LabChecks {
  const records: LabCheckRecord[] = [];
  const pending: Promise<unknown>[] = [];
  const run = makeChecker(records);
  const expect = makeExpect();
  return {
    check(name: string, points: number, fn: () => unknown): void {
      pending.push(run(name, points, fn));
    },
    expect,
    inKernel: (fn) => fn,
    async settle(): Promise<LabChecksResult> {
      for (let i = 0; i < pending.length; i++) await pending[i];
      const checks = records.map((r) => ({ name: String(r.name), points: Number(r.points), earned: Number(r.earned), message: String(r.message) }));
      return { checks, ...tallyChecks(checks) };
    },
  };
}

/**
 * Points earned by a set of checks, by the grader's rule (each check counts between 0 and its own points).
 *
 * @example
 * tallyChecks([{ points: 2, earned: 1 }, { points: 1, earned: 1 }]); // { earned: 2, total: 3 }
 */
export function tallyChecks(checks: ReadonlyArray<{ points: number; earned: number }>): { earned: number; total: number } {
  return tally(checks);
}
