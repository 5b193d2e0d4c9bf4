import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildHash, cacheKey, configHash, currentBuild, normalizeConfig, trainCached, TrainBuild } from '../../src/train/cache';
import { kernelsInUse } from '../../src/backend';
import * as tfcore from '@tensorflow/tfjs-core';
import { loadModel, saveModel } from '../../src/models/files';
import { lenet5 } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { predictLogits } from '../../src/train/train';
import { MNIST_SLICE, setupBackend } from '../helpers';

test.before(setupBackend);

test('config hash: defaults filled in, key order irrelevant, any change matters', () => {
  assert.equal(configHash({ model: 'lenet5', epochs: 3 }), configHash({ epochs: 3, model: 'lenet5', batchSize: 64, seed: 0, dataset: 'mnist' }));
  assert.notEqual(configHash({ model: 'lenet5', epochs: 3 }), configHash({ model: 'lenet5', epochs: 3, seed: 1 }));
  assert.notEqual(configHash({ model: 'lenet5', epochs: 3 }), configHash({ model: 'lenet5', epochs: 3, limit: 100 }));
  assert.equal(normalizeConfig({ model: 'mlp', epochs: 1 }).learningRate, 2e-3);
});

test('the cache key covers backend, native kernels on/off, their library, optilab and tfjs versions', async () => {
  const build = await currentBuild();
  const { backend, kernels, native } = kernelsInUse();
  assert.equal(build.backend, backend);
  assert.equal(build.kernels, kernels);
  assert.equal(build.native, kernels === 'native' ? native.version : null);
  assert.equal(build.optilab, JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'package.json'), 'utf8')).version);
  assert.equal(build.tfjs, tfcore.version_core);
  const config = { model: 'lenet5' as const, epochs: 3 };
  const key = cacheKey(config, build);
  assert.ok(key.startsWith(`lenet5-${configHash(config)}-`), key);
  const base: TrainBuild = { backend: 'wasm', kernels: 'native', native: 'oneDNN 2.6.3', optilab: '0.1.0', tfjs: '4.22.0' };
  const variants: TrainBuild[] = [
    { ...base, backend: 'cpu', kernels: 'cpu', native: null },
    { ...base, kernels: 'wasm', native: null }, // OPTILAB_NATIVE=0
    { ...base, native: 'oneDNN 3.0' },
    { ...base, optilab: '0.2.0' },
    { ...base, tfjs: '4.23.0' },
  ];
  const keys = new Set([base, ...variants].map((b) => cacheKey(config, b)));
  assert.equal(keys.size, variants.length + 1, 'every change of build gives another cache folder');
  assert.equal(buildHash({ tfjs: '4.22.0', optilab: '0.1.0', native: 'oneDNN 2.6.3', kernels: 'native', backend: 'wasm' }), buildHash(base), 'key order irrelevant');
});

test('trainCached trains once, then loads the identical model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-cache-'));
  process.env.OPTILAB_CACHE_DIR = dir;
  try {
    const config = { model: 'mlp' as const, epochs: 1, limit: 300, testLimit: 100, seed: 4 };
    const first = await trainCached(config);
    assert.equal(first.cached, false);
    assert.ok(fs.existsSync(path.join(first.dir, 'metrics.json')));
    const build = await currentBuild();
    assert.equal(path.basename(first.dir), cacheKey(config, build));
    assert.deepEqual(first.metrics.build, build);
    assert.equal(first.metrics.hash, configHash(config));
    const second = await trainCached(config);
    assert.equal(second.cached, true);
    assert.equal(second.dir, first.dir);
    assert.equal(second.metrics.test.accuracy, first.metrics.test.accuracy);
    const data = loadMnist({ split: 'test', dir: MNIST_SLICE });
    assert.deepEqual(await predictLogits(second.model, data), await predictLogits(first.model, data));
    // A damaged entry is retrained instead of failing.
    fs.writeFileSync(path.join(first.dir, 'weights.bin'), 'garbage');
    const third = await trainCached(config);
    assert.equal(third.cached, false);
  } finally {
    delete process.env.OPTILAB_CACHE_DIR;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('saveModel/loadModel round trip keeps predictions; bad folders give clear errors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-model-'));
  const model = lenet5({ seed: 9 });
  await saveModel(model, path.join(dir, 'm'), { note: 'x' });
  const loaded = await loadModel(path.join(dir, 'm'));
  const data = loadMnist({ split: 'test', dir: MNIST_SLICE, limit: 20 });
  assert.deepEqual(await predictLogits(loaded, data), await predictLogits(model, data));
  await assert.rejects(loadModel(path.join(dir, 'none')), /model\.json does not exist: pass a folder written by `optilab train --out <dir>`/);
  fs.writeFileSync(path.join(dir, 'm', 'weights.bin'), Buffer.alloc(10));
  await assert.rejects(loadModel(path.join(dir, 'm')), /weights\.bin is 10 bytes but model\.json describes 246824/);
  fs.writeFileSync(path.join(dir, 'm', 'model.json'), '{not json');
  await assert.rejects(loadModel(path.join(dir, 'm')), /model\.json is not valid JSON/);
  fs.rmSync(dir, { recursive: true, force: true });
});
