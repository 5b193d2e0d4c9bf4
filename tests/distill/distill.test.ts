import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../../src/data/files';
import { lenet5, mlp } from '../../src/models/zoo';
import { distillationLoss, softTargetLoss } from '../../src/distill/loss';
import { distill } from '../../src/distill/trainer';
import { crossEntropy, evaluate, train } from '../../src/train/train';
import { maxAbsDiff, MNIST_SLICE, setupBackend } from '../helpers';

test.before(setupBackend);

interface Case { student: number[][]; teacher: number[][]; labels: number[]; temperature: number; alpha: number; soft: number; mixed: number }
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'kd_reference.json'), 'utf8')) as { cases: Case[] };

test('softTargetLoss and the alpha mix match torch kl_div(batchmean) * T² and cross_entropy', () => {
  assert.ok(ref.cases.length >= 6);
  for (const c of ref.cases) {
    const s = tf.tensor2d(c.student);
    const t = tf.tensor2d(c.teacher);
    const soft = softTargetLoss(s, t, c.temperature).dataSync()[0];
    assert.ok(Math.abs(soft - c.soft) <= 1e-4 * Math.max(1, Math.abs(c.soft)), `T=${c.temperature}: ${soft} vs torch ${c.soft}`);
    const mixed = distillationLoss(s, t, tf.tensor1d(c.labels, 'int32'), { temperature: c.temperature, alpha: c.alpha }).dataSync()[0];
    assert.ok(Math.abs(mixed - c.mixed) <= 1e-4 * Math.max(1, Math.abs(c.mixed)), `mixed ${mixed} vs torch ${c.mixed}`);
  }
});

test('soft-target loss is zero for identical logits, positive otherwise, and checks its inputs', () => {
  const a = tf.tensor2d([[1, 2, 3], [0, -1, 5]]);
  assert.ok(Math.abs(softTargetLoss(a, a, 3).dataSync()[0]) < 1e-6);
  assert.ok(softTargetLoss(tf.tensor2d([[3, 2, 1], [0, -1, 5]]), a, 3).dataSync()[0] > 0.01);
  assert.throws(() => softTargetLoss(a, tf.tensor2d([[1, 2]]), 2), /same shape/);
  assert.throws(() => softTargetLoss(a, a, 0), /temperature must be a positive number/);
  assert.throws(() => distillationLoss(a, a, tf.tensor1d([0, 1], 'int32'), { temperature: 2, alpha: 1.5 }), /alpha must be in \[0, 1\]/);
});

test('distillation trains the student only: the teacher is unchanged and the student improves', async () => {
  const data = loadMnist({ split: 'train', limit: 1024 });
  const teacher = mlp({ seed: 1, hidden: [128] });
  await train(teacher, data, { epochs: 3, seed: 1 });
  const teacherBefore = teacher.getWeights().map((w) => w.dataSync().slice());
  const student = mlp({ seed: 2, hidden: [32] });
  const test = loadMnist({ split: 'test', dir: MNIST_SLICE });
  const before = (await evaluate(student, test)).accuracy;
  const r = await distill(student, teacher, data, { epochs: 3, seed: 2, temperature: 4, alpha: 0.7, learningRate: 5e-3 });
  const after = (await evaluate(student, test)).accuracy;
  teacher.getWeights().forEach((w, i) => assert.equal(maxAbsDiff(w.dataSync(), teacherBefore[i]), 0));
  assert.ok(r.epochs[1].loss < r.epochs[0].loss);
  assert.ok(after > 0.65 && after > before + 0.3, `student ${before} -> ${after}`);
  assert.equal(teacher.trainable, true);
  await assert.rejects(distill(student, lenet5({ seed: 1, numClasses: 5 }), data, { epochs: 1, temperature: 2, alpha: 0.5 }), /must share input and output shapes/);
});

test('alpha = 0 is the plain hard-label cross-entropy', () => {
  const s = tf.tensor2d([[1, 2, 0.5], [0, -1, 2]]);
  const labels = tf.tensor1d([2, 0], 'int32');
  const mixed = distillationLoss(s, tf.tensor2d([[5, 0, 0], [0, 5, 0]]), labels, { temperature: 3, alpha: 0 }).dataSync()[0];
  assert.ok(Math.abs(mixed - crossEntropy(s, labels).dataSync()[0]) < 1e-6);
});
