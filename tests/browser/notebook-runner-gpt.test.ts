/**
 * The transformer chapter's calls in a notebook page (Debian chromium), against the same calls in Node:
 * `ol.loadKjv()` gives the lab's corpus (Debian bible-kjv-text's data file served by the site, decoded and split
 * by the library's kjvFromBytes: same train and validation lengths and token checksums, the toolbar showing the
 * KJV download), `ol.trainTinyGptCached` trains a tiny preset in the worker with progress, keeps it in IndexedDB
 * under the Node cache's key (same config hash, the page's build hash) and after a reload loads it
 * (`cached: true`, same weights), and `exportTinyGptOnnx` + `createGptSession` + `onnxPerplexity` under
 * onnxruntime-web match `model.evaluate` within 1e-3 (fp32, and the int8 export against the fake-quantized model).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import * as tf from '@tensorflow/tfjs-core';
import { serveSite, launch, artifact, type Served, recordErrors } from './site-harness';
import { ROOT } from '../helpers';
import { loadKjv, KJV_DATA_FILE } from '../../src/data/kjv';
import { gptCacheConfigText, gptTokenChecksum } from '../../src/transformer/cache-format';
import { buildHash, type TrainBuild } from '../../src/train/cache';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;
let page: Any;
const errors: string[] = [];
const PAGE = '/notebooks/01-numerics';
const PRESET = { shape: { contextLength: 16, dModel: 16, nLayers: 1, nHeads: 2, mlpRatio: 2, activation: 'relu' as const }, steps: 4, batchSize: 4, lr: 3e-3, evalEvery: 0 };
const SEED = 3;

before(async () => {
  assert.ok(fs.existsSync(KJV_DATA_FILE), `${KJV_DATA_FILE} is missing: apt-get install bible-kjv-text, then rebuild the site`);
  served = await serveSite();
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  recordErrors(page, errors);
  await page.goto(served.base + PAGE, { waitUntil: 'networkidle' });
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

const codeCells = async (): Promise<number[]> => page.$$eval('[data-cell]', (els: Element[]) => els.map((e) => Number((e as HTMLElement).dataset.cell)));
const cell = (i: number) => page.locator(`[data-cell="${i}"]`);

/** Replaces a cell's source, runs it, waits until it finished; returns its state, output text and train bars. */
async function runSource(i: number, source: string, timeout = 300000): Promise<{ state: string; text: string; trainBars: number }> {
  await cell(i).locator('textarea').fill(source);
  await cell(i).locator('[data-run-cell]').click();
  await page.waitForFunction((k: number) => ['ok', 'error', 'interrupted'].includes(document.querySelector(`[data-cell="${k}"]`)!.getAttribute('data-cell-state')!), i, { timeout });
  return { state: await cell(i).getAttribute('data-cell-state'), text: (await cell(i).locator('.ol-nb-output').textContent()) ?? '', trainBars: await cell(i).locator('[data-train-progress]').count() };
}

const KJV_CELL = [
  "import * as ol from 'optilab';",
  'const t0 = performance.now();',
  'const kjv = ol.loadKjv();',
  'const ms = performance.now() - t0;',
  "console.log(`backend ${await ol.initBackend()} kjv train ${kjv.train.length} validation ${kjv.validation.length} sums ${ol.gptTokenChecksum(kjv.train)} ${ol.gptTokenChecksum(kjv.validation)} verses ${kjv.verses} chapters ${kjv.chapters} books ${kjv.books} vocab ${kjv.vocabulary.size} ms ${ms.toFixed(0)}`);",
].join('\n');

const TRAIN_CELL = [
  `const preset = ${JSON.stringify(PRESET)};`,
  'let reports = 0;',
  `const gpt = await ol.trainTinyGptCached(kjv, { preset, seed: ${SEED}, onProgress: () => reports++ });`,
  'const nllNow = gpt.model.evaluate(kjv.validation, { maxTokens: 1000 }).nll;',
  "console.log(`gpt ${gpt.cached ? 'cached' : 'trained'} key ${gpt.key} dir ${gpt.dir} reports ${reports} steps ${gpt.result.steps} bpc ${gpt.result.validationBpc} nll ${nllNow}`);",
].join('\n');

const ONNX_CELL = [
  'const m = gpt.model;',
  'const ev = m.evaluate(kjv.validation, { maxTokens: 2000 });',
  'const session = await ol.createGptSession(ol.exportTinyGptOnnx(m));',
  'const ox = await ol.onnxPerplexity(session, kjv.validation, m.config.contextLength, { maxTokens: 2000 });',
  'const fp32 = m.getWeights();',
  'm.setWeights(ol.gptInt8Weights(m));',
  'const ev8 = m.evaluate(kjv.validation, { maxTokens: 2000 });',
  'm.setWeights(fp32);',
  "const s8 = await ol.createGptSession(ol.exportTinyGptOnnx(m, { weights: 'int8' }));",
  'const ox8 = await ol.onnxPerplexity(s8, kjv.validation, m.config.contextLength, { maxTokens: 2000 });',
  'console.log(`ppl tfjs ${ev.perplexity} onnx ${ox.perplexity} int8 tfjs ${ev8.perplexity} onnx ${ox8.perplexity} predicted ${ev.predicted} ${ox.predicted}`);',
].join('\n');

interface Kjv { backend: string; train: number; validation: number; sums: [string, string]; verses: number; chapters: number; books: number; vocab: number; ms: number }
function parseKjv(text: string): Kjv {
  const m = /backend (\w+) kjv train (\d+) validation (\d+) sums (\w+) (\w+) verses (\d+) chapters (\d+) books (\d+) vocab (\d+) ms (\d+)/.exec(text);
  assert.ok(m, `the cell printed: ${text}`);
  return { backend: m[1], train: +m[2], validation: +m[3], sums: [m[4], m[5]], verses: +m[6], chapters: +m[7], books: +m[8], vocab: +m[9], ms: +m[10] };
}
interface Gpt { from: string; key: string; dir: string; reports: number; steps: number; bpc: number; nll: number }
function parseGpt(text: string): Gpt {
  const m = /gpt (cached|trained) key (\S+) dir (\S+) reports (\d+) steps (\d+) bpc (\S+) nll (\S+)/.exec(text);
  assert.ok(m, `the cell printed: ${text}`);
  return { from: m[1], key: m[2], dir: m[3], reports: +m[4], steps: +m[5], bpc: Number(m[6]), nll: Number(m[7]) };
}

const node = loadKjv();

/** The page's build as src/train/cache.ts currentBuild describes one (kernels = the tfjs backend's own). */
function browserBuild(backend: string): TrainBuild {
  const optilab = (JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'package.json'), 'utf8')) as { version: string }).version;
  return { backend, kernels: backend, native: null, optilab, tfjs: tf.version_core };
}
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

let kjv: Kjv;
let first: Gpt;

test('loadKjv in the page gives the lab corpus: same lengths, token checksums and counts as Node', async () => {
  const [a] = await codeCells();
  const r = await runSource(a, KJV_CELL);
  assert.equal(r.state, 'ok', r.text);
  kjv = parseKjv(r.text);
  assert.equal(kjv.train, node.train.length);
  assert.equal(kjv.validation, node.validation.length);
  assert.deepEqual(kjv.sums, [gptTokenChecksum(node.train), gptTokenChecksum(node.validation)]);
  assert.deepEqual([kjv.verses, kjv.chapters, kjv.books, kjv.vocab], [node.verses, node.chapters, node.books, node.vocabulary.size]);
  assert.equal(await page.getAttribute('[data-dataset]', 'data-dataset'), 'kjv', 'the toolbar shows the KJV download');
  assert.deepEqual(errors, []);
});

test('trainTinyGptCached trains in the worker with progress and stores the model under the Node cache key', async () => {
  const [, b] = await codeCells();
  const r = await runSource(b, TRAIN_CELL);
  assert.equal(r.state, 'ok', r.text);
  first = parseGpt(r.text);
  assert.equal(first.from, 'trained');
  assert.equal(first.steps, PRESET.steps);
  assert.ok(first.reports >= 1, `the cell's onProgress was called ${first.reports} times`);
  assert.equal(r.trainBars, 1, 'training progress shown in the cell');
  const configHash = createHash('sha256').update(gptCacheConfigText(PRESET, SEED, node)).digest('hex').slice(0, 12);
  assert.equal(first.key, `tinygpt-${configHash}-${buildHash(browserBuild(kjv.backend))}`, 'the Node cache key of this preset, seed and corpus, for the page build');
  assert.equal(first.dir, `indexeddb://optilab/models/${first.key}`);
  assert.ok(Number.isFinite(first.bpc) && Number.isFinite(first.nll), r.text);
  assert.ok((await storedModels()).includes(`optilab/models/${first.key}`), `IndexedDB holds ${(await storedModels()).join(', ')}`);
});

test('exportTinyGptOnnx + createGptSession + onnxPerplexity under onnxruntime-web match model.evaluate', async () => {
  const [, , c] = await codeCells();
  const r = await runSource(c, ONNX_CELL);
  assert.equal(r.state, 'ok', r.text);
  const m = /ppl tfjs (\S+) onnx (\S+) int8 tfjs (\S+) onnx (\S+) predicted (\d+) (\d+)/.exec(r.text);
  assert.ok(m, r.text);
  const [tfjs, onnx, tfjs8, onnx8] = m.slice(1, 5).map(Number);
  assert.equal(m[5], m[6], 'the same tokens are predicted');
  assert.ok(Math.abs(onnx - tfjs) / tfjs < 1e-3, `fp32: onnx ${onnx} vs tfjs ${tfjs}`);
  assert.ok(Math.abs(onnx8 - tfjs8) / tfjs8 < 1e-3, `int8 (weight-only, matmulAccuracy fp32 through the session config): onnx ${onnx8} vs fake-quantized tfjs ${tfjs8}`);
  fs.writeFileSync(artifact('site-runner-gpt.json'), JSON.stringify({ kjv, gpt: first, perplexity: { tfjs, onnx, tfjs8, onnx8 } }, null, 1) + '\n');
});

test('after a reload the KJV comes from the browser cache and the model from IndexedDB (cached: true)', async () => {
  await page.reload({ waitUntil: 'networkidle' });
  const [a, b] = await codeCells();
  const r1 = await runSource(a, KJV_CELL);
  assert.equal(r1.state, 'ok', r1.text);
  assert.deepEqual(parseKjv(r1.text).sums, kjv.sums);
  assert.match(await page.locator('[data-mnist-status]').textContent(), /browser cache/);
  const r2 = await runSource(b, TRAIN_CELL);
  assert.equal(r2.state, 'ok', r2.text);
  const again = parseGpt(r2.text);
  assert.equal(again.from, 'cached');
  assert.equal(again.key, first.key);
  assert.equal(again.reports, 0, 'nothing trained');
  assert.equal(r2.trainBars, 0);
  assert.equal(again.bpc, first.bpc, 'the training result comes from the entry');
  assert.equal(again.nll, first.nll, 'the loaded weights are the trained ones');
  await page.screenshot({ path: artifact('site-runner-gpt.png') });
  assert.deepEqual(errors, []);
});
