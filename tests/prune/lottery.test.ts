import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../src/data/files';
import { mlp } from '../../src/models/zoo';
import { kernelValues, measureSparsity, selectLayers } from '../../src/prune/masks';
import { lotteryTicket, rewindWeights, snapshotWeights } from '../../src/prune/lottery';
import { setupBackend } from '../helpers';
import { train } from '../../src/train/train';

test.before(setupBackend);

test('lottery ticket: the retrained ticket started from the rewound initial weights under the mask', async () => {
  const data = loadMnist({ split: 'train', limit: 256 });
  const model = mlp({ seed: 5, hidden: [32] });
  const init = kernelValues(selectLayers(model, ['fc1'])[0]);
  // One retraining step of lr 1e-9 barely moves weights: the survivors must equal their initial values.
  const r = await lotteryTicket(model, data, { sparsity: 0.8, rounds: 2, train: { epochs: 1, seed: 5, batchSize: 256, learningRate: 1e-9, schedule: 'constant' } });
  assert.equal(r.training.length, 3);
  assert.deepEqual(r.log.steps, [1, 2]);
  assert.ok(Math.abs(r.log.global[1] - 0.8) < 1e-3 && Math.abs(r.log.global[0] - (1 - Math.sqrt(0.2))) < 1e-3);
  const w = kernelValues(selectLayers(model, ['fc1'])[0]);
  let survivors = 0;
  r.masks.fc1.kernel.forEach((m, i) => {
    if (m) {
      survivors++;
      assert.ok(Math.abs(w[i] - init[i]) < 1e-6, `survivor ${i}: ${w[i]} vs init ${init[i]}`);
    } else assert.equal(w[i] + 0, 0);
  });
  assert.ok(survivors > 0);
  assert.ok(Math.abs(measureSparsity(model).global - 0.8) < 1e-3);
  assert.throws(() => rewindWeights(model, snapshotWeights(mlp({ hidden: [8] }))), /does not match/);
});

test('late rewinding: survivors go back to their values after rewindStep dense steps, not to the initial ones', async () => {
  const data = loadMnist({ split: 'train', limit: 256 });
  const opts = { epochs: 1, seed: 6, batchSize: 64, learningRate: 1e-2, schedule: 'constant' as const };
  // The reference: the same seeded dense run, weights captured after its 2nd step.
  const ref = mlp({ seed: 6, hidden: [32] });
  const init = kernelValues(selectLayers(ref, ['fc1'])[0]);
  let atStep2 = new Float32Array();
  await train(ref, data, { ...opts, afterStep: (s) => { if (s === 2) atStep2 = kernelValues(selectLayers(ref, ['fc1'])[0]); } });
  // Retraining at lr 1e-9 barely moves the weights, so the result shows what they were rewound to.
  const model = mlp({ seed: 6, hidden: [32] });
  const r = await lotteryTicket(model, data, { sparsity: 0.5, rewindStep: 2, train: opts, retrain: { learningRate: 1e-9 } });
  const w = kernelValues(selectLayers(model, ['fc1'])[0]);
  let moved = 0;
  r.masks.fc1.kernel.forEach((m, i) => {
    if (!m) return assert.equal(w[i] + 0, 0);
    assert.ok(Math.abs(w[i] - atStep2[i]) < 1e-6, `survivor ${i}: ${w[i]} vs step-2 value ${atStep2[i]}`);
    if (Math.abs(atStep2[i] - init[i]) > 1e-4) moved++;
  });
  assert.ok(moved > 100, `the step-2 weights differ from the initial ones (${moved} survivors moved)`);
  await assert.rejects(lotteryTicket(mlp({ seed: 6, hidden: [8] }), data, { sparsity: 0.5, rewindStep: 99, train: opts }), /rewindStep 99 is past the end of the dense training \(4 steps\)/);
  await assert.rejects(lotteryTicket(mlp({ seed: 6, hidden: [8] }), data, { sparsity: 0.5, rewindStep: -1, train: opts }), /rewindStep must be a whole number/);
});
