// The LLM quantization lab graded like submissions (real sandboxed kernels): the reference solution earns
// 10/10, the released stub 0, and answers that are wrong in one way earn part of the points: a groupParams
// that does not widen the range to contain 0 (its one-signed and constant groups differ from optilab's), a
// smoothQuantScales without the 1e-5 clamp (channels of zeros give 0 or Infinity), and a smoothMigrate that
// moves the factor the wrong way (x · Wᵀ is kept, but the outliers grow).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeSource, cellSource, Notebook, parseNotebook, release, toSourceLines } from '../../src/grader/assignment/format';
import { planSubmission } from '../../src/grader/assignment/plan';
import { kernelContext } from '../../src/grader/engine/context';
import { DEFAULT_LIMITS, KernelPool, runPlan, TestOutcome } from '../../src/grader/trusted/runner';
import { ROOT } from '../helpers';

const SOURCE = parseNotebook(fs.readFileSync(path.join(ROOT, 'notebooks', 'labs', 'llmquant-lab.ipynb'), 'utf8'), 'llmquant-lab');
const CELLS = analyzeSource(SOURCE).cells;
const solutionOf = (id: string) => cellSource(SOURCE.cells[CELLS.find((c) => c.gradeId === id)!.index]).replace(/^\s*\/\/ (BEGIN|END) SOLUTION\n/gm, '');
const ANSWERS = ['group_params', 'group_quantize', 'smooth_scales', 'smooth_migrate'];
const SOLUTIONS = Object.fromEntries(ANSWERS.map((id) => [id, solutionOf(id)]));

/** `text` with `from` replaced by `to` (which must occur exactly once). */
function edit(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `the solution holds ${JSON.stringify(from)} once`);
  return text.replace(from, to);
}
// the range of a group is [min, max] of its values, not widened to contain 0
const NO_ZERO_IN_RANGE = edit(
  edit(SOLUTIONS.group_params, '  let lo = 0;\n  let hi = 0;\n', '  let lo = Infinity;\n  let hi = -Infinity;\n'),
  '  if (lo === hi) {',
  '  if (values.length === 0) {\n    lo = 0;\n    hi = 0;\n  }\n  if (lo === hi) {',
);
// s_j = aj^α / wj^(1-α) with neither the maxima nor the result clamped at 1e-5
const NO_CLAMP = edit(
  edit(edit(SOLUTIONS.smooth_scales, 'Math.max(actAbsMax[j], 1e-5)', 'actAbsMax[j]'), 'Math.max(weightAbsMax[j], 1e-5)', 'weightAbsMax[j]'),
  'Math.max(a ** alpha / w ** (1 - alpha), 1e-5)',
  'a ** alpha / w ** (1 - alpha)',
);
// x · s and W / s: the product is kept, the outliers are made larger
const REVERSED = edit(edit(SOLUTIONS.smooth_migrate, 'x[t * cols + j] / s[j]', 'x[t * cols + j] * s[j]'), 'w[o * cols + j] * s[j]', 'w[o * cols + j] / s[j]');

let pool: KernelPool;
let cleanup: () => void;

before(() => {
  const ctx = kernelContext(ROOT);
  cleanup = ctx.cleanup;
  pool = new KernelPool(ctx.opts, 2);
});
after(async () => {
  await pool.close();
  cleanup();
});

/** The student version with the given answer cells, graded. */
async function grade(answers: Record<string, string>): Promise<Map<string, TestOutcome>> {
  const nb = release(SOURCE) as Notebook;
  for (const c of nb.cells) {
    const id = c.metadata?.nbgrader?.grade_id;
    if (id in answers) c.source = toSourceLines(answers[id]);
  }
  const { plan } = planSubmission(CELLS, nb);
  const r = await runPlan(plan, () => pool.acquire(), { ...DEFAULT_LIMITS, cellTimeoutMs: 90_000 });
  for (const c of r.cells) if (c.kind !== 'tests') assert.equal(c.status, 'ok', `cell ${c.gradeId}: ${c.error}`);
  return new Map(r.tests.map((t) => [t.gradeId, t]));
}

const score = (tests: Map<string, TestOutcome>) => [...tests.values()].reduce((s, t) => s + t.earned, 0);
const earned = (tests: Map<string, TestOutcome>, id: string) => Math.round(tests.get(id)!.earned * 1e6) / 1e6;
const why = (tests: Map<string, TestOutcome>) => JSON.stringify([...tests.values()].map((t) => [t.gradeId, t.earned, t.message, t.checks.filter((c) => c.earned < c.points).map((c) => `${c.name}: ${c.earned}/${c.points} ${c.message}`)]));

test('the reference solution earns 10 of 10, the released stub 0', async () => {
  const [full, empty] = await Promise.all([grade(SOLUTIONS), grade({})]);
  assert.equal(score(full), 10, why(full));
  assert.equal(score(empty), 0, why(empty));
  assert.deepEqual([...full.keys()], ['test_group_params', 'test_group_quantize', 'test_smooth_scales', 'test_smooth_migrate']);
});

test('a groupParams that does not widen the range to contain 0 passes the visible check and loses hidden points', async () => {
  const tests = await grade({ ...SOLUTIONS, group_params: NO_ZERO_IN_RANGE });
  const params = tests.get('test_group_params')!;
  assert.equal(params.checks[0].earned, 1, why(tests));
  assert.ok(params.earned > 1 && params.earned < 2, why(tests));
  // hidden: 36 of the 48 groups × bits × modes agree (the asymmetric parameters of the one-signed and
  // constant groups do not; a symmetric range does not depend on the widening)
  assert.equal(earned(tests, 'test_group_params'), 1.75, why(tests));
  // groupQuantize calls that groupParams: the visible 2×6 matrix has a constant group (its scale is wrong), 7 of
  // the 10 hidden matrices still agree, and groupDequantize (given optilab's matrices) earns its point
  assert.equal(earned(tests, 'test_group_quantize'), 1.7, why(tests));
  assert.equal(earned(tests, 'test_smooth_scales'), 3, why(tests));
  assert.equal(earned(tests, 'test_smooth_migrate'), 2, why(tests));
});

test('scales without the 1e-5 clamp and a migration the wrong way round earn part of their points', async () => {
  const tests = await grade({ ...SOLUTIONS, smooth_scales: NO_CLAMP, smooth_migrate: REVERSED });
  assert.equal(earned(tests, 'test_group_params'), 2, why(tests));
  assert.equal(earned(tests, 'test_group_quantize'), 3, why(tests));
  // visible 1, random maxima 1, ends and zero channels 3 of 7 (α = 0 and 1 on positive maxima, the length check)
  assert.equal(earned(tests, 'test_smooth_scales'), Math.round((2 + 3 / 7) * 1e6) / 1e6, why(tests));
  // the visible check fails; of the four hidden parts, the exact product with powers of two and the untouched
  // inputs pass, optilab's pair and the W8A8 gain do not
  assert.equal(earned(tests, 'test_smooth_migrate'), 0.5, why(tests));
});
