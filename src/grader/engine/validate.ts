/**
 * `optilab assign validate`: checks an assignment source before it is released. Static checks (format.ts),
 * then two sandboxed runs side by side: the SOLUTION must earn every point of every tests cell (and each
 * cell's checks must add up to its nbgrader points), and the STUDENT version (exactly what `release` hands
 * out, graded like a submission) must fail every tests cell — a test that passes without the student's code
 * tests nothing.
 */
import { analyzeSource, AuthoringProblem, GradedCell, Notebook, release } from '../assignment/format';
import { planSubmission, solutionPlan } from '../assignment/plan';
import { DEFAULT_LIMITS, GradingKernel, RunLimits, runPlan, TestOutcome } from '../trusted/runner';

/** What validation found. */
export interface ValidationReport {
  ok: boolean;
  problems: AuthoringProblem[];
  /** Per tests cell: points, what the solution earned, what the empty student version earned. */
  tests: { gradeId: string; points: number; solution: number; student: number }[];
  solutionRun?: { tests: TestOutcome[] };
}

/**
 * Validates a parsed source notebook. `acquire` supplies fresh grading kernels (e.g. a KernelPool).
 *
 * @example
 * const report = await validateAssignment(nb, () => pool.acquire());
 */
export async function validateAssignment(nb: Notebook, acquire: () => Promise<GradingKernel>, limits: RunLimits = DEFAULT_LIMITS): Promise<ValidationReport> {
  const { cells, problems } = analyzeSource(nb);
  if (problems.length) return { ok: false, problems, tests: [] };
  const student = planSubmission(cells, release(nb)).plan;
  const [sol, stu] = await Promise.all([runPlan(solutionPlan(cells), acquire, limits, { revealHidden: true }), runPlan(student, acquire, limits, { revealHidden: true })]);
  const out: ValidationReport['tests'] = [];
  for (const c of cells.filter((x: GradedCell) => x.kind === 'tests')) {
    const s = sol.tests.find((t) => t.gradeId === c.gradeId)!;
    const u = stu.tests.find((t) => t.gradeId === c.gradeId)!;
    out.push({ gradeId: c.gradeId, points: c.points, solution: s.earned, student: u.earned });
    if (s.earned < c.points) {
      const failed = s.checks.filter((k) => k.earned < k.points).map((k) => `'${k.name}': ${k.message}`);
      problems.push({ cell: c.index, message: `the solution earns ${s.earned}/${c.points} in tests cell '${c.gradeId}'${s.message ? ` (${s.message})` : ''}${failed.length ? `; failing: ${failed.join('; ')}` : ''}` });
    }
    const total = s.checks.reduce((a, k) => a + k.points, 0);
    if (s.checks.length && Math.abs(total - c.points) > 1e-9) problems.push({ cell: c.index, message: `the checks of '${c.gradeId}' add up to ${total} points but the cell is worth ${c.points} (nbgrader.points)` });
    if (u.earned >= c.points) problems.push({ cell: c.index, message: `tests cell '${c.gradeId}' passes on the student version (without any solution): it does not test the student's code` });
  }
  for (const r of sol.cells) {
    if (r.kind !== 'tests' && r.status !== 'ok') {
      const c = cells.find((x) => x.gradeId === r.gradeId);
      problems.push({ cell: c ? c.index : null, message: `cell '${r.gradeId}' of the solution fails: ${r.status}: ${r.error.split('\n').slice(0, 3).join(' ')}` });
    }
  }
  return { ok: problems.length === 0, problems, tests: out, solutionRun: { tests: sol.tests } };
}
