/**
 * `npm run bench -- browser [--runs N] [--page /notebooks/00-getting-started] [--no-node]`: the course site's
 * notebook runner in Debian chromium (headless, the browser tests' flags: tests/browser/site-harness.ts), against
 * the built site served locally by site/serve.sh (as the browser tests serve it):
 * (a) page load to the first cell's result (navigation start to the first code cell of the page, as stored,
 *     ending 'ok' after a click on Run cell as soon as the page is interactive), on a cold cache (a fresh browser
 *     context: empty HTTP cache, Cache API and IndexedDB) and on a warm one (the same context, loaded again);
 * (b) LeNet-5, one epoch (batch 64, Adam, the library's training loop) over the 60,000 MNIST training images in
 *     the page's Web Worker on the backend the page picks, beside the same epoch in Node on this machine
 *     (before and after the browser, averaged; default kernels, and plain wasm with OPTILAB_NATIVE=0 in a child
 *     process), as images/s and the ratio browser / Node;
 * (c) the tab's memory: performance.measureUserAgentSpecificMemory when the page may call it (it needs a
 *     cross-origin-isolated page), else CDP Performance.getMetrics (the page's JS heap), CDP Runtime.getHeapUsage
 *     of the session worker, and the renderer process's RSS / PSS / peak RSS from /proc (the browser's process
 *     tree under this process); the report says which were available;
 * and the first-load JavaScript (gzip -9 of every script until the network is idle) of a notebook page and of
 * pages without notebooks, plus what the runtime loads on demand when the first cell runs.
 * Timings are measurements to read against their targets (first result <= 5 s warm; ratio >= 0.3), never
 * test assertions.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { initBackend, kernelsInUse } from '../src/backend';
import { loadMnist } from '../src/data/files';
import { subset } from '../src/data/dataset';
import { createModel } from '../src/models/zoo';
import { train } from '../src/train/train';
import { CHROMIUM_ARGS, launch, serveSite, type Served } from '../tests/browser/site-harness';
import { benchFlag, type BenchReport, type Cell } from './harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const TARGET_FIRST_RESULT_WARM_MS = 5000;
const TARGET_RATIO = 0.3;
const JS_BUDGET_KB = 800;
const BATCH = 64;
const WARMUP_IMAGES = BATCH * 3;

const log = (s: string) => console.error(`[browser] ${new Date().toISOString().slice(11, 19)} ${s}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const mib = (bytes: number | null | undefined) => (typeof bytes === 'number' ? +(bytes / 2 ** 20).toFixed(1) : null);

// ---------------------------------------------------------------------------------------------------------------
// Node: the same epoch as the browser cell below.

interface Epoch { backend: string; kernels: string; nativeThreads: number | null; images: number; seconds: number; imagesPerSecond: number }

/** LeNet-5 (seed 0), a 3-batch warm-up, then one epoch over `limit` (all 60,000 when undefined) training images. */
export async function nodeEpoch(limit?: number): Promise<Epoch> {
  const backend = await initBackend();
  const { kernels, native } = kernelsInUse();
  const data = loadMnist({ split: 'train', limit });
  const model = createModel('lenet5', { seed: 0 });
  await train(model, subset(data, WARMUP_IMAGES), { epochs: 1, batchSize: BATCH });
  const r = await train(model, data, { epochs: 1, batchSize: BATCH });
  return { backend, kernels, nativeThreads: native.loaded ? (native.threads ?? null) : null, images: data.count, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond };
}

/** nodeEpoch in a child process with `env` (e.g. OPTILAB_NATIVE=0: a process decides on the addon once). */
function nodeEpochChild(env: NodeJS.ProcessEnv, limit?: number): Epoch {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--node-epoch', String(limit ?? '')], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: path.join(__dirname, '..') });
  if (r.status !== 0) throw new Error(`the Node epoch in a child process failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Epoch;
}

// ---------------------------------------------------------------------------------------------------------------
// The browser's process tree (chromium started by playwright under this process).

interface Proc { pid: number; ppid: number; cmd: string }

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(d), ppid, cmd: fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      /* gone */
    }
  }
  return out;
}

function descendants(root: number): Proc[] {
  const all = processes();
  const kids = new Map<number, Proc[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const out: Proc[] = [];
  const walk = (pid: number) => { for (const k of kids.get(pid) ?? []) { out.push(k); walk(k.pid); } };
  walk(root);
  return out;
}

interface ProcMemory { pid: number; type: string; rssBytes: number; peakRssBytes: number; pssBytes: number | null }

function procMemory(p: Proc): ProcMemory | null {
  try {
    const status = fs.readFileSync(`/proc/${p.pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    let pss: number | null = null;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
      if (m) pss = Number(m[1]) * 1024;
    } catch {
      /* no smaps_rollup */
    }
    const type = /--type=([\w-]+)/.exec(p.cmd)?.[1] ?? 'browser';
    return { pid: p.pid, type, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), pssBytes: pss };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of every chromium process under this one, by pid. */
function chromiumCpu(): Map<number, number> {
  const tick = 100; // USER_HZ on Linux
  const out = new Map<number, number>();
  for (const p of descendants(process.pid).filter((q) => /chrom/.test(q.cmd.split(' ')[0]))) {
    try {
      const stat = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state): utime is field 14, stime 15
      out.set(p.pid, (Number(f[11]) + Number(f[12])) / tick);
    } catch {
      /* gone */
    }
  }
  return out;
}
const cpuSince = (t0: Map<number, number>) => [...chromiumCpu()].reduce((s, [pid, v]) => s + v - (t0.get(pid) ?? 0), 0);

/** Memory of every chromium process under this one; the tab is the largest renderer (one tab is open). */
function chromiumMemory(): { tab: ProcMemory | null; renderers: ProcMemory[]; treePssBytes: number | null; treeRssBytes: number; processes: number } {
  const procs = descendants(process.pid).filter((p) => /chrom/.test(p.cmd.split(' ')[0]));
  const mem = procs.map(procMemory).filter((m): m is ProcMemory => m !== null);
  const renderers = mem.filter((m) => m.type === 'renderer').sort((a, b) => b.rssBytes - a.rssBytes);
  const pss = mem.every((m) => m.pssBytes !== null) ? mem.reduce((s, m) => s + (m.pssBytes ?? 0), 0) : null;
  return { tab: renderers[0] ?? null, renderers, treePssBytes: pss, treeRssBytes: mem.reduce((s, m) => s + m.rssBytes, 0), processes: mem.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Page measurements.

/** The session worker's V8 heap through the browser's CDP session (non-flat attach), or null and why. */
async function workerHeap(browser: Any): Promise<{ usedBytes: number; totalBytes: number } | { error: string }> {
  let cdp: Any;
  try {
    cdp = await browser.newBrowserCDPSession();
    const { targetInfos } = await cdp.send('Target.getTargets');
    const worker = (targetInfos as { type: string; targetId: string; url: string }[]).find((t) => t.type === 'worker');
    if (!worker) return { error: 'no worker target' };
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
    const reply = new Promise<Any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer from the worker within 10 s')), 10000);
      cdp.on('Target.receivedMessageFromTarget', (e: { sessionId: string; message: string }) => {
        const m = JSON.parse(e.message);
        if (e.sessionId === sessionId && m.id === 1) { clearTimeout(timer); resolve(m); }
      });
    });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }) });
    const m = await reply;
    await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    if (m.error) return { error: m.error.message };
    return { usedBytes: m.result.usedSize, totalBytes: m.result.totalSize };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  } finally {
    await cdp?.detach().catch(() => undefined);
  }
}

/** Every way this page's memory can be read here; which worked is in the result. */
async function tabMemory(browser: Any, context: Any, page: Any) {
  const uasm = await page.evaluate(async () => {
    const p = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
    if (typeof p.measureUserAgentSpecificMemory !== 'function') return { available: false, crossOriginIsolated: self.crossOriginIsolated, why: 'not defined in this page' };
    if (!self.crossOriginIsolated) return { available: false, crossOriginIsolated: false, why: 'the page is not cross-origin isolated (the site sends no COOP/COEP headers)' };
    try {
      const r = await Promise.race([p.measureUserAgentSpecificMemory(), new Promise<null>((res) => setTimeout(() => res(null), 30000))]);
      return r ? { available: true, crossOriginIsolated: true, bytes: r.bytes } : { available: false, crossOriginIsolated: true, why: 'no result within 30 s' };
    } catch (e) {
      return { available: false, crossOriginIsolated: true, why: (e as Error).message };
    }
  });
  let pageHeap: { usedBytes: number; totalBytes: number } | { error: string };
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (n: string) => (metrics as { name: string; value: number }[]).find((m) => m.name === n)?.value ?? NaN;
    pageHeap = { usedBytes: get('JSHeapUsedSize'), totalBytes: get('JSHeapTotalSize') };
    await cdp.detach();
  } catch (e) {
    pageHeap = { error: (e as Error).message.split('\n')[0] };
  }
  return { measureUserAgentSpecificMemory: uasm, pageHeap, workerHeap: await workerHeap(browser), processes: chromiumMemory() };
}

/** Waits until the page is interactive (React hydrated the Run cell buttons); returns performance.now(). */
async function hydrated(page: Any): Promise<number> {
  const h = await page.waitForFunction(() => {
    const b = document.querySelector('[data-run-cell]');
    return b && Object.keys(b).some((k) => k.startsWith('__reactProps')) ? performance.now() : false;
  }, null, { polling: 20, timeout: 120000 });
  return h.jsonValue();
}

/** Runs code cell `i` (with `source` if given) and waits until it ends; returns performance.now() then and its text. */
async function runCell(page: Any, i: number, timeout: number, source?: string): Promise<{ at: number; text: string }> {
  const cell = page.locator(`[data-cell="${i}"]`);
  if (source !== undefined) await cell.locator('textarea').fill(source);
  await cell.locator('[data-run-cell]').click();
  const h = await page.waitForFunction((k: number) => {
    const s = document.querySelector(`[data-cell="${k}"]`)!.getAttribute('data-cell-state');
    return s === 'ok' || s === 'error' || s === 'interrupted' ? { s, at: performance.now() } : false;
  }, i, { polling: 20, timeout });
  const { s, at } = await h.jsonValue();
  const text = (await cell.locator('.ol-nb-output').textContent()) ?? '';
  if (s !== 'ok') throw new Error(`cell ${i + 1} ended '${s}': ${text.slice(0, 600)}`);
  return { at, text };
}

interface Load { kind: 'cold' | 'warm'; firstResultMs: number; browserCpuMs: number; interactiveMs: number; domContentLoadedMs: number; loadMs: number; resources: number; fromHttpCache: number; firstCellOutput: string }

/** One load of `url` to the first code cell's result (the cell as stored in the notebook). */
async function firstResult(context: Any, url: string, kind: Load['kind']): Promise<Load> {
  const page = await context.newPage();
  const cpu0 = chromiumCpu();
  try {
    await page.goto(url, { waitUntil: 'commit' });
    const interactiveMs = await hydrated(page);
    const first = Number(await page.getAttribute('[data-cell]', 'data-cell'));
    const { at, text } = await runCell(page, first, 180000);
    const browserCpuMs = Math.round(1000 * cpuSince(cpu0));
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, resources: res.length, cached: res.filter((r) => r.transferSize === 0 && r.decodedBodySize > 0).length };
    });
    return { kind, firstResultMs: Math.round(at), browserCpuMs, interactiveMs: Math.round(interactiveMs), domContentLoadedMs: Math.round(nav.dcl), loadMs: Math.round(nav.load), resources: nav.resources, fromHttpCache: nav.cached, firstCellOutput: text.trim().slice(0, 120) };
  } finally {
    await page.close();
  }
}

interface Script { file: string; type: string; rawBytes: number; gzipBytes: number }
const gz = (b: Buffer) => zlib.gzipSync(b, { level: 9 }).length;

/**
 * The scripts a fresh load of `url` fetches: first-load JS = the 'script' requests until the network is idle (as
 * tests/browser/site.test.ts counts them); prefetched = the route chunks Docusaurus prefetches at low priority for
 * the links in view (requests of type 'other' in the next 3 s); with `thenRunFirstCell`, what running the page's
 * first code cell then loads (the session worker's scripts, which chromium reports as 'other', and wasm).
 */
async function firstLoadJs(browser: Any, base: string, url: string, thenRunFirstCell = false) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const before: Script[] = [];
  const onDemand: Script[] = [];
  let phase: Script[] = before;
  const pending: Promise<void>[] = [];
  page.on('response', (r: Any) => {
    const type = r.request().resourceType();
    const u = new URL(r.url());
    if (type !== 'script' && !/\.(js|wasm)$/.test(u.pathname)) return;
    const list = phase;
    pending.push(r.body().then((b: Buffer) => { list.push({ file: u.pathname, type, rawBytes: b.length, gzipBytes: gz(b) }); }, () => undefined));
  });
  try {
    await page.goto(base + url, { waitUntil: 'networkidle' });
    await page.waitForTimeout(3000);
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    if (thenRunFirstCell) {
      await hydrated(page);
      phase = onDemand;
      await runCell(page, Number(await page.getAttribute('[data-cell]', 'data-cell')), 180000);
      await page.waitForLoadState('networkidle');
      await Promise.all(pending);
    }
  } finally {
    await context.close();
  }
  const sum = (xs: Script[], k: 'rawBytes' | 'gzipBytes') => xs.reduce((t, x) => t + x[k], 0);
  const initial = before.filter((x) => x.type === 'script');
  const prefetched = before.filter((x) => x.type !== 'script');
  const js = onDemand.filter((x) => !x.file.endsWith('.wasm'));
  const wasm = onDemand.filter((x) => x.file.endsWith('.wasm'));
  return {
    page: url,
    files: initial.length,
    rawKB: Math.round(sum(initial, 'rawBytes') / 1024),
    gzipKB: Math.round(sum(initial, 'gzipBytes') / 1024),
    scripts: initial.map((x) => ({ file: x.file, gzipKB: +(x.gzipBytes / 1024).toFixed(1) })),
    prefetched: { files: prefetched.length, gzipKB: Math.round(sum(prefetched, 'gzipBytes') / 1024) },
    ...(thenRunFirstCell
      ? {
          onDemand: {
            jsFiles: js.length,
            jsGzipKB: Math.round(sum(js, 'gzipBytes') / 1024),
            jsRawKB: Math.round(sum(js, 'rawBytes') / 1024),
            wasm: wasm.map((x) => ({ file: x.file, rawKB: Math.round(x.rawBytes / 1024), gzipKB: Math.round(x.gzipBytes / 1024) })),
            scripts: js.map((x) => ({ file: x.file, type: x.type, rawKB: Math.round(x.rawBytes / 1024), gzipKB: +(x.gzipBytes / 1024).toFixed(1) })),
          },
        }
      : {}),
  };
}

/** The browser's epoch: the same steps as nodeEpoch, in a runner cell (the library's train in the Worker). */
const epochCell = (limit?: number) => [
  "import * as ol from 'optilab';",
  'const backend = await ol.initBackend();',
  `const data = ol.loadMnist({ split: 'train'${limit ? `, limit: ${limit}` : ''} });`,
  "const model = ol.createModel('lenet5', { seed: 0 });",
  `await ol.train(model, ol.subset(data, ${WARMUP_IMAGES}), { epochs: 1, batchSize: ${BATCH} });`,
  `const r = await ol.train(model, data, { epochs: 1, batchSize: ${BATCH} });`,
  'const wasm = (ol.tf.backend() as any).wasm;',
  "console.log('BENCH ' + JSON.stringify({ backend, kernels: ol.kernelsInUse().kernels, images: data.count, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond,",
  '  tfjsTensorBytes: ol.tf.memory().numBytes, wasmHeapBytes: wasm?.HEAPU8?.length ?? null, crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency }));',
].join('\n');

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const runs = Number(benchFlag(args, 'runs', quick ? '1' : '3'));
  const notebook = benchFlag(args, 'page', '/notebooks/00-getting-started');
  const plainPages = ['/quantization', '/'];
  const limit = quick ? BATCH * 50 : undefined;
  const withNode = !args.includes('--no-node');

  const node: Epoch[] = [];
  if (withNode) {
    log(`Node: LeNet-5 one epoch on ${limit ?? 60000} MNIST images (default kernels)`);
    node.push(await nodeEpoch(limit));
    log(`Node: ${node[0].imagesPerSecond.toFixed(0)} images/s on ${node[0].backend}/${node[0].kernels}`);
  }

  const served: Served = await serveSite();
  const browser = await launch();
  const chromium = browser.version();
  const loads: Load[] = [];
  let memoryIdle: Awaited<ReturnType<typeof tabMemory>> | null = null;
  let memoryTrained: Awaited<ReturnType<typeof tabMemory>> | null = null;
  let epoch: Record<string, Any> | null = null;
  let epochWallSeconds = 0;
  const js: Awaited<ReturnType<typeof firstLoadJs>>[] = [];
  let headers: Record<string, string> = {};
  try {
    const h = await fetch(served.base + notebook);
    headers = Object.fromEntries(['cache-control', 'etag', 'last-modified', 'content-encoding'].map((k) => [k, h.headers.get(k) ?? '(none)']));
    // (a) cold and warm loads to the first result.
    for (let k = 0; k < runs; k++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        loads.push(await firstResult(context, served.base + notebook, 'cold'));
        for (let w = 0; w < 2; w++) loads.push(await firstResult(context, served.base + notebook, 'warm'));
      } finally {
        await context.close();
      }
      log(`loads ${k + 1}/${runs}: ${loads.slice(-3).map((l) => `${l.kind} ${l.firstResultMs} ms`).join(', ')}`);
    }
    // First-load JavaScript: a notebook page (and what its first cell loads on demand), pages without notebooks.
    js.push(await firstLoadJs(browser, served.base, notebook, true));
    for (const p of plainPages) js.push(await firstLoadJs(browser, served.base, p));
    log(`first-load JS: ${js.map((j) => `${j.page} ${j.gzipKB} KB`).join(', ')}`);
    // (b) + (c): one tab; memory after the first cell, then the epoch, then memory again.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(served.base + notebook, { waitUntil: 'networkidle' });
      await hydrated(page);
      const first = Number(await page.getAttribute('[data-cell]', 'data-cell'));
      await runCell(page, first, 180000);
      memoryIdle = await tabMemory(browser, context, page);
      log(`browser: LeNet-5 one epoch on ${limit ?? 60000} MNIST images in the runner`);
      const t0 = Date.now();
      const { text } = await runCell(page, first, 3600000, epochCell(limit));
      epochWallSeconds = (Date.now() - t0) / 1000;
      const m = /BENCH (\{.*\})/.exec(text);
      if (!m) throw new Error(`the epoch cell printed no BENCH line: ${text.slice(0, 400)}`);
      epoch = JSON.parse(m[1]);
      log(`browser: ${epoch!.imagesPerSecond.toFixed(0)} images/s on ${epoch!.backend}`);
      memoryTrained = await tabMemory(browser, context, page);
    } finally {
      await context.close();
    }
  } finally {
    await browser.close();
    await served.stop();
  }
  let nodeWasm: Epoch | null = null;
  if (withNode) {
    log('Node: the same epoch again (default kernels), then on plain wasm (OPTILAB_NATIVE=0, child process)');
    node.push(await nodeEpoch(limit));
    if (node[0].kernels !== 'wasm') nodeWasm = nodeEpochChild({ OPTILAB_NATIVE: '0' }, limit);
  }

  const cold = loads.filter((l) => l.kind === 'cold').map((l) => l.firstResultMs);
  const warm = loads.filter((l) => l.kind === 'warm').map((l) => l.firstResultMs);
  const nodeIps = node.length ? node.reduce((s, e) => s + e.imagesPerSecond, 0) / node.length : null;
  const ratio = epoch && nodeIps ? epoch.imagesPerSecond / nodeIps : null;
  const ratioWasm = epoch && nodeWasm ? epoch.imagesPerSecond / nodeWasm.imagesPerSecond : null;
  const nb = js[0];
  const plain = js.slice(1);
  const loadDetail = (kind: Load['kind']) => {
    const ls = loads.filter((l) => l.kind === kind);
    return `runs ${ls.map((l) => l.firstResultMs).join(', ')} ms; interactive (hydrated) at ${median(ls.map((l) => l.interactiveMs))} ms; browser CPU ${median(ls.map((l) => l.browserCpuMs))} ms (all its processes, navigation to result)`;
  };
  const heap = (h: Any) => (h && 'usedBytes' in h ? mib(h.usedBytes) : null);
  const memRow = (when: string, m: typeof memoryIdle, more = '') => ({
    measure: `tab memory, ${when}`,
    value: mib(m?.processes.tab?.rssBytes), unit: 'MiB RSS', target: null, met: null,
    detail: m
      ? `renderer ${m.processes.tab?.pid}: PSS ${mib(m.processes.tab?.pssBytes)} MiB, peak RSS ${mib(m.processes.tab?.peakRssBytes)} MiB; JS heap page ${heap(m.pageHeap)} MiB, worker ${heap(m.workerHeap)} MiB; all ${m.processes.processes} chromium processes PSS ${mib(m.processes.treePssBytes)} MiB; measureUserAgentSpecificMemory ${m.measureUserAgentSpecificMemory.available ? `${mib(m.measureUserAgentSpecificMemory.bytes)} MiB` : 'unavailable'}${more}`
      : 'not measured',
  });
  const rows: Record<string, unknown>[] = [
    { measure: 'first cell result, cold cache', value: median(cold), unit: 'ms (median)', target: null, met: null, detail: loadDetail('cold') },
    { measure: 'first cell result, warm cache', value: median(warm), unit: 'ms (median)', target: `<= ${TARGET_FIRST_RESULT_WARM_MS}`, met: median(warm) <= TARGET_FIRST_RESULT_WARM_MS, detail: loadDetail('warm') },
    { measure: `LeNet-5 epoch, browser (${epoch?.backend})`, value: epoch?.imagesPerSecond ?? null, unit: 'images/s', target: null, met: null, detail: `${epoch?.images} images in ${epoch?.seconds?.toFixed(1)} s (cell wall ${epochWallSeconds.toFixed(1)} s incl. loading MNIST); crossOriginIsolated ${epoch?.crossOriginIsolated} (wasm threads need it), ${epoch?.hardwareConcurrency} cores` },
    { measure: `LeNet-5 epoch, Node (${node[0]?.backend}/${node[0]?.kernels})`, value: nodeIps, unit: 'images/s', target: null, met: null, detail: node.length ? `before ${node[0].imagesPerSecond.toFixed(0)}, after ${node[1]?.imagesPerSecond.toFixed(0)} images/s${node[0].nativeThreads ? `; native threads ${node[0].nativeThreads}` : ''}` : 'not measured (--no-node)' },
    { measure: 'LeNet-5 epoch, Node (wasm, OPTILAB_NATIVE=0)', value: nodeWasm?.imagesPerSecond ?? null, unit: 'images/s', target: null, met: null, detail: nodeWasm ? `${nodeWasm.images} images in ${nodeWasm.seconds.toFixed(1)} s (the browser's kernels, in Node)` : 'not measured' },
    { measure: 'ratio browser / Node (default kernels)', value: ratio === null ? null : +ratio.toFixed(3), unit: 'x', target: `>= ${TARGET_RATIO}`, met: ratio === null ? null : ratio >= TARGET_RATIO, detail: '' },
    { measure: 'ratio browser / Node (plain wasm)', value: ratioWasm === null ? null : +ratioWasm.toFixed(3), unit: 'x', target: null, met: null, detail: 'same kernels on both sides' },
    memRow('after the first cell', memoryIdle),
    memRow('after the epoch', memoryTrained, epoch ? `; in the worker: tfjs wasm heap ${mib(epoch.wasmHeapBytes)} MiB, tensors ${mib(epoch.tfjsTensorBytes)} MiB (the 60,000 images as float32 are ${mib((epoch.images as number) * 784 * 4)} MiB of ArrayBuffers, outside the V8 heap figure)` : ''),
    { measure: `first-load JS, notebook page ${nb.page}`, value: nb.gzipKB, unit: 'KB gzip', target: null, met: null, detail: `${nb.files} files, ${nb.rawKB} KB raw (+ ${nb.prefetched.gzipKB} KB of prefetched route chunks); the first cell then loads the runtime: ${nb.onDemand?.jsFiles} scripts, ${nb.onDemand?.jsGzipKB} KB gzip (${nb.onDemand?.jsRawKB} KB raw; the largest script ${Math.max(...(nb.onDemand?.scripts ?? []).map((x) => x.gzipKB))} KB), + ${nb.onDemand?.wasm.map((w) => `${path.basename(w.file)} ${w.rawKB} KB`).join(', ')}` },
    ...plain.map((p) => ({ measure: `first-load JS, page without notebooks ${p.page}`, value: p.gzipKB, unit: 'KB gzip', target: `<= ${JS_BUDGET_KB}`, met: p.gzipKB <= JS_BUDGET_KB, detail: `${p.files} files, ${p.rawKB} KB raw` })),
  ];
  const mem = memoryTrained ?? memoryIdle;
  return {
    rows,
    columns: [
      ['measure', (r) => r.measure as Cell],
      ['value', (r) => (typeof r.value === 'number' ? +r.value.toFixed(r.value >= 100 ? 0 : 2) : (r.value as Cell))],
      ['unit', (r) => r.unit as Cell],
      ['target', (r) => r.target as Cell],
      ['met', (r) => (r.met === null ? '-' : r.met ? 'yes' : 'NO')],
      ['detail', (r) => r.detail as Cell],
    ],
    notes: [
      `chromium ${chromium} headless with the browser tests' flags (${CHROMIUM_ARGS.join(' ')}); site/build served by site/serve.sh (docusaurus serve) on 127.0.0.1; its responses carry ${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
      `first cell result: navigation start to the first code cell of ${notebook} (as stored) ending ok, clicked as soon as React hydrated the page; cold = a fresh browser context (empty HTTP cache, Cache API, IndexedDB), warm = the same context loading the page again (2 warm loads per cold one, ${runs} contexts)`,
      `training: LeNet-5 (seed 0), batch ${BATCH}, Adam, cosine schedule, ${WARMUP_IMAGES}-image warm-up then one epoch over ${limit ?? 60000} MNIST training images, the library's train() on both sides: in the browser a runner cell in the page's Web Worker on the backend the page picks (${epoch?.backend}); in Node this process (${node[0]?.backend}/${node[0]?.kernels}) before and after the browser, and a child process with OPTILAB_NATIVE=0`,
      `memory: performance.measureUserAgentSpecificMemory ${mem?.measureUserAgentSpecificMemory.available ? 'available' : `unavailable (${mem?.measureUserAgentSpecificMemory.why})`}; used instead: CDP Performance.getMetrics JSHeapUsedSize of the page, CDP Runtime.getHeapUsage of the session worker (${mem && 'error' in mem.workerHeap ? `failed: ${mem.workerHeap.error}` : 'ok'}), and /proc VmRSS / Pss / VmHWM of the tab's renderer process (the largest renderer under this process; the worker runs inside it)`,
      ...(quick ? [`OPTILAB_QUICK=1: ${limit} training images, ${runs} load run(s)`] : []),
    ],
    extra: { loads, training: { browser: epoch, browserCellWallSeconds: epochWallSeconds, node, nodeWasm }, memory: { afterFirstCell: memoryIdle, afterEpoch: memoryTrained }, firstLoadJs: js, chromium, headers },
  };
}

if (require.main === module && process.argv.includes('--node-epoch')) {
  const limit = Number(process.argv[process.argv.indexOf('--node-epoch') + 1]) || undefined;
  nodeEpoch(limit).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => { console.error((e as Error).stack); process.exitCode = 1; },
  );
}
