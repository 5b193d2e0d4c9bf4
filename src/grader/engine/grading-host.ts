/**
 * The grading process of `optilab grade-worker`: a child process that grades queue jobs in sandboxed kernels,
 * exactly as local grading does (a warm pool of fresh kernels, one kernel per submission, never reused), so the
 * worker process itself only talks to Redis and its event loop stays free to renew job locks.
 *
 * Protocol (Node IPC): the parent sends `{ type: 'grade', id, data }` (a {@link GradeJobData}); the host answers
 * `{ type: 'result', id, result }` or `{ type: 'error', id, error }`. It sends `{ type: 'ready' }` once it can
 * grade, or `{ type: 'fatal', error }` (e.g. no bubblewrap) and exits. When the parent goes away (even killed),
 * the IPC channel closes and the host kills its kernels and exits.
 */
import { createHash } from 'crypto';
import { Assignment, gradeSubmission, prepareAssignment } from './engine';
import { kernelContext } from './context';
import { GradeJobData } from './queue';
import { KernelPool } from '../trusted/runner';
import { SandboxLimits, sandboxReport } from '../kernel/sandbox';
import { SubmissionResult } from '../output/result';

/** Messages from the worker to its grading host. */
export type HostRequest = { type: 'grade'; id: number; data: GradeJobData };
/** Messages from the grading host to the worker. */
export type HostReply = { type: 'ready' } | { type: 'fatal'; error: string } | { type: 'result'; id: number; result: SubmissionResult } | { type: 'error'; id: number; error: string };

interface Pool {
  pool: KernelPool;
  cleanup: () => void;
  used: number;
}

/**
 * Runs the host loop in this process (the child's entry point calls it).
 *
 * @example
 * // in a forked child: process.argv = [node, grading-host.js, <repo>, <jobs>]
 * runGradingHost(process.argv[2], Number(process.argv[3]));
 */
export function runGradingHost(repo: string, jobs: number): void {
  const send = (m: HostReply) => process.send?.(m);
  // One warm pool per set of sandbox limits (the limits come with each job); normally there is just one.
  const pools = new Map<string, Pool>();
  const assignments = new Map<string, Assignment>();
  let closing = false;
  const poolFor = (limits: SandboxLimits): KernelPool => {
    const key = JSON.stringify(limits);
    let p = pools.get(key);
    if (!p) {
      if (pools.size >= 2) {
        const [oldKey, old] = [...pools.entries()].sort((a, b) => a[1].used - b[1].used)[0];
        pools.delete(oldKey);
        void old.pool.close().then(old.cleanup, old.cleanup);
      }
      const { opts, cleanup } = kernelContext(repo, limits);
      p = { pool: new KernelPool(opts, jobs), cleanup, used: 0 };
      pools.set(key, p);
    }
    p.used = Date.now();
    return p.pool;
  };
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    await Promise.all([...pools.values()].map((p) => p.pool.close().then(p.cleanup, p.cleanup)));
    process.exit(code);
  };
  process.on('disconnect', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => undefined); // the worker decides (it finishes or returns the jobs in flight)
  try {
    poolFor({}); // warm up with the default limits, and fail now if tslab or bubblewrap is missing
  } catch (e) {
    send({ type: 'fatal', error: (e as Error).message });
    process.exit(1);
  }
  process.on('message', (m: HostRequest) => {
    if (!m || m.type !== 'grade') return;
    void (async () => {
      try {
        const d = m.data;
        const sha = `${createHash('sha256').update(d.sourceText).digest('hex')}\n${d.sourceName}`;
        let a = assignments.get(sha);
        if (!a) {
          a = prepareAssignment(d.sourceText, d.sourceName);
          if (assignments.size >= 4) assignments.clear();
          assignments.set(sha, a);
        }
        const file = d.file ? { name: d.file.name, bytes: Buffer.from(d.file.base64, 'base64') } : null;
        const result = await gradeSubmission(d.student, file, a, poolFor(d.sandboxLimits), d.limits);
        const limitsInForce = sandboxReport();
        send({ type: 'result', id: m.id, result: limitsInForce ? { ...result, limitsInForce } : result });
      } catch (e) {
        send({ type: 'error', id: m.id, error: (e as Error).message ?? String(e) });
      }
    })();
  });
  send({ type: 'ready' });
}

if (require.main === module) {
  runGradingHost(process.argv[2], Math.max(1, Number(process.argv[3]) || 1));
}
