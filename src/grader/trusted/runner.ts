/**
 * Runs one submission's cell plan: the student's code and the locked cells in a fresh sandboxed kernel, the
 * tests in the trusted tests runner outside it (./trusted-tests.ts, ./checker.js), which calls the student's
 * functions through the kernel's call socket on fd 3 (../in-kernel/harness.js) and receives only plain data. No secret,
 * check or expected value is ever inside the sandbox, so nothing student code does there can forge a score.
 *
 * Grading runs in two phases so that hidden tests cannot leak into feedback: first the notebook in order,
 * with the visible part of each tests cell (exactly what the student was given); then the hidden parts,
 * against the final state of the student's kernel. Everything shown to the student (cell outputs and
 * errors, visible check messages) comes from the first phase, before any hidden input reached their code.
 *
 * A warm pool keeps kernels started (and the harness installed) ahead of need; a kernel serves exactly one
 * submission and is killed afterwards.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Socket } from 'net';
import { ExecuteResult, Kernel, startKernel } from '../kernel/kernel';
import { kernelV8Flags, sandboxedKernelLaunch, SandboxLimits } from '../kernel/sandbox';
import { KernelImage, kernelImageOrNull, rejectKernelImage } from '../kernel/kernel-image';
import { HARNESS_PATH as HARNESS } from '../asset-path';
import { tally } from '../assess.js';
import { PlanCell } from '../assignment/plan';
import { CheckRecord, StudentChannel, TestsSession, TrustedRun } from './trusted-tests';
import { API_NAMES, compileTrusted, declaredNames, mentionedNames, splitTestsCell } from './trusted-program';

export type { CheckRecord } from './trusted-tests';

/** A kernel with the grading harness installed and its call socket open. */
export class GradingKernel {
  readonly channel: StudentChannel;

  constructor(
    readonly kernel: Kernel,
    private readonly socket: Socket,
    readonly dirs: string[],
    /** The course repository (the trusted tests resolve `optilab` from it). */
    readonly repo: string,
  ) {
    this.channel = new StudentChannel(socket);
  }

  /** Kills the kernel and removes its private folders. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kernel.kill();
    this.socket.destroy();
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
  /** false starts kernels without the kernel image (../kernel/kernel-image.ts). Default true. */
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
  let kernel: Kernel;
  try {
    kernel = await startKernel(launch, opts.startTimeoutMs ?? 60_000);
  } catch (e) {
    launch.cleanup?.();
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(sock, { recursive: true, force: true });
    throw e;
  }
  const socket = kernel.child.stdio[3] as Socket;
  const gk = new GradingKernel(kernel, socket, [scratch, sock], opts.repo);
  gk.cleanup = launch.cleanup;
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

/** Locked cells whose declarations the tests mention: they also run, from the source, on the trusted side. */
function lockedCellsForTests(plan: PlanCell[]): Set<number> {
  const mentioned = new Set<string>();
  for (const c of plan) if (c.kind === 'tests') for (const n of mentionedNames(c.source)) mentioned.add(n);
  const out = new Set<number>();
  plan.forEach((c, i) => {
    if (c.kind === 'locked' && declaredNames(c.source).some((n) => mentioned.has(n) && !API_NAMES.has(n))) out.add(i);
  });
  return out;
}

/** A tests cell's score from its checks: the cell's points in proportion to the check points earned. */
function scoreOf(points: number, checks: CheckRecord[]): { earned: number; total: number } {
  const { earned: got, total } = tally(checks);
  return { earned: total > 0 ? Math.round(((points * got) / total) * 1e6) / 1e6 : 0, total };
}

type Failure = 'timeout' | 'died' | 'output-limit';

/** Options of runPlan. */
export interface RunOptions {
  /** Keep the messages of hidden checks and hidden errors (the instructor's `assign validate`; never for students). */
  revealHidden?: boolean;
}

/**
 * Runs a plan (see the file comment for the two phases). Student and locked cells run in the kernel as they
 * are; tests cells run in the trusted runner. When a cell hangs, floods output or kills the kernel, a fresh
 * kernel replays the earlier non-test cells (without the culprit) and grading goes on, up to maxRestarts.
 *
 * @example
 * const { tests, cells } = await runPlan(plan, () => pool.acquire(), DEFAULT_LIMITS);
 */
export async function runPlan(plan: PlanCell[], acquire: () => Promise<GradingKernel>, limits: RunLimits, opts: RunOptions = {}): Promise<{ tests: TestOutcome[]; cells: CellOutcome[]; restarts: number }> {
  const run = new PlanRun(plan, acquire, limits, opts, await acquire());
  try {
    await run.visiblePhase();
    await run.hiddenPhase();
    return run.outcome();
  } finally {
    run.close();
  }
}

/** The state of one {@link runPlan}: the kernel in use, the trusted runner's session, and every cell's outcome. */
class PlanRun {
  private readonly deadline: number;
  private readonly cells: CellOutcome[];
  private readonly tests: TestOutcome[];
  private readonly studentNames = new Set<string>();
  /** Locked cells the tests mention: they also run, from the source, on the trusted side. */
  private readonly trustedLocked: Set<number>;
  /** Cells left out when the kernel is replaced (each one hung, flooded output or killed its kernel). */
  private readonly skip = new Set<number>();
  private readonly session: TestsSession;
  private restarts = 0;
  /** Trusted declarations so far. */
  private trustedNames: string[] = [];
  /** The programs that made them (replayed when the runner had to be replaced). */
  private readonly trustedPrograms: string[] = [];
  private trustedLost = false;
  /** The trusted names each tests cell saw (its hidden part sees the same). */
  private readonly namesAt = new Map<string, string[]>();
  /** Set when grading cannot go on (time or restarts used up). */
  private stopped = false;

  constructor(
    private readonly plan: PlanCell[],
    private readonly acquire: () => Promise<GradingKernel>,
    private readonly limits: RunLimits,
    private readonly opts: RunOptions,
    private gk: GradingKernel,
  ) {
    this.deadline = Date.now() + limits.notebookTimeoutMs;
    this.cells = plan.map((c) => ({ gradeId: c.gradeId, kind: c.kind, status: 'not-run', seconds: 0, error: '', output: '' }));
    this.tests = plan.filter((c) => c.kind === 'tests').map((c) => ({ gradeId: c.gradeId, points: c.points, earned: 0, checks: [], message: 'not run' }));
    for (const c of plan) if (c.kind === 'student') for (const n of declaredNames(c.source)) this.studentNames.add(n);
    this.trustedLocked = lockedCellsForTests(plan);
    this.session = TestsSession.open(gk.repo);
  }

  private testOf(gradeId: string): TestOutcome {
    return this.tests.find((t) => t.gradeId === gradeId)!;
  }

  /** Time left for one cell: the cell limit, or what is left of the notebook's. */
  private cellTimeout(): number {
    return Math.max(1, Math.min(this.limits.cellTimeoutMs, this.deadline - Date.now()));
  }

  private why(f: Failure, timeoutMs: number): string {
    if (f === 'timeout') return `did not finish within ${Math.round(timeoutMs / 1000)} s`;
    if (f === 'died') return `stopped the kernel (${this.gk.kernel.exitInfo || 'exited'})`;
    return `printed more than ${this.limits.maxOutputChars} characters`;
  }

  private async runTrusted(js: string, filename: string, timeoutMs: number, extra: { hidden?: boolean; snapshot?: { save?: string; use?: string } } = {}): Promise<TrustedRun> {
    if (this.trustedLost) {
      this.trustedLost = false;
      for (const p of this.trustedPrograms) await this.session.run(p, this.gk.channel, { timeoutMs, filename: 'locked cell (replayed)' });
    }
    const r = await this.session.run(js, this.gk.channel, { timeoutMs, filename, ...extra });
    if (r.status === 'timeout') this.trustedLost = true;
    return r;
  }

  /** A fresh kernel with the student's code (cells before `upTo`, none skipped) replayed; false when out of restarts. */
  private async restart(upTo: number): Promise<boolean> {
    this.gk.dispose();
    if (this.restarts >= this.limits.maxRestarts || Date.now() >= this.deadline) return false;
    this.restarts++;
    this.gk = await this.acquire();
    for (let j = 0; j < upTo; j++) {
      if (this.skip.has(j) || this.plan[j].kind === 'tests') continue;
      const rr = await this.gk.kernel.execute(this.plan[j].source, { timeoutMs: this.cellTimeout(), maxOutputChars: this.limits.maxOutputChars });
      if (rr.status !== 'ok' && rr.status !== 'error') {
        this.skip.add(j);
        break;
      }
    }
    return true;
  }

  private notRunFrom(i: number, cause: string): void {
    for (let j = i; j < this.plan.length; j++) {
      if (this.cells[j].status === 'not-run' && !this.cells[j].error) this.cells[j].error = `not run: ${cause}`;
      if (this.plan[j].kind === 'tests' && this.testOf(this.plan[j].gradeId).message === 'not run') this.testOf(this.plan[j].gradeId).message = `not run: ${cause}`;
    }
  }

  /** Phase 1: the notebook in order, visible tests only. */
  async visiblePhase(): Promise<void> {
    for (let i = 0; i < this.plan.length && !this.stopped; i++) {
      const left = this.deadline - Date.now();
      if (left <= 0) {
        this.notRunFrom(i, 'the notebook time limit was reached');
        this.stopped = true;
        break;
      }
      const timeoutMs = Math.min(this.limits.cellTimeoutMs, left);
      const failure = this.plan[i].kind === 'tests' ? await this.visibleTests(i, timeoutMs) : await this.kernelCell(i, timeoutMs);
      if (failure) await this.recover(i, failure, timeoutMs);
    }
  }

  /** Runs the visible part of tests cell `i` in the trusted runner. */
  private async visibleTests(i: number, timeoutMs: number): Promise<Failure | null> {
    const cell = this.plan[i];
    const t = this.testOf(cell.gradeId);
    this.namesAt.set(cell.gradeId, [...this.trustedNames]);
    const started = Date.now();
    const program = compileTrusted(splitTestsCell(cell.source).visible, this.trustedNames, this.studentNames);
    const r = await this.runTrusted(program.js, `tests cell ${cell.gradeId}`, timeoutMs, { snapshot: { save: cell.gradeId } });
    this.trustedNames = [...new Set([...this.trustedNames, ...program.declares])];
    this.cells[i] = { ...this.cells[i], status: r.status === 'ok' ? (r.error ? 'error' : 'ok') : r.status, seconds: (Date.now() - started) / 1000 };
    t.checks = r.checks.map((c) => ({ ...c, hidden: false }));
    t.earned = scoreOf(cell.points, t.checks).earned;
    t.message = r.error ? `the tests stopped early: ${r.error}` : '';
    if (r.status === 'ok') return null;
    t.message = `this tests cell ${this.why(r.status, timeoutMs)}`;
    return r.status;
  }

  /** Runs student or locked cell `i` in the kernel (and a locked cell the tests mention on the trusted side too). */
  private async kernelCell(i: number, timeoutMs: number): Promise<Failure | null> {
    const cell = this.plan[i];
    const r = await this.gk.kernel.execute(cell.source, { timeoutMs, maxOutputChars: this.limits.maxOutputChars });
    const text = textOf(r);
    this.cells[i] = { ...this.cells[i], status: r.status, seconds: r.seconds, error: text.error, output: text.output };
    if (r.status === 'timeout' || r.status === 'died' || r.status === 'output-limit') return r.status;
    if (!this.trustedLocked.has(i)) return null;
    const program = compileTrusted(cell.source, this.trustedNames, this.studentNames);
    const tr = await this.runTrusted(program.js, `locked cell ${cell.gradeId}`, this.cellTimeout());
    this.trustedPrograms.push(program.js);
    this.trustedNames = [...new Set([...this.trustedNames, ...program.declares])];
    return tr.status === 'ok' ? null : tr.status;
  }

  /** Records why cell `i` failed, leaves it out, and goes on in a fresh kernel (or stops when out of restarts). */
  private async recover(i: number, failure: Failure, timeoutMs: number): Promise<void> {
    const reason = this.why(failure, timeoutMs);
    this.cells[i].status = failure;
    this.cells[i].error = `this cell ${reason}${this.cells[i].error ? `\n${this.cells[i].error}` : ''}`;
    this.skip.add(i);
    if (!(await this.restart(i))) {
      this.notRunFrom(i + 1, `an earlier cell ${reason} and the restart limit was reached`);
      this.stopped = true;
    }
  }

  /** Phase 2: hidden tests against the final notebook state; nothing here reaches the student but scores. */
  async hiddenPhase(): Promise<void> {
    for (let i = 0; i < this.plan.length; i++) {
      const cell = this.plan[i];
      if (cell.kind !== 'tests' || this.cells[i].status === 'not-run') continue;
      const hidden = splitTestsCell(cell.source).hidden;
      if (hidden === null) continue;
      const t = this.testOf(cell.gradeId);
      const left = this.deadline - Date.now();
      if (this.stopped || left <= 0) {
        t.message = t.message || 'the hidden tests were not run: the notebook stopped early';
        continue;
      }
      const timeoutMs = Math.min(this.limits.cellTimeoutMs, left);
      const program = compileTrusted(hidden, this.namesAt.get(cell.gradeId) ?? this.trustedNames, this.studentNames);
      const r = await this.runTrusted(program.js, `tests cell ${cell.gradeId}`, timeoutMs, { hidden: true, snapshot: { use: cell.gradeId } });
      // hidden checks keep their names and points only: messages could carry hidden inputs or expected values
      const reveal = this.opts.revealHidden;
      t.checks = [...t.checks, ...r.checks.map((c) => ({ name: c.name, points: c.points, earned: c.earned, message: reveal ? c.message : '', hidden: true }))];
      t.earned = scoreOf(cell.points, t.checks).earned;
      if (r.error && !t.message) t.message = reveal ? `the hidden tests stopped early: ${r.error}` : 'the hidden tests stopped early';
      if (r.status !== 'ok') {
        t.message = `the hidden tests ${this.why(r.status, timeoutMs)}`;
        if (!(await this.restart(this.plan.length))) this.stopped = true;
      }
    }
  }

  outcome(): { tests: TestOutcome[]; cells: CellOutcome[]; restarts: number } {
    for (const t of this.tests) if (!t.message && scoreOf(t.points, t.checks).total <= 0) t.message = 'no check ran';
    return { tests: this.tests, cells: this.cells, restarts: this.restarts };
  }

  close(): void {
    this.gk.dispose();
    this.session.close();
  }
}
