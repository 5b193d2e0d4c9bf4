// trainTinyGptCached: a preset trained once per corpus and build, loaded from disk afterwards (same weights,
// same recorded run), a different seed or a damaged entry trained again.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setupBackend, ROOT } from '../helpers';
import { loadKjv } from '../../src/data/kjv';
import { TINY_GPT_QUICK, type GptTrainingPreset } from '../../src/transformer';
import { trainTinyGptCached } from '../../src/transformer/cache';

const SLICE = path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt');
const TINY: GptTrainingPreset = { shape: { ...TINY_GPT_QUICK, contextLength: 32, dModel: 32, nLayers: 1 }, steps: 8, batchSize: 4, lr: 3e-3, evalEvery: 0 };

before(async () => {
  await setupBackend();
  process.env.OPTILAB_CACHE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-gpt-cache-'));
});

test('trains once, then loads the same weights and run; another seed trains again', async () => {
  const corpus = loadKjv({ path: SLICE });
  const first = await trainTinyGptCached(corpus, { preset: TINY });
  assert.equal(first.cached, false);
  assert.ok(fs.existsSync(path.join(first.dir, 'weights.bin')));
  const again = await trainTinyGptCached(corpus, { preset: TINY });
  assert.equal(again.cached, true);
  assert.equal(again.key, first.key);
  assert.deepEqual(again.result, first.result);
  const a = first.model.getWeights();
  const b = again.model.getWeights();
  for (const name of first.model.weightNames()) assert.deepEqual(b[name], a[name], name);
  assert.equal(again.model.evaluate(corpus.validation, { maxTokens: 2000 }).nll, first.model.evaluate(corpus.validation, { maxTokens: 2000 }).nll);
  const other = await trainTinyGptCached(corpus, { preset: TINY, seed: 2 });
  assert.equal(other.cached, false);
  assert.notEqual(other.key, first.key);
});

test('a damaged entry is trained again, not loaded', async () => {
  const corpus = loadKjv({ path: SLICE });
  const { dir } = await trainTinyGptCached(corpus, { preset: TINY, seed: 3 });
  fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(10));
  const r = await trainTinyGptCached(corpus, { preset: TINY, seed: 3 });
  assert.equal(r.cached, false);
  assert.equal((await trainTinyGptCached(corpus, { preset: TINY, seed: 3 })).cached, true);
});
