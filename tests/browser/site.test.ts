/**
 * Browser tests of the course site (built site/build served by site/serve.sh, Debian chromium via
 * playwright-core): pages load without console errors, figures render, exercises of each kind accept a right
 * answer and reject a wrong one, an infinite loop times out while the page stays responsive, progress
 * persists, first-load JavaScript stays within budget, dark mode, phone layout, local search.
 * Screenshots and measurements go to test-artifacts/site-*.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ROOT } from '../helpers';
import { serveSite, launch, sitePaths, artifact, type Served, recordErrors } from './site-harness';
import { getExercise } from '../../src/exercises';
import type { CodeExercise } from '../../src/exercises';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;
const metrics: Record<string, unknown> = {};

before(async () => {
  served = await serveSite();
  browser = await launch();
});

after(async () => {
  fs.writeFileSync(artifact('site-metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  await browser?.close();
  await served?.stop();
});

async function open(p: string, opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}) {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m: Any) => { if (m.type() === 'error') errors.push(m.text()); });
  recordErrors(page, errors);
  await page.goto(served.base + p, { waitUntil: 'networkidle' });
  return { page, context, errors };
}

/** Waits until every plotly figure of the page is drawn; returns [id, traces drawn] per figure. */
async function figuresDrawn(page: Any): Promise<[string, number][]> {
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-figure]')).every((e) => (e as HTMLElement).dataset.rendered === 'true'), null, { timeout: 30000 });
  return page.$$eval('[data-figure]', (els: Element[]) => els.map((e) => {
    const gd = e as HTMLElement & { data?: unknown[] };
    const drawn = e.querySelectorAll('.main-svg').length > 0 ? (gd.data?.length ?? 0) : 0;
    return [gd.dataset.figure!, drawn] as [string, number];
  }));
}

const exerciseBox = (page: Any, id: string) => page.locator(`[data-exercise="${id}"]`);
async function feedback(box: Any): Promise<{ correct: string; text: string }> {
  const status = box.locator('[role=status]');
  await status.waitFor({ timeout: 10000 });
  return { correct: await status.getAttribute('data-correct'), text: (await status.textContent()) ?? '' };
}

test('every page loads without console errors and every figure renders with plotly traces', async () => {
  const paths = sitePaths();
  assert.ok(paths.length >= 14, `the sitemap lists ${paths.length} pages`);
  const figures: Record<string, [string, number][]> = {};
  for (const p of paths) {
    const { page, context, errors } = await open(p);
    await page.locator('h1').first().waitFor();
    // A figure box without a plot must be a "run the bench" placeholder whose JSON really is absent.
    const missing: string[] = await page.$$eval('[data-missing-bench]', (els: Element[]) => els.map((e) => (e as HTMLElement).dataset.missingBench!));
    for (const name of missing) {
      assert.ok(!fs.existsSync(path.join(ROOT, 'bench', 'results', `${name}.json`)), `${p}: placeholder for bench '${name}' although bench/results/${name}.json exists`);
    }
    const drawn = await figuresDrawn(page);
    for (const [id, traces] of drawn) assert.ok(traces > 0, `${p}: figure ${id} has no plotly traces`);
    figures[p] = drawn;
    assert.deepEqual(errors, [], `${p}: console errors`);
    const name = p === '/' ? 'index' : p.replace(/^\//, '').replace(/\//g, '-');
    await page.screenshot({ path: artifact(`site-page-${name}.png`) });
    await context.close();
  }
  const total = Object.values(figures).reduce((s, f) => s + f.length, 0);
  assert.ok(total >= 12, `only ${total} figures across the site`);
  metrics.figures = figures;
});

test('hardware page: training and inference throughput are two figures, titled for what they plot, one bar group per row, with the commit', async () => {
  const bench = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results', 'training.json'), 'utf8')) as { rows: unknown[]; provenance?: { git?: { head?: string } } };
  const { page, context, errors } = await open('/hardware');
  await figuresDrawn(page);
  const read = (id: string) => page.$eval(`[data-figure="${id}"]`, (e: Element) => {
    const gd = e as HTMLElement & { data: { name: string; x: string[][] }[]; layout: { title: { text: string } } };
    const box = e.closest('figure');
    return { title: gd.layout.title.text, traces: gd.data.map((t) => t.name), x: gd.data[0].x, caption: box?.querySelector('figcaption')?.textContent ?? '' };
  });
  for (const [id, title] of [['training-train', /^Training throughput, batch 64, Adam/], ['training-infer', /^Inference throughput, batch 256/]] as const) {
    const f = await read(id);
    assert.match(f.title, title, `${id} title`);
    assert.doesNotMatch(f.title, /one thread/, `${id}: the rows cover several thread settings`);
    assert.deepEqual(f.traces, ['optilab', 'PyTorch CPU']);
    // one (model, setting) category per row: no two rows drawn into the same bar slot
    const pairs = f.x[0].map((m: string, i: number) => `${m} / ${f.x[1][i]}`);
    assert.equal(new Set(pairs).size, bench.rows.length, `${id}: categories ${pairs.join('; ')}`);
    assert.match(f.caption, /Source: bench\/results\/training\.json/);
    if (bench.provenance?.git?.head) assert.ok(f.caption.includes(bench.provenance.git.head.slice(0, 12)), `${id} caption names the commit: ${f.caption}`);
  }
  const prose = await page.locator('article').textContent();
  assert.match(prose ?? '', /Training throughput first \(batch 64, Adam\)/);
  assert.match(prose ?? '', /inference throughput \(batch 256/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('hardware page: the figures of bench/results/hardware.json are drawn, titled from the JSON, each with its commit', async () => {
  const bench = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results', 'hardware.json'), 'utf8')) as {
    gemm: { size: number; variants: unknown[] }; search: { strategies: { ruledOut: { label: string }[] }[] };
    cim: { exactAccuracy: number }; provenance?: { git?: { head?: string } };
  };
  const { page, context, errors } = await open('/hardware');
  await figuresDrawn(page);
  const read = (id: string) => page.$eval(`[data-figure="${id}"]`, (e: Element) => {
    const gd = e as HTMLElement & { data: { name: string; x: unknown[] }[]; layout: { title: { text: string } } };
    const box = e.closest('figure');
    return { title: gd.layout.title.text, traces: gd.data.map((t) => t.name), points: gd.data.map((t) => t.x?.length ?? 0), caption: box?.querySelector('figcaption')?.textContent ?? '' };
  });
  const n = bench.gemm.size;
  const ruledOut = new Set(bench.search.strategies.flatMap((s) => s.ruledOut.map((r) => r.label))).size;
  const expected: [string, RegExp, (f: Awaited<ReturnType<typeof read>>) => void][] = [
    ['hw-gemm', new RegExp(`^GFLOP/s of the matrix-product kernels, ${n}×${n}×${n}`), (f) => assert.equal(f.points[0], bench.gemm.variants.length)],
    ['hw-tile', new RegExp(`^GFLOP/s against tile size, ${n}×${n}×${n}`), (f) => assert.deepEqual(f.traces, ['blocked', 'packed'])],
    ['hw-roofline', /^Roofline of the bench machine/, (f) => assert.ok(f.traces.length >= 2, `roofline traces ${f.traces.join(', ')}`)],
    ['hw-sparse-spmv', /^When sparsity pays: SpMV/, (f) => assert.ok(f.traces.includes('CSR (unstructured)') && f.traces.includes('N:M (structured)'), f.traces.join(', '))],
    ['hw-sparse-spmm', /^When sparsity pays: SpMM/, (f) => assert.ok(f.traces.includes('backend matMul (dense)'), f.traces.join(', '))],
    ['hw-search', /^Hardware-aware search: the accuracy-latency front and the memory budget/, (f) => {
      assert.ok(f.traces.some((t: string) => /^Pareto front \(\d+\)$/.test(t)), f.traces.join(', '));
      assert.ok(f.traces.includes(`ruled out by the budget (${ruledOut})`), f.traces.join(', '));
    }],
    ['hw-cim-additive', /^Compute-in-memory, simulated: LeNet-5 on \d+-row crossbars/, (f) => {
      assert.ok(f.traces.includes(`exact model ${(100 * bench.cim.exactAccuracy).toFixed(2)}%`), f.traces.join(', '));
      assert.ok(f.traces.some((t: string) => /-bit ADC$/.test(t)), f.traces.join(', '));
    }],
  ];
  for (const [id, title, check] of expected) {
    const f = await read(id);
    assert.match(f.title, title, `${id} title`);
    check(f);
    assert.match(f.caption, /Source: bench\/results\/hardware\.json/, `${id} caption`);
    if (bench.provenance?.git?.head) assert.ok(f.caption.includes(bench.provenance.git.head.slice(0, 12)), `${id} caption names the commit: ${f.caption}`);
  }
  // Numbers in the prose are read from the JSON: none is left unrendered.
  const values = await page.$$eval('[data-hw-value]', (els: Element[]) => els.map((e) => e.textContent ?? ''));
  assert.ok(values.length >= 10, `only ${values.length} numbers rendered from hardware.json`);
  assert.doesNotMatch((await page.locator('article').textContent()) ?? '', /n\/a \(run the hardware bench\)/);
  await page.screenshot({ path: artifact('site-hardware-figures.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('transformers page: the figures of bench/results/transformer.json are drawn with its commit, every number is filled in, the group-bits exercise checks', async () => {
  const file = path.join(ROOT, 'bench', 'results', 'transformer.json');
  const { page, context, errors } = await open('/transformers');
  if (!fs.existsSync(file)) {
    assert.ok(await page.locator('[data-missing-bench="transformer"]').count() >= 3, 'placeholders without bench/results/transformer.json');
    await context.close();
    return;
  }
  const bench = JSON.parse(fs.readFileSync(file, 'utf8')) as { rows: { section: string; name: string; perplexity?: number }[]; provenance?: { git?: { head?: string } } };
  const drawn = await figuresDrawn(page);
  assert.deepEqual(drawn.map(([id]) => id).sort(), ['tf-bits', 'tf-channels', 'tf-sparsity']);
  for (const [id, traces] of drawn) {
    assert.ok(traces > 0, `${id} has no traces`);
    const caption = await page.$eval(`[data-figure-box="${id}"] figcaption`, (e: Element) => e.textContent ?? '');
    assert.match(caption, /Source: bench\/results\/transformer\.json/);
    if (bench.provenance?.git?.head) assert.ok(caption.includes(bench.provenance.git.head.slice(0, 12)), `${id} caption names the commit: ${caption}`);
  }
  // one marker per weight-quantization method (the KV-cache rows keep fp32 weights), plus the fp32 line
  const methods = bench.rows.filter((r) => r.section === 'quantization' && r.name !== 'fp32' && !r.name.startsWith('kv-')).length;
  assert.equal(await page.$eval('[data-figure="tf-bits"]', (e: Any) => e.data.length), methods + 1);
  const prose = (await page.locator('article').textContent()) ?? '';
  assert.doesNotMatch(prose, /n\/a \(run the transformer bench\)/, 'a number of the page is missing from the JSON');
  const gptq = bench.rows.find((r) => r.section === 'quantization' && r.name === 'gptq')!;
  assert.ok(prose.includes(gptq.perplexity!.toFixed(3)), `the GPTQ perplexity ${gptq.perplexity!.toFixed(3)} is quoted`);
  const box = exerciseBox(page, 'tf-group-bits');
  await box.locator('input[type=text]').fill('4.25');
  await box.getByRole('button', { name: 'Check' }).click();
  assert.equal((await feedback(box)).correct, 'true');
  // the MXFP4 exercise's tests compare with the library's encoder (ref.mxQuantize) inside the exercise worker
  const mx = exerciseBox(page, 'tf-mxfp4');
  await mx.locator('textarea').fill((getExercise('tf-mxfp4') as CodeExercise).solution);
  await mx.getByRole('button', { name: 'Run tests' }).click();
  await page.waitForFunction(() => document.querySelector('[data-exercise="tf-mxfp4"] [role=status]')?.getAttribute('data-correct') === 'true', null, { timeout: 10000 });
  assert.match((await feedback(mx)).text, /All 3 tests passed \(4\/4 points\)/);
  await page.screenshot({ path: artifact('site-transformers.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('numeric exercise: a wrong answer gets a hint, the right one is accepted and remembered', async () => {
  const { page, context, errors } = await open('/quantization');
  const box = exerciseBox(page, 'quant-scale');
  await box.locator('input[type=text]').fill('0.5');
  await box.getByRole('button', { name: 'Check' }).click();
  let f = await feedback(box);
  assert.equal(f.correct, 'false');
  assert.match(f.text, /too large/);
  await box.locator('input[type=text]').fill('6/255');
  await box.getByRole('button', { name: 'Check' }).click();
  await page.waitForFunction(() => document.querySelector('[data-exercise="quant-scale"] [role=status]')?.getAttribute('data-correct') === 'true');
  f = await feedback(box);
  assert.match(f.text, /^Correct/);
  await box.screenshot({ path: artifact('site-exercise-numeric.png') });
  // Progress survives a reload, and the progress page counts it.
  await page.reload({ waitUntil: 'networkidle' });
  await box.locator('.ol-exercise__solved').waitFor();
  assert.equal(await box.locator('input[type=text]').inputValue(), '6/255');
  await page.goto(served.base + '/progress', { waitUntil: 'networkidle' });
  await page.locator('[data-progress-table]').waitFor();
  assert.match((await page.locator('[data-progress-table] p').first().textContent()) ?? '', /^1 of \d+ exercises solved/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('multiple-choice exercise: a wrong pick is explained, the right one is accepted', async () => {
  const { page, context, errors } = await open('/quantization');
  const box = exerciseBox(page, 'quant-calibration');
  await box.locator('input[value=minmax]').check();
  await box.getByRole('button', { name: 'Check' }).click();
  let f = await feedback(box);
  assert.equal(f.correct, 'false');
  assert.match(f.text, /the outliers set the range/);
  await box.locator('input[value=pct]').check();
  await box.getByRole('button', { name: 'Check' }).click();
  await page.waitForFunction(() => document.querySelector('[data-exercise="quant-calibration"] [role=status]')?.getAttribute('data-correct') === 'true');
  f = await feedback(box);
  assert.match(f.text, /^Correct/);
  await box.screenshot({ path: artifact('site-exercise-choice.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('code exercise: the starter fails with test messages, the solution passes (sucrase + worker)', async () => {
  const ex = getExercise('quant-affine') as CodeExercise;
  const { page, context, errors } = await open('/quantization');
  const box = exerciseBox(page, 'quant-affine');
  await box.getByRole('button', { name: 'Run tests' }).click();
  let f = await feedback(box);
  assert.equal(f.correct, 'false');
  assert.match(f.text, /tests failed/);
  assert.match(f.text, /halves round to even/);
  assert.match(f.text, /expected \[0,2,0\], got \[0,3,0\]|expected \[0,2,0\], got \[1,2,0\]|expected \[0,2,0\]/);
  await box.screenshot({ path: artifact('site-exercise-code-fail.png') });
  await box.locator('textarea').fill(ex.solution);
  await box.getByRole('button', { name: 'Run tests' }).click();
  await page.waitForFunction(() => document.querySelector('[data-exercise="quant-affine"] [role=status]')?.getAttribute('data-correct') === 'true', null, { timeout: 10000 });
  f = await feedback(box);
  assert.match(f.text, /All 4 tests passed \(4\/4 points\)/);
  // A type annotation error is not a runtime error (sucrase strips types); a syntax error is reported.
  await box.locator('textarea').fill('function quantizeAffine(x: number[] {');
  await box.getByRole('button', { name: 'Run tests' }).click();
  await page.waitForFunction(() => /does not compile/.test(document.querySelector('[data-exercise="quant-affine"] [role=status]')?.textContent ?? ''));
  await box.screenshot({ path: artifact('site-exercise-code.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('code exercise: a wrong answer cannot forge its result (redefined API, replaced built-ins, posted results)', async () => {
  const wrong = 'function quantizeAffine(x: number[], scale: number, zeroPoint: number, qmin: number, qmax: number): number[] { return x.map(() => 0); }';
  for (const attack of [
    'var assertEqual = (a: any, b: any) => {}; var check = (n: string, p: number, f: () => unknown) => {};',
    'try { (Math as any).round = () => 0; } catch (e) {} try { (Object as any).is = () => true; } catch (e) {} try { (Array.prototype as any).every = () => true; } catch (e) {}',
    "(self as any).postMessage({ correct: true, score: 4, points: 4, message: 'All 4 tests passed (4/4 points).', tests: [] });",
  ]) {
    // a fresh page each time: the status box of an earlier run is never read for this one
    const { page, context, errors } = await open('/quantization');
    const box = exerciseBox(page, 'quant-affine');
    await box.locator('textarea').fill(`${wrong}\n${attack}`);
    await box.getByRole('button', { name: 'Run tests' }).click();
    const f = await feedback(box);
    assert.equal(f.correct, 'false', `${attack}: ${f.text}`);
    assert.doesNotMatch(f.text, /All 4 tests passed/);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('an infinite loop is stopped after the time limit while the page stays responsive', async () => {
  const { page, context, errors } = await open('/pruning');
  const box = exerciseBox(page, 'prune-magnitude');
  await box.locator('textarea').fill('function magnitudePrune(w: number[], s: number): number[] {\n  while (true) {}\n}');
  const t0 = Date.now();
  await box.getByRole('button', { name: 'Run tests' }).click();
  await box.getByRole('button', { name: 'Running…' }).waitFor();
  // The main thread answers and the page reacts to input while the worker spins.
  const lags: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = Date.now();
    await page.evaluate(() => 1 + 1);
    lags.push(Date.now() - s);
    await page.waitForTimeout(150);
  }
  await page.locator('[aria-label="pruning threshold"]').fill('0.5');
  await page.waitForFunction(() => /50\.0|\d+\.\d% of the weights are zero/.test(document.querySelector('[data-figure-box="sparsity-heatmap"] figcaption')?.textContent ?? ''));
  const f = await feedback(box);
  const elapsed = Date.now() - t0;
  assert.equal(f.correct, 'false');
  assert.match(f.text, /Stopped after 2 s/);
  // The runner's own 2 s limit stopped the loop (the message above); how long the report took is measured and
  // reported beside that limit in site-metrics.json, not asserted (a timing is not a test on a shared machine).
  assert.ok(Math.max(...lags) < 500, `main-thread round trips while the loop ran: ${lags.join(', ')} ms`);
  metrics.infiniteLoop = { limitMs: 2000, timeoutReportedAfterMs: elapsed, mainThreadRoundTripMs: lags };
  await box.screenshot({ path: artifact('site-exercise-timeout.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('first-load JavaScript of a chapter page is at most 800 KB gzipped', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const scripts: { url: string; raw: number; gzip: number }[] = [];
  const pending: Promise<void>[] = [];
  page.on('response', (r: Any) => {
    if (r.request().resourceType() !== 'script') return;
    pending.push(r.body().then((b: Buffer) => { scripts.push({ url: r.url(), raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length }); }, () => undefined));
  });
  await page.goto(served.base + '/quantization', { waitUntil: 'networkidle' });
  await figuresDrawn(page);
  await page.waitForLoadState('networkidle');
  await Promise.all(pending);
  const gzip = scripts.reduce((s, x) => s + x.gzip, 0);
  const raw = scripts.reduce((s, x) => s + x.raw, 0);
  metrics.firstLoadJs = { page: '/quantization', files: scripts.length, rawKB: Math.round(raw / 1024), gzipKB: Math.round(gzip / 1024), includesPlotly: true, scripts: scripts.map((s) => ({ file: s.url.replace(served.base, ''), gzipKB: Math.round(s.gzip / 1024) })) };
  assert.ok(scripts.length > 0);
  assert.ok(gzip <= 800 * 1024, `first-load JS is ${Math.round(gzip / 1024)} KB gzipped`);
  await context.close();
});

test('dark mode: the toggle switches the theme and figures redraw with dark colours', async () => {
  const { page, context, errors } = await open('/numerics');
  await figuresDrawn(page);
  const paper = () => page.$eval('[data-figure="bit-layout"]', (e: Any) => e.layout?.paper_bgcolor);
  const light = await paper();
  // The toggle cycles system -> light -> dark.
  const toggle = page.locator('button[class*="toggleButton"]').first();
  for (let i = 0; i < 3 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark'; i++) {
    await toggle.click();
    await page.waitForTimeout(200);
  }
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.waitForFunction((l: string) => (document.querySelector('[data-figure="bit-layout"]') as Any)?.layout?.paper_bgcolor !== l, light);
  assert.notEqual(await paper(), light);
  await page.locator('[data-figure-box="bit-layout"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-dark-numerics.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone layout: no horizontal scrolling, figures fit the screen', async () => {
  const { page, context, errors } = await open('/quantization', { viewport: { width: 390, height: 844 } });
  await figuresDrawn(page);
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth, fig: Math.max(...Array.from(document.querySelectorAll('.ol-figure')).map((e) => e.getBoundingClientRect().width)) }));
  assert.ok(widths.doc <= widths.win + 1, `page is ${widths.doc}px wide on a ${widths.win}px screen`);
  assert.ok(widths.fig <= widths.win, `a figure is ${widths.fig}px wide`);
  await page.screenshot({ path: artifact('site-phone-quantization.png') });
  await page.locator('[data-figure-box="quantizer-step"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-phone-figure.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('local search finds the calibration section', async () => {
  const { page, context, errors } = await open('/');
  const input = page.locator('input.navbar__search-input');
  await input.click();
  await input.fill('calibration');
  const hit = page.locator('[role=option]').filter({ hasText: /Calibration/ }).filter({ hasText: /Quantization/ }).first();
  await hit.waitFor({ timeout: 15000 });
  await page.screenshot({ path: artifact('site-search.png') });
  await hit.click();
  // Client-side navigation (no page load): wait for the location to change.
  await page.waitForFunction(() => location.pathname === '/quantization' && location.hash === '#calibration');
  await page.locator('#calibration').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('notebook pages: stored outputs and our MIME payloads drawn with the library figures, download and lab links', async () => {
  const dir = path.join(ROOT, 'site', 'src', 'generated', 'notebooks');
  const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();
  assert.ok(notebooks.length >= 1);
  const built = fs.readdirSync(dir).map((f) => f.replace(/\.json$/, '.ipynb')).sort();
  assert.deepEqual(built, notebooks, 'the site was built from other notebooks than notebooks/ holds: rebuild it (bash scripts/setup.d/30-site.sh)');
  for (const file of notebooks) {
    const name = file.replace(/\.ipynb$/, '');
    const nb = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as { cells: { type: string; outputs?: { kind: string }[] }[] };
    const payloads = nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.kind === 'payload').length;
    const { page, context, errors } = await open(`/notebooks/${name}`);
    await page.locator(`[data-notebook="${file}"]`).waitFor();
    const lab = await page.locator('[data-open-in-lab]').getAttribute('href');
    assert.equal(lab, `http://127.0.0.1:8888/lab/tree/${encodeURIComponent(file)}`);
    const href = await page.getByRole('link', { name: `Download ${file}` }).getAttribute('href');
    const downloaded = await (await fetch(served.base + href)).json() as { cells: unknown[]; metadata: { kernelspec?: { name: string } } };
    assert.equal(downloaded.metadata.kernelspec?.name, 'tslab');
    assert.equal(downloaded.cells.length, JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', file), 'utf8')).cells.length);
    const drawn = await figuresDrawn(page);
    const fromPayloads = drawn.filter(([id]) => id.startsWith('nb-'));
    if (payloads > 0) assert.ok(fromPayloads.length >= payloads, `${file}: ${payloads} payload outputs but ${fromPayloads.length} figures`);
    for (const [id, traces] of fromPayloads) assert.ok(traces > 0, `${file}: figure ${id} has no traces`);
    assert.equal(await page.locator('[data-payload-error]').count(), 0, `${file}: a payload was rejected`);
    if (payloads > 0) {
      await page.locator('[data-figure^="nb-"]').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact(`site-notebook-${name}.png`) });
    }
    assert.deepEqual(errors, [], `${file}: console errors`);
    await context.close();
  }
});
