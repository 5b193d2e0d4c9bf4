/**
 * Harness of the site's browser tests: serves the built site (site/build) with `bash site/serve.sh` on a
 * free 127.0.0.1 port and drives Debian's chromium through playwright-core (installed in site/).
 */
import { spawn, type ChildProcess } from 'child_process';
import { freePort } from '../../src/hub/ports';
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import { ROOT } from '../helpers';

export const SITE = path.join(ROOT, 'site');
export const BUILD = path.join(SITE, 'build');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const siteRequire = createRequire(path.join(SITE, 'package.json'));

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Fails early with what to run when the site was not built. */
export function requireBuild(): void {
  if (!fs.existsSync(path.join(BUILD, 'index.html'))) {
    throw new Error('site/build is missing: run `bash scripts/setup.d/30-site.sh` (or `npm run build` in site/) first.');
  }
}


export interface Served {
  base: string;
  stop(): Promise<void>;
}

/** Starts site/serve.sh on a free port and waits until it answers. */
export async function serveSite(): Promise<Served> {
  requireBuild();
  const port = await freePort();
  const child: ChildProcess = spawn('bash', [path.join(SITE, 'serve.sh'), '--port', String(port)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(base + '/');
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) throw new Error(`serve.sh exited (${child.exitCode}): ${log}`);
    if (Date.now() - t0 > 30000) throw new Error(`serve.sh did not answer within 30 s: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    async stop() {
      if (child.exitCode === null) {
        try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

/** Launches chromium. */
export async function launch(): Promise<Any> {
  const { chromium } = siteRequire('playwright-core') as { chromium: Any };
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Chapter and notebook pages of the build, from its sitemap (paths like `/quantization`). */
export function sitePaths(): string[] {
  const xml = fs.readFileSync(path.join(BUILD, 'sitemap.xml'), 'utf8');
  return [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname);
}

export function artifact(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * Records a page's uncaught errors and failed responses (HTTP >= 400) into `errors`, which tests assert empty.
 *
 * @example
 * const errors: string[] = []; recordErrors(page, errors); ...; assert.deepEqual(errors, []);
 */
export function recordErrors(page: Any, errors: string[]): void {
  page.on('pageerror', (e: Error) => errors.push(`page error: ${e.message}`));
  page.on('response', (r: Any) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
}
