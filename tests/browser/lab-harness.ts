/**
 * Browser-test harness for the course lab: starts `optilab lab` on a free port (as a student would), drives
 * Debian's chromium through playwright-core (installed in labextension/), and stops the lab with SIGTERM.
 */
import { spawn, execFileSync, type ChildProcess } from 'child_process';
import { freePort } from '../../src/hub/ports';
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import { ROOT } from '../helpers';

// playwright-core lives in the lab's own npm root, not the library workspace.
const labRequire = createRequire(path.join(ROOT, 'labextension', 'package.json'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const { chromium } = labRequire('playwright-core') as { chromium: Any };

export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Console errors jupyter_server 1.x causes in a JupyterLab 4 front end (endpoints it does not have). */
const HARMLESS = [/\/api\/me\b/, /\/api\/events\/subscribe/];


export { freePort };

export interface Lab {
  url: string;
  child: ChildProcess;
  output: string[];
  startedAt: number;
}

/** Starts `optilab lab --no-browser` serving `notebookDir`; resolves once it printed its address. */
export async function startLab(notebookDir: string): Promise<Lab> {
  const port = await freePort();
  const token = 'optilab-browser-test';
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'lab', '--no-browser', '--port', String(port), '--notebook-dir', notebookDir], {
    cwd: ROOT,
    // Its own settings and workspace state: a fresh lab every run, whatever an earlier run left.
    env: { ...process.env, OPTILAB_LAB_TOKEN: token, OPTILAB_LAB_STATE: path.join(notebookDir, '.lab-state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the lab did not start in 60 s:\n${output.join('')}`)), 60000);
    const onData = (b: Buffer) => {
      output.push(b.toString());
      const m = /optilab lab: (http:\/\/127\.0\.0\.1:\d+\/lab\?token=\S+)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`optilab lab exited (${code}) before it was ready:\n${output.join('')}`)));
  });
  return { url, child, output, startedAt };
}

/** Command lines of running processes that mention `text`. */
export function processesMentioning(text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(text) && !l.startsWith('ps '));
}

/** SIGTERM to `child`, SIGKILL after `killAfterMs`; resolves with its exit code and the seconds it took. */
export async function stopProcess(child: ChildProcess, killAfterMs: number): Promise<{ code: number | null; seconds: number }> {
  const t0 = performance.now();
  if (child.exitCode !== null) return { code: child.exitCode, seconds: 0 };
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, seconds: (performance.now() - t0) / 1000 };
}

/** Sends SIGTERM to `optilab lab` and resolves with its exit code and the seconds it took. */
export function stopLab(lab: Lab): Promise<{ code: number | null; seconds: number }> {
  return stopProcess(lab.child, 30000);
}

export interface Browser {
  browser: Any;
  page: Any;
  /** Console errors and page errors, except the known harmless 404s. */
  errors: string[];
}

export async function openBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
  const errors: string[] = [];
  page.on('console', (m: Any) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} ${m.location()?.url ?? ''}`;
    if (!HARMLESS.some((re) => re.test(text))) errors.push(text);
  });
  page.on('pageerror', (e: Error) => errors.push(`page error: ${e.message}`));
  return { browser, page, errors };
}
