import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../src/data/files';
import { subset } from '../../src/data/dataset';
import { lenet5, mlp } from '../../src/models/zoo';
import { argmaxRows, evaluate, learningRateAt, scoreLogits, train } from '../../src/train/train';
import { MNIST_SLICE, setupBackend } from '../helpers';

test.before(setupBackend);

const data = loadMnist({ split: 'train', limit: 1024 });

test('training is reproducible: same seed, same weights and losses', async () => {
  const run = async () => {
    const m = lenet5({ seed: 3 });
    const r = await train(m, data, { epochs: 1, batchSize: 64, seed: 3 });
    return { loss: r.epochs[0].loss, w: Array.from(await m.getWeights()[0].data()) };
  };
  const a = await run();
  const b = await run();
  assert.equal(a.loss, b.loss);
  assert.deepEqual(a.w, b.w);
});

test('training learns: an MLP beats 80% on held-out digits after 3 short epochs', async () => {
  const m = mlp({ seed: 1 });
  const progress: number[] = [];
  const r = await train(m, data, { epochs: 3, seed: 1, onProgress: (p) => progress.push(p.fraction) });
  assert.ok(r.epochs[2].loss < r.epochs[0].loss, 'loss decreases');
  assert.equal(progress[progress.length - 1], 1);
  assert.ok(progress.every((f, i) => i === 0 || f >= progress[i - 1]), 'progress is monotone');
  const test = await evaluate(m, loadMnist({ split: 'test', dir: MNIST_SLICE }));
  assert.ok(test.accuracy > 0.8, `accuracy ${test.accuracy}`);
  assert.equal(test.confusion.flat().reduce((a, b) => a + b, 0), 100);
});

test('afterStep runs once per optimizer step; custom loss is used', async () => {
  let steps = 0;
  let lossCalls = 0;
  const m = mlp({ seed: 2, hidden: [16] });
  const small = subset(data, 200);
  await train(m, small, {
    epochs: 2,
    batchSize: 50,
    afterStep: () => steps++,
    loss: (logits, labels) => {
      lossCalls++;
      return (require('../../src/train/train') as typeof import('../../src/train/train')).crossEntropy(logits, labels);
    },
  });
  assert.equal(steps, 8);
  assert.equal(lossCalls, 8);
});

test('cosine schedule decays from the base rate to zero', () => {
  assert.equal(learningRateAt(0.01, 'cosine', 0, 100), 0.01);
  assert.ok(Math.abs(learningRateAt(0.01, 'cosine', 50, 100) - 0.005) < 1e-12);
  assert.ok(learningRateAt(0.01, 'cosine', 100, 100) < 1e-12);
  assert.equal(learningRateAt(0.01, 'constant', 70, 100), 0.01);
});

test('scoreLogits computes accuracy, loss and confusion', () => {
  const logits = Float32Array.from([2, 0, 0, 2, 5, 0]); // predictions 0, 1, 0
  const r = scoreLogits(logits, Uint8Array.from([0, 1, 1]), 2);
  assert.equal(r.accuracy, 2 / 3);
  assert.deepEqual(r.confusion, [[1, 0], [1, 1]]);
  const expectedLoss = (Math.log(1 + Math.exp(-2)) * 2 + (Math.log(Math.exp(5) + 1) - 0)) / 3;
  assert.ok(Math.abs(r.loss - expectedLoss) < 1e-6);
});

test('bad training options are rejected', async () => {
  await assert.rejects(train(mlp(), data, { epochs: 0 }), /epochs must be a positive whole number, got 0/);
  await assert.rejects(train(mlp(), data, { epochs: 1, batchSize: 2.5 }), /batchSize must be a positive whole number/);
  await assert.rejects(train(mlp(), data, { epochs: 1, learningRate: -1 }), /learningRate must be positive/);
});

test('argmaxRows picks the first largest logit of each row', () => {
  const logits = new Float32Array([0.1, 0.9, 0.3, /**/ 2, 2, -1, /**/ -5, -4, -3]);
  assert.deepEqual(Array.from(argmaxRows(logits, 3)), [1, 0, 2]);
});
