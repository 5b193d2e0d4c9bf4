// Per-kernel cgroups (src/grader/kernel/sandbox.ts createCgroups): the limits written for cgroup v2 and v1, and what
// is reported when neither can be used. The hierarchies here are folders that imitate /sys/fs/cgroup; the
// real one of this machine is used by tests/grader/limits.suite.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { createCgroups, nprocFallback } from '../../../src/grader/kernel/sandbox';

function fakeRoot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'og-cg-'));
  for (const [f, v] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), v);
  }
  return root;
}

test('cgroup v2: pids.max, memory.max (1.25 x the memory limit) and no swap, under a parent with both controllers', () => {
  const root = fakeRoot({ 'cgroup.controllers': 'cpu memory pids', 'cgroup.subtree_control': '' });
  fs.mkdirSync(path.join(root, 'optilab-grader', 'k1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'optilab-grader', 'k1', 'memory.swap.max'), 'max');
  const cg = createCgroups('k1', { maxProcesses: 32, memoryMiB: 256 }, root);
  const dir = path.join(root, 'optilab-grader', 'k1');
  assert.equal(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8'), '32');
  assert.equal(fs.readFileSync(path.join(dir, 'memory.max'), 'utf8'), String(320 * 2 ** 20));
  assert.equal(fs.readFileSync(path.join(dir, 'memory.swap.max'), 'utf8'), '0');
  assert.match(fs.readFileSync(path.join(root, 'optilab-grader', 'cgroup.subtree_control'), 'utf8'), /\+pids \+memory/);
  assert.deepEqual(cg.procs, [path.join(dir, 'cgroup.procs')]);
  assert.deepEqual(cg.inForce, ['processes <= 32 (cgroup v2 pids.max)', 'memory <= 320 MiB for the whole sandbox, no swap (cgroup v2 memory.max)']);
  assert.deepEqual(cg.missing, []);
  fs.rmSync(root, { recursive: true, force: true });
});

test('cgroup v2 without delegable controllers: nothing joined, the gap reported', () => {
  const root = fakeRoot({ 'cgroup.controllers': 'cpu', 'cgroup.subtree_control': '' });
  // the parent's subtree_control cannot be written (a folder stands in its place)
  fs.mkdirSync(path.join(root, 'optilab-grader', 'cgroup.subtree_control'), { recursive: true });
  const cg = createCgroups('k2', {}, root);
  assert.deepEqual(cg.procs, []);
  assert.deepEqual(cg.inForce, []);
  assert.match(cg.missing.join(), /cgroup v2 controllers pids and memory cannot be delegated/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('cgroup v1: pids.max and memory.limit_in_bytes; no hierarchy at all is reported', () => {
  const root = fakeRoot({ 'pids/cgroup.procs': '', 'memory/cgroup.procs': '' });
  const cg = createCgroups('k3', { maxProcesses: 16, memoryMiB: 512 }, root);
  assert.equal(fs.readFileSync(path.join(root, 'pids', 'optilab-grader', 'k3', 'pids.max'), 'utf8'), '16');
  assert.equal(fs.readFileSync(path.join(root, 'memory', 'optilab-grader', 'k3', 'memory.limit_in_bytes'), 'utf8'), String(640 * 2 ** 20));
  assert.equal(cg.inForce.length, 2);
  fs.rmSync(root, { recursive: true, force: true });
  const none = createCgroups('k4', {}, fakeRoot({}));
  assert.deepEqual(none.inForce, []);
  assert.match(none.missing.join(), /no cgroup hierarchy/);
});

test('nprocFallback: no pids cgroup and not root -> the allowance plus the tasks the user already runs', async () => {
  const nobody = 65534;
  const sleeper = spawn('sleep', ['30'], { uid: nobody, gid: nobody, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    // independent count of the user's tasks (threads): ps lists one line per thread with -L
    const tasks = spawnSync('ps', ['-L', '-u', String(nobody), '--no-headers'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    assert.ok(tasks >= 1, 'the sleeper runs as nobody');
    assert.equal(nprocFallback({ maxProcesses: 64 }, { inForce: [] }, nobody), tasks + 64);
    assert.equal(nprocFallback({}, { inForce: [] }, nobody), tasks + 128, 'the default allowance is 128 processes');
  } finally {
    sleeper.kill();
  }
});

test('nprocFallback: none for root, and none where a pids cgroup is in force', () => {
  assert.equal(nprocFallback({ maxProcesses: 64 }, { inForce: [] }, 0), null);
  assert.equal(nprocFallback({ maxProcesses: 64 }, { inForce: ['processes <= 64 (cgroup v2 pids.max)'] }, 1000), null);
});
