// scripts/unit-tests.sh: the unit list and the suites of scripts/test.d share no test file, so each test runs once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';

/** The test files a suite script names (globs such as tests/hub/*.test.ts expanded by bash). */
function suiteFiles(script: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, 'scripts', 'test.d', script), 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
  const globs = text.match(/tests\/[\w./*-]*\.(test|suite)\.ts/g) ?? [];
  const r = spawnSync('bash', ['-c', `shopt -s nullglob; for g in ${globs.join(' ')}; do echo "$g"; done`], { cwd: ROOT, encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

test('no test file runs both as a unit test and in a suite of scripts/test.d', () => {
  const r = spawnSync('bash', ['scripts/unit-tests.sh'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const unit = new Set(r.stdout.split('\n').filter(Boolean));
  assert.ok(unit.has('tests/models/describe.test.ts'), 'the unit list holds the library tests');
  const scripts = fs.readdirSync(path.join(ROOT, 'scripts', 'test.d')).filter((f) => f.endsWith('.sh'));
  const inSuites = scripts.flatMap((s) => suiteFiles(s).map((f) => ({ f, s })));
  assert.ok(inSuites.some(({ f }) => f === 'tests/exercises/exercises.test.ts'), 'the site suite runs the exercise tests');
  assert.deepEqual(inSuites.filter(({ f }) => unit.has(f)), []);
});

test('scripts/test.sh takes its unit list from scripts/unit-tests.sh', () => {
  assert.match(fs.readFileSync(path.join(ROOT, 'scripts', 'test.sh'), 'utf8'), /bash scripts\/unit-tests\.sh/);
});
