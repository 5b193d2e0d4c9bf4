import { defaultGradingJobs } from '../../grader/engine/jobs';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { repoRoot } from '../../lab/checkout';
import { parseRedisUrl } from '../../grader/engine/queue-connection';
import { JOB_ATTEMPTS, WORKER_SETTINGS } from '../../grader/engine/queue';

const usage = `usage: optilab grade-worker --queue redis://host:port [--jobs <n>]

Grades submissions that \`optilab grade --queue redis://host:port\` put on the queue, on this machine, until
stopped (Ctrl-C or SIGTERM: finishes the submissions in flight; a second Ctrl-C abandons them to the other
workers). Start one on every grading machine; each needs an optilab checkout after \`bash scripts/setup.sh\`
(tslab, bubblewrap) and a route to Redis. Every submission is graded exactly as local grading does: its own
fresh tslab kernel in a bubblewrap sandbox, with the limits the job carries.
  --queue   the Redis server of the queue (redis://[:password@]host[:port][/db])
  --jobs    submissions graded at once (kernels kept warm); default: one per core as far as free memory
            allows (${defaultGradingJobs()} here)
A worker that dies (killed, machine lost) stops renewing its jobs' locks (every ${WORKER_SETTINGS.lockDuration / 2000} s); another
worker puts them back on the queue within about ${(WORKER_SETTINGS.lockDuration + WORKER_SETTINGS.stalledInterval) / 1000} s. A submission the grader fails on is
tried ${JOB_ATTEMPTS} times, then reported to \`optilab grade\` as a grader error.`;

export const command: Command = {
  name: 'grade-worker',
  summary: 'grade queued submissions on this machine (optilab grade-worker --queue redis://host:port [--jobs N])',
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { queue: 'string', jobs: 'int' });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!flags.queue) throw new UsageError('missing --queue redis://host:port');
    const queue = String(flags.queue);
    try {
      parseRedisUrl(queue);
    } catch (e) {
      throw new UsageError(`--queue: ${(e as Error).message}`);
    }
    const jobs = positiveInt('jobs', flags.jobs);
    // Loaded here, not at the top: only this command needs BullMQ and the worker machinery.
    const { startGradeWorker } = await import('../../grader/engine/worker');
    const stamp = () => new Date().toISOString().slice(11, 19);
    const worker = await startGradeWorker({ queue, jobs, repo: repoRoot(), log: (line) => console.log(`${stamp()} ${line}`) });
    await new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        const force = signals > 1;
        console.log(`${stamp()} ${sig}: ${force ? 'abandoning the jobs in flight to the other workers' : 'finishing the jobs in flight (again to abandon them)'}`);
        void worker.stop(force).then(resolve, resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    console.log(`${stamp()} grade-worker stopped`);
    return 0;
  },
};
