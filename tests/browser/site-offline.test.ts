/**
 * The course site offline after a first visit (site/static/sw.js): a reader opens a notebook page, runs a cell,
 * loses the network, reloads, and the page, its notebook runtime and the cell still work. Every request of the
 * visit goes to the site itself. Screenshot: test-artifacts/site-offline.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveSite, launch, artifact, type Served } from './site-harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let served: Served;
let browser: Any;

before(async () => {
  served = await serveSite();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

/** Runs the first code cell of the page and returns its state and output. */
async function runFirstCell(page: Any): Promise<{ state: string; text: string }> {
  const first = page.locator('[data-cell]').first();
  await first.locator('[data-run-cell]').click();
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-cell]')!.getAttribute('data-cell-state');
    return s === 'ok' || s === 'error' || s === 'lab-only';
  }, null, { timeout: 120000 });
  return { state: await first.getAttribute('data-cell-state'), text: (await first.locator('.ol-nb-output').textContent()) ?? '' };
}

test('after one visit a notebook page loads and runs a cell offline; no request leaves the site', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const hosts = new Set<string>();
  context.on('request', (r: Any) => hosts.add(new URL(r.url()).host));
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e: Error) => pageErrors.push(e.message));
  try {
    const url = `${served.base}/notebooks/01-numerics`;
    await page.goto(url, { waitUntil: 'networkidle' });
    // the first load installs the service worker; from the next load on, it sees (and keeps) every request
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload({ waitUntil: 'networkidle' });
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the service worker controls the page');
    const online = await runFirstCell(page);
    assert.equal(online.state, 'ok', online.text);

    await context.setOffline(true);
    await page.reload({ waitUntil: 'load' });
    await page.locator('[data-run-all]').waitFor({ timeout: 30000 });
    const offline = await runFirstCell(page);
    assert.equal(offline.state, 'ok', `offline run: ${offline.text}`);
    assert.equal(offline.text, online.text, 'the same output offline');
    await page.screenshot({ path: artifact('site-offline.png') });
    assert.deepEqual([...hosts], [new URL(served.base).host], 'every request goes to the site');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
