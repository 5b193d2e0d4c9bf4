/**
 * `optilab lab` without a browser: installing the prebuilt extension into a prefix, usage errors, and the
 * server arguments (127.0.0.1 only, the tslab kernel only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';
import { serverArgs } from '../../src/cli/commands/lab';

function optilab(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('install-extension copies the prebuilt extension into <prefix>/share/jupyter/labextensions', () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-prefix-'));
  try {
    const r = optilab('lab', 'install-extension', '--prefix', prefix);
    assert.equal(r.status, 0, r.stderr);
    const dir = path.join(prefix, 'share', 'jupyter', 'labextensions', '@optilab', 'jupyterlab-viz');
    assert.match(r.stdout, /installed @optilab\/jupyterlab-viz into/);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    // What JupyterLab 4 reads to load a prebuilt extension.
    assert.equal(pkg.jupyterlab._build.mimeExtension, './mimeExtension');
    assert.ok(fs.existsSync(path.join(dir, pkg.jupyterlab._build.load)), `${pkg.jupyterlab._build.load} exists`);
    // Installing again replaces the copy.
    assert.equal(optilab('lab', 'install-extension', '--prefix', prefix).status, 0);
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

test('usage mistakes exit 2 with a message', () => {
  const noPrefix = optilab('lab', 'install-extension');
  assert.equal(noPrefix.status, 2);
  assert.match(noPrefix.stderr, /install-extension needs --prefix <dir>/);
  const badPort = optilab('lab', '--port', '0');
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /--port must be a positive whole number/);
  const badDir = optilab('lab', '--notebook-dir', path.join(ROOT, 'no-such-folder'));
  assert.equal(badDir.status, 2);
  assert.match(badDir.stderr, /is not a folder/);
});

test('the server listens on 127.0.0.1 with a token and offers only the tslab kernel', () => {
  const args = serverArgs({ port: 9999, token: 'abc', notebookDir: '/x', openBrowser: false });
  assert.ok(args.includes('--ServerApp.ip=127.0.0.1'));
  assert.ok(args.includes('--ServerApp.port=9999'));
  assert.ok(args.includes('--ServerApp.token=abc'));
  assert.ok(args.includes('--ServerApp.open_browser=False'));
  assert.ok(args.includes('--KernelSpecManager.allowed_kernelspecs=tslab'));
});

test('the extension source type-checks against the JupyterLab 4 packages and src/viz', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'labextension', 'optilab-viz', 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
