/** The local grading engine: submissions graded in sandboxed kernels of this machine. */
import { SubmissionResult } from '../output/result';
import { KernelOptions, KernelPool, RunLimits } from '../trusted/runner';
import { Assignment, GradingEngine, gradeSubmission, readSubmission } from './engine';

/**
 * Local grading: `concurrency` submissions at a time, each in fresh kernels from one warm pool.
 *
 * @example
 * await localEngine(kernelOpts, 2, assignment, DEFAULT_LIMITS).grade(todo, sink);
 */
export function localEngine(kernelOpts: KernelOptions, concurrency: number, a: Assignment, limits: RunLimits): GradingEngine {
  return {
    async grade(todo, sink) {
      const n = Math.max(1, Math.min(concurrency, todo.length || 1));
      const pool = new KernelPool(kernelOpts, todo.length ? n : 0);
      let next = 0;
      const worker = async () => {
        while (next < todo.length) {
          const sub = todo[next++];
          let r: SubmissionResult;
          try {
            r = await gradeSubmission(sub.student, readSubmission(sub), a, pool, limits);
          } catch (e) {
            sink.failed(sub, (e as Error).message ?? String(e));
            continue;
          }
          sink.done(sub, r);
        }
      };
      try {
        await Promise.all(Array.from({ length: n }, worker));
      } finally {
        await pool.close();
      }
    },
  };
}
