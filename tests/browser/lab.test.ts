/**
 * The course lab in a real browser: `optilab lab` starts, the launcher shows, a TypeScript cell runs, the
 * visualizers demo notebook (prunes and quantizes LeNet-5) runs and every figure really renders with the
 * expected traces, a 512x512 mask draws quickly, malformed and newer payloads show the error box, both
 * themes are captured, and SIGTERM stops the lab and its kernels.
 * Screenshots and timings go to test-artifacts/ (lab-*.png, lab-timings.json). Timings are measured and
 * reported against their targets (lab ready 10 s, first cell result 6 s, 512x512 heat map 1000 ms), never
 * asserted: a timing on a shared 2-core machine is not a test (the waits have generous hang timeouts instead).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';
import { ARTIFACTS, openBrowser, processesMentioning, startLab, stopLab, type Browser, type Lab } from './lab-harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const NOTEBOOK_DIR = path.join(ROOT, '.cache', 'lab-test');
const timings: Record<string, number> = {};
/** The stated targets, in the units of `timings`; lab-timings.json says which were met in this run. */
const TARGETS: Record<string, number> = { labReady: 10, firstCellResult: 6, mask512RenderMs: 1000 };
let lab: Lab;
let b: Browser;

function code(source: string) {
  return { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source };
}

/** A notebook with a trivial first cell, a 512x512 mask, a malformed payload, a too-new payload and a roofline. */
function checksNotebook() {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [
      code('const answer: number = 6 * 7;\nanswer'),
      code([
        "import * as ol from 'optilab';",
        'const mask = new Uint8Array(512 * 512).map((_, i) => ((i * 2654435761) >>> 0) % 10 < 3 ? 1 : 0);',
        "ol.show.sparsity({ version: ol.SPARSITY_VERSION, title: '512x512', layers: [ol.sparsityLayer('big/kernel', [512, 512], mask)] });",
      ].join('\n')),
      code("ol.show.sparsity({ version: 1, layers: [{ name: 'broken', shape: [2, 2], sparsity: 2, mask: { kind: 'bits', rows: 2, cols: 2, bits: '' } }] } as any);"),
      code("ol.show.quantization({ version: 99, layers: [] } as any);"),
      code([
        "ol.show.roofline({ version: ol.ROOFLINE_VERSION, title: 'lab test machine', peakGflops: 50, bandwidthGBs: 20, points: [",
        "  { name: 'gemm packed', group: 'kernel', intensity: 30, gflops: 4 },",
        "  { name: 'fc1', group: 'layer', series: 'lenet5', intensity: 0.5 }, { name: 'conv1', group: 'layer', series: 'lenet5', intensity: 9 },",
        "  { name: 'fc1', group: 'layer', series: 'mlp', intensity: 0.49 }] });",
      ].join('\n')),
    ],
  };
}

async function app<T>(fn: string, arg?: unknown): Promise<T> {
  // Runs `fn(app, arg)` in the page; `app` is the JupyterLab instance.
  return b.page.evaluate(([src, a]: [string, unknown]) => new Function('app', 'arg', `return (${src})(app, arg);`)((window as Any).jupyterapp, a), [fn, arg]);
}

/** The whole lab with the sparsity figures in view, and each visualizer on its own. */
async function screenshots(nb: string, theme: string): Promise<void> {
  await b.page.evaluate((sel: string) => document.querySelector(`${sel} .optilab-viz[data-optilab-kind="sparsity"]`)!.scrollIntoView({ block: 'start' }), nb);
  await b.page.waitForTimeout(500);
  await b.page.screenshot({ path: path.join(ARTIFACTS, `lab-${theme}.png`) });
  for (const kind of ['sparsity', 'quantization']) {
    const viz = await b.page.$(`${nb} .optilab-viz[data-optilab-kind="${kind}"]`);
    await viz.screenshot({ path: path.join(ARTIFACTS, `lab-${theme}-${kind}.png`) });
  }
}

/** A CSS selector of the current (visible) notebook panel. */
async function current(): Promise<string> {
  return `#${await app<string>(`(app) => app.shell.currentWidget.id`)}`;
}

/** Opens a notebook, waits for its kernel to be idle; returns the seconds that took. */
async function openNotebook(name: string): Promise<number> {
  const t0 = performance.now();
  await app(`async (app, path) => {
    const w = await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    await w.context.ready;
    await w.sessionContext.ready;
    const t = Date.now();
    while (w.sessionContext.session?.kernel?.status !== 'idle') {
      if (Date.now() - t > 60000) throw new Error('kernel not idle after 60 s: ' + w.sessionContext.session?.kernel?.status);
      await new Promise((r) => setTimeout(r, 50));
    }
  }`, name);
  return (performance.now() - t0) / 1000;
}

/** Runs every cell of the current notebook and waits until all have run; returns their outputs' text on error. */
async function runAll(timeoutMs = 180000): Promise<void> {
  await app(`async (app, timeout) => {
    const w = app.shell.currentWidget;
    await app.commands.execute('notebook:run-all-cells');
    const t = Date.now();
    const done = () => w.content.widgets.every((c) => c.model.type !== 'code' || (c.model.executionCount !== null && !c.node.classList.contains('jp-mod-pending')))
      && w.sessionContext.session.kernel.status === 'idle';
    while (!done()) {
      if (Date.now() - t > timeout) throw new Error('cells still running after ' + timeout + ' ms');
      await new Promise((r) => setTimeout(r, 100));
    }
  }`, timeoutMs);
}

/** Summary of the plotly figures drawn by optilab renderers in the current notebook. */
async function figures(): Promise<Any[]> {
  return b.page.evaluate(() => {
    const nb = (window as Any).jupyterapp.shell.currentWidget.node as HTMLElement;
    return Array.from(nb.querySelectorAll('.optilab-viz')).map((v) => {
      const el = v as HTMLElement;
      return {
        kind: el.dataset.optilabKind,
        status: el.dataset.optilabStatus,
        renderMs: Number(el.dataset.renderMs),
        plotMs: Number(el.dataset.plotMs),
        error: el.querySelector('.optilab-error')?.textContent ?? null,
        layers: el.querySelectorAll('select.optilab-layer-select option').length,
        figures: Array.from(el.querySelectorAll('.optilab-figure')).map((f) => {
          const gd = f as Any;
          return {
            id: (f as HTMLElement).dataset.figureId,
            traces: (gd.data ?? []).map((t: Any) => ({ type: t.type, name: t.name, n: Array.isArray(t.y) ? t.y.length : Array.isArray(t.x) ? t.x.length : 0, rows: Array.isArray(t.z) ? t.z.length : 0, cols: Array.isArray(t.z) ? t.z[0].length : 0 })),
            svgTraces: f.querySelectorAll('.trace, .hm, image').length,
            paper: gd._fullLayout?.paper_bgcolor,
          };
        }),
      };
    });
  });
}

async function waitRendered(count: number, timeoutMs = 60000): Promise<Any[]> {
  const t = performance.now();
  for (;;) {
    const f = await figures();
    if (f.length >= count && f.every((x) => x.status === 'rendered' || x.status === 'error')) return f;
    if (performance.now() - t > timeoutMs) {
      await b.page.screenshot({ path: path.join(ARTIFACTS, 'lab-failure.png') });
      throw new Error(`renderers not done after ${timeoutMs} ms: ${JSON.stringify(f.map((x) => [x.kind, x.status]))} (screenshot: test-artifacts/lab-failure.png)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  fs.rmSync(NOTEBOOK_DIR, { recursive: true, force: true });
  fs.mkdirSync(NOTEBOOK_DIR, { recursive: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'notebooks', 'visualizers-demo.ipynb'), path.join(NOTEBOOK_DIR, 'visualizers-demo.ipynb'));
  fs.writeFileSync(path.join(NOTEBOOK_DIR, 'checks.ipynb'), JSON.stringify(checksNotebook(), null, 1));
  lab = await startLab(NOTEBOOK_DIR);
  b = await openBrowser();
});

after(async () => {
  await b?.browser.close();
  if (lab) await stopLab(lab);
  const report = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, TARGETS[k] === undefined ? { measured: v } : { measured: v, target: TARGETS[k], met: v <= TARGETS[k] }]));
  fs.writeFileSync(path.join(ARTIFACTS, 'lab-timings.json'), JSON.stringify(report, null, 2) + '\n');
  console.log('lab timings (s, ms where named so) against targets:', JSON.stringify(report));
});

test('the lab is ready (launcher visible with the TypeScript kernel) after `optilab lab` starts; the time is reported', async () => {
  await b.page.goto(`${lab.url}&reset`); // a fresh workspace: no notebooks restored from an earlier run
  await b.page.waitForSelector('.jp-Launcher', { timeout: 60000 });
  await b.page.waitForFunction(() => document.body.dataset.optilabLab === 'ready', null, { timeout: 30000 });
  timings.labReady = (performance.now() - lab.startedAt) / 1000;
  const kernels = await b.page.$$eval('.jp-LauncherCard-label', (cards: Element[]) => cards.map((c) => c.textContent?.trim()));
  assert.ok(kernels.includes('TypeScript'), `launcher offers the TypeScript kernel: ${kernels.join(', ')}`);
});

test('the first TypeScript cell returns its result, kernel start included', async () => {
  const t0 = performance.now();
  await openNotebook('checks.ipynb');
  await app(`async (app) => {
    const w = app.shell.currentWidget;
    w.content.activeCellIndex = 0;
    await app.commands.execute('notebook:run-cell');
    const t = Date.now();
    while (w.content.widgets[0].model.outputs.length === 0) {
      if (Date.now() - t > 60000) throw new Error('no output after 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }`);
  timings.firstCellResult = (performance.now() - t0) / 1000;
  const text = await app<string>(`(app) => app.shell.currentWidget.content.widgets[0].outputArea.node.textContent`);
  assert.match(text, /42/);
});

test('a 512x512 mask heat map renders (time reported); malformed and newer payloads show the error box; a roofline draws', async () => {
  await runAll();
  const f = await waitRendered(4);
  assert.equal(f.length, 4, 'four optilab outputs');
  const [big, broken, newer, roof] = f;
  assert.equal(big.status, 'rendered');
  const mask = big.figures.find((x: Any) => x.id === 'sparsity-mask');
  assert.deepEqual([mask.traces[0].type, mask.traces[0].rows, mask.traces[0].cols], ['heatmap', 512, 512]);
  timings.mask512RenderMs = big.renderMs;
  timings.mask512PlotMs = big.plotMs;
  assert.equal(broken.status, 'error');
  assert.match(broken.error, /Cannot draw this optilab sparsity payload/);
  assert.match(broken.error, /layers\[0\]\.sparsity: must be <= 1, got 2/);
  assert.equal(newer.status, 'error');
  assert.match(newer.error, /version 99, newer than the supported version 1/);
  // The roofline payload: one figure (roof, measured kernels, one trace per layer series) and its table.
  assert.equal(roof.kind, 'roofline');
  assert.equal(roof.status, 'rendered', roof.error ?? '');
  assert.deepEqual(roof.figures.map((x: Any) => x.id), ['roofline']);
  assert.deepEqual(roof.figures[0].traces.map((t: Any) => [t.name, t.n]), [
    ['roof: 20.0 GB/s, 50.0 GFLOP/s', 3], ['kernels (measured)', 1], ['lenet5 layers (on the roof)', 2], ['mlp layers (on the roof)', 1],
  ]);
  assert.ok(roof.figures[0].svgTraces > 0, 'the roofline drew something');
  const nbSel = await current();
  const rows = await b.page.$$eval(`${nbSel} .optilab-viz[data-optilab-kind="roofline"] table tbody tr`, (trs: Element[]) => trs.map((r) => r.textContent));
  assert.equal(rows.length, 4, 'one table row per point');
  assert.match(rows[1]!, /lenet5 fc1.*layer.*0\.50.*10\.00.*memory/);
  const roofBox = await b.page.$(`${nbSel} .optilab-viz[data-optilab-kind="roofline"]`);
  await roofBox.scrollIntoViewIfNeeded();
  await roofBox.screenshot({ path: path.join(ARTIFACTS, 'lab-roofline.png') });
  const errorBox = await b.page.$(`${await current()} .optilab-error`);
  await errorBox.scrollIntoViewIfNeeded();
  await b.page.screenshot({ path: path.join(ARTIFACTS, 'lab-error-box.png') });
  await app(`(app) => app.commands.execute('docmanager:save')`);
});

test('the demo notebook prunes and quantizes LeNet-5 and every figure renders', async () => {
  timings.demoKernelReady = await openNotebook('visualizers-demo.ipynb');
  const t0 = performance.now();
  await runAll();
  timings.demoRunAll = (performance.now() - t0) / 1000;
  const f = await waitRendered(2);
  assert.equal(f.length, 2);
  for (const v of f) assert.equal(v.error, null, `no error box: ${v.error}`);
  const [sp, q] = f;
  const byId = (v: Any) => Object.fromEntries(v.figures.map((x: Any) => [x.id, x.traces]));

  assert.equal(sp.kind, 'sparsity');
  assert.equal(sp.layers, 5, 'LeNet-5 has 5 weight layers');
  const s = byId(sp);
  assert.deepEqual(Object.keys(s), ['sparsity-bars', 'sparsity-trend', 'sparsity-mask']);
  assert.equal(s['sparsity-bars'][0].n, 5);
  assert.equal(s['sparsity-trend'].length, 1 + 5 + 1, 'global + 5 layers + accuracy');
  assert.equal(s['sparsity-trend'][0].n, 5, '5 pruning steps');
  assert.deepEqual([s['sparsity-mask'][0].rows, s['sparsity-mask'][0].cols], [25, 6], 'conv1 kernel 5x5x1x6 -> 25x6');

  assert.equal(q.kind, 'quantization');
  const qf = byId(q);
  assert.deepEqual(Object.keys(qf), ['quant-sqnr', 'quant-error', 'quant-activation', 'quant-saturation', 'quant-qat', 'quant-bits']);
  assert.deepEqual(qf['quant-sqnr'].map((t: Any) => [t.name, t.n]), [['minmax', 5], ['percentile', 5], ['entropy', 5], ['mse', 5]]);
  assert.equal(qf['quant-error'].length, 4, 'four methods overlaid');
  assert.equal(qf['quant-activation'].length, 2, 'in range + saturated');
  assert.equal(qf['quant-saturation'].length, 3);
  assert.equal(qf['quant-qat'].length, 5, 'one QAT MSE line per layer');
  assert.equal(qf['quant-bits'][0].rows, 4, 'float32, float16, bfloat16, fp8-e4m3');
  for (const v of f) for (const fig of v.figures) assert.ok(fig.svgTraces > 0, `${fig.id} drew something`);

  // The layer selectors redraw the layer figures: fc1 is 400x120.
  const nb = await current();
  await b.page.selectOption(`${nb} .optilab-viz[data-optilab-kind="sparsity"] select.optilab-layer-select`, '2');
  await b.page.waitForFunction((sel: string) => {
    const gd = document.querySelector(`${sel} .optilab-viz[data-optilab-kind="sparsity"] [data-figure-id="sparsity-mask"]`) as Any;
    return gd?.data?.[0]?.z?.length === 400;
  }, nb, { timeout: 10000 });
  await b.page.selectOption(`${nb} .optilab-viz[data-optilab-kind="quantization"] select.optilab-layer-select`, '4');
  await b.page.waitForFunction((sel: string) => {
    const gd = document.querySelector(`${sel} .optilab-viz[data-optilab-kind="quantization"] [data-figure-id="quant-error"]`) as Any;
    return /logits/.test(gd?._fullLayout?.title?.text ?? '');
  }, nb, { timeout: 10000 });

  await screenshots(nb, 'light');

});

test('the figures follow the dark theme', async () => {
  await app(`(app) => app.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' })`);
  await b.page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 20000 });
  const nb = await current();
  const count = await b.page.$$eval(`${nb} .optilab-figure`, (els: Element[]) => els.length);
  assert.equal(count, 3 + 6, 'all sparsity and quantization figures are there to recolour');
  await b.page.waitForFunction((sel: string) => Array.from(document.querySelectorAll(`${sel} .optilab-figure`)).every((f) => (f as Any)._fullLayout?.paper_bgcolor === '#1e1e1e'), nb, { timeout: 20000 });
  await screenshots(nb, 'dark');
  await app(`(app) => app.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' })`);
});

test('no console errors besides the known harmless 404s', () => {
  assert.deepEqual(b.errors, []);
});

test('SIGTERM stops the lab and its kernels', async () => {
  const kernels = await app<string[]>(`async (app) => (await (await fetch(app.serviceManager.serverSettings.baseUrl + 'api/kernels', { headers: { Authorization: 'token optilab-browser-test' } })).json()).map((k) => k.id)`);
  assert.ok(kernels.length >= 1, 'kernels were running');
  for (const id of kernels) assert.ok(processesMentioning(`kernel-${id}.json`).length > 0, `kernel ${id} process exists before stop`);
  await b.browser.close();
  const { code, seconds } = await stopLab(lab);
  timings.stopSeconds = seconds;
  assert.equal(code, 0);
  for (const id of kernels) assert.deepEqual(processesMentioning(`kernel-${id}.json`), [], `kernel ${id} stopped`);
});
