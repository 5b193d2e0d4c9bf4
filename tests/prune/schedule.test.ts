import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../src/data/files';
import { mlp } from '../../src/models/zoo';
import { kernelValues, measureSparsity, selectLayers } from '../../src/prune/masks';
import { isUpdateStep, iterativePrune, iterativeTargets, oneShotPrune, polynomialSparsity, pruneWithSchedule } from '../../src/prune/schedule';
import { setupBackend } from '../helpers';

test.before(setupBackend);
const data = loadMnist({ split: 'train', limit: 512 });
const schedule = { initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 10, endStep: 110, frequency: 20 };

test('polynomial schedule: initial at begin, final at end, cubic in between, updates every frequency steps', () => {
  assert.ok(Math.abs(polynomialSparsity(0, schedule) - 0.1) < 1e-12);
  assert.ok(Math.abs(polynomialSparsity(10, schedule) - 0.1) < 1e-12);
  assert.ok(Math.abs(polynomialSparsity(60, schedule) - (0.9 - 0.8 * 0.125)) < 1e-12);
  assert.ok(Math.abs(polynomialSparsity(110, schedule) - 0.9) < 1e-12);
  assert.ok(Math.abs(polynomialSparsity(500, schedule) - 0.9) < 1e-12);
  assert.ok(Math.abs(polynomialSparsity(60, { ...schedule, power: 1 }) - 0.5) < 1e-12);
  assert.deepEqual([0, 10, 20, 30, 110, 130].map((s) => isUpdateStep(s, schedule)), [false, true, false, true, true, false]);
  assert.throws(() => polynomialSparsity(0, { ...schedule, finalSparsity: 1 }), /finalSparsity must be in \[0, 1\)/);
  assert.throws(() => polynomialSparsity(0, { ...schedule, endStep: 5 }), /beginStep < endStep/);
});

test('pruning during training follows the schedule and the masks hold through the optimizer steps', async () => {
  const model = mlp({ seed: 1, hidden: [32] });
  // 512 / 64 = 8 steps per epoch; 2 epochs = 16 steps.
  const s = { initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 12, frequency: 4 };
  let userSteps = 0;
  const { log, masks } = await pruneWithSchedule(model, data, s, { train: { epochs: 2, seed: 1, afterStep: () => userSteps++ } });
  assert.equal(userSteps, 16);
  assert.deepEqual(log.steps, [0, 4, 8, 12]);
  assert.deepEqual(log.target.map((t) => +t.toFixed(6)), [0, +(0.8 - 0.8 * (2 / 3) ** 3).toFixed(6), +(0.8 - 0.8 * (1 / 3) ** 3).toFixed(6), 0.8]);
  for (let i = 1; i < log.global.length; i++) assert.ok(log.global[i] >= log.global[i - 1]);
  assert.ok(Math.abs(log.perLayer.fc1[3] - 0.8) < 1e-3);
  // Trained 4 more steps after the last update: the pruned weights are still exactly zero.
  const final = measureSparsity(model);
  assert.ok(Math.abs(final.global - 0.8) < 1e-3, `final sparsity ${final.global}`);
  const w = kernelValues(selectLayers(model, ['fc1'])[0]);
  masks.fc1.kernel.forEach((m, i) => assert.ok(m === 1 || w[i] === 0));
});

test('one-shot and iterative pruning reach their targets and keep them through fine-tuning', async () => {
  const a = mlp({ seed: 2, hidden: [32] });
  const one = await oneShotPrune(a, data, 0.75, { train: { epochs: 1, seed: 2 } });
  assert.ok(Math.abs(measureSparsity(a).global - 0.75) < 1e-3);
  assert.equal(one.training.length, 1);
  const b = mlp({ seed: 2, hidden: [32] });
  const targets = iterativeTargets(0.875, 3);
  assert.deepEqual(targets.map((t) => +t.toFixed(6)), [0.5, 0.75, 0.875]);
  const it = await iterativePrune(b, data, targets, { train: { epochs: 1, seed: 2 } });
  assert.deepEqual(it.log.steps, [1, 2, 3]);
  it.log.global.forEach((g, i) => assert.ok(Math.abs(g - targets[i]) < 1e-3, `round ${i}: ${g}`));
  await assert.rejects(iterativePrune(b, data, [0.5, 0.3], { train: { epochs: 1 } }), /must not decrease/);
});
