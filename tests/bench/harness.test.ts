import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatTable, writeReport } from '../../bench/harness';
import { collectProvenance } from '../../bench/provenance';

const report = { rows: [{ model: 'lenet5', imgPerSec: 1234.5 }], notes: ['a note'] };

function dirtyRepo(): { dir: string; head: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-harness-'));
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' }).stdout.trim();
  fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
  git('init', '-q');
  git('add', 'a.txt');
  git('commit', '-q', '-m', 'first');
  fs.writeFileSync(path.join(dir, 'a.txt'), 'changed\n');
  return { dir, head: git('rev-parse', 'HEAD') };
}

test('writeReport records the provenance in the JSON', () => {
  const { dir, head } = dirtyRepo();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-results-'));
  try {
    const provenance = collectProvenance({ repo: dir, loadBefore: [1, 2, 3], argv: ['node', 'bench/run.ts', 'x'], env: { OPTILAB_QUICK: '1' } });
    const file = writeReport('x', report, 12.5, provenance, out);
    assert.equal(file, path.join(out, 'x.json'));
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(json.name, 'x');
    assert.deepEqual(json.rows, report.rows);
    assert.equal(json.provenance.git.head, head);
    assert.equal(json.provenance.git.dirty, true);
    assert.deepEqual(json.provenance.git.changed, [' M a.txt']);
    assert.deepEqual(json.provenance.command, ['node', 'bench/run.ts', 'x']);
    assert.deepEqual(json.provenance.env, { OPTILAB_QUICK: '1' });
    assert.deepEqual(json.provenance.loadAvg.before, [1, 2, 3]);
    assert.ok(typeof json.provenance.backend.kernels === 'string');
    assert.ok(!fs.existsSync(`${file}.tmp`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('formatTable starts with the provenance line (commit, dirty, date, load), then the table and notes', () => {
  const { dir, head } = dirtyRepo();
  try {
    const provenance = collectProvenance({ repo: dir, loadBefore: [0.5, 0, 0] });
    const lines = formatTable(report, provenance).split('\n');
    assert.match(lines[0], new RegExp(`^commit ${head.slice(0, 12)} · dirty: 1 changed path · \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ · load 0\\.50 -> `));
    assert.deepEqual(lines.slice(1), ['model   imgPerSec', '------  ---------', 'lenet5       1235', 'note: a note']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('formatTable in this checkout names its HEAD', () => {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8' }).stdout.trim();
  assert.ok(formatTable(report).startsWith(`commit ${head.slice(0, 12)} · `));
});
