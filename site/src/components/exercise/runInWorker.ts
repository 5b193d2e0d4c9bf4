/** Runs code + tests in a fresh Web Worker; terminates it and reports a timeout after `timeLimitMs`. */
import type { CheckResult } from '@optilab/exercises/types';

export function runInWorker(code: string, tests: string, timeLimitMs: number): Promise<CheckResult & { timedOut?: boolean }> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./exercise.worker.ts', import.meta.url));
    const timer = window.setTimeout(() => {
      worker.terminate();
      resolve({
        correct: false, score: 0, points: 0, tests: [], timedOut: true,
        message: `Stopped after ${timeLimitMs / 1000} s: your code did not finish. Look for a loop whose condition never becomes false (an infinite loop), fix it and run again.`,
      });
    }, timeLimitMs);
    worker.onmessage = (ev: MessageEvent<CheckResult>) => {
      window.clearTimeout(timer);
      worker.terminate();
      resolve(ev.data);
    };
    worker.onerror = (ev) => {
      window.clearTimeout(timer);
      worker.terminate();
      resolve({ correct: false, score: 0, points: 0, tests: [], message: `The exercise worker failed: ${ev.message}` });
    };
  });
}
