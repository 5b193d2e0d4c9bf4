/**
 * `optilab lab` without JupyterLab: the Python that runs the lab's server is checked before anything starts
 * (a clear message naming the fix, exit 1, no stack trace), and a server that cannot be spawned is reported the
 * same way instead of crashing on the child's unhandled 'error' event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAB_PYTHON, missingPython, startLab } from '../../../src/cli/commands/lab';
import { labPaths } from '../../../src/lab/checkout';

/** Runs `fn` with console.error captured; resolves with its result and the captured text. */
async function capturingErrors<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    return { result: await fn(), stderr: lines.join('\n') };
  } finally {
    console.error = original;
  }
}

function assertNoStack(text: string) {
  assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `stack trace printed:\n${text}`);
}

test('the lab server runs on /usr/bin/python3 (Debian jupyter_server)', () => {
  assert.equal(LAB_PYTHON, '/usr/bin/python3');
});

test('missingPython: null for an executable file; a message naming the fix for a missing, non-file or non-executable path', () => {
  assert.equal(missingPython(process.execPath), null);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-python-'));
  try {
    const missing = missingPython(path.join(dir, 'python3'));
    assert.ok(missing);
    assert.match(missing, new RegExp(`^optilab lab needs ${path.join(dir, 'python3').replace(/[.+/]/g, '\\$&')} \\(JupyterLab server\\), which is missing`));
    assert.match(missing, /install it with: apt-get install python3\b.*, or run bash scripts\/setup\.sh$/);
    assert.match(missingPython(dir) ?? '', /which is not a file/);
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, '', { mode: 0o644 });
    assert.match(missingPython(plain) ?? '', /which is not executable/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('optilab lab with no python: the clear message and exit 1, before anything else is checked or started', async () => {
  const python = path.join(os.tmpdir(), `optilab-no-python-${process.pid}`, 'python3');
  const { result, stderr } = await capturingErrors(() => startLab(['--no-browser'], python));
  assert.equal(result, 1);
  assert.match(stderr, new RegExp(`optilab lab needs ${python.replace(/[.+/]/g, '\\$&')} \\(JupyterLab server\\)`));
  assert.match(stderr, /apt-get install python3/);
  assert.match(stderr, /bash scripts\/setup\.sh/);
  assertNoStack(stderr);
});

const built = (() => {
  const p = labPaths();
  return [p.bundle, p.kernel, ...p.extensions.map((e) => path.join(e.dir, 'package.json'))].every((f) => fs.existsSync(f));
})();

test('a server that cannot be spawned: a clear message and exit 1, not an unhandled error event', { skip: !built && 'the lab is not built (bash scripts/setup.sh)' }, async () => {
  // An executable file whose interpreter does not exist: it passes missingPython, and spawn then fails (ENOENT).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-bad-python-'));
  const python = path.join(dir, 'python3');
  fs.writeFileSync(python, '#!/nonexistent/interpreter\n', { mode: 0o755 });
  const state = process.env.OPTILAB_LAB_STATE;
  process.env.OPTILAB_LAB_STATE = path.join(dir, 'state');
  try {
    assert.equal(missingPython(python), null);
    const { result, stderr } = await capturingErrors(() => startLab(['--no-browser'], python));
    assert.equal(result, 1);
    assert.match(stderr, new RegExp(`could not start the JupyterLab server with ${python.replace(/[.+/]/g, '\\$&')}: spawn .*ENOENT`));
    assert.match(stderr, /apt-get install python3/);
    assertNoStack(stderr);
  } finally {
    if (state === undefined) delete process.env.OPTILAB_LAB_STATE;
    else process.env.OPTILAB_LAB_STATE = state;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
