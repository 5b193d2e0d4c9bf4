/**
 * The hand-in extension (@optilab/jupyterlab-submit, labextension/optilab-submit) in a real browser, loaded
 * beside the visualizers (@optilab/jupyterlab-viz) from the project's labextensions folder:
 * - a plain `optilab lab` (no assignment exchange) loads it, and it adds no Submit button or command;
 * - a lab whose server has an exchange (what `optilab hub` gives every student's server) shows the notebook's
 *   Submit button (screenshot: test-artifacts/lab-submit-button.png), which saves and hands in a released
 *   notebook (test-artifacts/lab-submit-dialog.png) and shows the server's refusal for one that is not released.
 * The hub suite (scripts/test.d/60-hub.sh) covers the rest under the real hub: students, deadlines, the size limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';
import { MAX_SUBMISSION_BYTES } from '../../src/grader/engine/engine';
import { ARTIFACTS, openBrowser, startLab, stopLab, type Browser, type Lab } from './lab-harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const BASE = path.join(ROOT, '.cache', 'lab-submit-test');
const SUBMIT_PLUGIN = '@optilab/jupyterlab-submit:plugin';
const VIZ_PLUGIN = '@optilab/jupyterlab-viz:renderers';
let b: Browser;
let lab: Lab | undefined;

function notebook(source: string) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [{ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source }],
  };
}

async function app<T>(fn: string, arg?: unknown): Promise<T> {
  // Runs `fn(app, arg)` in the page; `app` is the JupyterLab instance.
  return b.page.evaluate(([src, a]: [string, unknown]) => new Function('app', 'arg', `return (${src})(app, arg);`)((window as Any).jupyterapp, a), [fn, arg]);
}

/** Starts a lab on `dir` with `env` added to its environment (the harness passes process.env on). */
async function startWith(dir: string, env: Record<string, string>): Promise<Lab> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await startLab(dir);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Opens the lab with a fresh workspace and waits until every plugin of the hand-in extension has activated. */
async function openLab(url: string): Promise<void> {
  await b.page.goto(`${url}&reset`);
  await b.page.waitForSelector('.jp-Launcher', { timeout: 60000 });
  await b.page.waitForFunction((id: string) => (window as Any).jupyterapp?.isPluginActivated?.(id), SUBMIT_PLUGIN, { timeout: 30000 });
}

/** Opens `nbPath` and resolves with the selector of its panel once its toolbar is drawn. */
async function openNotebook(nbPath: string): Promise<string> {
  const id = await app<string>(`async (app, path) => {
    const w = await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    await w.context.ready;
    return w.id;
  }`, nbPath);
  const sel = `#${id}`;
  await b.page.waitForSelector(`${sel} .jp-Toolbar .jp-ToolbarButtonComponent`, { timeout: 30000 });
  return sel;
}

/** Leaves the page (so that it makes no requests to a stopped server) and stops the lab. */
async function leave(): Promise<void> {
  await b.page.goto('about:blank');
  if (lab) await stopLab(lab);
  lab = undefined;
}

before(async () => {
  fs.rmSync(BASE, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  b = await openBrowser();
});

after(async () => {
  await b?.browser.close();
  if (lab) await stopLab(lab);
});

test('the hand-in extension type-checks against the JupyterLab 4 packages', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'labextension', 'optilab-submit', 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a plain optilab lab loads both extensions, and the hand-in adds no Submit button or command', async () => {
  const dir = path.join(BASE, 'plain');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'lab.ipynb'), JSON.stringify(notebook('1 + 1'), null, 1));
  lab = await startWith(dir, {});
  try {
    await openLab(lab.url);
    const plugins = await app<Record<string, boolean>>(`(app, ids) => Object.fromEntries(ids.map((id) => [id, app.hasPlugin(id)]))`, [SUBMIT_PLUGIN, VIZ_PLUGIN, '@optilab/jupyterlab-viz:submit']);
    assert.deepEqual(plugins, { [SUBMIT_PLUGIN]: true, [VIZ_PLUGIN]: true, '@optilab/jupyterlab-viz:submit': false }, 'the hand-in is its own extension; the visualizers carry no Submit');
    const nb = await openNotebook('lab.ipynb');
    assert.equal(await b.page.$(`${nb} .optilab-submit-button`), null, 'no Submit button without an exchange');
    assert.equal(await app<boolean>(`(app) => app.commands.hasCommand('optilab:submit')`), false);
    assert.equal(await b.page.evaluate(() => document.body.dataset.optilabSubmit), undefined);
    assert.deepEqual(b.errors, []);
  } finally {
    await leave();
  }
});

test('with an exchange, the notebook has a Submit button that hands in a released notebook and shows a refusal', async () => {
  const dir = path.join(BASE, 'student');
  const exchange = path.join(BASE, 'exchange');
  fs.mkdirSync(path.join(dir, 'labs'), { recursive: true });
  fs.mkdirSync(path.join(exchange, 'released'), { recursive: true });
  fs.writeFileSync(path.join(exchange, 'released', 'hand-in.ipynb'), JSON.stringify(notebook('// your answer'), null, 1));
  fs.writeFileSync(path.join(dir, 'labs', 'hand-in.ipynb'), JSON.stringify(notebook('const answer = 42;'), null, 1));
  fs.writeFileSync(path.join(dir, 'labs', 'scratch.ipynb'), JSON.stringify(notebook('1 + 1'), null, 1));
  b.errors.length = 0;
  lab = await startWith(dir, { OPTILAB_EXCHANGE: exchange, OPTILAB_SUBMISSION_MAX_BYTES: String(MAX_SUBMISSION_BYTES), JUPYTERHUB_USER: 'student1' });
  try {
    await openLab(lab.url);
    await b.page.waitForFunction(() => document.body.dataset.optilabSubmit === 'ready', null, { timeout: 30000 });
    assert.equal(await app<boolean>(`(app) => app.commands.hasCommand('optilab:submit')`), true);
    const nb = await openNotebook('labs/hand-in.ipynb');
    const button = await b.page.waitForSelector(`${nb} .optilab-submit-button`, { timeout: 30000 });
    assert.match(await button.textContent(), /Submit/);
    await b.page.screenshot({ path: path.join(ARTIFACTS, 'lab-submit-button.png') });

    await button.click();
    await b.page.waitForFunction(() => document.body.dataset.optilabLastSubmit !== undefined, null, { timeout: 30000 });
    const outcome = await b.page.evaluate(() => document.body.dataset.optilabLastSubmit as string);
    assert.match(outcome, /^hand-in \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await b.page.waitForSelector('.jp-Dialog', { timeout: 10000 });
    assert.match(await b.page.textContent('.jp-Dialog'), /Submitted[\s\S]*hand-in was handed in at .*submission 1/);
    await b.page.screenshot({ path: path.join(ARTIFACTS, 'lab-submit-dialog.png') });
    await b.page.click('.jp-Dialog .jp-Dialog-button');
    await b.page.waitForSelector('.jp-Dialog', { state: 'detached', timeout: 10000 });
    const folder = path.join(exchange, 'submitted', 'hand-in', 'student1');
    const meta = JSON.parse(fs.readFileSync(path.join(folder, 'submission.json'), 'utf8'));
    assert.equal(meta.submissions.length, 1);
    assert.equal(meta.submissions[0].submittedAt, outcome.split(' ')[1]);
    assert.match(fs.readFileSync(path.join(folder, meta.submissions[0].file), 'utf8'), /const answer = 42;/);

    // A notebook that is not a released assignment: the server's message, in an error dialog.
    const other = await openNotebook('labs/scratch.ipynb');
    await b.page.evaluate(() => delete document.body.dataset.optilabLastSubmit);
    await b.page.click(`${other} .optilab-submit-button`);
    await b.page.waitForFunction(() => document.body.dataset.optilabLastSubmit !== undefined, null, { timeout: 30000 });
    assert.match(await b.page.evaluate(() => document.body.dataset.optilabLastSubmit as string), /^error: scratch\.ipynb is not a released assignment \(released: hand-in\)/);
    await b.page.waitForSelector('.jp-Dialog', { timeout: 10000 });
    assert.match(await b.page.textContent('.jp-Dialog'), /Not submitted/);
    await b.page.click('.jp-Dialog .jp-Dialog-button');
    assert.ok(!fs.existsSync(path.join(exchange, 'submitted', 'scratch')));
    // The refusal is a 400 the lab shows; nothing else went wrong in the page.
    assert.deepEqual(b.errors.filter((e) => !/optilab\/submit/.test(e) && !/status of 400/.test(e)), []);
  } finally {
    await leave();
  }
});
