/**
 * Distributed grading throughput, part of `npm run bench -- class` (bench/class.ts calls {@link queueGradingBench});
 * standalone: `npx tsx bench/class/queue.ts [--n 12] [--lab quantization-lab] [--worker-jobs 1]` prints the table
 * and writes bench/results/class-queue.json.
 *
 * N submissions of a graded lab (generated as in bench/grading.ts: some tasks solved per student) are graded
 * four ways in one run, each configuration on both halves of the submissions, in A B C D D C B A order (the
 * 2-core machine is shared and its load drifts): local `optilab grade` with 1 and with 2 kernels at a time,
 * and `optilab grade --queue` on a private redis-server with 1 and with 2 `optilab grade-worker` processes
 * (each --worker-jobs kernels at a time, default 1, so 1 worker x 1 compares with local --jobs 1 and 2 workers x 1
 * with local --jobs 2). Workers are started (and their kernel pools warmed) before their runs, as long-running
 * workers are; the queue is emptied before each run so nothing is taken from an earlier run's results.
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cellSource, MARKERS, Notebook, parseNotebook, release, toSourceLines } from '../../src/grader/assignment/format';
import { gradeSubmissions } from '../../src/grader/engine/grade';
import { openRedis } from '../../src/grader/engine/queue-connection';
import { SubmissionResult } from '../../src/grader/output/result';
import { startRedis } from '../../tests/queue/redis-server';
import { benchFlag, formatTable, writeReport } from '../harness';

const ROOT = path.resolve(__dirname, '..', '..');

/** One measured configuration. */
export interface QueueBenchRow {
  method: string;
  /** Worker processes on the queue (0: local grading). */
  workers: number;
  /** Kernels at a time in all. */
  concurrency: number;
  submissions: number;
  seconds: number;
  perMinute: number;
  secondsPerSubmission: number;
  /** Mean seconds per submission inside the grader (result.seconds): the same work wherever it runs. */
  inGraderSeconds: number;
  /** Wall-clock seconds per submission above local grading at the same concurrency (null for local rows). */
  queueOverheadSeconds: number | null;
  /** perMinute / local perMinute at the same concurrency. */
  vsLocal: number;
  /** Submissions per minute from each run's first result to its last (no kernel start-up in it). */
  steadyPerMinute: number;
  /** Steady-state seconds per submission above local grading at the same concurrency (null for local rows). */
  steadyOverheadSeconds: number | null;
  note: string;
}

/** Submission i: the released lab with some tasks solved (the same rule as bench/grading.ts). */
function makeSubmission(source: Notebook, i: number): Notebook {
  const student = release(source);
  const solutions = source.cells.filter((c) => c.metadata?.nbgrader?.solution);
  let k = 0;
  for (const cell of student.cells) {
    const id = cell.metadata?.nbgrader?.grade_id;
    const src = solutions.find((s) => s.metadata.nbgrader.grade_id === id);
    if (!src) continue;
    if (((i >> k) & 1) === 1 || i % 5 === 0) {
      cell.source = toSourceLines(
        cellSource(src)
          .split('\n')
          .filter((l) => l.trim() !== MARKERS.beginSolution && l.trim() !== MARKERS.endSolution)
          .join('\n'),
      );
    }
    k++;
  }
  return student;
}

/** A grade-worker process, resolved once it is connected and has had 8 s to warm its kernel pool. */
async function startWorker(url: string, jobs: number): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'grade-worker', '--queue', url, '--jobs', String(jobs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`grade-worker did not connect within 120 s:\n${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('grade-worker on')) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`grade-worker exited (${code}):\n${out}`)));
  });
  child.removeAllListeners('exit');
  await new Promise((r) => setTimeout(r, 8000)); // its warm pool starts kernels in the background
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Measures local vs queue grading and 1 vs 2 queue workers; returns one row per configuration.
 *
 * @example
 * const rows = await queueGradingBench(['--n', '12']);
 */
export async function queueGradingBench(args: string[]): Promise<QueueBenchRow[]> {
  const n = Number(benchFlag(args, 'n', '12'));
  const lab = benchFlag(args, 'lab', 'quantization-lab');
  const workerJobs = Number(benchFlag(args, 'worker-jobs', '1'));
  const sourceFile = path.join(ROOT, 'notebooks', 'labs', `${lab}.ipynb`);
  const source = parseNotebook(fs.readFileSync(sourceFile, 'utf8'), lab);
  fs.mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, '.cache', 'bench-queue-'));
  const half = Math.ceil(n / 2);
  const halves = [Array.from({ length: half }, (_, i) => i), Array.from({ length: n - half }, (_, i) => half + i)];
  halves.forEach((idx, h) => {
    const dir = path.join(work, `half${h}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const i of idx) fs.writeFileSync(path.join(dir, `student${String(i).padStart(3, '0')}.ipynb`), JSON.stringify(makeSubmission(source, i)));
  });
  const redis = await startRedis();
  const flush = async () => {
    const c = await openRedis(redis.url);
    await c.flushdb();
    c.disconnect();
  };
  type Config = 'local1' | 'local2' | 'queue1' | 'queue2';
  const seconds: Record<Config, number> = { local1: 0, local2: 0, queue1: 0, queue2: 0 };
  // steady state: from a run's first result to its last (leaves out starting the first kernels, which a
  // long-running worker has done before the run and local grading does inside it)
  const steady: Record<Config, { seconds: number; intervals: number }> = { local1: { seconds: 0, intervals: 0 }, local2: { seconds: 0, intervals: 0 }, queue1: { seconds: 0, intervals: 0 }, queue2: { seconds: 0, intervals: 0 } };
  const inGrader: Record<Config, number[]> = { local1: [], local2: [], queue1: [], queue2: [] };
  const scores = new Map<string, number[]>();
  let runNo = 0;
  const measure = async (config: Config, h: number) => {
    if (config.startsWith('queue')) await flush();
    const out = path.join(work, `out-${runNo++}-${config}`);
    const t = performance.now();
    const stamps: number[] = [];
    const s = await gradeSubmissions({
      source: sourceFile,
      submissions: path.join(work, `half${h}`),
      out,
      repo: ROOT,
      concurrency: config === 'local1' ? 1 : 2,
      queue: config.startsWith('queue') ? redis.url : undefined,
      onProgress: () => stamps.push(performance.now()),
    });
    if (stamps.length > 1) {
      steady[config].seconds += (stamps[stamps.length - 1] - stamps[0]) / 1000;
      steady[config].intervals += stamps.length - 1;
    }
    const dt = (performance.now() - t) / 1000;
    seconds[config] += dt;
    if (s.failed.length) throw new Error(`${config}: the grader failed on ${s.failed.length} submissions: ${s.failed[0].error}`);
    for (const f of fs.readdirSync(path.join(out, 'results'))) {
      const r = JSON.parse(fs.readFileSync(path.join(out, 'results', f), 'utf8')) as SubmissionResult;
      inGrader[config].push(r.seconds);
      scores.set(r.student, [...(scores.get(r.student) ?? []), r.score]);
    }
    process.stderr.write(`${config} half ${h + 1}: ${halves[h].length} in ${dt.toFixed(1)} s\n`);
  };
  let w1: Awaited<ReturnType<typeof startWorker>> | null = null;
  let w2: Awaited<ReturnType<typeof startWorker>> | null = null;
  try {
    // A B C D D C B A
    await measure('local1', 0);
    await measure('local2', 0);
    w1 = await startWorker(redis.url, workerJobs);
    await measure('queue1', 0);
    w2 = await startWorker(redis.url, workerJobs);
    await measure('queue2', 0);
    await measure('queue2', 1);
    await w2.stop();
    w2 = null;
    await measure('queue1', 1);
    await w1.stop();
    w1 = null;
    await measure('local2', 1);
    await measure('local1', 1);
  } finally {
    await w2?.stop();
    await w1?.stop();
    await redis.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const disagree = [...scores].filter(([, s]) => new Set(s).size > 1).map(([st]) => st);
  if (disagree.length) throw new Error(`scores differ between configurations for ${disagree.join(', ')}`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const load = os.loadavg()[0].toFixed(1);
  const row = (config: Config, method: string, workers: number, concurrency: number, base: Config | null): QueueBenchRow => {
    const perMinute = (60 * n) / seconds[config];
    const basePerMinute = base ? (60 * n) / seconds[base] : perMinute;
    return {
      method,
      workers,
      concurrency,
      submissions: n,
      seconds: seconds[config],
      perMinute,
      secondsPerSubmission: seconds[config] / n,
      inGraderSeconds: mean(inGrader[config]),
      queueOverheadSeconds: base ? (seconds[config] - seconds[base]) / n : null,
      vsLocal: perMinute / basePerMinute,
      steadyPerMinute: (60 * steady[config].intervals) / steady[config].seconds,
      steadyOverheadSeconds: base ? steady[config].seconds / steady[config].intervals - steady[base].seconds / steady[base].intervals : null,
      note: `lab ${lab}; A B C D D C B A order on halves of the submissions; ${os.cpus().length} cores; load average at the end ${load}; same scores in every configuration; workers start (and warm their kernels) before their runs, local grading starts its first kernels inside its runs: the steady columns (first to last result of each run) leave that out`,
    };
  };
  return [
    row('local1', 'optilab grade, 1 kernel at a time (local)', 0, 1, null),
    row('queue1', `optilab grade --queue, 1 worker x ${workerJobs}`, 1, workerJobs, workerJobs === 1 ? 'local1' : 'local2'),
    row('local2', 'optilab grade, 2 kernels at a time (local)', 0, 2, null),
    row('queue2', `optilab grade --queue, 2 workers x ${workerJobs}`, 2, 2 * workerJobs, 'local2'),
  ];
}

if (require.main === module) {
  const start = performance.now();
  queueGradingBench(process.argv.slice(2)).then(
    (rows) => {
      const report = {
        rows: rows as unknown as Record<string, unknown>[],
        columns: [
          ['method', (r) => r.method as string],
          ['submissions', (r) => r.submissions as number],
          ['seconds', (r) => r.seconds as number],
          ['per minute', (r) => r.perMinute as number],
          ['s / submission', (r) => r.secondsPerSubmission as number],
          ['in grader s', (r) => r.inGraderSeconds as number],
          ['queue overhead s', (r) => r.queueOverheadSeconds as number | null],
          ['vs local', (r) => r.vsLocal as number],
          ['steady per minute', (r) => r.steadyPerMinute as number],
          ['steady overhead s', (r) => r.steadyOverheadSeconds as number | null],
        ] as [string, (r: Record<string, unknown>) => string | number | null][],
        notes: [rows[0].note],
      };
      const file = writeReport('class-queue', report, (performance.now() - start) / 1000);
      console.log(`\n${formatTable(report)}\n\nwrote ${path.relative(process.cwd(), file)}`);
    },
    (e) => {
      console.error(`bench class/queue: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
