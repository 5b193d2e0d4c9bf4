/**
 * Fashion-MNIST in the browser: the site serves the gzipped IDX files of Debian dataset-fashion-mnist (the ones
 * the Node loader reads) under /data/fashion-mnist/; a runner cell's `ol.loadDataset('fashion-mnist', ...)` /
 * `ol.loadFashionMnist(...)` gets the same images and labels as Node (shape, class balance, first labels, pixel
 * sum compared with src/data/files.ts loadFashionMnist), fetched once with progress and then read from the Cache
 * API; a damaged file is refused with the Node loader's message and dropped from the cache; trainCached trains on
 * it. Also, without a browser: which datasets and splits the worker fetches before a cell runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'zlib';
import { serveSite, launch, artifact, type Served, recordErrors } from './site-harness';
import { loadFashionMnist } from '../../src/data/files';
import type { Dataset } from '../../src/data/dataset';
import { encodeIdx } from '../../src/data/idx';
import { datasetsRead } from '../../site/src/components/runner/dataset-names';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;
const PAGE = '/notebooks/01-numerics';

before(async () => {
  served = await serveSite();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

test('the worker fetches the datasets and splits a cell reads (trainCached fetches its own)', () => {
  assert.deepEqual(datasetsRead("const t = ol.loadDataset('fashion-mnist', { split: 'test' });"), { datasets: ['fashion-mnist'], splits: ['test'] });
  assert.deepEqual(datasetsRead("ol.loadFashionMnist({ split: 'train', limit: 5 })"), { datasets: ['fashion-mnist'], splits: ['train'] });
  assert.deepEqual(datasetsRead("ol.loadMnist({ split: 'test' }); ol.loadDataset(\"fashion-mnist\", { split: 'train' })"), { datasets: ['mnist', 'fashion-mnist'], splits: ['train', 'test'] });
  assert.deepEqual(datasetsRead('const d = ol.loadDataset(name, opts);'), { datasets: ['mnist'], splits: ['train', 'test'] });
  assert.deepEqual(datasetsRead("const name = 'fashion-mnist';\nconst d = ol.loadDataset(name, { split: 'test' });"), { datasets: ['fashion-mnist'], splits: ['test'] });
  assert.deepEqual(datasetsRead("await ol.trainCached({ model: 'lenet5', epochs: 1 })").datasets, []);
  assert.deepEqual(datasetsRead('const x = 1 + 1;').datasets, []);
});

const balance = (d: Dataset) => {
  const c = new Array(10).fill(0);
  d.labels.forEach((l) => c[l]++);
  return c.join(' ');
};
const pixelSum = (d: Dataset) => {
  let s = 0;
  for (let i = 0; i < d.images.length; i++) s += d.images[i];
  return s.toFixed(3);
};

const CELL = [
  "import * as ol from 'optilab';",
  "const train = ol.loadDataset('fashion-mnist', { split: 'train' });",
  "const test = ol.loadFashionMnist({ split: 'test' });",
  'const balance = (d: ol.Dataset) => { const c = new Array(10).fill(0); d.labels.forEach((l) => c[l]++); return c.join(\' \'); };',
  'const sum = (d: ol.Dataset) => { let s = 0; for (let i = 0; i < d.images.length; i++) s += d.images[i]; return s.toFixed(3); };',
  'console.log(`${train.name} train ${train.count}x${train.height}x${train.width} classes ${train.numClasses} balance ${balance(train)}`);',
  "console.log(`${test.name} test ${test.count}x${test.height}x${test.width} balance ${balance(test)} first labels ${Array.from(test.labels.slice(0, 8)).join(',')} pixel sum ${sum(test)}`);",
].join('\n');

async function runFirstCell(page: Any, source: string, timeout = 300000): Promise<{ state: string; text: string }> {
  const i = Number(await page.getAttribute('[data-cell]', 'data-cell'));
  const cell = page.locator(`[data-cell="${i}"]`);
  await cell.locator('textarea').fill(source);
  await cell.locator('[data-run-cell]').click();
  await page.waitForFunction((k: number) => ['ok', 'error', 'interrupted'].includes(document.querySelector(`[data-cell="${k}"]`)!.getAttribute('data-cell-state')!), i, { timeout });
  return { state: await cell.getAttribute('data-cell-state'), text: (await cell.locator('.ol-nb-output').textContent()) ?? '' };
}

test('a runner cell loads Fashion-MNIST from the site: the same shape, class balance and pixels as Node; cached for the next load', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const fetched: string[] = [];
  recordErrors(page, errors);
  page.on('response', (r: Any) => {
    if (r.url().includes('/data/fashion-mnist/')) fetched.push(new URL(r.url()).pathname);
  });
  try {
    await page.goto(served.base + PAGE, { waitUntil: 'networkidle' });
    const r = await runFirstCell(page, CELL);
    assert.equal(r.state, 'ok', r.text);
    const train = loadFashionMnist({ split: 'train' });
    const test = loadFashionMnist({ split: 'test' });
    assert.ok(r.text.includes(`fashion-mnist train 60000x28x28 classes 10 balance ${balance(train)}`), `browser printed: ${r.text}`);
    assert.ok(r.text.includes(`fashion-mnist test 10000x28x28 balance ${balance(test)} first labels ${Array.from(test.labels.slice(0, 8)).join(',')} pixel sum ${pixelSum(test)}`), `browser printed: ${r.text}`);
    assert.equal(balance(train), '6000 6000 6000 6000 6000 6000 6000 6000 6000 6000');
    // Fetched once, with progress shown under the dataset's name, and kept in the Cache API.
    assert.deepEqual([...fetched].sort(), ['/data/fashion-mnist/t10k-images-idx3-ubyte.gz', '/data/fashion-mnist/t10k-labels-idx1-ubyte.gz', '/data/fashion-mnist/train-images-idx3-ubyte.gz', '/data/fashion-mnist/train-labels-idx1-ubyte.gz']);
    assert.equal(await page.textContent('[data-dataset]'), 'Fashion-MNIST');
    assert.equal(await page.textContent('[data-mnist-status]'), 'downloaded');
    const cached = await page.evaluate(async () => (await (await caches.open('optilab-datasets-v1')).keys()).map((k) => new URL(k.url).pathname).filter((p) => p.includes('fashion')).sort());
    assert.equal(cached.length, 4, `Cache API holds ${cached.join(', ')}`);
    await page.screenshot({ path: artifact('site-runner-fashion.png') });
    // A reload reads the Cache API: no request for the files, the same numbers.
    fetched.length = 0;
    await page.reload({ waitUntil: 'networkidle' });
    const again = await runFirstCell(page, CELL);
    assert.equal(again.state, 'ok', again.text);
    assert.deepEqual(fetched, [], 'no network request for Fashion-MNIST after it was cached');
    assert.equal(again.text, r.text);
    assert.equal(await page.textContent('[data-mnist-status]'), 'loaded from the browser cache');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a damaged Fashion-MNIST file is refused with the Node loader\'s message and not kept in the cache', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The test labels with 5000 labels behind a header that says 10000 (a truncated download).
  const labels = loadFashionMnist({ split: 'test' }).labels;
  const idx = encodeIdx('labels', labels.slice(0, 5000), 5000);
  new DataView(idx.buffer, idx.byteOffset).setUint32(4, 10000, false);
  await context.route('**/data/fashion-mnist/t10k-labels-idx1-ubyte.gz', (route: Any) => route.fulfill({ status: 200, contentType: 'application/gzip', body: zlib.gzipSync(idx) }));
  try {
    await page.goto(served.base + PAGE, { waitUntil: 'networkidle' });
    const r = await runFirstCell(page, "import * as ol from 'optilab';\nconst t = ol.loadDataset('fashion-mnist', { split: 'test' });\nt.count");
    assert.equal(r.state, 'error', r.text);
    assert.match(r.text, /DatasetError: \/data\/fashion-mnist\/t10k-labels-idx1-ubyte\.gz: is 5008 bytes but its header \(10000 labels\) implies 10008: the file is truncated or corrupt\. Reload the page/);
    const cached = await page.evaluate(async () => (await (await caches.open('optilab-datasets-v1')).keys()).map((k) => new URL(k.url).pathname));
    assert.ok(!cached.some((p: string) => p.includes('fashion-mnist/t10k')), `the damaged split is not kept: ${cached.join(', ')}`);
    // With the real file served again, the same page loads it.
    await context.unroute('**/data/fashion-mnist/t10k-labels-idx1-ubyte.gz');
    const ok = await runFirstCell(page, "import * as ol from 'optilab';\nconst t = ol.loadDataset('fashion-mnist', { split: 'test' });\n`${t.count} ${t.labels[0]}`");
    assert.equal(ok.state, 'ok', ok.text);
    assert.match(ok.text, /10000 9/);
  } finally {
    await context.close();
  }
});

test('trainCached trains a small model on Fashion-MNIST in the browser', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(served.base + PAGE, { waitUntil: 'networkidle' });
    const r = await runFirstCell(page, [
      "import * as ol from 'optilab';",
      "const { metrics, cached } = await ol.trainCached({ model: 'mlp', dataset: 'fashion-mnist', epochs: 1, limit: 2048, testLimit: 1000, seed: 2 });",
      'console.log(`fashion-mnist accuracy ${metrics.test.accuracy} on ${metrics.test.count} cached ${cached} hash ${metrics.hash}`);',
    ].join('\n'));
    assert.equal(r.state, 'ok', r.text);
    const m = /fashion-mnist accuracy ([\d.]+) on 1000 cached false hash (\w+)/.exec(r.text);
    assert.ok(m, r.text);
    assert.ok(Number(m[1]) > 0.4, `mlp after 32 steps on 2048 Fashion-MNIST images: accuracy ${m[1]} (chance is 0.1)`);
    const { configHash } = await import('../../src/train/cache');
    assert.equal(m[2], configHash({ model: 'mlp', dataset: 'fashion-mnist', epochs: 1, limit: 2048, testLimit: 1000, seed: 2 }));
  } finally {
    await context.close();
  }
});
