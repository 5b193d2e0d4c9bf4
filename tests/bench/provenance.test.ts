import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { collectProvenance, gitState, optilabEnv, provenanceLine } from '../../bench/provenance';
import { initBackend, kernelsInUse } from '../../src/backend';

/** A throw-away git repository with one commit. */
function tempRepo(): { dir: string; head: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-prov-'));
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  git('init', '-q');
  fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
  git('add', 'a.txt');
  git('commit', '-q', '-m', 'first');
  return { dir, head: git('rev-parse', 'HEAD') };
}

test('gitState: the commit, clean after commit, dirty after a change or a new file', () => {
  const { dir, head } = tempRepo();
  try {
    assert.match(head, /^[0-9a-f]{40}$/);
    assert.deepEqual(gitState(dir), { head, dirty: false, changed: [] });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'two\n');
    const modified = gitState(dir);
    assert.equal(modified.head, head);
    assert.equal(modified.dirty, true);
    assert.deepEqual(modified.changed, [' M a.txt']);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
    fs.writeFileSync(path.join(dir, 'new.ts'), 'x\n');
    assert.deepEqual(gitState(dir).changed, ['?? new.ts']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gitState outside a checkout says unknown rather than clean', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-nogit-'));
  try {
    assert.deepEqual(gitState(dir), { head: null, dirty: null, changed: [] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('optilabEnv keeps every OPTILAB_* variable and nothing else', () => {
  assert.deepEqual(optilabEnv({ OPTILAB_QUICK: '1', OPTILAB_BACKEND: 'wasm', HOME: '/root', XOPTILAB_A: 'no', OPTILAB: 'no' }), { OPTILAB_BACKEND: 'wasm', OPTILAB_QUICK: '1' });
});

test('collectProvenance: command, git, env, load before/after, node, cpu, backend and kernels', async () => {
  const { dir, head } = tempRepo();
  try {
    fs.writeFileSync(path.join(dir, 'b.txt'), 'uncommitted\n');
    const before = kernelsInUse();
    assert.equal(collectProvenance({ repo: dir }).backend.name, before.backend);
    const backend = await initBackend();
    const p = collectProvenance({ repo: dir, loadBefore: [9.5, 1, 1], argv: ['node', 'bench/run.ts', 'training'], env: { OPTILAB_NATIVE: '0', PATH: '/bin' } });
    assert.deepEqual(p.command, ['node', 'bench/run.ts', 'training']);
    assert.deepEqual(p.git, { head, dirty: true, changed: ['?? b.txt'] });
    assert.deepEqual(p.env, { OPTILAB_NATIVE: '0' });
    assert.deepEqual(p.loadAvg.before, [9.5, 1, 1]);
    assert.equal(p.loadAvg.after.length, 3);
    assert.equal(p.node, process.version);
    assert.equal(p.cpu.count, os.cpus().length);
    assert.equal(p.backend.name, backend);
    assert.equal(p.backend.kernels, kernelsInUse().kernels);
    assert.equal(p.backend.native.loaded, kernelsInUse().native.loaded);
    if (p.backend.kernels === 'native') assert.equal(p.backend.native.loaded, true);
    const line = provenanceLine(p);
    assert.ok(line.startsWith(`commit ${head.slice(0, 12)} · dirty: 1 changed path · ${p.date.slice(0, 19)}`), line);
    assert.match(line, / · load 9\.50 -> \d+\.\d\d \(\d+ cpus\) · /);
    assert.ok(line.endsWith(`${backend}/${p.backend.kernels}`), line);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
