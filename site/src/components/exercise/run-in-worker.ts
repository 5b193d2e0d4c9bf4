/**
 * Runs code + tests in a fresh Web Worker; terminates it and reports a timeout when the code runs longer than
 * `timeLimitMs` (counted from the worker's "started" message, so a slow first load of the worker bundle does
 * not count), or when the worker does not even start within `LOAD_LIMIT_MS`.
 */
import type { CheckResult } from '@optilab/lite';

const LOAD_LIMIT_MS = 20000;

export function runInWorker(code: string, tests: string, timeLimitMs: number): Promise<CheckResult & { timedOut?: boolean }> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./exercise.worker.ts', import.meta.url));
    let timer = window.setTimeout(() => {
      worker.terminate();
      resolve({ correct: false, score: 0, points: 0, tests: [], message: `The exercise runner did not start within ${LOAD_LIMIT_MS / 1000} s; reload the page and try again.` });
    }, LOAD_LIMIT_MS);
    // Results come only on this channel's port (the reader's code runs in the worker and could post on it).
    const channel = new MessageChannel();
    worker.onmessage = (ev: MessageEvent<{ ready?: true }>) => {
      if (ev.data && ev.data.ready === true) {
        worker.onmessage = null;
        worker.postMessage({ code, tests }, [channel.port2]);
      }
    };
    channel.port1.onmessage = (ev: MessageEvent<CheckResult | { started: true }>) => {
      window.clearTimeout(timer);
      if ('started' in ev.data) {
        timer = window.setTimeout(() => {
          worker.terminate();
          resolve({
            correct: false, score: 0, points: 0, tests: [], timedOut: true,
            message: `Stopped after ${timeLimitMs / 1000} s: your code did not finish. Look for a loop whose condition never becomes false (an infinite loop), fix it and run again.`,
          });
        }, timeLimitMs);
        return;
      }
      worker.terminate();
      channel.port1.close();
      resolve(ev.data);
    };
    worker.onerror = (ev) => {
      window.clearTimeout(timer);
      worker.terminate();
      resolve({ correct: false, score: 0, points: 0, tests: [], message: `The exercise worker failed: ${ev.message}` });
    };
  });
}
