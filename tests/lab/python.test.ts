// src/lab/python.ts: one check of the system Python for the lab, the notebook runner and the hub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pythonProblem, SYSTEM_PYTHON } from '../../src/lab/python';

test('pythonProblem: null for an executable file; for a missing, non-file or non-executable path, who needs it and what to install', () => {
  assert.equal(SYSTEM_PYTHON, '/usr/bin/python3');
  assert.equal(pythonProblem(process.execPath, 'x', 'y', []), null);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-py-'));
  try {
    const missing = pythonProblem(path.join(dir, 'python3'), 'optilab hub', 'JupyterHub', ['jupyterhub']);
    assert.equal(missing, `optilab hub needs ${path.join(dir, 'python3')} (JupyterHub), which is missing: install it with: apt-get install python3 jupyterhub (as root), or run bash scripts/setup.sh`);
    assert.match(pythonProblem(dir, 'a', 'b', []) ?? '', /which is not a file/);
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, '');
    fs.chmodSync(plain, 0o644);
    // root may execute nothing without an x bit either: access(X_OK) fails for root on a file with no x bit at all
    assert.match(pythonProblem(plain, 'a', 'b', []) ?? '', /which is not executable/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
