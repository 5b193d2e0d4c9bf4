// `optilab grade` (local kernels) reports progress on stderr, one step per submission with the student as detail
// (off a terminal: plain lines), while the per-student lines and the summary stay on stdout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { release } from '../../src/grader/assignment/format';
import { ROOT } from '../helpers';
import { MINI, notebook } from './notebooks';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-progress-'));
const source = path.join(work, 'mini.ipynb');
const subs = path.join(work, 'subs');
const out = path.join(work, 'out');

before(() => {
  fs.writeFileSync(source, JSON.stringify(notebook(MINI)));
  fs.mkdirSync(path.join(subs, 'nobody'), { recursive: true }); // no notebook: invalid, settled without a kernel
  fs.writeFileSync(path.join(subs, 'student0.ipynb'), JSON.stringify(release(notebook(MINI) as any)));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

function grade() {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'grade', subs, '--assignment', source, '--out', out, '--jobs', '1'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 300_000,
  });
}

/** The `grade: N% ...` progress lines of stderr, as [percent, detail]. */
function steps(stderr: string): [number, string][] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('grade: ') && !l.startsWith('grade: done in'))
    .map((l) => {
      const m = /^grade: (\d+)% \(elapsed \d+s, ETA (?:\d+s|\d+m\d\ds|--)\) (.*)$/.exec(l);
      assert.ok(m, l);
      return [Number(m[1]), m[2]];
    });
}

/** 50% then 100%, one submission each (in the order they finish). */
function assertSteps(found: [number, string][], stderr: string) {
  assert.deepEqual(found.map(([p]) => p), [50, 100], stderr);
  assert.deepEqual(found.map(([, s]) => s).sort(), ['nobody', 'student0'], stderr);
}

test('grade: one progress step per submission on stderr (student as detail), the report on stdout', () => {
  const r = grade();
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assertSteps(steps(r.stderr), r.stderr);
  assert.match(r.stderr, /^grade: done in \d+s 2 submission\(s\)$/m);
  assert.match(r.stdout, /^\[\s*1\/2\] nobody: INVALID 0\/5/m);
  assert.match(r.stdout, /^\[\s*2\/2\] student0: /m);
  assert.match(r.stdout, /graded 2, already graded 0, grader errors 0, of 2 submissions/);
  assert.doesNotMatch(r.stdout, /ETA|done in/, 'no progress on stdout');
  // a second run: both already graded, still one step each
  const again = grade();
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assertSteps(steps(again.stderr), again.stderr);
  assert.match(again.stdout, /graded 0, already graded 2,/);
});
