// The kernels lab graded like submissions (real sandboxed kernels): the reference solution earns 10/10, the
// released stub 0, a toCsr that mishandles empty rows part of the CSR points, a correct but naive
// matmulBlocked no speed points, and a naive one that slows down the kernel's matmulNaive and patches the
// clocks of its kernel gains nothing from it (the speed check's timing is taken outside the kernel).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeSource, cellSource, Notebook, parseNotebook, release, toSourceLines } from '../../src/grader/assignment/format';
import { planSubmission } from '../../src/grader/assignment/plan';
import { kernelContext } from '../../src/grader/engine/context';
import { DEFAULT_LIMITS, KernelPool, runPlan, TestOutcome } from '../../src/grader/trusted/runner';
import { ROOT } from '../helpers';

const SOURCE = parseNotebook(fs.readFileSync(path.join(ROOT, 'notebooks', 'labs', 'kernels-lab.ipynb'), 'utf8'), 'kernels-lab');
const CELLS = analyzeSource(SOURCE).cells;
const solutionOf = (id: string) => cellSource(SOURCE.cells[CELLS.find((c) => c.gradeId === id)!.index]).replace(/^\s*\/\/ (BEGIN|END) SOLUTION\n/gm, '');

const NAIVE_BLOCKED = [
  'function matmulBlocked(a: Float32Array, b: Float32Array, M: number, N: number, K: number, tile: number): Float32Array {',
  '  const c = new Float32Array(M * N);',
  '  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { let s = 0; for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j]; c[i * N + j] = s; }',
  '  return c;',
  '}',
].join('\n');
// rowPtr is only written for rows that have a nonzero: empty rows keep 0
const EMPTY_ROWS_BUG = solutionOf('csr').replace('    rowPtr[i + 1] = at;\n', '').replace('        at++;\n', '        at++;\n        rowPtr[i + 1] = at;\n');
// a naive product, a matmulNaive made 3x slower in the kernel, and kernel clocks that stand still
// (two cells: a function declaration is hoisted, so the original must be kept in an earlier cell)
const FORGER_KEEP = 'const slowNaive = matmulNaive;';
const FORGER_EXTRA = [
  'function matmulNaive(a: Float32Array, b: Float32Array, M: number, N: number, K: number): Float32Array {',
  '  slowNaive(a, b, M, N, K); slowNaive(a, b, M, N, K);',
  '  return slowNaive(a, b, M, N, K);',
  '}',
  'performance.now = () => 0;',
  'Date.now = () => 0;',
].join('\n');

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

/** The student version with the given answer cells and extra cells (after a grade_id), graded. */
async function grade(answers: Record<string, string>, extra: [string, string][] = []): Promise<Map<string, TestOutcome>> {
  const nb = release(SOURCE) as Notebook;
  for (const c of nb.cells) {
    const id = c.metadata?.nbgrader?.grade_id;
    if (id in answers) c.source = toSourceLines(answers[id]);
  }
  let last = '';
  let at = -1;
  for (const [after, text] of extra) {
    at = after === last ? at + 1 : nb.cells.findIndex((c) => c.metadata?.nbgrader?.grade_id === after) + 1;
    last = after;
    nb.cells.splice(at, 0, { cell_type: 'code', metadata: {}, source: toSourceLines(text), outputs: [], execution_count: null });
  }
  const { plan } = planSubmission(CELLS, nb);
  const r = await runPlan(plan, () => pool.acquire(), { ...DEFAULT_LIMITS, cellTimeoutMs: 90_000 });
  for (const c of r.cells) if (c.kind !== 'tests') assert.equal(c.status, 'ok', `cell ${c.gradeId}: ${c.error}`);
  return new Map(r.tests.map((t) => [t.gradeId, t]));
}

const score = (tests: Map<string, TestOutcome>) => [...tests.values()].reduce((s, t) => s + t.earned, 0);
const why = (tests: Map<string, TestOutcome>) => JSON.stringify([...tests.values()].map((t) => [t.gradeId, t.earned, t.message, t.checks.filter((c) => c.earned < c.points || /faster/.test(c.name)).map((c) => `${c.name}: ${c.earned}/${c.points} ${c.message}`)]));

test('the reference solution earns 10 of 10, the released stub 0', async () => {
  const answers = { matmul_blocked: solutionOf('matmul_blocked'), csr: solutionOf('csr') };
  const [full, empty] = await Promise.all([grade(answers), grade({})]);
  assert.equal(score(full), 10, why(full));
  assert.equal(score(empty), 0, why(empty));
});

test('a toCsr that leaves empty rows at offset 0 earns part of the CSR points', async () => {
  const tests = await grade({ matmul_blocked: solutionOf('matmul_blocked'), csr: EMPTY_ROWS_BUG });
  // the visible toCsr check fails, csrMatVec (given the tests' own CSR) passes both of its checks, and 4 of the 5
  // hidden toCsr cases pass (the all-zero matrix has nothing but empty rows, and they are right by chance)
  assert.equal(tests.get('test_csr')!.earned, 2.8, why(tests));
  assert.equal(tests.get('test_matmul_blocked')!.earned, 3, why(tests));
});

test('a correct but naive matmulBlocked loses the speed points; slowing matmulNaive and the kernel clocks does not help', async () => {
  const csr = solutionOf('csr');
  const [naive, forger] = await Promise.all([
    grade({ matmul_blocked: NAIVE_BLOCKED, csr }),
    grade({ matmul_blocked: NAIVE_BLOCKED, csr }, [['naive_reference', FORGER_KEEP], ['naive_reference', FORGER_EXTRA]]),
  ]);
  for (const [name, tests] of [['naive', naive], ['forger', forger]] as const) {
    assert.equal(tests.get('test_matmul_blocked')!.earned, 3, `${name}: ${why(tests)}`);
    assert.equal(tests.get('test_csr')!.earned, 4, `${name}: ${why(tests)}`);
    assert.equal(tests.get('test_speed')!.earned, 0, `${name}: ${why(tests)}`);
  }
});
