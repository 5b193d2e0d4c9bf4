import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { openProcessFilter, processCreationFilter, processFilterSupported } from '../../../src/grader/kernel/seccomp';
import { sandboxAvailable } from '../../../src/grader/kernel/sandbox';

test('the filter is whole BPF instructions and refuses unknown architectures by name', () => {
  for (const arch of ['x64', 'arm64']) {
    const bpf = processCreationFilter(arch);
    assert.equal(bpf.length % 8, 0);
    // first instruction loads the architecture word, the last three return allow / EPERM / ENOSYS
    assert.equal(bpf.readUInt16LE(0), 0x20);
    assert.equal(bpf.readUInt32LE(4), 4);
    assert.deepEqual([bpf.readUInt32LE(bpf.length - 20), bpf.readUInt32LE(bpf.length - 12), bpf.readUInt32LE(bpf.length - 4)], [0x7fff0000, 0x50001, 0x50026]);
  }
  assert.throws(() => processCreationFilter('mips'), /no process filter for architecture mips/);
  assert.equal(processFilterSupported('mips'), false);
});

// The wall itself, in the sandbox the kernels run in: no process can be created (Node's spawn, a shell's
// fork), threads still work.
const probe = `
const cp = require('child_process');
const r = cp.spawnSync('/bin/true');
console.log('spawn:' + (r.error ? r.error.code : r.status));
try { cp.execFileSync('/bin/sh', ['-c', 'echo RAN']); console.log('exec:ran'); } catch (e) { console.log('exec:' + (e.code || 'failed')); }
const { Worker } = require('worker_threads');
new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true }).on('message', (m) => { console.log('worker:' + m); process.exit(0); });
`;

test('inside bubblewrap with the filter, spawning fails with EPERM and worker threads run', { skip: !sandboxAvailable() || !processFilterSupported() ? 'no bubblewrap sandbox or no filter for this architecture' : false }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-'));
  // each run reads a descriptor to its end (as one kernel launch does): a fresh one per run
  const fds: number[] = [];
  try {
    const bwrap = ['--ro-bind', '/', '/', '--dev', '/dev', '--unshare-all', '--die-with-parent', '--cap-drop', 'ALL'];
    const run = (filter: boolean, argv: string[]) => {
      const fd = filter ? openProcessFilter(dir)! : null;
      if (fd !== null) fds.push(fd);
      return spawnSync('bwrap', [...bwrap, ...(fd !== null ? ['--seccomp', '3'] : []), ...argv], { stdio: ['ignore', 'pipe', 'pipe', fd ?? 'ignore'], encoding: 'utf8', timeout: 30_000 });
    };
    const node = run(true, [process.execPath, '-e', probe]);
    assert.match(node.stdout, /spawn:EPERM/, node.stderr);
    assert.match(node.stdout, /exec:EPERM/, node.stderr);
    assert.match(node.stdout, /worker:42/, node.stderr);
    const sh = run(true, ['/bin/sh', '-c', '/bin/true && echo FORKED']);
    assert.doesNotMatch(sh.stdout, /FORKED/);
    assert.match(sh.stderr, /Cannot fork/);
    // the same commands without the filter do fork: the test can fail
    assert.match(run(false, ['/bin/sh', '-c', '/bin/true && echo FORKED']).stdout, /FORKED/);
  } finally {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
