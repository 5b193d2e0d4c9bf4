/**
 * Runs one submission's cell plan in fresh sandboxed kernels, reading test results only from the trusted
 * channel (see harness.js): a per-kernel socket on fd 3 carrying HMAC-signed records, each bound to the
 * random nonce of the test cell that produced it. A warm pool keeps kernels started (and the harness
 * installed) ahead of need; a kernel serves exactly one submission and is killed afterwards.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Socket } from 'net';
import { ExecuteResult, Kernel, startKernel } from './kernel';
import { kernelV8Flags, sandboxedKernelLaunch, SandboxLimits } from './sandbox';
import { KernelImage, kernelImageOrNull, rejectKernelImage } from './kernel-image';
import { HARNESS_PATH as HARNESS } from './harness-path';

/** The names a wrapped test cell receives from the harness (must match SAFE_NAMES in harness.js). */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const SAFE_NAMES: string[] = require(HARNESS).SAFE_NAMES;

/** A test record as the harness sends it. */
export interface CheckRecord {
  name: string;
  points: number;
  earned: number;
  message: string;
}

interface TrustedRecord {
  nonce: string;
  gradeId: string;
  checks: CheckRecord[];
  error: string;
}

/** A kernel with the grading harness installed and its result channel open. */
export class GradingKernel {
  private buffer = '';
  private bytes = 0;
  private records: TrustedRecord[] = [];
  private waiting: (() => void)[] = [];

  constructor(
    readonly kernel: Kernel,
    private readonly key: Buffer,
    private readonly channel: Socket,
    readonly dirs: string[],
  ) {
    channel.on('data', (d: Buffer) => this.onData(d));
    channel.on('error', () => undefined);
  }

  private onData(d: Buffer): void {
    this.bytes += d.length;
    if (this.bytes > 16 * 2 ** 20) return; // junk flood: ignore the rest
    this.buffer += d.toString('utf8');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const r = this.verify(line);
      if (r) this.records.push(r);
    }
    if (this.buffer.length > 4 * 2 ** 20) this.buffer = '';
    for (const w of this.waiting.splice(0)) w();
  }

  /** Parses and authenticates one channel line; anything malformed or unsigned is dropped. */
  private verify(line: string): TrustedRecord | null {
    try {
      const { record, mac } = JSON.parse(line) as { record: string; mac: string };
      if (typeof record !== 'string' || typeof mac !== 'string' || mac.length !== 64) return null;
      const want = createHmac('sha256', this.key).update(record, 'utf8').digest();
      if (!timingSafeEqual(want, Buffer.from(mac, 'hex'))) return null;
      const r = JSON.parse(record) as TrustedRecord;
      if (typeof r.nonce !== 'string' || !Array.isArray(r.checks)) return null;
      return r;
    } catch {
      return null;
    }
  }

  /** The first authenticated record carrying `nonce` (waits up to `ms` for it to arrive). */
  async takeRecord(nonce: string, ms: number): Promise<TrustedRecord | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.records.findIndex((r) => r.nonce === nonce);
      if (i >= 0) {
        const r = this.records[i];
        this.records = this.records.filter((x) => x.nonce !== nonce);
        return r;
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Kills the kernel and removes its private folders. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kernel.kill();
    this.channel.destroy();
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
    const cleanup = this.cleanup;
    if (cleanup) void this.kernel.waitExit(5000).then(() => cleanup());
  }
  private disposed = false;
  cleanup?: () => void;
}

/** Options of the kernels the grader starts. */
export interface KernelOptions {
  repo: string;
  /** Short folder for kernels' scratch and socket folders (unix socket paths must stay < 100 bytes). */
  workDir: string;
  limits?: SandboxLimits;
  /** false runs kernels without bubblewrap (only for machines without it; never for untrusted work). */
  sandbox?: boolean;
  startTimeoutMs?: number;
  /** false starts kernels without the kernel image (./kernel-image.ts). Default true. */
  image?: boolean;
  /** Folder for kernel images. Default <repo>/.cache/kernel-image. */
  imageDir?: string;
}

let kernelCounter = 0;

/**
 * Starts a fresh sandboxed kernel and installs the harness (first cell, before any submission code).
 *
 * @example
 * const gk = await startGradingKernel({ repo: repoRoot(), workDir: '/tmp/og-1' });
 */
export async function startGradingKernel(opts: KernelOptions): Promise<GradingKernel> {
  const image = opts.image === false ? null : await kernelImageOrNull({ repo: opts.repo, v8Flags: kernelV8Flags(opts.limits), cacheDir: opts.imageDir });
  try {
    return await startKernelWithHarness(opts, image);
  } catch (e) {
    if (!image) throw e;
    // A kernel image that does not start (a damaged file, a changed Node) is dropped for this process.
    rejectKernelImage(image, e as Error);
    return startKernelWithHarness(opts, null);
  }
}

async function startKernelWithHarness(opts: KernelOptions, image: KernelImage | null): Promise<GradingKernel> {
  const id = `${process.pid.toString(36)}${(kernelCounter++).toString(36)}${randomBytes(2).toString('hex')}`;
  const scratch = path.join(opts.workDir, `s${id}`);
  const sock = path.join(opts.workDir, `k${id}`);
  const launch = sandboxedKernelLaunch({ repo: opts.repo, scratch, socketDir: sock, limits: opts.limits, sandbox: opts.sandbox, image });
  const key = randomBytes(32);
  let kernel: Kernel;
  try {
    kernel = await startKernel(launch, opts.startTimeoutMs ?? 60_000);
  } catch (e) {
    launch.cleanup?.();
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(sock, { recursive: true, force: true });
    throw e;
  }
  const channel = kernel.child.stdio[3] as Socket;
  const gk = new GradingKernel(kernel, key, channel, [scratch, sock]);
  gk.cleanup = launch.cleanup;
  channel.write(`${key.toString('hex')}\n`);
  const r = await kernel.execute(`require(${JSON.stringify(HARNESS)}).install(3);`, { timeoutMs: 30_000 });
  if (r.status !== 'ok') {
    gk.dispose();
    throw new Error(`could not install the grading harness: ${r.status} ${r.stderr} ${JSON.stringify(r.outputs).slice(0, 500)}`);
  }
  return gk;
}

/**
 * A warm pool: keeps `size` fresh kernels starting or ready. `acquire()` hands one out (each kernel is used
 * once) and starts its replacement.
 *
 * @example
 * const pool = new KernelPool(opts, 2); const k = await pool.acquire(); ...; k.dispose(); pool.close();
 */
export class KernelPool {
  private ready: Promise<GradingKernel>[] = [];
  private closed = false;

  constructor(
    private readonly opts: KernelOptions,
    private readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const p = this.startWithRetry();
    p.catch(() => undefined);
    this.ready.push(p);
  }

  private async startWithRetry(): Promise<GradingKernel> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await startGradingKernel(this.opts);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  /** A fresh kernel with the harness installed. */
  async acquire(): Promise<GradingKernel> {
    if (this.closed) throw new Error('the kernel pool is closed');
    if (!this.ready.length) this.spawn();
    const p = this.ready.shift()!;
    if (this.ready.length < this.size) this.spawn();
    return p;
  }

  /** Kills kernels that were started but not handed out. */
  async close(): Promise<void> {
    this.closed = true;
    const rest = this.ready.splice(0);
    await Promise.all(rest.map((p) => p.then((k) => k.dispose(), () => undefined)));
  }
}

/** One cell of a grading plan. */
export interface PlanCell {
  kind: 'student' | 'locked' | 'tests';
  gradeId: string;
  source: string;
  points: number;
}

/** Time, memory and output limits of a grading run. */
export interface RunLimits {
  cellTimeoutMs: number;
  notebookTimeoutMs: number;
  /** Output characters per cell before the kernel is stopped. */
  maxOutputChars: number;
  /** Fresh kernels allowed after a cell kills or hangs its kernel (the culprit cell is skipped on replay). */
  maxRestarts: number;
}

export const DEFAULT_LIMITS: RunLimits = { cellTimeoutMs: 60_000, notebookTimeoutMs: 300_000, maxOutputChars: 2_000_000, maxRestarts: 2 };

/** What happened to one cell. */
export interface CellOutcome {
  gradeId: string;
  kind: PlanCell['kind'];
  status: ExecuteResult['status'] | 'skipped' | 'not-run';
  seconds: number;
  /** Error text (type errors, exceptions) or the reason a cell did not run. */
  error: string;
  /** The start of the cell's printed text output (for feedback). */
  output: string;
}

/** The score of one tests cell. */
export interface TestOutcome {
  gradeId: string;
  points: number;
  earned: number;
  checks: CheckRecord[];
  /** Why the cell earned less than its points, beyond its failed checks. */
  message: string;
}

/** Wraps a tests cell so that it reaches the harness through names student code cannot shadow or patch. */
export function wrapTestCell(source: string, nonce: string, gradeId: string): string {
  const tag = nonce.slice(0, 12);
  // `({}).constructor.constructor` is the frozen intrinsic Function: it reaches the real global object even if
  // student code declared its own `globalThis`. (tslab needs the await in a second statement.)
  return [
    `const ogG${tag}: any = ({}).constructor.constructor('return this')();`,
    `const ogR${tag} = await ogG${tag}.__optilab_grader__.run(${JSON.stringify(nonce)}, ${JSON.stringify(gradeId)}, async (__og: any) => { 'use strict';`,
    `const { check, expect, ref, ${SAFE_NAMES.join(', ')} } = __og;`,
    source,
    '});',
  ].join('\n');
}

function textOf(r: ExecuteResult): { error: string; output: string } {
  let output = '';
  let error = '';
  for (const o of r.outputs as any[]) {
    if (o.output_type === 'stream' && o.name === 'stdout') output += String(o.text);
    if (o.output_type === 'stream' && o.name === 'stderr') error += String(o.text);
    if (o.output_type === 'error') error += `${o.ename}: ${o.evalue}\n`;
    if ((o.output_type === 'display_data' || o.output_type === 'execute_result') && o.data?.['text/plain']) output += `${String(o.data['text/plain'])}\n`;
  }
  return { error: error.slice(0, 4000), output: output.slice(0, 2000) };
}

/**
 * Runs a plan: student and locked cells as they are, tests cells wrapped with a fresh nonce; a tests cell
 * scores only from its authenticated record. When a cell hangs, floods output or kills the kernel, a fresh
 * kernel replays the earlier non-test cells (without the culprit) and grading goes on, up to maxRestarts.
 *
 * @example
 * const { tests, cells } = await runPlan(plan, () => pool.acquire(), DEFAULT_LIMITS);
 */
export async function runPlan(plan: PlanCell[], acquire: () => Promise<GradingKernel>, limits: RunLimits): Promise<{ tests: TestOutcome[]; cells: CellOutcome[]; restarts: number }> {
  const deadline = Date.now() + limits.notebookTimeoutMs;
  const cells: CellOutcome[] = plan.map((c) => ({ gradeId: c.gradeId, kind: c.kind, status: 'not-run', seconds: 0, error: '', output: '' }));
  const tests: TestOutcome[] = plan.filter((c) => c.kind === 'tests').map((c) => ({ gradeId: c.gradeId, points: c.points, earned: 0, checks: [], message: 'not run' }));
  const testOf = (gradeId: string) => tests.find((t) => t.gradeId === gradeId)!;
  const skip = new Set<number>();
  let restarts = 0;
  let gk = await acquire();
  try {
    let i = 0;
    while (i < plan.length) {
      const cell = plan[i];
      const left = deadline - Date.now();
      if (left <= 0) {
        for (let j = i; j < plan.length; j++) {
          cells[j].error = 'the notebook time limit was reached before this cell';
          if (plan[j].kind === 'tests') testOf(plan[j].gradeId).message = 'not run: the notebook time limit was reached';
        }
        break;
      }
      const timeoutMs = Math.min(limits.cellTimeoutMs, left);
      const nonce = randomBytes(24).toString('hex');
      const code = cell.kind === 'tests' ? wrapTestCell(cell.source, nonce, cell.gradeId) : cell.source;
      const r = await gk.kernel.execute(code, { timeoutMs, maxOutputChars: limits.maxOutputChars });
      const text = textOf(r);
      cells[i] = { ...cells[i], status: r.status, seconds: r.seconds, error: text.error, output: text.output };
      if (cell.kind === 'tests') {
        const t = testOf(cell.gradeId);
        const rec = r.status === 'ok' || r.status === 'error' ? await gk.takeRecord(nonce, 500) : null;
        if (rec && rec.gradeId === cell.gradeId) {
          const total = rec.checks.reduce((s, c) => s + Math.max(0, Number(c.points) || 0), 0);
          const got = rec.checks.reduce((s, c) => s + Math.max(0, Math.min(Number(c.points) || 0, Number(c.earned) || 0)), 0);
          t.checks = rec.checks;
          t.earned = total > 0 ? Math.round(((cell.points * got) / total) * 1e6) / 1e6 : 0;
          t.message = rec.error ? `the tests stopped early: ${rec.error}` : total > 0 ? '' : 'no check ran';
        } else {
          t.earned = 0;
          t.message = r.status === 'error' ? `the tests cell failed before reporting: ${(text.error || 'error').split('\n')[0].slice(0, 300)}` : `no trusted result (${r.status})`;
        }
      }
      if (r.status === 'timeout' || r.status === 'died' || r.status === 'output-limit') {
        const why = r.status === 'timeout' ? `did not finish within ${Math.round(timeoutMs / 1000)} s` : r.status === 'died' ? `stopped the kernel (${gk.kernel.exitInfo || 'exited'})` : `printed more than ${limits.maxOutputChars} characters`;
        cells[i].error = `this cell ${why}${cells[i].error ? `\n${cells[i].error}` : ''}`;
        if (cell.kind === 'tests') testOf(cell.gradeId).message = `this tests cell ${why}`;
        skip.add(i);
        gk.dispose();
        if (restarts >= limits.maxRestarts || Date.now() >= deadline) {
          for (let j = i + 1; j < plan.length; j++) {
            cells[j].status = 'not-run';
            cells[j].error = `not run: an earlier cell ${why} and the restart limit was reached`;
            if (plan[j].kind === 'tests') testOf(plan[j].gradeId).message = 'not run: an earlier cell stopped the kernel too often';
          }
          return { tests, cells, restarts };
        }
        restarts++;
        gk = await acquire();
        // Replay the earlier code (never tests cells: their scores are already recorded) in the fresh kernel.
        for (let j = 0; j < i; j++) {
          if (skip.has(j) || plan[j].kind === 'tests') continue;
          const rr = await gk.kernel.execute(plan[j].source, { timeoutMs: Math.min(limits.cellTimeoutMs, Math.max(1, deadline - Date.now())), maxOutputChars: limits.maxOutputChars });
          if (rr.status !== 'ok' && rr.status !== 'error') {
            skip.add(j);
            break;
          }
        }
      }
      i++;
    }
    return { tests, cells, restarts };
  } finally {
    gk.dispose();
  }
}
