import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../src/data/files';
import { lenet5, mlp } from '../../src/models/zoo';
import { evaluate, train } from '../../src/train/train';
import { trainParallel } from '../../src/train/parallel';
import { MNIST_SLICE, maxAbsDiff, setupBackend } from '../helpers';

test.before(setupBackend);

const data = loadMnist({ split: 'train', limit: 640 });

async function weightsOf(m: { getWeights(): { data(): Promise<unknown> }[] }) {
  return Promise.all(m.getWeights().map(async (w) => Array.from((await w.data()) as Float32Array)));
}

test('one worker reproduces the single-thread trainer exactly', async () => {
  const a = lenet5({ seed: 2 });
  const b = lenet5({ seed: 2 });
  const ra = await train(a, data, { epochs: 1, seed: 2 });
  const rb = await trainParallel(b, data, { epochs: 1, seed: 2, workers: 1 });
  assert.equal(rb.epochs[0].loss, ra.epochs[0].loss);
  assert.deepEqual(await weightsOf(b), await weightsOf(a));
});

test('two workers: reproducible for a fixed seed, and the same SGD as one worker up to float rounding', async () => {
  const run = async (workers: number) => {
    const m = mlp({ seed: 3, hidden: [64] });
    const r = await trainParallel(m, data, { epochs: 2, seed: 3, workers });
    return { m, r, w: (await weightsOf(m)).flat() };
  };
  const two1 = await run(2);
  const two2 = await run(2);
  assert.deepEqual(two2.w, two1.w, 'same seed and worker count give identical weights');
  const one = await run(1);
  assert.ok(maxAbsDiff(one.w, two1.w) < 1e-3, `two workers drift from one by ${maxAbsDiff(one.w, two1.w)}`);
  const acc = (await evaluate(two1.m, loadMnist({ split: 'test', dir: MNIST_SLICE }))).accuracy;
  assert.ok(acc > 0.7, `accuracy ${acc}`);
});

test('two workers on a conv net (native conv kernels in each worker): reproducible, and the same SGD as one worker', async () => {
  const small = loadMnist({ split: 'train', limit: 256 });
  const run = async (workers: number) => {
    const m = lenet5({ seed: 4 });
    await trainParallel(m, small, { epochs: 1, seed: 4, workers, batchSize: 32 });
    return (await weightsOf(m)).flat();
  };
  const a = await run(2);
  const b = await run(2);
  assert.deepEqual(b, a, 'same seed and worker count give identical weights');
  const one = await run(1);
  assert.ok(maxAbsDiff(one, a) < 1e-3, `two workers drift from one by ${maxAbsDiff(one, a)}`);
});

test('bad options are rejected', async () => {
  await assert.rejects(trainParallel(mlp(), data, { epochs: 1, workers: 0 }), /workers must be a positive whole number, got 0/);
});
