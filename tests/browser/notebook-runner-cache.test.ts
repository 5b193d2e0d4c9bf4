/**
 * Trained models in the browser are cached like in Node: a runner cell's `ol.trainCached(config)` trains once and
 * keeps the model in IndexedDB (tfjs's indexeddb:// handler) under the Node cache's key,
 * `<model>-<config hash>-<build hash>` (src/train/cache.ts computes the same hashes here in Node); after a reload
 * of the page (a fresh session, nothing in memory) the same cell loads it from the cache, with the same metrics and
 * weights, without training. Another configuration trains again; a damaged entry is trained again, not trusted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { serveSite, launch, artifact, type Served, recordErrors } from './site-harness';
import { ROOT } from '../helpers';
import { buildHash, cacheKey, configHash, type TrainBuild, type TrainConfig } from '../../src/train/cache';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;
let context: Any;
let page: Any;
const errors: string[] = [];
const PAGE = '/notebooks/01-numerics';
const CONFIG: TrainConfig = { model: 'mlp', epochs: 1, limit: 512, testLimit: 200, seed: 5 };

before(async () => {
  served = await serveSite();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  recordErrors(page, errors);
  await page.goto(served.base + PAGE, { waitUntil: 'networkidle' });
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

const firstCell = async (): Promise<number> => Number(await page.getAttribute('[data-cell]', 'data-cell'));

/** Replaces the first code cell's source, runs it and waits until it finished. */
async function run(source: string): Promise<{ state: string; text: string; trainBars: number }> {
  const i = await firstCell();
  const cell = page.locator(`[data-cell="${i}"]`);
  await cell.locator('textarea').fill(source);
  await cell.locator('[data-run-cell]').click();
  await page.waitForFunction((k: number) => ['ok', 'error', 'interrupted'].includes(document.querySelector(`[data-cell="${k}"]`)!.getAttribute('data-cell-state')!), i, { timeout: 300000 });
  return {
    state: await cell.getAttribute('data-cell-state'),
    text: (await cell.locator('.ol-nb-output').textContent()) ?? '',
    trainBars: await cell.locator('[data-train-progress]').count(),
  };
}

/** A cell that asks for `config`, prints where the model came from, and scores the model it got. */
const cellFor = (config: TrainConfig) => [
  "import * as ol from 'optilab';",
  `const { model, metrics, cached, dir } = await ol.trainCached(${JSON.stringify(config)});`,
  "const now = (await ol.evaluate(model, ol.loadMnist({ split: 'test', limit: 200 }))).accuracy;",
  "console.log(`${cached ? 'loaded from the cache' : 'trained'} hash ${metrics.hash} dir ${dir} backend ${metrics.backend} stored accuracy ${metrics.test.accuracy} accuracy now ${now}`);",
].join('\n');

interface Printed { from: string; hash: string; dir: string; backend: string; stored: number; now: number }
function parse(text: string): Printed {
  const m = /(loaded from the cache|trained) hash (\w+) dir (\S+) backend (\w+) stored accuracy ([\d.]+) accuracy now ([\d.]+)/.exec(text);
  assert.ok(m, `the cell printed: ${text}`);
  return { from: m[1], hash: m[2], dir: m[3], backend: m[4], stored: Number(m[5]), now: Number(m[6]) };
}

/** What the page's build is, as src/train/cache.ts currentBuild describes one (kernels = the tfjs backend's own). */
function browserBuild(backend: string): TrainBuild {
  const optilab = (JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'package.json'), 'utf8')) as { version: string }).version;
  return { backend, kernels: backend, native: null, optilab, tfjs: tf.version_core };
}

/** The model paths tfjs keeps in the page's IndexedDB (its 'tensorflowjs' database). */
const storedModels = () => page.evaluate(() => new Promise<string[]>((resolve, reject) => {
  const open = indexedDB.open('tensorflowjs');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('models_store')) { db.close(); resolve([]); return; }
    const keys = db.transaction('models_store', 'readonly').objectStore('models_store').getAllKeys();
    keys.onsuccess = () => { db.close(); resolve(keys.result.map(String)); };
    keys.onerror = () => reject(keys.error);
  };
}));

let first: Printed;

test('trainCached trains once and stores the model in IndexedDB under the Node cache key', async () => {
  const r = await run(cellFor(CONFIG));
  assert.equal(r.state, 'ok', r.text);
  first = parse(r.text);
  assert.equal(first.from, 'trained');
  assert.ok(r.trainBars === 1, 'training progress shown while it trained');
  // The same hashes as the Node cache, computed here in Node.
  assert.equal(first.hash, configHash(CONFIG), `browser hash ${first.hash} vs Node configHash`);
  const key = cacheKey(CONFIG, browserBuild(first.backend));
  assert.equal(key, `mlp-${configHash(CONFIG)}-${buildHash(browserBuild(first.backend))}`);
  assert.equal(first.dir, `indexeddb://optilab/models/${key}`);
  assert.equal(first.now, first.stored, 'the returned model is the one scored in metrics');
  assert.ok(first.stored > 0.3, `mlp after 8 steps on 512 digits: test accuracy ${first.stored} (chance is 0.1)`);
  assert.ok((await storedModels()).includes(`optilab/models/${key}`), `IndexedDB holds ${(await storedModels()).join(', ')}`);
});

test('after a reload the same cell loads the model from the cache: same hash, metrics and weights, no training', async () => {
  await page.reload({ waitUntil: 'networkidle' });
  const t0 = Date.now();
  const r = await run(cellFor(CONFIG));
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.state, 'ok', r.text);
  const again = parse(r.text);
  assert.equal(again.from, 'loaded from the cache');
  assert.equal(again.hash, configHash(CONFIG));
  assert.equal(again.dir, first.dir);
  assert.equal(again.stored, first.stored, 'metrics come from the cache entry');
  assert.equal(again.now, first.stored, 'the loaded weights score what the trained model scored');
  assert.equal(r.trainBars, 0, 'nothing trained');
  await page.locator('[data-cell]').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-runner-cache-hit.png') });
  fs.writeFileSync(artifact('site-runner-cache.json'), JSON.stringify({ key: first.dir, hash: first.hash, backend: first.backend, cachedRunSeconds: seconds }, null, 1) + '\n');
});

test('another configuration trains again; a damaged cache entry is trained again, not loaded', async () => {
  const other: TrainConfig = { ...CONFIG, seed: 6 };
  const r1 = await run(cellFor(other));
  assert.equal(r1.state, 'ok', r1.text);
  const p1 = parse(r1.text);
  assert.equal(p1.from, 'trained');
  assert.equal(p1.hash, configHash(other));
  assert.notEqual(p1.hash, first.hash);
  // Cut the weights of the first entry in half (as a failed write or a damaged profile could).
  const key = first.dir.replace('indexeddb://', '');
  await page.evaluate((k: string) => new Promise<void>((resolve, reject) => {
    const open = indexedDB.open('tensorflowjs');
    open.onsuccess = () => {
      const db = open.result;
      const store = db.transaction('models_store', 'readwrite').objectStore('models_store');
      const get = store.get(k);
      get.onsuccess = () => {
        const rec = get.result;
        rec.modelArtifacts.weightData = (rec.modelArtifacts.weightData as ArrayBuffer).slice(0, 1000);
        const put = store.put(rec);
        put.onsuccess = () => { db.close(); resolve(); };
        put.onerror = () => reject(put.error);
      };
    };
    open.onerror = () => reject(open.error);
  }), key);
  await page.reload({ waitUntil: 'networkidle' });
  const r2 = await run(cellFor(CONFIG));
  assert.equal(r2.state, 'ok', r2.text);
  const p2 = parse(r2.text);
  assert.equal(p2.from, 'trained', 'the damaged entry was not used');
  assert.equal(p2.stored, first.stored, 'the same configuration trains to the same model');
  assert.deepEqual(errors, []);
});
