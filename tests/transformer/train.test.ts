import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { setupBackend, ROOT } from '../helpers';
import { mulberry32 } from '../../src/util/random';
import { loadKjv } from '../../src/data/kjv';
import { tinyGpt, trainTinyGpt, gptLearningRate, sampleWindows, gptTrainingPreset, GPT_TRAINING_QUICK, GPT_TRAINING_FULL, TINY_GPT_QUICK, TINY_GPT_DEFAULT, type GptTrainProgress } from '../../src/transformer';

const SLICE = path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt');

before(async () => {
  await setupBackend();
});

test('learning rate: linear warmup, cosine decay to the floor', () => {
  assert.ok(Math.abs(gptLearningRate(0, 1000, 1e-3, 100) - 1e-5) < 1e-15);
  assert.ok(Math.abs(gptLearningRate(99, 1000, 1e-3, 100) - 1e-3) < 1e-15);
  assert.ok(Math.abs(gptLearningRate(550, 1000, 1e-3, 100) - 1e-3 * (0.1 + 0.9 * 0.5)) < 1e-12);
  assert.ok(Math.abs(gptLearningRate(1000, 1000, 1e-3, 100) - 1e-4) < 1e-15);
});

test('sampleWindows: seeded, targets are the inputs shifted by one', () => {
  const tokens = Int32Array.from({ length: 200 }, (_, i) => i);
  const a = sampleWindows(tokens, 4, 16, mulberry32(3));
  const b = sampleWindows(tokens, 4, 16, mulberry32(3));
  assert.deepEqual(a, b);
  for (let i = 0; i < a.inputs.length; i++) assert.equal(a.targets[i], a.inputs[i] + 1);
  assert.throws(() => sampleWindows(tokens.slice(0, 10), 1, 16, mulberry32(0)), /fewer than a window/);
});

test('presets: quick is the small shape, full the default 4x4x128 one', () => {
  assert.equal(gptTrainingPreset(true), GPT_TRAINING_QUICK);
  assert.equal(gptTrainingPreset(false), GPT_TRAINING_FULL);
  assert.equal(GPT_TRAINING_QUICK.shape, TINY_GPT_QUICK);
  assert.equal(GPT_TRAINING_FULL.shape, TINY_GPT_DEFAULT);
});

test('training on the committed slice: the loss falls within 120 steps, progress is reported, the same seed gives the same run', async () => {
  const kjv = loadKjv({ path: SLICE });
  const run = async (progress?: GptTrainProgress[]) => {
    const model = tinyGpt({ vocabSize: kjv.vocabulary.size, contextLength: 32, dModel: 32, nLayers: 2, nHeads: 2, seed: 1 });
    const before = model.evaluate(kjv.validation, { maxTokens: 4096 }).nll;
    const r = await trainTinyGpt(model, kjv, { steps: 120, batchSize: 16, lr: 1e-2, seed: 2, evalEvery: 60, evalTokens: 4096, progressEvery: 20, onProgress: progress ? (p) => progress.push(p) : undefined });
    const weights = model.getWeights();
    model.dispose();
    return { before, r, weights };
  };
  const progress: GptTrainProgress[] = [];
  const a = await run(progress);
  // a uniform guess is ln 63 = 4.14 nats; the start is near it, the end well below (character frequencies and more)
  assert.ok(Math.abs(a.before - Math.log(63)) < 0.1, `initial nll ${a.before}`);
  assert.ok(a.r.finalLoss < a.before - 1, `training loss ${a.r.finalLoss} after 120 steps, from ${a.before}`);
  assert.ok(a.r.validationBpc < a.before / Math.LN2 - 1, `validation ${a.r.validationBpc} bits per character`);
  assert.deepEqual(a.r.history.map((h) => h.step), [60, 120]);
  assert.ok(a.r.history[1].validationBpc < a.r.history[0].validationBpc);
  assert.deepEqual(progress.map((p) => p.step), [20, 40, 60, 80, 100, 120]);
  assert.ok(progress.every((p) => p.steps === 120 && p.stepsPerSecond > 0 && Number.isFinite(p.loss)));
  assert.equal(progress[5].fraction, 1);
  assert.equal(progress[5].validationBpc, a.r.validationBpc);
  const b = await run();
  assert.equal(b.r.finalLoss, a.r.finalLoss);
  assert.deepEqual(b.weights['block1.mlp.fc2'], a.weights['block1.mlp.fc2']);
});

test('training options are checked', async () => {
  const model = tinyGpt({ vocabSize: 5, contextLength: 4, dModel: 8, nLayers: 1, nHeads: 2 });
  const data = { train: Int32Array.from({ length: 50 }, (_, i) => i % 5) };
  await assert.rejects(trainTinyGpt(model, data, { steps: 0 }), /steps must be a positive/);
  await assert.rejects(trainTinyGpt(model, data, { steps: 1, lr: -1 }), /lr must be positive/);
  const r = await trainTinyGpt(model, data, { steps: 2, batchSize: 2 });
  assert.ok(Number.isNaN(r.validationBpc), 'no validation data: NaN');
  model.dispose();
});
