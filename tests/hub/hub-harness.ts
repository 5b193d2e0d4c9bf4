/**
 * Harness of the class-hub tests: runs the real `optilab hub` command (Debian JupyterHub, the npm proxy, one
 * course lab per student) with the test authenticator, students in Debian's chromium through playwright-core
 * (from labextension/, as the lab's browser tests do), and the JupyterLab app driven through `window.jupyterapp`.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as path from 'path';
import { createRequire } from 'module';
import { ROOT } from '../helpers';
import { CHROMIUM_ARGS, freePort, stopProcess } from '../browser/lab-harness';

const labRequire = createRequire(path.join(ROOT, 'labextension', 'package.json'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;
const { chromium } = labRequire('playwright-core') as { chromium: Any };

export const PASSWORD = 'optilab-hub-test';

export interface Hub {
  url: string;
  port: number;
  child: ChildProcess;
  output: string[];
}

/** Runs `optilab <args>` to completion (through tsx, like a student's `npx optilab`). */
export function optilab(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Starts `optilab hub --authenticator test` on a free port; resolves once it printed its address. */
export async function startHub(stateDir: string, extra: string[] = []): Promise<Hub> {
  const port = await freePort();
  const args = ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'hub', '--authenticator', 'test', '--port', String(port), '--state-dir', stateDir, '--test-password', PASSWORD, ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, OPTILAB_QUICK: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start in 60 s:\n${output.join('')}`)), 60_000);
    const onData = (b: Buffer) => {
      output.push(b.toString());
      const m = /optilab hub: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`optilab hub exited (${code}) before it was ready:\n${output.join('')}`)));
  });
  return { url, port, child, output };
}

/** SIGTERM to `optilab hub`; resolves with its exit code and the seconds it took to stop. */
export function stopHub(hub: Hub): Promise<{ code: number | null; seconds: number }> {
  return stopProcess(hub.child, 120_000);
}

/** One student in the browser: their own context (cookies), one page. */
export interface Student {
  name: string;
  context: Any;
  page: Any;
  errors: string[];
}

export async function launchBrowser(): Promise<Any> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

const HARMLESS = [/\/api\/me\b/, /\/api\/events\/subscribe/];

/** Logs `name` in through the hub's login page and waits for their lab to be ready; resolves with the seconds. */
export async function login(browser: Any, hubUrl: string, name: string): Promise<{ student: Student; seconds: number }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m: Any) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} ${m.location()?.url ?? ''}`;
    if (!HARMLESS.some((re) => re.test(text))) errors.push(text);
  });
  page.on('pageerror', (e: Error) => errors.push(`page error: ${e.message}`));
  const t0 = performance.now();
  await page.goto(`${hubUrl}hub/login`);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(new RegExp(`/user/${name}/lab`), { timeout: 120_000 }), page.click('input[type=submit], button[type=submit]')]);
  await page.waitForFunction(() => document.body.dataset.optilabLab === 'ready', null, { timeout: 60_000 });
  return { student: { name, context, page, errors }, seconds: (performance.now() - t0) / 1000 };
}

/** Runs `fn(app, arg)` in the student's page; `app` is the JupyterLab instance. */
export async function inLab<T>(s: Student, fn: string, arg?: unknown): Promise<T> {
  return s.page.evaluate(([src, a]: [string, unknown]) => new Function('app', 'arg', `return (${src})(app, arg);`)((window as Any).jupyterapp, a), [fn, arg]);
}

/** Opens a notebook and waits for its kernel to be idle (the first cell can race kernel start-up otherwise). */
export async function openNotebook(s: Student, nbPath: string): Promise<void> {
  await inLab(s, `async (app, path) => {
    const w = await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    await w.context.ready;
    await w.sessionContext.ready;
    const t = Date.now();
    while (w.sessionContext.session?.kernel?.status !== 'idle') {
      if (Date.now() - t > 90000) throw new Error('kernel not idle after 90 s: ' + w.sessionContext.session?.kernel?.status);
      await new Promise((r) => setTimeout(r, 50));
    }
  }`, nbPath);
}

/** Runs cells [from, to) of the current notebook one by one, waiting for each; returns each cell's output text. */
export async function runCells(s: Student, from: number, to: number, timeoutMs = 120_000): Promise<{ index: number; type: string; text: string; errors: string[] }[]> {
  return inLab(s, `async (app, [from, to, timeout]) => {
    const w = app.shell.currentWidget;
    const out = [];
    for (let i = from; i < Math.min(to, w.content.widgets.length); i++) {
      const cell = w.content.widgets[i];
      if (cell.model.type !== 'code') continue;
      w.content.activeCellIndex = i;
      const before = cell.model.executionCount;
      await app.commands.execute('notebook:run-cell');
      const t = Date.now();
      while (cell.model.executionCount === before || cell.model.executionCount === null || w.sessionContext.session.kernel.status !== 'idle') {
        if (Date.now() - t > timeout) throw new Error('cell ' + i + ' still running after ' + timeout + ' ms');
        await new Promise((r) => setTimeout(r, 50));
      }
      const outputs = cell.model.outputs.toJSON();
      out.push({
        index: i,
        type: cell.model.type,
        text: cell.outputArea.node.textContent,
        errors: outputs.filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr')).map((o) => o.ename ? o.ename + ': ' + o.evalue : o.text),
      });
    }
    return out;
  }`, [from, to, timeoutMs]);
}

/** Clicks the notebook's Submit button and waits for the outcome dialog; resolves with what the lab recorded. */
export async function clickSubmit(s: Student): Promise<string> {
  const nb = `#${await inLab<string>(s, '(app) => app.shell.currentWidget.id')}`;
  await s.page.evaluate(() => delete document.body.dataset.optilabLastSubmit);
  await s.page.click(`${nb} .optilab-submit-button`);
  await s.page.waitForFunction(() => document.body.dataset.optilabLastSubmit !== undefined, null, { timeout: 30_000 });
  const result = await s.page.evaluate(() => document.body.dataset.optilabLastSubmit as string);
  await s.page.waitForSelector('.jp-Dialog', { timeout: 10_000 });
  await s.page.click('.jp-Dialog .jp-Dialog-button'); // OK, or Close on an error
  await s.page.waitForSelector('.jp-Dialog', { state: 'detached', timeout: 10_000 });
  return result;
}
