/**
 * The notebook runner of the course site, driven as a reader would in Debian chromium: a notebook page runs
 * TypeScript cells in a browser session that keeps state between cells, `import * as ol from 'optilab'`
 * gives the browser build of the library (its numbers are compared with the same call in Node), a tiny LeNet-5
 * trains on real MNIST fetched from the site (cached for the next load), a runaway `while (true) {}` cell is
 * interrupted within 2 s and the page stays usable, compile errors point at line and column, edits autosave,
 * Download .ipynb carries the edits, and a notebook runs with Run all. Screenshots: test-artifacts/site-runner-*.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { serveSite, launch, artifact, type Served, recordErrors } from './site-harness';
import * as ol from '../../src/core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;
let context: Any;
let page: Any;
const errors: string[] = [];
const PAGE = '/notebooks/01-numerics';

before(async () => {
  served = await serveSite();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  recordErrors(page, errors);
  await page.goto(served.base + PAGE, { waitUntil: 'networkidle' });
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

/** Indices of the page's code cells. */
async function codeCells(): Promise<number[]> {
  return page.$$eval('[data-cell]', (els: Element[]) => els.map((e) => Number((e as HTMLElement).dataset.cell)));
}
const cell = (i: number) => page.locator(`[data-cell="${i}"]`);

/** Replaces a cell's source, runs it, waits until it finished; returns its state and output text. */
async function runSource(i: number, source: string, timeout = 120000): Promise<{ state: string; text: string }> {
  await cell(i).locator('textarea').fill(source);
  await cell(i).locator('[data-run-cell]').click();
  await page.waitForFunction((k: number) => ['ok', 'error', 'interrupted'].includes(document.querySelector(`[data-cell="${k}"]`)!.getAttribute('data-cell-state')!), i, { timeout });
  return { state: await cell(i).getAttribute('data-cell-state'), text: (await cell(i).locator('.ol-nb-output').textContent()) ?? '' };
}

test('cells share one session; optilab in the browser computes what it computes in Node', async () => {
  const [a, b, c] = await codeCells();
  const r1 = await runSource(a, "import * as ol from 'optilab';\nconst x = new Float32Array([-1, -0.3, 0, 0.3, 1]);\nconsole.log('backend', await ol.initBackend());");
  assert.equal(r1.state, 'ok', r1.text);
  const backend = await page.getAttribute('[data-backend]', 'data-backend');
  assert.ok(['webgl', 'wasm', 'cpu'].includes(backend), `backend shown in the page: '${backend}'`);
  assert.match(r1.text, new RegExp(`backend ${backend}`));
  // x from the first cell is visible here; the last expression is shown.
  const r2 = await runSource(b, "const qp = ol.computeQParams(x, [5], { bits: 8, symmetric: true, signed: true });\nconst y = ol.fakeQuantize(x, [5], qp);\nconst err: number = Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));\n`max error ${err} scale ${qp.scale[0]}`");
  assert.equal(r2.state, 'ok', r2.text);
  const x = new Float32Array([-1, -0.3, 0, 0.3, 1]);
  const qp = ol.computeQParams(x, [5], { bits: 8, symmetric: true, signed: true } as never);
  const y = ol.fakeQuantize(x, [5], qp);
  const err = Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
  assert.ok(r2.text.includes(`max error ${err} scale ${qp.scale[0]}`), `browser printed '${r2.text}', Node computes max error ${err} scale ${qp.scale[0]}`);
  // A runtime error names the error; a compile error points at line and column.
  const r3 = await runSource(c, 'const ok = 1;\nconst z = ;');
  assert.equal(r3.state, 'error');
  assert.match(r3.text, /CompileError: line 2, column 11/);
  const r4 = await runSource(c, 'undefinedThing.call()');
  assert.equal(r4.state, 'error');
  assert.match(r4.text, /ReferenceError: undefinedThing is not defined/);
  await page.screenshot({ path: artifact('site-runner-cells.png'), fullPage: false });
});

test('a cell that throws names the cell and the TypeScript line; a compile error its line and column', async () => {
  const [, b, c] = await codeCells();
  // Types (erased) above the throw, a function declared in one cell and called from another.
  const r1 = await runSource(b, [
    'interface Limits { max: number }',
    'type Name = string;',
    'const limits: Limits = { max: 3 };',
    'function check(n: number, what: Name): number {',
    '  if (n > limits.max) throw new RangeError(`${what} is ${n}, more than ${limits.max}`);',
    '  return n;',
    '}',
    "check(2, 'two')",
  ].join('\n'));
  assert.equal(r1.state, 'ok', r1.text);
  const r2 = await runSource(c, "const values: number[] = [1, 2];\nawait Promise.resolve();\nvalues.push(5);\nconst worst = values.map((v) => check(v, 'value'));\nworst");
  assert.equal(r2.state, 'error');
  const cellB = b + 1;
  const cellC = c + 1;
  assert.match(await cell(c).locator('.ol-nb-prompt').textContent(), new RegExp(`cell ${cellC}\\b`), 'the cell shows the number errors use');
  assert.match(r2.text, new RegExp(`RangeError: value is 5, more than 3\\s+at check \\(cell ${cellB}, line 5\\)[\\s\\S]*at cell ${cellC}, line 4`), r2.text);
  await cell(c).scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-runner-error-runtime.png') });
  // A TypeScript-only syntax error: the type after ':' is missing at line 2, column 8.
  const r3 = await runSource(c, 'const fine = 1;\nlet x: = 3;');
  assert.equal(r3.state, 'error');
  assert.match(r3.text, /CompileError: line 2, column 8: Type expected/);
  await cell(c).scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-runner-error-compile.png') });
});

test('a roofline payload shown by a cell is drawn with the library figure (roof, kernels, layer series)', async () => {
  const [, , c] = await codeCells();
  const r = await runSource(c, [
    'const roof: ol.RooflinePayload = { version: ol.ROOFLINE_VERSION, title: "test roofline", peakGflops: 50, bandwidthGBs: 20,',
    '  points: [{ name: "gemm packed", group: "kernel", intensity: 30, gflops: 4 }, { name: "fc1", group: "layer", series: "lenet5", intensity: 0.5 },',
    '    { name: "conv1", group: "layer", series: "lenet5", intensity: 9 }] };',
    'ol.show.roofline(roof);',
  ].join('\n'));
  assert.equal(r.state, 'ok', r.text);
  const plot = cell(c).locator('[data-payload="roofline"] [data-figure]');
  await plot.waitFor({ timeout: 30000 });
  await page.waitForFunction((k: number) => document.querySelector(`[data-cell="${k}"] [data-payload="roofline"] [data-figure]`)?.getAttribute('data-rendered') === 'true', c, { timeout: 30000 });
  assert.equal(await plot.getAttribute('data-traces'), '3', 'roof + kernels + one layer series');
  assert.match(await cell(c).locator('[data-payload="roofline"]').textContent(), /test roofline/);
  await cell(c).scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-runner-roofline.png') });
});

test('a LeNet-5 trains a few steps on real MNIST fetched from the site, with progress', async () => {
  const [, , c] = await codeCells();
  const r = await runSource(c, [
    "const { model, metrics, cached } = await ol.trainCached({ model: 'lenet5', epochs: 1, limit: 2048, testLimit: 500, seed: 1 });",
    "const test = ol.loadMnist({ split: 'test', limit: 500 });",
    "console.log(`images ${test.count}x${test.height}x${test.width} first labels ${Array.from(test.labels.slice(0, 5)).join(',')}`);",
    "console.log(`accuracy ${metrics.test.accuracy} hash ${metrics.hash} cached ${cached}`);",
  ].join('\n'), 300000);
  assert.equal(r.state, 'ok', r.text);
  // The first five MNIST test labels (t10k-labels-idx1-ubyte) are 7, 2, 1, 0, 4.
  assert.match(r.text, /images 500x28x28 first labels 7,2,1,0,4/);
  const acc = Number(/accuracy ([\d.]+)/.exec(r.text)![1]);
  assert.ok(acc > 0.5, `LeNet-5 after 32 steps on 2048 real digits: test accuracy ${acc} (chance is 0.1)`);
  // Same configuration hash as the Node cache.
  const { configHash } = await import('../../src/train/cache');
  assert.match(r.text, new RegExp(`hash ${configHash({ model: 'lenet5', epochs: 1, limit: 2048, testLimit: 500, seed: 1 })}`));
  assert.ok(await cell(c).locator('[data-train-progress]').count() === 1, 'training progress shown');
  // The status names the last file with its real size (the label files are a few KB: never '0.0 MB').
  const size = (await page.textContent('[data-mnist-size]'))!;
  assert.match(size, /^\d+(\.\d)? (B|KB|MB)$/, `MNIST size label '${size}'`);
  assert.doesNotMatch(size, /^0\.0 MB$/);
  const cachedFiles = await page.evaluate(async () => (await (await caches.open('optilab-datasets-v1')).keys()).map((k) => new URL(k.url).pathname));
  assert.ok(cachedFiles.includes('/data/mnist/train-images-idx3-ubyte.gz'), `Cache API holds ${cachedFiles.join(', ')}`);
});

test('Interrupt stops while (true) {} within 2 s; the page stays usable and a fresh session runs', async () => {
  const [a, b] = await codeCells();
  await cell(b).locator('textarea').fill('while (true) {}');
  await cell(b).locator('[data-run-cell]').click();
  await page.waitForFunction(() => document.querySelector('[data-session-state]')!.getAttribute('data-session-state') === 'busy');
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  await page.click('[data-interrupt]');
  await page.waitForFunction((k: number) => document.querySelector(`[data-cell="${k}"]`)!.getAttribute('data-cell-state') === 'interrupted', b, { timeout: 2000 });
  const stoppedMs = Date.now() - t0;
  assert.ok(stoppedMs < 2000, `interrupt took ${stoppedMs} ms`);
  assert.match(await page.textContent('[data-notice]'), /Interrupted/);
  // The main thread answers, and a new session (state gone) runs cells again.
  assert.equal(await page.evaluate(() => 1 + 1), 2);
  const r = await runSource(a, "typeof qp === 'undefined' ? 'fresh session' : 'old state'");
  assert.equal(r.state, 'ok', r.text);
  assert.match(r.text, /fresh session/);
  await page.screenshot({ path: artifact('site-runner-interrupted.png') });
});

test('edits autosave across a reload; Download .ipynb carries them; Reset to original restores', async () => {
  const [a] = await codeCells();
  const edited = "console.log('my edit');\n";
  await cell(a).locator('textarea').fill(edited);
  await page.reload({ waitUntil: 'networkidle' });
  assert.equal(await cell(a).locator('textarea').inputValue(), edited);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download]')]);
  const file = artifact('site-runner-download.ipynb');
  await download.saveAs(file);
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(nb.cells[a].source.join(''), edited);
  assert.equal(nb.nbformat, 4);
  page.once('dialog', (d: Any) => d.accept());
  await page.click('[data-reset]');
  assert.notEqual(await cell(a).locator('textarea').inputValue(), edited);
  await page.reload({ waitUntil: 'networkidle' });
  assert.notEqual(await cell(a).locator('textarea').inputValue(), edited);
  assert.deepEqual(errors, []);
});

test('an edited notebook downloaded from the site runs unchanged in Node with optilab notebooks run', async () => {
  const [a] = await codeCells();
  const original = await cell(a).locator('textarea').inputValue();
  await cell(a).locator('textarea').fill(`${original}\nconsole.log('edited on the site');\n`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download]')]);
  const file = artifact('site-runner-download-run.ipynb');
  await download.saveAs(file);
  page.once('dialog', (d: Any) => d.accept());
  await page.click('[data-reset]');
  const cli = path.join(__dirname, '..', '..', 'src', 'dist', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [cli, 'notebooks', 'run', file], { encoding: 'utf8', env: { ...process.env, OPTILAB_QUICK: '1' }, timeout: 600000 });
  assert.equal(r.status, 0, `optilab notebooks run on the download failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /PASS .*site-runner-download-run\.ipynb/);
  assert.match(r.stdout + fs.readFileSync(file, 'utf8'), /edited on the site/);
  assert.deepEqual(errors, []);
});
