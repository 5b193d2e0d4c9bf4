// Sandboxed runs of `assign validate` (real tslab kernels in bubblewrap): run by scripts/test.d/40-grader.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNotebook } from '../../../src/grader/assignment/format';
import { kernelContext } from '../../../src/grader/engine/context';
import { DEFAULT_LIMITS, KernelPool } from '../../../src/grader/trusted/runner';
import { validateAssignment } from '../../../src/grader/engine/validate';
import { ROOT } from '../../helpers';
import { MINI, notebook } from '../notebooks';

let pool: KernelPool;
let cleanup: () => void;
const limits = { ...DEFAULT_LIMITS, cellTimeoutMs: 30_000 };

before(() => {
  const ctx = kernelContext(ROOT);
  cleanup = ctx.cleanup;
  pool = new KernelPool(ctx.opts, 2);
});
after(async () => {
  await pool.close();
  cleanup();
});

test('a correct assignment validates: the solution earns everything, the student version nothing', async () => {
  const report = await validateAssignment(parseNotebook(JSON.stringify(notebook(MINI))), () => pool.acquire(), limits);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.tests, [
    { gradeId: 'test_clamp', points: 2, solution: 2, student: 0 },
    { gradeId: 'test_mean', points: 3, solution: 3, student: 0 },
  ]);
  assert.equal(report.ok, true);
});

test('validation catches a wrong solution, a test that tests nothing and points that do not add up', async () => {
  const cells = MINI.map((c) => {
    if (c.nbgrader?.grade_id === 'clamp') return { ...c, source: c.source.replace('Math.min(hi, Math.max(lo, x))', 'Math.max(lo, x)') };
    if (c.nbgrader?.grade_id === 'test_mean') return { ...c, source: `${c.source}\ncheck('always true', 1, () => expect.ok(true));` };
    return c;
  });
  cells.push({ source: "check('constant', 1, () => expect.equal(1 + 1, 2));", nbgrader: { grade_id: 'test_nothing', grade: true, locked: true, points: 1 } });
  const report = await validateAssignment(parseNotebook(JSON.stringify(notebook(cells))), () => pool.acquire(), limits);
  const text = report.problems.map((p) => p.message).join('\n');
  assert.equal(report.ok, false);
  assert.match(text, /the solution earns 1\/2 in tests cell 'test_clamp'.*clamp\(3, 0, 1\) is 3, expected 1/);
  assert.match(text, /checks of 'test_mean' add up to 4 points but the cell is worth 3/);
  assert.match(text, /'test_nothing' passes on the student version/);
});
