// `optilab grade` end to end: CLI, zip input, resuming after the grader is killed mid-run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { release } from '../../src/grader/assignment/format';
import { Gradebook } from '../../src/grader/output/gradebook';
import { SubmissionResult } from '../../src/grader/output/result';
import { ROOT } from '../helpers';
import { MINI, notebook, readResults as results } from './notebooks';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-grade-'));
const source = path.join(work, 'mini.ipynb');
const subs = path.join(work, 'subs');
const CLI = [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'src', 'cli', 'main.ts')];
const MEANS = ['return 0;', 'let s = 0; for (const x of xs) s += x; return s / xs.length;', 'return xs[0];', 'return xs.length;', 'return xs.reduce((a, b) => a + b, 0) / xs.length;', 'return (xs[0] + xs[xs.length - 1]) / 2;'];
// expected test_mean points for each mean above (visible 1 + hidden partial 2)
const MEAN_POINTS = [0.5, 3, 1, 0, 3, 3];
const CLAMP = 'function clamp(x: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, x)); }';

before(() => {
  fs.writeFileSync(source, JSON.stringify(notebook(MINI)));
  fs.mkdirSync(subs);
  MEANS.forEach((body, i) => {
    const nb: any = release(notebook(MINI) as any);
    for (const c of nb.cells) {
      if (c.metadata?.nbgrader?.grade_id === 'clamp') c.source = CLAMP;
      if (c.metadata?.nbgrader?.grade_id === 'mean') c.source = `function mean(xs: number[]): number { ${body} }`;
    }
    const dir = path.join(subs, `student${i}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'lab.ipynb'), JSON.stringify(nb));
  });
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

function runCli(args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
}


test('killed mid-run and restarted: every student graded once, nothing lost or counted twice', async () => {
  const out = path.join(work, 'out-resume');
  const child = spawn(process.execPath, [...CLI, 'grade', subs, '--assignment', source, '--out', out, '--jobs', '2'], { cwd: ROOT, detached: true, stdio: 'ignore' });
  const resultsDir = path.join(out, 'results');
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (fs.existsSync(resultsDir) && fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json')).length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const first = results(out);
  assert.ok(first.size >= 2 && first.size < MEANS.length, `killed after ${first.size} results`);
  assert.deepEqual(fs.readdirSync(resultsDir).filter((f) => f.endsWith('.tmp')), [], 'no half-written result is taken for a result');
  const again = runCli(['grade', subs, '--assignment', source, '--out', out, '--jobs', '2']);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, new RegExp(`already graded ${first.size},`));
  const all = results(out);
  assert.equal(all.size, MEANS.length);
  for (const [student, r] of first) assert.equal(all.get(student)!.gradedAt, r.gradedAt, `${student} was not graded again`);
  MEAN_POINTS.forEach((p, i) => assert.equal(all.get(`student${i}`)!.score, 2 + p, `student${i}`));
  const gb = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
  try {
    assert.equal(gb.integrity(), 'ok');
    assert.deepEqual(gb.rows().map((r) => [r.student, r.score]), MEAN_POINTS.map((p, i) => [`student${i}`, 2 + p]));
  } finally {
    gb.close();
  }
  const csv = fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, MEANS.length + 1);
  assert.equal(csv[0], 'student,assignment,status,score,max_score,test_clamp,test_mean,graded_at');
  // a third run has nothing to do
  const third = runCli(['grade', subs, '--assignment', source, '--out', out]);
  assert.match(third.stdout, new RegExp(`graded 0, already graded ${MEANS.length},`));
});

test('a rerun with other limits (--memory, --cell-timeout) grades everyone again; with the same limits nothing', () => {
  const out = path.join(work, 'out-resume'); // every student graded under the default limits by the test above
  const before = results(out);
  assert.equal(before.size, MEANS.length);
  const memory = runCli(['grade', subs, '--assignment', source, '--out', out, '--memory', '1024']);
  assert.equal(memory.status, 0, memory.stdout + memory.stderr);
  assert.match(memory.stdout, new RegExp(`${MEANS.length} result\\(s\\) .* were graded under other limits`));
  assert.match(memory.stdout, new RegExp(`graded ${MEANS.length}, already graded 0,`));
  const after = results(out);
  for (const [student, r] of before) {
    assert.notEqual(after.get(student)!.gradedAt, r.gradedAt, `${student} was graded again`);
    assert.notEqual(after.get(student)!.settingsHash, r.settingsHash, student);
    assert.equal(after.get(student)!.score, r.score, student);
  }
  const same = runCli(['grade', subs, '--assignment', source, '--out', out, '--memory', '1024']);
  assert.match(same.stdout, new RegExp(`graded 0, already graded ${MEANS.length},`));
  const timeout = runCli(['grade', subs, '--assignment', source, '--out', out, '--memory', '1024', '--cell-timeout', '30']);
  assert.equal(timeout.status, 0, timeout.stdout + timeout.stderr);
  assert.match(timeout.stdout, new RegExp(`graded ${MEANS.length}, already graded 0,`));
  const csv = fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, MEANS.length + 1, 'each student counted once');
});

test('a zip of submissions grades like the folder; Gradescope results.json per student', () => {
  const zip = path.join(work, 'subs.zip');
  const z = spawnSync('/usr/bin/python3', ['-m', 'zipfile', '-c', zip, ...fs.readdirSync(subs)], { cwd: subs });
  assert.equal(z.status, 0);
  const out = path.join(work, 'out-zip');
  const r = runCli(['grade', zip, '--assignment', source, '--out', out]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\[\s*6\/6\]/);
  const all = results(out);
  MEAN_POINTS.forEach((p, i) => assert.equal(all.get(`student${i}`)!.score, 2 + p));
  const gs = JSON.parse(fs.readFileSync(path.join(out, 'gradescope', 'student2', 'results.json'), 'utf8'));
  assert.equal(gs.score, 3);
  assert.deepEqual(gs.tests.map((t: any) => [t.name, t.score, t.max_score]), [['test_clamp', 2, 2], ['test_mean', 1, 3]]);
  assert.match(gs.tests[1].output, /FAIL mean of \[1, 2, 3\] \(0\/1\): CheckFailure: value differs: got 1, expected 2/);
  const html = fs.readFileSync(path.join(out, 'feedback', 'student2.html'), 'utf8');
  assert.match(html, /data-testid="score">3 \/ 5</);
});

test('a folder is graded on the notebook named after the assignment, the others reported; ambiguity refused; the compiled CLI uses the kernel image', () => {
  const dir = path.join(work, 'subs-folders');
  const good: any = release(notebook(MINI) as any);
  for (const c of good.cells) {
    if (c.metadata?.nbgrader?.grade_id === 'clamp') c.source = CLAMP;
    if (c.metadata?.nbgrader?.grade_id === 'mean') c.source = `function mean(xs: number[]): number { ${MEANS[1]} }`;
  }
  const stub = release(notebook(MINI) as any);
  fs.mkdirSync(path.join(dir, 'picky'), { recursive: true });
  // sorted first, a scratch notebook with nothing solved must not be the one graded
  fs.writeFileSync(path.join(dir, 'picky', 'Scratch.ipynb'), JSON.stringify(stub));
  fs.writeFileSync(path.join(dir, 'picky', 'mini.ipynb'), JSON.stringify(good));
  fs.mkdirSync(path.join(dir, 'unsure'));
  fs.writeFileSync(path.join(dir, 'unsure', 'a.ipynb'), JSON.stringify(good));
  fs.writeFileSync(path.join(dir, 'unsure', 'b.ipynb'), JSON.stringify(stub));
  const out = path.join(work, 'out-folders');
  // the compiled CLI, as `npx optilab` runs it: its kernels start from the kernel image (a fresh clone once fell back)
  const r = spawnSync(process.execPath, [path.join(ROOT, 'src', 'dist', 'cli', 'main.js'), 'grade', dir, '--assignment', source, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /; kernel image: used$/m);
  assert.doesNotMatch(r.stderr, /without the kernel image/);
  const all = results(out);
  assert.equal(all.get('picky')!.score, 5);
  assert.ok(all.get('picky')!.notes.some((n) => /other notebooks in the folder: Scratch\.ipynb/.test(n)), JSON.stringify(all.get('picky')!.notes));
  assert.equal(all.get('unsure')!.status, 'invalid');
  assert.equal(all.get('unsure')!.score, 0);
  assert.match(all.get('unsure')!.notes.join(' '), /2 notebooks \(a\.ipynb, b\.ipynb\) and none named mini\.ipynb/);
});

test('usage errors are clear', () => {
  const r = runCli(['grade', subs, '--out', path.join(work, 'x')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing --assignment/);
  const v = runCli(['assign', 'validate', path.join(work, 'nope.ipynb')]);
  assert.equal(v.status, 2);
  assert.match(v.stderr, /does not exist/);
});
