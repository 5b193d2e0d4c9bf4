/**
 * Runs one code exercise off the main thread: transpiles the reader's TypeScript and the tests with sucrase,
 * then runs them with the library's test runner. The page kills this worker when the time limit passes.
 */
import { transform } from 'sucrase';
import { runCodeChecks } from '@optilab/exercises/runner';
import { exerciseRef } from '@optilab/exercises/ref';

function toJs(source: string): string {
  return transform(source, { transforms: ['typescript'], disableESTransforms: true }).code;
}

self.onmessage = async (ev: MessageEvent<{ code: string; tests: string }>) => {
  let userJs: string;
  try {
    userJs = toJs(ev.data.code);
  } catch (e) {
    self.postMessage({ correct: false, score: 0, points: 0, message: `Your code does not compile: ${(e as Error).message}`, tests: [] });
    return;
  }
  let testsJs: string;
  try {
    testsJs = toJs(ev.data.tests);
  } catch (e) {
    self.postMessage({ correct: false, score: 0, points: 0, message: `The exercise's tests do not compile: ${(e as Error).message}`, tests: [] });
    return;
  }
  // The time limit starts now: loading the worker and transpiling do not count against the reader's code.
  self.postMessage({ started: true });
  try {
    const result = await runCodeChecks(userJs, testsJs, exerciseRef as unknown as Record<string, unknown>);
    self.postMessage(result);
  } catch (e) {
    self.postMessage({ correct: false, score: 0, points: 0, message: `The test runner failed: ${(e as Error).message}`, tests: [] });
  }
};

// Tell the page the handler is installed: a job posted before this point could be dropped while the
// worker's chunks were still loading.
self.postMessage({ ready: true });
