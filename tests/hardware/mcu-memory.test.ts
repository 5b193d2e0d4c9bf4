import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildCandidate, candidateMemory, candidatePlan, checkMcuBudget, DEFAULT_MCU_BUDGET, type Architecture } from '../../src/hardware';
import { setupBackend } from '../helpers';

before(async () => {
  await setupBackend();
});

const ARCHS: Architecture[] = [
  { blocks: [{ kind: 'standard', filters: 16, kernelSize: 5 }], dense: 32 },
  { blocks: [{ kind: 'separable', filters: 8, kernelSize: 3 }, { kind: 'standard', filters: 12, kernelSize: 5 }, { kind: 'separable', filters: 6, kernelSize: 5 }], dense: 0 },
  { blocks: [{ kind: 'standard', filters: 4, kernelSize: 3 }, { kind: 'separable', filters: 10, kernelSize: 3 }], dense: 16 },
];

test('the memory model matches the tensors tfjs computes on one image, layer by layer, exactly', () => {
  for (const arch of ARCHS) {
    const model = buildCandidate(arch, { seed: 2 });
    // The same layers, with every layer's output as an output of the model.
    const probe = tfl.model({ inputs: model.inputs, outputs: model.layers.map((l) => l.output as tfl.SymbolicTensor) });
    const outs = probe.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor[];
    const mem = candidateMemory(arch);
    assert.deepEqual(mem.layers.map((l) => l.name), model.layers.map((l) => l.name));
    mem.layers.forEach((l, i) => {
      assert.deepEqual(outs[i].shape.slice(1), l.outputShape, `${l.name} output shape`);
      assert.equal(outs[i].size, l.outputElements, `${l.name} output elements`);
      assert.equal(i === 0 ? 28 * 28 : outs[i - 1].size, l.inputElements, `${l.name} input elements`);
      assert.equal(model.layers[i].countParams(), l.params, `${l.name} parameters`);
      assert.equal(l.liveBytes, l.inputElements + l.outputElements, `${l.name} int8: 1 byte per element`);
    });
    const live = outs.map((o, i) => (i === 0 ? 28 * 28 : outs[i - 1].size) + o.size);
    assert.equal(mem.peakActivationBytes, Math.max(...live));
    assert.equal(mem.params, model.countParams());
    assert.equal(mem.flashBytes, model.countParams());
    const f32 = candidateMemory(arch, { precision: 'float32' });
    assert.equal(f32.peakActivationBytes, 4 * mem.peakActivationBytes);
    assert.equal(f32.flashBytes, 4 * model.countParams());
    assert.equal(candidateMemory(arch, { precision: 'float32', weights: 'int8' }).flashBytes, model.countParams());
    tf.dispose(outs);
    model.dispose();
  }
});

test('the peak of a one-block net is its pool (28·28·16 in + 14·14·16 out), and flash counts every parameter', () => {
  const m = candidateMemory(ARCHS[0]);
  assert.equal(m.peakLayer, 'b1_pool');
  assert.equal(m.peakActivationBytes, 28 * 28 * 16 + 14 * 14 * 16);
  assert.equal(m.params, (5 * 5 * 16 + 16) + (14 * 14 * 16 * 32 + 32) + (32 * 10 + 10));
  assert.deepEqual(candidatePlan(ARCHS[1]).map((l) => l.name), ['normalize', 'b1_dw', 'b1_pw', 'b1_pool', 'b2_conv', 'b2_pool', 'b3_dw', 'b3_pw', 'b3_pool', 'flatten', 'logits']);
});

test('the budget check names each exceeded budget with the numbers', () => {
  const fits = checkMcuBudget(candidateMemory(ARCHS[0]));
  assert.deepEqual(fits, { fits: true, reasons: [] });
  // 96 channels at 28x28 in float32: 28·28·96 + 14·14·96 floats = 367.5 KiB at the pool; one block + fc128 = 2.4M weights.
  const wide = candidateMemory({ blocks: [{ kind: 'standard', filters: 96, kernelSize: 3 }], dense: 128 }, { precision: 'float32' });
  const r = checkMcuBudget(wide, DEFAULT_MCU_BUDGET);
  assert.equal(r.fits, false);
  assert.equal(r.reasons.length, 2);
  assert.match(r.reasons[0], /^SRAM: peak activations 367\.5 KiB \(float32, at b1_pool\) > 256\.0 KiB$/);
  assert.match(r.reasons[1], /^flash: .* KiB of float32 weights \(2410826 parameters\) > 1024\.0 KiB$/);
  assert.equal(checkMcuBudget(wide, { sramBytes: 1 << 30, flashBytes: 1 << 30 }).fits, true);
});
