// Feedback pages of a real grading run, opened in Debian's chromium through playwright-core (installed in
// labextension/ by its setup step): the student sees the score, every check and the errors of their cells.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';
import { release } from '../../src/grader/assignment/format';
import { gradeSubmissions } from '../../src/grader/engine/grade';
import { ROOT } from '../helpers';
import { MINI, notebook } from './notebooks';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const labRequire = createRequire(path.join(ROOT, 'labextension', 'package.json'));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-fb-'));
const out = path.join(work, 'out');
let browser: Any;

before(async () => {
  const source = path.join(work, 'mini.ipynb');
  fs.writeFileSync(source, JSON.stringify(notebook(MINI)));
  const subs = path.join(work, 'subs');
  fs.mkdirSync(subs);
  const make = (clamp: string, mean: string, extra?: string) => {
    const nb: Any = release(notebook(MINI) as Any);
    for (const c of nb.cells) {
      if (c.metadata?.nbgrader?.grade_id === 'clamp') c.source = clamp;
      if (c.metadata?.nbgrader?.grade_id === 'mean') c.source = mean;
      if (c.metadata?.nbgrader?.grade_id === 'test_clamp') c.source = "check('<b>free</b>', 9, () => {})";
    }
    if (extra) nb.cells.push({ cell_type: 'code', metadata: {}, source: extra, outputs: [] });
    return JSON.stringify(nb);
  };
  fs.writeFileSync(path.join(subs, 'ada.ipynb'), make('function clamp(x: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, x)); }', 'function mean(xs: number[]): number { return xs[0]; }', 'const broken: number = "text";'));
  fs.writeFileSync(path.join(subs, 'bea.ipynb'), '{"not": "a notebook"');
  const s = await gradeSubmissions({ source, submissions: subs, out, repo: ROOT, concurrency: 2 });
  assert.equal(s.graded, 2);
  const { chromium } = labRequire('playwright-core') as Any;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
});

after(async () => {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('a graded student sees score, checks with messages, notes and their type error', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m: Any) => m.type() === 'error' && errors.push(m.text()));
  page.on('request', (r: Any) => requests.push(r.url()));
  await page.goto(pathToFileURL(path.join(out, 'feedback', 'ada.html')).href);
  assert.equal((await page.textContent('[data-testid=score]')).trim(), '3 / 5');
  assert.equal(await page.locator('[data-testid=test]').count(), 2);
  assert.equal(await page.locator('[data-testid=check]').count(), 4);
  const mean = page.locator('[data-grade-id=test_mean]');
  assert.equal((await mean.locator('[data-testid=test-points]').textContent()).trim(), '1 / 3');
  assert.match(await mean.textContent(), /mean of \[1, 2, 3\].*value differs: got 1, expected 2/s);
  // a hidden check shows its name and points only (its message could carry hidden inputs or expected values)
  assert.match(await mean.textContent(), /means of several arrays \(partial credit\) 1\/2 hidden test/);
  assert.doesNotMatch(await mean.textContent(), /partial credit: 50%/);
  assert.match(await page.textContent('[data-testid=notes]'), /tests cell 'test_clamp' was modified in your notebook: the original was used/);
  assert.match(await page.textContent('[data-testid=cell-error]'), /Type 'string' is not assignable to type 'number'/);
  // the student's HTML-looking text is shown as text, never rendered
  assert.equal(await page.locator('b:text("free")').count(), 0);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'the page loads nothing from the network');
  fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'test-artifacts', 'grader-feedback.png'), fullPage: true });
  await page.close();
});

test('an invalid submission gets a page that says why', async () => {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(path.join(out, 'feedback', 'bea.html')).href);
  assert.equal((await page.textContent('[data-testid=score]')).trim(), '0 / 5');
  assert.match(await page.textContent('[data-testid=invalid]'), /could not be graded.*not valid JSON/s);
  await page.close();
});
