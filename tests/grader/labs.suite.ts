// The graded labs validate: every solution earns all points, every student version fails every tests
// cell (real sandboxed kernels, like `optilab assign validate`), and each lab releases without hidden tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeSource, parseNotebook, release } from '../../src/grader/assignment/format';
import { kernelContext } from '../../src/grader/engine/context';
import { DEFAULT_LIMITS, KernelPool } from '../../src/grader/trusted/runner';
import { validateAssignment } from '../../src/grader/engine/validate';
import { ROOT } from '../helpers';

const LABS = ['quantization-lab', 'pruning-lab', 'lowrank-lab', 'kernels-lab', 'llmquant-lab'];
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

for (const lab of LABS) {
  test(`${lab}: solution passes, student version fails, hidden tests stay hidden`, async () => {
    const nb = parseNotebook(fs.readFileSync(path.join(ROOT, 'notebooks', 'labs', `${lab}.ipynb`), 'utf8'), lab);
    const { cells } = analyzeSource(nb);
    const tests = cells.filter((c) => c.kind === 'tests');
    assert.ok(tests.length >= 3, 'at least three tests cells');
    assert.equal(tests.reduce((s, c) => s + c.points, 0), 10);
    assert.ok(tests.every((c) => /BEGIN HIDDEN TESTS/.test(c.source)), 'every tests cell has hidden tests');
    const released = JSON.stringify(release(nb));
    assert.doesNotMatch(released, /BEGIN SOLUTION|BEGIN HIDDEN TESTS/);
    const report = await validateAssignment(nb, () => pool.acquire(), { ...DEFAULT_LIMITS, cellTimeoutMs: 60_000 });
    assert.deepEqual(report.problems, []);
    for (const t of report.tests) {
      assert.equal(t.solution, t.points, `${t.gradeId}: solution`);
      assert.equal(t.student, 0, `${t.gradeId}: student version`);
    }
  });
}
