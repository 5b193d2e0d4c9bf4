/**
 * Grading on a Redis queue (BullMQ): the side of `optilab grade --queue redis://host:port`, and the job format
 * it shares with `optilab grade-worker` (./worker.ts).
 *
 * One job per submission. The job carries everything a remote machine needs: the assignment source text and
 * the submission's bytes (never local paths), and the run and sandbox limits, so a worker grades it exactly as
 * local grading would. The job id is the submission's key: the student plus a hash of the sha256 of the source,
 * of the submission and of the limits. Adding a job that exists is a no-op, so a rerun (after this process was
 * killed) waits for the same jobs and takes the results already on the queue instead of grading again.
 * Results come back as the jobs' return values and are committed here by the same code as local grading.
 *
 * Delivery is at least once: a worker that dies loses its lock within `lockDuration` and its jobs are graded
 * again elsewhere; the commit path is keyed by submission, so such a submission is still counted once. A job
 * the grader fails on is retried ({@link JOB_ATTEMPTS} attempts in all) and then reported as a grader error.
 */
import type { Job, Queue, QueueEvents } from 'bullmq';
import { createHash } from 'crypto';
import { Assignment, GradingEngine, GradingSink, invalidSubmission, PendingSubmission, readSubmission, SubmissionFile } from './engine';
import { bullmqConnection, checkRedis, describeTarget, loadBullmq, parseRedisUrl } from './queue-connection';
import { SubmissionResult } from '../output/result';
import { RunLimits } from '../trusted/runner';
import { SandboxLimits } from '../kernel/sandbox';

/** The BullMQ queue every optilab grader uses. */
export const QUEUE_NAME = 'optilab-grade';
/** Redis hash: job id -> how many times a worker started grading it (at least once, more after a lost worker). */
export const RUNS_KEY = 'optilab:grade:runs';
/** Attempts per job when the grader itself fails (a worker that dies does not use one up: the job is stalled). */
export const JOB_ATTEMPTS = 3;
/**
 * Worker settings verified on this project's machines: a killed worker's jobs are back on the queue within
 * about 5-7 s (with BullMQ's defaults they wait about a minute). A job found stalled twice fails.
 */
export const WORKER_SETTINGS = { lockDuration: 5000, stalledInterval: 2000, maxStalledCount: 1 } as const;
/** How long finished jobs (and their results) stay on the queue. */
const KEEP_SECONDS = 14 * 24 * 3600;

/** The payload of one grading job. */
export interface GradeJobData {
  version: 1;
  student: string;
  /** The submission notebook (bytes in base64), or null when the submission has none. */
  file: { name: string; base64: string } | null;
  /** The assignment source notebook (with solutions and hidden tests) and its file name. */
  sourceName: string;
  sourceText: string;
  limits: RunLimits;
  sandboxLimits: SandboxLimits;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/**
 * The id of a submission's job: `<student>-<24 hex digits of sha256(source sha, submission sha, limits)>`.
 *
 * @example
 * gradeJobId('alice', assignmentSha, submissionSha, { limits, sandboxLimits }) // 'alice-3f2a...'
 */
export function gradeJobId(student: string, assignmentSha: string, submissionSha: string, settings: { limits: RunLimits; sandboxLimits: SandboxLimits }): string {
  return `${student}-${sha256([assignmentSha, submissionSha, JSON.stringify(settings.limits), JSON.stringify(settings.sandboxLimits)].join('\n')).slice(0, 24)}`;
}

/** Sandbox limits with unset fields dropped (so equal limits give equal job ids and share a worker's warm pool). */
export function normalizeSandboxLimits(l: SandboxLimits | undefined): SandboxLimits {
  const out: SandboxLimits = {};
  for (const k of ['memoryMiB', 'fileSizeMiB', 'cpuSeconds', 'maxProcesses', 'scratchMiB'] as const) if (typeof l?.[k] === 'number') out[k] = l[k];
  return out;
}

/**
 * Checks a job's payload (a worker runs only what it understands) and returns it typed.
 *
 * @example
 * const data = parseJobData(job.data);
 */
export function parseJobData(data: unknown): GradeJobData {
  const d = data as Partial<GradeJobData> | null;
  const bad = (why: string) => new Error(`not an optilab grading job (${why}): is an older or newer optilab enqueuing on this queue?`);
  if (!d || typeof d !== 'object') throw bad('no payload');
  if (d.version !== 1) throw bad(`payload version ${String(d.version)}`);
  if (typeof d.student !== 'string' || !/^[A-Za-z0-9._-]{1,120}$/.test(d.student)) throw bad('bad student id');
  if (typeof d.sourceText !== 'string' || typeof d.sourceName !== 'string') throw bad('no assignment source');
  if (d.file !== null && (typeof d.file !== 'object' || typeof d.file.name !== 'string' || typeof d.file.base64 !== 'string')) throw bad('bad submission file');
  const l = d.limits as RunLimits | undefined;
  if (!l || !['cellTimeoutMs', 'notebookTimeoutMs', 'maxOutputChars', 'maxRestarts'].every((k) => typeof (l as any)[k] === 'number')) throw bad('bad limits');
  return { version: 1, student: d.student, file: d.file ?? null, sourceName: d.sourceName, sourceText: d.sourceText, limits: l, sandboxLimits: normalizeSandboxLimits(d.sandboxLimits) };
}

export interface QueueEngineOptions {
  /** redis://host:port of the queue. */
  url: string;
  sourceText: string;
  sourceName: string;
  assignment: Assignment;
  limits: RunLimits;
  sandboxLimits?: SandboxLimits;
  onNotice?: (message: string) => void;
  /** Seconds without progress before saying again that no worker is connected. Default 30. */
  noticeEverySeconds?: number;
}

/** Why a worker's return value cannot be this submission's result, or '' when it is. */
function mismatch(r: SubmissionResult | null | undefined, student: string, assignmentSha: string, submissionSha: string): string {
  if (!r || typeof r !== 'object' || typeof r.score !== 'number') return 'the worker returned no result';
  if (r.student !== student || r.assignmentSha !== assignmentSha || r.submissionSha !== submissionSha) {
    return `the worker returned the result of another submission (${String(r.student)}, source ${String(r.assignmentSha).slice(0, 8)}, submission ${String(r.submissionSha).slice(0, 8)})`;
  }
  return '';
}

/**
 * The queue engine of `gradeSubmissions`: enqueues one job per pending submission on `url` and reports each
 * result as its job finishes (grader failures after {@link JOB_ATTEMPTS} attempts). Submissions that cannot be
 * graded at all (no notebook, not a notebook) are settled here without a job, as local grading does.
 *
 * @example
 * await queueEngine({ url: 'redis://127.0.0.1:6379', sourceText, sourceName: 'lab.ipynb', assignment, limits }).grade(todo, sink);
 */
export function queueEngine(o: QueueEngineOptions): GradingEngine {
  return {
    async grade(todo, sink) {
      if (!todo.length) return;
      await checkRedis(o.url);
      const run = new QueueRun(o, sink);
      try {
        await run.ready();
        await run.enqueueAll(todo);
        if (!run.queued) return;
        o.onNotice?.(`queued ${run.queued} submission(s) on ${run.where}${run.reused ? ` (${run.reused} already there from an earlier run)` : ''}`);
        await run.watchWorkers();
        await run.finished();
      } finally {
        await run.close();
      }
    },
  };
}

/** A submission ready to go on the queue: its sha256, job id and payload. */
interface QueuedSubmission {
  sub: PendingSubmission;
  sha: string;
  id: string;
  data: GradeJobData;
}

/** Jobs are added this many at a time (one round trip for their states, one for adding them). */
const ENQUEUE_BATCH = 20;

/** One grading run on the queue: its connections, the jobs it waits for, and the watch for missing workers. */
class QueueRun {
  readonly where: string;
  queued = 0;
  reused = 0;
  private readonly bullmq = loadBullmq();
  private readonly queue: Queue<GradeJobData, SubmissionResult>;
  private readonly events: QueueEvents;
  private readonly sandboxLimits: SandboxLimits;
  private readonly waits: Promise<void>[] = [];
  private lastProgress = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: QueueEngineOptions,
    private readonly sink: GradingSink,
  ) {
    this.where = describeTarget(parseRedisUrl(o.url));
    this.sandboxLimits = normalizeSandboxLimits(o.sandboxLimits);
    const connection = bullmqConnection(o.url);
    this.queue = new this.bullmq.Queue<GradeJobData, SubmissionResult>(QUEUE_NAME, { connection });
    this.events = new this.bullmq.QueueEvents(QUEUE_NAME, { connection });
    this.queue.setMaxListeners(0);
    this.events.setMaxListeners(0);
    const onError = (e: Error) => o.onNotice?.(`queue ${this.where}: ${e.message}`);
    this.queue.on('error', onError);
    this.events.on('error', onError);
  }

  ready(): Promise<unknown> {
    return this.events.waitUntilReady();
  }

  /** Settles what cannot be graded at once and puts the rest on the queue, {@link ENQUEUE_BATCH} at a time. */
  async enqueueAll(todo: PendingSubmission[]): Promise<void> {
    const batch: QueuedSubmission[] = [];
    for (const sub of todo) {
      const q = this.prepare(sub);
      if (!q) continue;
      batch.push(q);
      if (batch.length >= ENQUEUE_BATCH) await this.enqueue(batch.splice(0));
    }
    if (batch.length) await this.enqueue(batch);
  }

  /** The job of one submission, or null when it was settled here (unreadable, or not gradable at all). */
  private prepare(sub: PendingSubmission): QueuedSubmission | null {
    let file: SubmissionFile | null;
    try {
      file = readSubmission(sub);
    } catch (e) {
      this.sink.failed(sub, (e as Error).message);
      return null;
    }
    const invalid = invalidSubmission(sub.student, file, this.o.assignment);
    if (invalid) {
      this.sink.done(sub, invalid);
      return null;
    }
    const { limits, sourceName, sourceText } = this.o;
    const sha = sha256(file!.bytes);
    return {
      sub,
      sha,
      id: gradeJobId(sub.student, this.o.assignment.assignmentSha, sha, { limits, sandboxLimits: this.sandboxLimits }),
      data: { version: 1, student: sub.student, file: { name: file!.name, base64: file!.bytes.toString('base64') }, sourceName, sourceText, limits, sandboxLimits: this.sandboxLimits },
    };
  }

  /** Adds a batch of jobs; jobs already on the queue (an earlier run of the same submissions) are taken as they are, failed ones retried. */
  private async enqueue(batch: QueuedSubmission[]): Promise<void> {
    const before = await Promise.all(batch.map((b) => this.queue.getJobState(b.id)));
    const opts = { attempts: JOB_ATTEMPTS, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS } };
    const jobs = await this.queue.addBulk(batch.map((b) => ({ name: 'grade', data: b.data, opts: { ...opts, jobId: b.id } })));
    for (let i = 0; i < jobs.length; i++) {
      if (before[i] === 'failed') await jobs[i].retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      if (before[i] !== 'unknown') this.reused++;
      this.queued++;
      this.waits.push(this.follow(jobs[i], batch[i]));
    }
  }

  /** Waits for one job and hands its result (or why there is none) to the sink. */
  private follow(job: Job<GradeJobData, SubmissionResult>, q: QueuedSubmission): Promise<void> {
    return job.waitUntilFinished(this.events).then(
      (r: SubmissionResult) => {
        this.lastProgress = Date.now();
        const why = mismatch(r, q.sub.student, this.o.assignment.assignmentSha, q.sha);
        if (why) this.sink.failed(q.sub, why);
        else this.sink.done(q.sub, r);
      },
      async (e: Error) => {
        this.lastProgress = Date.now();
        const attempts = (await this.bullmq.Job.fromId(this.queue, job.id!).catch(() => undefined))?.attemptsMade;
        this.sink.failed(q.sub, `failed on the queue after ${attempts ?? '?'} attempt${attempts === 1 ? '' : 's'}: ${e.message}`);
      },
    );
  }

  /** Says now, and again after every `noticeEverySeconds` without progress, when no grade-worker is connected. */
  async watchWorkers(): Promise<void> {
    const noWorkers = async () => {
      if ((await this.queue.getWorkersCount().catch(() => 1)) === 0) {
        this.o.onNotice?.(`no grade-worker is connected to ${this.where} yet: the submissions wait on the queue; start \`optilab grade-worker --queue ${this.o.url.replace(/\/\/[^@/]*@/, '//')}\` on each grading machine`);
      }
    };
    await noWorkers();
    const every = (this.o.noticeEverySeconds ?? 30) * 1000;
    this.timer = setInterval(() => {
      if (Date.now() - this.lastProgress >= every) {
        this.lastProgress = Date.now();
        void noWorkers();
      }
    }, Math.min(every, 5000));
  }

  async finished(): Promise<void> {
    await Promise.all(this.waits);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.events.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
  }
}
