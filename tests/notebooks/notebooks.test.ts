/**
 * Executes every course notebook headless on the real tslab kernel (quick mode in CI) through
 * `optilab notebooks run`, and checks that failures are reported with the failing cell.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';

const CLI = path.join(ROOT, 'src', 'dist', 'cli', 'main.js');
const FIXTURES = path.join(__dirname, 'fixtures');

const QUICK = (process.env.OPTILAB_QUICK ?? '1') === '1';
/**
 * Executed copies of the course notebooks, by mode: the site's notebook runner test compares the numbers its
 * browser run prints with test-artifacts/notebooks-quick (tests/browser/notebook-runner-chapter.test.ts).
 */
const EXECUTED_DIR = path.join(ROOT, 'test-artifacts', QUICK ? 'notebooks-quick' : 'notebooks-full');

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'notebooks', 'run', ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, OPTILAB_QUICK: QUICK ? '1' : '0' },
  });
}

const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

test('there are course notebooks', () => assert.ok(notebooks.includes('00-getting-started.ipynb')));

for (const nb of notebooks) {
  test(`notebook ${nb} executes on the tslab kernel`, () => {
    const r = run(path.join('notebooks', nb), '--out-dir', EXECUTED_DIR);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`PASS notebooks/${nb.replace('.', '\\.')}`));
  });
}

test('a failing cell is reported with its number, source and error', () => {
  const r = run(path.join(FIXTURES, 'fails-in-cell-2.ipynb'));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /FAIL .*fails-in-cell-2\.ipynb: code cell 2: SyntaxError: .*JSON/);
  assert.match(r.stdout, /\| const broken = JSON\.parse/);
  assert.match(r.stdout, /0 notebook\(s\) passed, 1 failed/);
});

test('a TypeScript type error fails the notebook', () => {
  const r = run(path.join(FIXTURES, 'type-error.ipynb'));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /FAIL .*type-error\.ipynb: code cell 1: .*not assignable to type 'number'/);
});

test('a file that is not a notebook is reported, and the others still run', () => {
  const r = run(path.join(FIXTURES, 'not-json.ipynb'), path.join(FIXTURES, 'fails-in-cell-2.ipynb'));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /FAIL .*not-json\.ipynb: before any cell ran: .*cannot read the notebook/);
  assert.match(r.stdout, /FAIL .*fails-in-cell-2\.ipynb: code cell 2/);
});
