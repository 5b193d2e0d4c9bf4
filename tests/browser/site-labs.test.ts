/**
 * Graded labs on the course site (built site/build served by site/serve.sh, Debian chromium via playwright-core):
 * - every notebooks/labs/*.ipynb has a page, and what the site ships of it (the page data, the page, the
 *   download copy, the whole build) is the student version `release` makes: no line of a solution and no
 *   hidden test (lines taken from the lab sources now, not from a list written here);
 * - on the quantization lab's page a reader sees the banner (hidden tests run only when the instructor
 *   grades), runs all with the stubs and sees the visible checks fail with the grader's feedback message and
 *   0 visible points, fills an answer with a wrong float64 scale and sees the exact check message, then fills
 *   the answer cells with the reference solutions taken from the lab source and sees every visible check pass.
 * Screenshots: test-artifacts/site-labs-*.png (the whole page with the stubs and solved, the banner, a tests cell).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';
import { serveSite, launch, artifact, BUILD, SITE, requireBuild, recordErrors, type Served } from './site-harness';
import { MARKERS, analyzeSource, cellSource, parseNotebook, release, type Notebook } from '../../src/grader/assignment/format';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const LABS = path.join(ROOT, 'notebooks', 'labs');
const labFiles = fs.readdirSync(LABS).filter((f) => f.endsWith('.ipynb')).sort();
const source = (file: string): Notebook => parseNotebook(fs.readFileSync(path.join(LABS, file), 'utf8'), file);

/** Lines inside `begin` ... `end` regions of a cell (markers excluded), trimmed and not blank. */
function regionLines(text: string, begin: string, end: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const l of text.split('\n')) {
    const t = l.trim();
    if (t === begin) inside = true;
    else if (t === end) inside = false;
    else if (inside && t) out.push(t);
  }
  return out;
}

/**
 * What must never reach the site: the markers, and every line of a solution or of a hidden test that the
 * student version does not also hold (a `});` or `return q;` of the stubs' context is not a secret).
 */
function secrets(file: string): { lines: string[]; hiddenChecks: string[] } {
  const nb = source(file);
  const student = release(source(file));
  const kept = new Set(student.cells.flatMap((c) => cellSource(c).split('\n').map((l) => l.trim())));
  const lines = new Set<string>();
  const hiddenChecks: string[] = [];
  for (const c of nb.cells) {
    const text = cellSource(c);
    for (const l of regionLines(text, MARKERS.beginSolution, MARKERS.endSolution)) if (!kept.has(l)) lines.add(l);
    for (const l of regionLines(text, MARKERS.beginHidden, MARKERS.endHidden)) {
      if (!kept.has(l)) lines.add(l);
      const m = /^check\('((?:[^'\\]|\\.)+)'/.exec(l);
      if (m) hiddenChecks.push(m[1]);
    }
  }
  // A short line (`];`, `return q;`) also occurs inside longer lines of the student version: not distinctive.
  return { lines: [...lines].filter((l) => l.length >= 16), hiddenChecks };
}

/** Each way a line can be written in a shipped file: as is, JSON-escaped, HTML-escaped. */
function forms(line: string): string[] {
  const json = JSON.stringify(line).slice(1, -1);
  const html = line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const html2 = html.replace(/'/g, '&#x27;');
  return [...new Set([line, json, html, html2, html.replace(/'/g, '&#39;')])];
}

function found(text: string, line: string): boolean {
  return forms(line).some((f) => text.includes(f));
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (/\.(html|js|json|ipynb|txt|xml)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The reference solution of an answer cell of the source: its text without the solution markers. */
function referenceAnswer(file: string, gradeId: string): string {
  const nb = source(file);
  const { cells } = analyzeSource(nb);
  const cell = cells.find((c) => c.kind === 'solution' && c.gradeId === gradeId);
  assert.ok(cell, `${file} has an answer cell ${gradeId}`);
  return cell.source.split('\n').filter((l) => l.trim() !== MARKERS.beginSolution && l.trim() !== MARKERS.endSolution).join('\n');
}

test('every graded lab has a page made from its student version; nothing of a solution or a hidden test is shipped', () => {
  requireBuild();
  assert.ok(labFiles.length >= 3, `labs found: ${labFiles.join(', ')}`);
  const buildFiles = walk(BUILD).map((f) => ({ f, text: fs.readFileSync(f, 'utf8') }));
  for (const file of labFiles) {
    const name = file.replace(/\.ipynb$/, '');
    const { lines, hiddenChecks } = secrets(file);
    assert.ok(lines.length > 5, `${file}: secret lines found in the source (${lines.length})`);
    const nb = source(file);
    const hasHidden = nb.cells.some((c) => cellSource(c).includes(MARKERS.beginHidden));
    if (hasHidden) assert.ok(hiddenChecks.length > 0, `${file}: hidden check names read from the source`);
    const data = path.join(SITE, 'src', 'generated', 'labs', `${name}.json`);
    const download = path.join(SITE, 'static', 'notebooks', 'labs', file);
    const page = [path.join(BUILD, 'labs', `${name}.html`), path.join(BUILD, 'labs', name, 'index.html')].find((p) => fs.existsSync(p)) ?? path.join(BUILD, 'labs', `${name}.html`);
    for (const p of [data, download, page, path.join(BUILD, 'notebooks', 'labs', file)]) assert.ok(fs.existsSync(p), `${path.relative(ROOT, p)} exists`);
    // The download copy is exactly what `optilab assign release` writes (release of the source).
    assert.deepEqual(JSON.parse(fs.readFileSync(download, 'utf8')), release(source(file)), `${file}: the download is the release`);
    // The page data carries the student version's cells, with their nbgrader roles.
    const json = JSON.parse(fs.readFileSync(data, 'utf8'));
    const student = release(source(file));
    assert.deepEqual(json.cells.filter((c: Any) => c.type === 'code').map((c: Any) => c.source), student.cells.filter((c) => c.cell_type === 'code').map((c) => cellSource(c)));
    assert.ok(json.cells.some((c: Any) => c.lab?.kind === 'tests' && c.lab.points > 0), `${file}: tests cells carry their points`);
    // Files that hold this lab's page (its page data has the grade ids) must hold no secret line and no marker.
    const gradeIds = student.cells.map((c) => c.metadata?.nbgrader?.grade_id).filter((g) => typeof g === 'string' && g.startsWith('test_')) as string[];
    const holders = buildFiles.filter(({ text }) => gradeIds.some((g) => text.includes(g)));
    assert.ok(holders.length > 0, `${file}: build files holding the lab page found`);
    const read = (f: string) => ({ f, text: fs.readFileSync(f, 'utf8') });
    for (const { f, text } of [read(data), read(download), read(page), read(path.join(BUILD, 'notebooks', 'labs', file)), ...holders]) {
      const leaked = [...Object.values(MARKERS), ...lines].filter((l) => found(text, l));
      assert.deepEqual(leaked, [], `${path.relative(ROOT, f)} holds text of a solution or a hidden test of ${file}`);
    }
    // No hidden check's name anywhere in the build.
    for (const n of hiddenChecks) {
      const where = buildFiles.filter(({ text }) => found(text, n)).map(({ f }) => path.relative(ROOT, f));
      assert.deepEqual(where, [], `hidden check '${n}' of ${file} is in the build`);
    }
  }
});

let served: Served;
let browser: Any;
let page: Any;
const errors: string[] = [];
const LAB = 'quantization-lab.ipynb';

before(async () => {
  served = await serveSite();
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  page = await context.newPage();
  recordErrors(page, errors);
});

after(async () => {
  await browser?.close();
  await served?.stop();
});

const cell = (i: number) => page.locator(`[data-cell="${i}"]`);

async function answerCells(): Promise<number[]> {
  return page.$$eval('[data-lab-cell="answer"]', (els: Element[]) => els.map((e) => Number((e as HTMLElement).dataset.cell)));
}

/** Presses Run all and waits until every tests cell has reported its checks and the session is idle. */
async function runAll(testsCells: number): Promise<void> {
  const before = Number(await page.getAttribute('[data-run-all-done]', 'data-run-all-done'));
  await page.click('[data-run-all]');
  await page.waitForFunction(([n, done]: [number, number]) => {
    const s = document.querySelector('[data-tests-cells-run]');
    const bar = document.querySelector('[data-run-all-done]');
    return s && bar && Number(bar.getAttribute('data-run-all-done')) > done && Number(s.getAttribute('data-tests-cells-run')) === n;
  }, [testsCells, before], { timeout: 180000 });
}

/** Every check shown: name, passed, message. */
async function shownChecks(): Promise<{ name: string; passed: boolean; message: string }[]> {
  return page.$$eval('[data-check]', (els: Element[]) => els.map((e) => ({
    name: (e as HTMLElement).dataset.check!, passed: (e as HTMLElement).dataset.checkPassed === 'true', message: e.querySelector('[data-check-message]')?.textContent ?? '',
  })));
}

test('a lab page runs its visible checks in the browser with the grader\'s check/expect and says hidden tests run only when grading', async () => {
  const name = LAB.replace(/\.ipynb$/, '');
  await page.goto(`${served.base}/labs/${name}`, { waitUntil: 'networkidle' });
  await page.evaluate(() => window.localStorage.clear());
  await page.reload({ waitUntil: 'networkidle' });

  // The banner, and no hidden test in what the reader got.
  const banner = (await page.locator('[data-lab-banner]').textContent()) ?? '';
  assert.match(banner, /Hidden tests run only when the instructor grades/);
  assert.match(banner, /not\s+your grade/);
  const html: string = await page.content();
  const { lines, hiddenChecks } = secrets(LAB);
  assert.deepEqual([...Object.values(MARKERS), ...lines, ...hiddenChecks].filter((l) => found(html, l)), [], 'the page holds no solution or hidden-test text');
  const student = release(source(LAB));
  const testsCells = student.cells.filter((c) => c.metadata?.nbgrader?.grade).length;
  // The visible checks, read from the student version: `check('name', points, ...` at the start of a line.
  const visible = student.cells.filter((c) => c.metadata?.nbgrader?.grade).flatMap((c) => [...cellSource(c).matchAll(/^check\('((?:[^'\\]|\\.)+)', (\d+(?:\.\d+)?),/gm)].map((m) => ({ name: m[1], points: Number(m[2]) })));
  const visiblePoints = visible.reduce((s, v) => s + v.points, 0);
  assert.ok(visible.length >= 3);

  // 1. The stubs: Run all goes through every cell, each visible check fails with the stub's message.
  await runAll(testsCells);
  let checks = await shownChecks();
  assert.deepEqual(checks.map((c) => c.name), visible.map((v) => v.name), 'the page shows exactly the visible checks, in order');
  for (const c of checks) {
    assert.equal(c.passed, false, `${c.name} fails with the stubs`);
    assert.match(c.message, /^Error: not implemented yet: replace this line with your code$/, `${c.name}: the feedback is the stub's error`);
  }
  assert.equal(await page.getAttribute('[data-visible-score]', 'data-visible-score'), `0/${visiblePoints}`);
  await page.screenshot({ path: artifact('site-labs-stub.png'), fullPage: true });
  await page.locator('[data-lab-cell="tests"]').first().screenshot({ path: artifact('site-labs-stub-cell.png') });

  // 2. A wrong answer (scale in float64: zero point 128 instead of 127) gets the check's own message.
  const answers = await answerCells();
  assert.equal(answers.length, 3);
  const params = referenceAnswer(LAB, 'affine_params');
  const wrong = params.replace(/Math\.fround\(([^;]*?)\) : 1;/, '$1 : 1;');
  assert.notEqual(wrong, params, 'the wrong answer differs from the reference');
  await cell(answers[0]).locator('textarea').fill(wrong);
  await runAll(testsCells);
  checks = await shownChecks();
  assert.equal(checks[0].passed, false);
  assert.equal(checks[0].message, 'CheckFailure: zeroPoint is 128, expected 127');

  // 3. The reference solutions, taken from the lab source now: every visible check passes.
  const ids = ['affine_params', 'quantize_fns', 'calibrate'];
  for (let k = 0; k < ids.length; k++) await cell(answers[k]).locator('textarea').fill(referenceAnswer(LAB, ids[k]));
  await runAll(testsCells);
  checks = await shownChecks();
  assert.deepEqual(checks.filter((c) => !c.passed), [], 'every visible check passes with the reference solutions');
  assert.equal(await page.getAttribute('[data-visible-score]', 'data-visible-score'), `${visiblePoints}/${visiblePoints}`);
  const score = (await page.locator('[data-visible-score]').textContent()) ?? '';
  assert.match(score, /Not your grade/);
  const states: string[] = await page.$$eval('[data-cell]', (els: Element[]) => els.map((e) => (e as HTMLElement).dataset.cellState));
  assert.ok(states.every((s) => s === 'ok'), `every code cell ran: ${states.join(', ')}`);
  // A tests cell shows its checks, not a value (check returns nothing, as in the lab).
  const printed: string[] = await page.$$eval('[data-lab-cell="tests"] .ol-nb-output pre', (els: Element[]) => els.map((e) => e.textContent ?? ''));
  assert.deepEqual(printed, [], 'tests cells print nothing but their checks');
  // Tests cells are read-only, answers editable (as in the student version).
  const testsCell = await page.$eval('[data-lab-cell="tests"] textarea', (t: Element) => (t as HTMLTextAreaElement).readOnly);
  assert.equal(testsCell, true);
  await page.locator('[data-lab-banner]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('site-labs-solved.png'), fullPage: true });
  await page.screenshot({ path: artifact('site-labs-banner.png') });
  await page.locator('[data-lab-cell="tests"]').nth(1).screenshot({ path: artifact('site-labs-solved-cell.png') });
  assert.deepEqual(errors, []);
});
