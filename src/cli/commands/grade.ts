import { defaultGradingJobs } from '../../grader/engine/jobs';
import * as fs from 'fs';
import * as path from 'path';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { createProgress } from '../progress';
import { repoRoot } from '../../lab/checkout';
import { NotebookFormatError } from '../../grader/assignment/format';
import { parseRedisUrl } from '../../grader/engine/queue-connection';
import { gradeSubmissions } from '../../grader/engine/grade';
import { DEFAULT_LIMITS } from '../../grader/trusted/runner';
import { JOB_ATTEMPTS } from '../../grader/engine/queue';
import { kernelImageFallback } from '../../grader/kernel/kernel-image';
import { sandboxReport } from '../../grader/kernel/sandbox';

const usage = `usage: optilab grade <submissions dir or .zip> --assignment <source.ipynb> --out <dir>
                    [--jobs <n>] [--cell-timeout <s>] [--notebook-timeout <s>] [--memory <MiB>]
                    [--queue redis://host:port]

Grades every submission (<student>.ipynb, or <student>/<any>.ipynb) against the assignment SOURCE: each in
its own fresh tslab kernel inside a bubblewrap sandbox (no network, read-only system, private scratch folder),
hidden tests and locked cells taken from the source. Writes to <dir>:
  results/<student>.json               full result (the record of truth)
  feedback/<student>.html              feedback page for the student
  gradescope/<student>/results.json    Gradescope autograder format
  gradebook.sqlite                     SQLite gradebook (tables submissions, tests, checks)
  grades.csv                           one row per student for an LMS
Run it again after an interruption: finished students are skipped (nothing is graded or counted twice).
Defaults: --jobs = one per core as far as free memory allows (${defaultGradingJobs()} here), --cell-timeout ${DEFAULT_LIMITS.cellTimeoutMs / 1000}, --notebook-timeout ${DEFAULT_LIMITS.notebookTimeoutMs / 1000}, --memory 1536.

On several machines: --queue redis://host:port puts one job per submission on that Redis server (the source
and the submission travel with the job) and waits while \`optilab grade-worker --queue redis://host:port\`
processes, on any number of machines, grade them in their own sandboxes. Results come back through Redis and
are written here exactly as local grading writes them; --jobs is then the workers' business, the limits
(--cell-timeout, --notebook-timeout, --memory) travel with each job. A worker that dies loses nothing: its
jobs go back on the queue within seconds and each submission is counted once. A submission the grader fails
on is tried ${JOB_ATTEMPTS} times, then reported as a grader error (exit status 1; a rerun retries it).
This machine needs no sandbox then, only the submissions and a route to Redis.`;

export const command: Command = {
  name: 'grade',
  summary: 'autograde submissions in sandboxed kernels, here or on a queue (optilab grade <dir|zip> --assignment <src> --out <dir> [--queue redis://host:port])',
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { assignment: 'string', out: 'string', jobs: 'int', 'cell-timeout': 'int', 'notebook-timeout': 'int', memory: 'int', queue: 'string' });
    if (positionals.length !== 1) throw new UsageError('give exactly one submissions folder or .zip');
    if (!flags.assignment) throw new UsageError('missing --assignment <source.ipynb>');
    if (!flags.out) throw new UsageError('missing --out <dir>');
    const submissions = path.resolve(positionals[0]);
    const source = path.resolve(String(flags.assignment));
    for (const p of [submissions, source]) if (!fs.existsSync(p)) throw new UsageError(`${p} does not exist`);
    const cell = positiveInt('cell-timeout', flags['cell-timeout']);
    const nbt = positiveInt('notebook-timeout', flags['notebook-timeout']);
    const limits = { ...DEFAULT_LIMITS, ...(cell ? { cellTimeoutMs: cell * 1000 } : {}), ...(nbt ? { notebookTimeoutMs: nbt * 1000 } : {}) };
    const queue = flags.queue === undefined ? undefined : String(flags.queue);
    if (queue !== undefined) {
      try {
        parseRedisUrl(queue);
      } catch (e) {
        throw new UsageError(`--queue: ${(e as Error).message}`);
      }
    }
    const width = String(1000).length;
    const workerLimits = new Set<string>();
    // the bar (or progress lines) on stderr, one step per submission; the per-student lines stay on stdout
    const progress = createProgress(queue === undefined ? 'grade' : 'grade (queue)');
    const say = (m: string) => {
      progress.clear();
      console.log(m);
    };
    try {
      const s = await gradeSubmissions({
        source,
        submissions,
        out: String(flags.out),
        repo: repoRoot(),
        concurrency: positiveInt('jobs', flags.jobs),
        limits,
        sandboxLimits: { memoryMiB: positiveInt('memory', flags.memory) },
        queue,
        onNotice: say,
        onProgress: (e) => {
          if (e.result?.limitsInForce) workerLimits.add(e.result.limitsInForce);
          const head = `[${String(e.done).padStart(width)}/${e.total}] ${e.student}`;
          if (e.error) say(`${head}: GRADER ERROR (will be retried on the next run): ${e.error}`);
          else if (e.skipped) say(`${head}: ${e.result!.score}/${e.result!.maxScore} (already graded)`);
          else say(`${head}: ${e.result!.status === 'invalid' ? 'INVALID ' : ''}${e.result!.score}/${e.result!.maxScore} (${e.result!.seconds.toFixed(1)} s${e.result!.restarts ? `, ${e.result!.restarts} kernel restart(s)` : ''})`);
          progress.update(e.done / e.total, e.student);
        },
      });
      progress.done(`${s.total} submission(s)`);
      console.log(`graded ${s.graded}, already graded ${s.skipped}, grader errors ${s.failed.length}, of ${s.total} submissions in ${s.seconds.toFixed(1)} s -> ${s.out}${queue === undefined && s.graded ? imageNote() : ''}`);
      if (queue === undefined && s.graded && sandboxReport()) console.log(sandboxReport());
      // on a queue the kernels ran on the workers: their reports, one line per distinct set of limits
      for (const line of workerLimits) console.log(`on the workers: ${line}`);
      return s.failed.length ? 1 : 0;
    } catch (e) {
      progress.clear();
      if (e instanceof NotebookFormatError) {
        console.error(`the assignment source has problems (run optilab assign validate):\n${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};

/** The summary's word on the kernel image: kernels started without it are slower, and the reason says why. */
function imageNote(): string {
  const why = kernelImageFallback();
  return why ? `; kernel image: not used (${why})` : '; kernel image: used';
}
