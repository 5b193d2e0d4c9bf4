/**
 * `optilab grade-worker --queue redis://host:port [--jobs N]`: takes grading jobs from the queue (./queue.ts) and
 * grades them in this machine's sandboxed kernels, `jobs` at a time, for as long as it runs. Any number of
 * workers on any number of machines may serve one queue.
 *
 * The grading itself runs in a child process (./grading-host.ts) with the warm kernel pool, so this process's
 * event loop only talks to Redis and keeps renewing the lock of every job in flight (every lockDuration / 2).
 * A worker that dies (killed, machine lost) stops renewing; within about lockDuration + stalledInterval
 * another worker's stalled-job check puts its jobs back on the queue. Every start of a grading run is
 * counted in the {@link RUNS_KEY} hash, so re-runs after a lost worker are visible.
 */
import { defaultGradingJobs } from './jobs';
import { ChildProcess, fork } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import type { HostReply, HostRequest } from './grading-host';
import { GradeJobData, parseJobData, QUEUE_NAME, RUNS_KEY, WORKER_SETTINGS } from './queue';
import { bullmqConnection, checkRedis, describeTarget, loadBullmq, openRedis, parseRedisUrl } from './queue-connection';
import { SubmissionResult } from '../output/result';

/** The child process that grades (one per worker, restarted if it dies). */
class GradingHost {
  private child: ChildProcess | null = null;
  private starting: Promise<ChildProcess> | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: SubmissionResult) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly repo: string,
    private readonly jobs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the child (if it is not running) and waits until it can grade. */
  start(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    if (this.starting) return this.starting;
    this.starting = new Promise<ChildProcess>((resolve, reject) => {
      // The same module format as this file: .ts under tsx (tests, a checkout), .js from the build.
      const entry = path.join(__dirname, `grading-host${path.extname(__filename)}`);
      const child = fork(entry, [this.repo, String(this.jobs)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let ready = false;
      child.on('message', (m: HostReply) => {
        if (m.type === 'ready') {
          ready = true;
          this.child = child;
          this.starting = null;
          resolve(child);
        } else if (m.type === 'fatal') reject(new Error(m.error));
        else {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.type === 'result') p.resolve(m.result);
          else p.reject(new Error(m.error));
        }
      });
      child.on('exit', (code, signal) => {
        const why = `the grading process exited (${signal ?? `code ${code}`})`;
        if (this.child === child) this.child = null;
        if (!ready) {
          this.starting = null;
          reject(new Error(why));
        }
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new Error(why));
        }
        if (ready && !this.stopping) this.log(`${why}; it is restarted for the next job`);
      });
    });
    return this.starting;
  }

  /** Grades one job's submission in the child. */
  async grade(data: GradeJobData): Promise<SubmissionResult> {
    const child = await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        child.send({ type: 'grade', id, data } satisfies HostRequest);
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  private stopping = false;

  /** Stops the child (it kills its kernels). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

export interface GradeWorkerOptions {
  /** redis://host:port of the queue. */
  queue: string;
  /** Submissions graded at once (kernels kept warm). Default: the number of cores. */
  jobs?: number;
  /** This machine's optilab checkout (its tslab and node_modules). */
  repo: string;
  /** One line per event (started, graded, failed, ...). */
  log?: (line: string) => void;
}

/** A running worker. */
export interface RunningWorker {
  /**
   * Stops taking jobs. Without `force`, waits for the jobs in flight to finish; with it, abandons them (the
   * queue gives them to another worker once their lock expires).
   */
  stop(force?: boolean): Promise<void>;
}

/**
 * Connects to the queue and grades jobs until stopped. Throws (with the URL and the fix) when Redis cannot be
 * reached or this machine cannot grade (no tslab, no bubblewrap).
 *
 * @example
 * const w = await startGradeWorker({ queue: 'redis://10.0.0.5:6379', jobs: 2, repo: repoRoot(), log: console.log });
 * process.on('SIGINT', () => void w.stop());
 */
export async function startGradeWorker(o: GradeWorkerOptions): Promise<RunningWorker> {
  const log = o.log ?? (() => undefined);
  const jobs = Math.max(1, o.jobs ?? defaultGradingJobs());
  const { version } = await checkRedis(o.queue);
  const where = describeTarget(parseRedisUrl(o.queue));
  const host = new GradingHost(o.repo, jobs, log);
  await host.start();
  const counter = await openRedis(o.queue, { connectionName: `optilab-runs:${os.hostname()}:${process.pid}` });
  const countRun = async (jobId: string) => {
    try {
      await counter.hincrby(RUNS_KEY, jobId, 1);
      await counter.expire(RUNS_KEY, 14 * 24 * 3600);
    } catch (e) {
      log(`could not count the run of ${jobId} (${(e as Error).message}); grading it anyway`);
    }
  };
  const bullmq = loadBullmq();
  const worker = new bullmq.Worker<GradeJobData, SubmissionResult>(
    QUEUE_NAME,
    async (job) => {
      let data: GradeJobData;
      try {
        data = parseJobData(job.data);
      } catch (e) {
        throw new bullmq.UnrecoverableError((e as Error).message);
      }
      await countRun(String(job.id));
      log(`${data.student}: grading (job ${job.id}, attempt ${job.attemptsMade + 1})`);
      const t = Date.now();
      const result = await host.grade(data);
      log(`${data.student}: ${result.status === 'invalid' ? 'INVALID ' : ''}${result.score}/${result.maxScore} in ${((Date.now() - t) / 1000).toFixed(1)} s (job ${job.id}, attempt ${job.attemptsMade + 1})`);
      return result;
    },
    { connection: bullmqConnection(o.queue), concurrency: jobs, ...WORKER_SETTINGS, name: `${os.hostname()}:${process.pid}` },
  );
  worker.on('failed', (job, e) => log(`${job?.data?.student ?? job?.id}: grader error on attempt ${job?.attemptsMade ?? '?'}: ${e.message}`));
  worker.on('stalled', (id) => log(`job ${id} had lost its worker: it is back on the queue`));
  worker.on('error', (e) => log(`queue ${where}: ${e.message}`));
  await worker.waitUntilReady();
  log(`grade-worker on ${os.hostname()} (pid ${process.pid}): ${jobs} at a time from ${where} (Redis ${version})`);
  let stopped: Promise<void> | null = null;
  return {
    stop(force = false) {
      if (!stopped || force) {
        stopped = (async () => {
          await worker.close(force);
          await host.stop();
          counter.disconnect();
        })();
      }
      return stopped;
    },
  };
}
