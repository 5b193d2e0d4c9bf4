import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { requestedBackend } from '../../src/backend';
import { ROOT } from '../helpers';

function runWith(env: Record<string, string>) {
  const script = `require('${path.join(ROOT, 'src/backend').replace(/\\/g, '/')}').initBackend().then((b) => console.log('BACKEND=' + b), (e) => { console.error(e.message); process.exit(3); })`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', cwd: ROOT });
}

test('OPTILAB_BACKEND is validated', () => {
  assert.equal(requestedBackend({}), undefined);
  assert.equal(requestedBackend({ OPTILAB_BACKEND: 'cpu' }), 'cpu');
  assert.throws(() => requestedBackend({ OPTILAB_BACKEND: 'gpu' }), /OPTILAB_BACKEND=gpu is not a backend; use one of tensorflow, wasm, cpu/);
});

test('OPTILAB_BACKEND=cpu and =wasm force that backend', () => {
  assert.match(runWith({ OPTILAB_BACKEND: 'cpu' }).stdout, /BACKEND=cpu/);
  assert.match(runWith({ OPTILAB_BACKEND: 'wasm' }).stdout, /BACKEND=wasm/);
});

test('automatic choice prefers tensorflow, then wasm', () => {
  const out = runWith({ OPTILAB_BACKEND: '' }).stdout;
  let hasTfNode = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    hasTfNode = false;
  }
  assert.match(out, hasTfNode ? /BACKEND=tensorflow/ : /BACKEND=wasm/);
});

test('forcing an unavailable backend fails clearly', (t) => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    t.skip('tfjs-node is installed on this machine');
    return;
  } catch {
    /* expected here */
  }
  const r = runWith({ OPTILAB_BACKEND: 'tensorflow' });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /backend 'tensorflow' is unavailable: @tensorflow\/tfjs-node is not installed/);
});
