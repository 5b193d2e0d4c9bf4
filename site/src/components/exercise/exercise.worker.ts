/**
 * Runs one code exercise off the main thread: transpiles the reader's TypeScript and the tests with sucrase,
 * then runs them with the library's test runner. The page kills this worker when the time limit passes.
 * The reader's code runs in this worker too, so the result goes back on a MessagePort the page sent with
 * the job (the reader's code cannot reach it, and `postMessage` is captured first): a message the reader's
 * code posts on the worker itself is never taken for a result.
 */
import { transform } from 'sucrase';
import { exerciseRef, lockIntrinsics, runCodeChecks } from '@optilab/lite';

const post = MessagePort.prototype.postMessage;

function toJs(source: string): string {
  return transform(source, { transforms: ['typescript'], disableESTransforms: true }).code;
}

self.onmessage = async (ev: MessageEvent<{ code: string; tests: string }>) => {
  const port = ev.ports[0];
  if (!port) return;
  self.onmessage = null; // one job per worker
  const reply = (result: unknown) => Reflect.apply(post, port, [result]);
  let userJs: string;
  try {
    userJs = toJs(ev.data.code);
  } catch (e) {
    reply({ correct: false, score: 0, points: 0, message: `Your code does not compile: ${(e as Error).message}`, tests: [] });
    return;
  }
  let testsJs: string;
  try {
    testsJs = toJs(ev.data.tests);
  } catch (e) {
    reply({ correct: false, score: 0, points: 0, message: `The exercise's tests do not compile: ${(e as Error).message}`, tests: [] });
    return;
  }
  // The time limit starts now: loading the worker and transpiling do not count against the reader's code.
  reply({ started: true });
  try {
    lockIntrinsics();
    const result = await runCodeChecks(userJs, testsJs, exerciseRef as unknown as Record<string, unknown>);
    reply(JSON.parse(JSON.stringify(result)));
  } catch (e) {
    reply({ correct: false, score: 0, points: 0, message: `The test runner failed: ${(e as Error).message}`, tests: [] });
  }
};

// Tell the page the handler is installed: a job posted before this point could be dropped while the
// worker's chunks were still loading.
self.postMessage({ ready: true });
