import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, ROOT } from '../helpers';
import { loadKjv, type KjvCorpus } from '../../src/data/kjv';
import { tinyGpt, trainTinyGpt, type TinyGpt, type TinyGptConfig } from '../../src/transformer';
import { distillTinyGpt, gptDistillationLoss, teacherStudentKl } from '../../src/transformer/distill';

let kjv: KjvCorpus;
let teacher: TinyGpt;
const SMALL = { contextLength: 32, nLayers: 2, nHeads: 2, mlpRatio: 4, activation: 'relu' } as const;
const student = (over: Partial<TinyGptConfig> = {}) => tinyGpt({ vocabSize: kjv.vocabulary.size, dModel: 16, seed: 2, ...over }, { ...SMALL, dModel: 16 });

before(async () => {
  await setupBackend();
  kjv = loadKjv({ path: path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt') });
  // a small teacher (width 48) trained on the slice for a few seconds
  teacher = tinyGpt({ vocabSize: kjv.vocabulary.size, seed: 1 }, { ...SMALL, dModel: 48 });
  await trainTinyGpt(teacher, kjv, { steps: 300, batchSize: 16, lr: 1e-2, seed: 1, evalTokens: 4096 });
});

test('gptDistillationLoss: alpha T² KL(teacher_T || student_T) + (1 - alpha) CE, by hand', () => {
  const s = [[1, 2, 0.5], [0, -1, 3]];
  const tl = [[2, 0, 1], [1, 1, 1]];
  const y = [1, 2];
  const T = 2;
  const alpha = 0.3;
  const softmax = (r: number[], t: number) => {
    const e = r.map((v) => Math.exp(v / t));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  let kl = 0;
  let ce = 0;
  for (let i = 0; i < 2; i++) {
    const p = softmax(tl[i], T);
    const q = softmax(s[i], T);
    kl += p.reduce((a, pi, j) => a + pi * Math.log(pi / q[j]), 0) / 2;
    ce += -Math.log(softmax(s[i], 1)[y[i]]) / 2;
  }
  const expected = alpha * T * T * kl + (1 - alpha) * ce;
  const got = tf.tidy(() => gptDistillationLoss(tf.tensor2d(s), tf.tensor2d(tl), tf.tensor1d(y, 'int32'), { temperature: T, alpha }).dataSync()[0]);
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
  const same = tf.tidy(() => gptDistillationLoss(tf.tensor2d(s), tf.tensor2d(s), tf.tensor1d(y, 'int32'), { temperature: 3, alpha: 1 }).dataSync()[0]);
  assert.ok(Math.abs(same) < 1e-6, 'no soft loss against itself');
  assert.throws(() => gptDistillationLoss(tf.tensor2d(s), tf.tensor2d(tl), tf.tensor1d(y, 'int32'), { alpha: 2 }), /alpha must be in \[0, 1\]/);
  assert.throws(() => gptDistillationLoss(tf.tensor2d(s), tf.tensor2d(tl), tf.tensor1d(y, 'int32'), { temperature: 0 }), /temperature/);
});

test('distillTinyGpt with alpha 0 is exactly trainTinyGpt (the same loop through its loss hook)', async () => {
  const a = student();
  const b = student();
  const opts = { steps: 20, batchSize: 8, lr: 1e-2, seed: 4, evalTokens: 2048 };
  const ra = await trainTinyGpt(a, kjv, opts);
  const rb = await distillTinyGpt(teacher, b, kjv, { ...opts, alpha: 0 });
  assert.equal(rb.finalLoss, ra.finalLoss);
  assert.deepEqual(b.getWeights()['block1.mlp.fc2'], a.getWeights()['block1.mlp.fc2']);
  a.dispose();
  b.dispose();
});

test('distillTinyGpt: the teacher stays frozen, the student learns and moves toward the teacher more than one trained alone', async (t) => {
  const before = teacher.getWeights();
  const opts = { steps: 200, batchSize: 16, lr: 1e-2, seed: 5, evalTokens: 4096 };
  const alone = student();
  const distilled = student();
  const start = distilled.bitsPerChar(kjv.validation, { maxTokens: 4096 });
  const ra = await trainTinyGpt(alone, kjv, opts);
  const rd = await distillTinyGpt(teacher, distilled, kjv, { ...opts, temperature: 2, alpha: 0.9 });
  assert.deepEqual(teacher.getWeights(), before, 'teacher unchanged');
  assert.ok(rd.validationBpc < start - 1, `student ${rd.validationBpc} bpc from ${start}`);
  const klAlone = teacherStudentKl(teacher, alone, kjv.validation, { maxTokens: 4096 });
  const klDistilled = teacherStudentKl(teacher, distilled, kjv.validation, { maxTokens: 4096 });
  assert.ok(klDistilled < klAlone, `KL(teacher || student): distilled ${klDistilled}, alone ${klAlone}`);
  assert.ok(Math.abs(teacherStudentKl(teacher, teacher, kjv.validation, { maxTokens: 1024 })) < 1e-6);
  assert.ok(distilled.parameterCount() < teacher.parameterCount() / 3);
  // the comparison at equal steps (validation bits per character), not asserted: one short run on the slice
  t.diagnostic(`teacher ${teacher.parameterCount()} params; student ${distilled.parameterCount()} params: alone ${ra.validationBpc.toFixed(4)} bpc, distilled ${rd.validationBpc.toFixed(4)} bpc; KL alone ${klAlone.toFixed(4)}, distilled ${klDistilled.toFixed(4)}`);
  alone.dispose();
  distilled.dispose();
});

test('distillTinyGpt checks its models', async () => {
  const other = tinyGpt({ vocabSize: 10, dModel: 16 }, { ...SMALL, dModel: 16 });
  await assert.rejects(distillTinyGpt(teacher, other, kjv, { steps: 1 }), /share the vocabulary/);
  const longer = student({ contextLength: 64 });
  await assert.rejects(distillTinyGpt(teacher, longer, kjv, { steps: 1 }), /context 64 is longer/);
  await assert.rejects(distillTinyGpt(teacher, teacher, kjv, { steps: 1 }), /must be different/);
  await assert.rejects(distillTinyGpt(teacher, student(), kjv, { steps: 1, temperature: -1 }), /temperature/);
  other.dispose();
  longer.dispose();
});
