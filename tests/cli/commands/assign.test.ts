// `optilab assign validate|release`: a missing, extra or folder path is a usage error (exit 2, the usage text,
// no stack trace), never EISDIR from reading the current folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../../helpers';

const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

function optilab(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, CI: 'true' } });
}

test('assign validate / release without a source notebook: usage error, exit 2, no EISDIR or stack trace', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-assign-'));
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-assign-src-'));
  const cases: [string[], RegExp][] = [
    [['assign', 'validate'], /optilab assign: validate needs the source notebook: optilab assign validate <source\.ipynb>/],
    [['assign', 'validate', '--cell-timeout', '5'], /validate needs the source notebook/],
    [['assign', 'release', '--out', out], /optilab assign: release needs the source notebook: optilab assign release <source\.ipynb> --out <dir>/],
    [['assign', 'validate', 'a.ipynb', 'b.ipynb'], /validate takes one source notebook, got 2 \(a\.ipynb, b\.ipynb\)/],
    [['assign', 'release', 'a.ipynb', 'b.ipynb', '--out', out], /release takes one source notebook, got 2/],
    [['assign', 'validate', folder], new RegExp(`${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a folder, not a notebook: pass the source \\.ipynb file`)],
    [['assign', 'release', folder, '--out', out], /is a folder, not a notebook/],
  ];
  for (const [args, message] of cases) {
    const r = optilab(...args);
    const label = args.join(' ');
    assert.equal(r.status, 2, `${label}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, label);
    assert.match(r.stderr, /usage: optilab assign validate <source\.ipynb>/, `${label}: the usage text follows`);
    assert.doesNotMatch(r.stdout + r.stderr, /EISDIR/, label);
    assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${label}: stack trace printed`);
  }
  assert.deepEqual(fs.readdirSync(out), [], 'nothing released');
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(folder, { recursive: true, force: true });
});
