/**
 * Acceptance of the site's notebook runner on the real chapter notebooks: each notebook page is opened in Debian
 * chromium and run with *Run all* in quick mode (the site always runs quick). Every code cell must end 'ok', or
 * 'lab-only' with an output saying that it runs only in the lab (no silent skip, and only where the cell needs
 * Node: a compiler, Node's zlib). Each notebook must print the lines that show it did its work.
 * For 00-getting-started the printed LeNet-5 test accuracy is compared with the same training in Node.
 * Screenshots of 00 before and after Run all, light and dark: test-artifacts/site-runner-chapter-*.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { serveSite, launch, artifact, type Served } from './site-harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;
let context: Any;

/** What each notebook must print (one pattern per output that proves a step ran); lab-only cells allowed. */
const NOTEBOOKS: { page: string; expect: RegExp[]; labOnly?: number; shows?: string; check?: (text: string) => void }[] = [
  { page: '00-getting-started', expect: [/compute backend: (webgl|wasm|cpu)/, /train: 5000 images, test: 2000 images/, /test accuracy: [\d.]+% on 2000 images/, /\d+-bit parameters/] },
  { page: '01-numerics', expect: [/float16/, /fp32 test accuracy [\d.]+% on 2000 images/, /kept bits\s+accuracy/] },
  { page: '02-quantization', expect: [/LeNet-5 fp32 accuracy [\d.]+% on 2000 test images/, /int8 per-channel accuracy/, /int8 integer\s+[\d.]+%/] },
  { page: '03-pruning', expect: [/sparsity|sparse/i, /accuracy/] },
  { page: '04-distillation-and-factorization', expect: [/accuracy/, /rank/i] },
  { page: '05-edge-aware-design', expect: [/ratio: params [\d.]+x, MACs [\d.]+x/] },
  { page: 'visualizers-demo', expect: [/accuracy|sparsity/i] },
  // Quick mode: 192^3 products, 4 tile sizes, a 4 Mi-float bandwidth test (about a minute in the browser here).
  // The roofline this machine measured is drawn in the page (SVG output, or the roofline payload's figure).
  {
    page: '07-hardware',
    expect: [/backend: (webgl|wasm|cpu), heavy kernels run on: (webgl|wasm|cpu)/, /packed +tile +\d+ +max \|C - C_naive\| = /, /192x192x192: [\d.]+ MFLOP per product/,
      /GFLOP\/s versus tile size, 192x192x192/, /copy +[\d.]+ GB\/s, triad +[\d.]+ GB\/s/, /roof: [\d.]+ GFLOP\/s from/, /ridge of the roofline: [\d.]+ FLOP per byte/,
      /mnistCnn fc1 \(2048 -> 625\) at batch 256/, /same top-1 prediction on \d+ \/ \d+/, /latency at batch 256 .* folded/,
      /max \|y_nchw - y_nhwc\| = /, /evolution search: 3 measured/, /peak activations: model [\d.]+ KiB .*, tensors [\d.]+ KiB/, /front of both searches \(\d+\)/, /accuracy \(%\), mean over the seeds/,
      /ONNX export with foldBatchNorm: [\d.]+ KiB, max \|logit_onnx - logit_tfjs\| = /],
    shows: '.ol-nb-output svg, [data-payload="roofline"] [data-rendered="true"]',
  },
  // 06 writes its .onnx files to the page's in-memory files and runs them with onnxruntime-web (the lab: onnxruntime-node).
  {
    page: '06-deployment-onnx',
    expect: [/lenet5: tfjs test accuracy [\d.]+% on 2000 images/, /opset \d+, \d+ nodes/, /max \|ONNX Runtime - tfjs\| over 256 images x 10 logits: /,
      /ONNX Runtime fp32 accuracy [\d.]+%/, /operators: .*QuantizeLinear/, /top-1 agreement ONNX Runtime int8 vs optilab integer path: \d+\/500/,
      /parameters \d+ -> \d+/, /PyTorch fp32 [\d.]+%\s+->\s+optilab int8 QDQ [\d.]+%/, /img\/s @256/, /truncated|not a valid ONNX model/],
    // onnxruntime-web against the same model in tfjs, in the same page: fp32 differs by float rounding only, so
    // the accuracies on 2000 images agree within 0.1 pp (2 images); the int8 QDQ graph and optilab's integer
    // path round the same way but for ties, so at least 98% of 500 top-1 predictions agree (the lab: ~100%).
    check: (text) => {
      const tfjsAcc = Number(/tfjs test accuracy ([\d.]+)%/.exec(text)![1]);
      const ortAcc = Number(/ONNX Runtime fp32 accuracy ([\d.]+)%/.exec(text)![1]);
      assert.ok(Math.abs(tfjsAcc - ortAcc) <= 0.1, `ONNX Runtime fp32 ${ortAcc}% vs tfjs ${tfjsAcc}%`);
      const [, same, total] = /integer path: (\d+)\/(\d+)/.exec(text)!.map(Number);
      assert.ok(same / total >= 0.98, `int8 agreement ${same}/${total}`);
    },
  },
  // 08: the C-array cell (files on disk, arm-none-eabi-g++) and the pruning cell (ol.flashFootprint: Node's zlib).
  { page: '08-tinyml', expect: [/lenet5 int8: optilab export of lenet5 \(full-integer int8\)/, /int8 \(integer only\)/, /lenet5 int8: arena 5888 bytes/, /mlp int8 .*fits/], labOnly: 2 },
];

before(async () => {
  served = await serveSite();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

interface CellResult { i: number; state: string; text: string }

/** Opens a notebook page, presses Run all and waits until every code cell finished. */
async function runAll(page: Any, name: string): Promise<CellResult[]> {
  await page.goto(`${served.base}/notebooks/${name}`, { waitUntil: 'networkidle' });
  await page.click('[data-run-all]');
  await page.waitForFunction(() => {
    const states = Array.from(document.querySelectorAll('[data-cell]')).map((e) => e.getAttribute('data-cell-state'));
    const session = document.querySelector('[data-session-state]')!.getAttribute('data-session-state');
    const finished = states.every((s) => s === 'ok' || s === 'lab-only' || s === 'error');
    return (finished && session !== 'busy' && session !== 'starting') || (states.includes('error') && session === 'idle');
  }, null, { timeout: 600000, polling: 500 });
  return page.$$eval('[data-cell]', (els: Element[]) => els.map((e) => ({
    i: Number(e.getAttribute('data-cell')), state: e.getAttribute('data-cell-state')!, text: e.querySelector('.ol-nb-output')!.textContent ?? '',
  })));
}

const pageText = (cells: CellResult[]) => cells.map((c) => c.text).join('\n');

for (const nb of NOTEBOOKS) {
  test(`${nb.page}: Run all runs every cell in the browser with no error`, async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e: Error) => pageErrors.push(e.message));
    try {
      const cells = await runAll(page, nb.page);
      assert.ok(cells.length > 0, 'the page has code cells');
      for (const c of cells) {
        assert.ok(c.state === 'ok' || c.state === 'lab-only', `cell ${c.i} ended '${c.state}': ${c.text.slice(0, 800)}`);
        if (c.state === 'lab-only') assert.match(c.text, /Not run in the browser: this cell .+ runs only in the lab/, `cell ${c.i} says why it does not run here`);
      }
      const labOnly = cells.filter((c) => c.state === 'lab-only').length;
      assert.equal(labOnly, nb.labOnly ?? 0, `${nb.labOnly ?? 0} cell(s) of ${nb.page} need the lab`);
      const text = pageText(cells);
      for (const re of nb.expect) assert.match(text, re);
      nb.check?.(text);
      if (nb.page === '06-deployment-onnx') {
        // the deployment table measured with onnxruntime-web in this page
        await page.locator('[data-cell]').filter({ hasText: 'img/s @256' }).first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: artifact('site-runner-06-deploy.png') });
      }
      if (nb.shows) assert.ok(await page.locator(nb.shows).count() > 0, `the page shows ${nb.shows}`);
      assert.doesNotMatch(text, /\bError: |Interrupted/, 'no error output');
      assert.deepEqual(pageErrors, []);
    } finally {
      await page.close();
    }
  });
}

test('00-getting-started: LeNet-5 accuracy in the browser agrees with Node within 0.5 pp; screenshots light and dark', async () => {
  const page = await context.newPage();
  try {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${served.base}/notebooks/00-getting-started`, { waitUntil: 'networkidle' });
      await page.evaluate((s: string) => { window.localStorage.setItem('theme', s); document.documentElement.setAttribute('data-theme', s); }, scheme);
      await page.screenshot({ path: artifact(`site-runner-chapter-before-${scheme}.png`) });
      const cells = await runAll(page, '00-getting-started');
      await page.evaluate((s: string) => document.documentElement.setAttribute('data-theme', s), scheme);
      await page.locator('[data-cell]').nth(4).scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact(`site-runner-chapter-after-${scheme}.png`) });
      if (scheme === 'dark') continue;
      const m = /test accuracy: ([\d.]+)% on 2000 images/.exec(pageText(cells));
      assert.ok(m, 'accuracy line printed');
      const browserAcc = Number(m[1]);
      // The same configuration in Node (fresh cache folder so nothing is reused): train + evaluate.
      process.env.OPTILAB_CACHE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-runner-cache-'));
      const ol = await import('../../src/index');
      await ol.initBackend();
      const { metrics } = await ol.trainCached({ model: 'lenet5', epochs: 1, seed: 1, limit: 5000, testLimit: 2000 });
      const nodeAcc = 100 * metrics.test.accuracy;
      // Same seed, data and order; only float rounding differs between tfjs backends (wasm/webgl vs Node's
      // kernels), which moves a few of the 2000 test images: 0.5 pp is 10 images.
      assert.ok(Math.abs(browserAcc - nodeAcc) <= 0.5, `browser ${browserAcc}% vs Node ${nodeAcc.toFixed(2)}% (backend ${ol.activeBackend?.() ?? '?'})`);
      fs.writeFileSync(artifact('site-runner-chapter-accuracy.json'), JSON.stringify({ browserAcc, nodeAcc }) + '\n');
    }
  } finally {
    await page.close();
  }
});
