import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  quantizeMultiplier, saturatingRoundingDoublingHighMul, roundingDivideByPOT, multiplyByQuantizedMultiplier,
  buildPtqPlan, fakeQuantLogits, buildIntegerModel, runIntegerModel, describeModel, fakeQuantModel,
} from '../../src/quantize';
import { mulberry32 } from '../../src/util/random';
import { lenet5, mlp } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { evaluate, scoreLogits, train } from '../../src/train/train';
import { setupBackend } from '../helpers';
import * as tfl from '@tensorflow/tfjs-layers';

function srdhmBig(a: number, b: number): number {
  if (a === -(2 ** 31) && b === -(2 ** 31)) return 2 ** 31 - 1;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, like C
}

test('fixed-point multiplier: M = M0 · 2^(shift-31), M0 in [2^30, 2^31)', () => {
  assert.deepEqual(quantizeMultiplier(0.25), { multiplier: 2 ** 30, shift: -1 });
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  const r = mulberry32(1);
  for (let i = 0; i < 500; i++) {
    const m = 10 ** (-6 + 7 * r());
    const { multiplier, shift } = quantizeMultiplier(m);
    assert.ok(multiplier >= 2 ** 30 && multiplier < 2 ** 31, `${m}`);
    assert.ok(Math.abs((multiplier * 2 ** (shift - 31)) / m - 1) < 2 ** -30);
  }
  assert.throws(() => quantizeMultiplier(-1), /multiplier must be/);
});

test('SaturatingRoundingDoublingHighMul equals the 64-bit integer definition', () => {
  const r = mulberry32(2);
  const edge = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30), 12345, -12345];
  for (const a of edge) for (const b of edge) assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a} * ${b}`);
  for (let i = 0; i < 20000; i++) {
    const a = Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 31)));
    const b = Math.floor(2 ** 30 + r() * (2 ** 31 - 2 ** 30));
    assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a} * ${b}`);
  }
});

test('RoundingDivideByPOT rounds to nearest, ties away from zero', () => {
  assert.deepEqual([5, -5, 4, -4, 6, -6, 7, -7].map((x) => roundingDivideByPOT(x, 1)), [3, -3, 2, -2, 3, -3, 4, -4]);
  assert.equal(roundingDivideByPOT(1000, 3), 125);
  assert.equal(roundingDivideByPOT(1003, 3), 125);
  assert.equal(roundingDivideByPOT(1004, 3), 126);
  const { multiplier, shift } = quantizeMultiplier(0.01);
  assert.equal(multiplyByQuantizedMultiplier(1000, multiplier, shift), 10);
  assert.equal(multiplyByQuantizedMultiplier(-1250, multiplier, shift), -13);
  const big = quantizeMultiplier(3.5);
  assert.equal(multiplyByQuantizedMultiplier(100, big.multiplier, big.shift), 350);
  // every exponent, 31 and beyond included, against the exact definition
  const exact = (x: number, e: number) => {
    const d = 2n ** BigInt(e);
    const q = (BigInt(Math.abs(x)) * 2n + d) / (2n * d); // floor(|x| / 2^e + 1/2)
    return Number(x < 0 ? -q : q);
  };
  for (const x of [0, 1, -1, 3, -3, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 123456789, -987654321]) {
    for (let e = 1; e <= 40; e++) assert.equal(roundingDivideByPOT(x, e), exact(x, e), `${x} / 2^${e}`);
  }
  // a multiplier > 1 whose shifted accumulator passes int32 wraps as TFLite's int32 shift does
  const huge = quantizeMultiplier(2 ** 20);
  assert.equal(multiplyByQuantizedMultiplier(5000, huge.multiplier, huge.shift), srdhmBig((5000 * 2 ** huge.shift) | 0, huge.multiplier));
});

test('PTQ on a trained LeNet-5: integer-only path agrees with fake quant; int8 stays close to fp32', async () => {
  await setupBackend();
  const data = loadMnist({ split: 'train', limit: 1500 });
  const test = loadMnist({ split: 'test', limit: 500 });
  const model = lenet5({ seed: 2 });
  await train(model, data, { epochs: 1, seed: 2, batchSize: 32 });
  const fp32 = (await evaluate(model, test)).accuracy;
  assert.ok(fp32 > 0.8, `fp32 ${fp32}`);
  const plan = await buildPtqPlan(model, { bits: 8 }, data, { limit: 500 });
  assert.deepEqual(Object.keys(plan.activations!), ['normalize', 'conv1', 'conv2', 'fc1', 'fc2', 'logits']);
  const fq = scoreLogits(await fakeQuantLogits(plan, test), test.labels, 10);
  assert.ok(Math.abs(fq.accuracy - fp32) <= 0.02, `fake quant ${fq.accuracy} vs fp32 ${fp32}`);
  const im = buildIntegerModel(plan);
  const r = runIntegerModel(im, test);
  const agree = r.predictions.filter((p, i) => p === fq.predictions[i]).length / test.count;
  assert.ok(agree >= 0.99, `agreement ${agree}`);
  // The dequantized integer logits stay within a few output steps of the fake-quant logits.
  const fqLogits = await fakeQuantLogits(plan, test);
  const step = plan.activations!.logits.scale[0];
  let worst = 0;
  for (let i = 0; i < fqLogits.length; i++) worst = Math.max(worst, Math.abs(fqLogits[i] - r.logits[i]));
  assert.ok(worst <= 4 * step, `max logit difference ${worst} (step ${step})`);
  // Weight-only fake quant as a regular tfjs model.
  const wo = await fakeQuantModel(model, { ...plan, activations: undefined });
  assert.ok(Math.abs((await evaluate(wo, test)).accuracy - fp32) <= 0.01);
  assert.throws(() => buildIntegerModel({ ...plan, activations: undefined }), /calibrated plan/);
});

test('integer path on an MLP (dense only) and unsupported layers are refused', async () => {
  await setupBackend();
  const data = loadMnist({ split: 'train', limit: 600 });
  const model = mlp({ hidden: [32], seed: 3 });
  await train(model, data, { epochs: 1, seed: 3 });
  const plan = await buildPtqPlan(model, { bits: 8, granularity: 'tensor' }, data, { limit: 200 });
  const fq = scoreLogits(await fakeQuantLogits(plan, data), data.labels, 10);
  const r = runIntegerModel(buildIntegerModel(plan), data);
  const agree = r.predictions.filter((p, i) => p === fq.predictions[i]).length / data.count;
  assert.ok(agree >= 0.99, `agreement ${agree}`);
  // Separate ReLU / Activation / Dropout layers (not in the zoo) go through both paths too.
  const custom = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 24, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
      tfl.layers.reLU(),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 16, kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }) }),
    ],
  });
  assert.deepEqual(describeModel(custom).map((l) => l.kind), ['flatten', 'dense', 'relu', 'identity', 'dense', 'relu', 'dense']);
  const cPlan = await buildPtqPlan(custom, { bits: 8 }, data, { limit: 200 });
  const cFq = scoreLogits(await fakeQuantLogits(cPlan, data), data.labels, 10);
  const cInt = runIntegerModel(buildIntegerModel(cPlan), data);
  const cAgree = cInt.predictions.filter((p, i) => p === cFq.predictions[i]).length / data.count;
  assert.ok(cAgree >= 0.97, `agreement ${cAgree}`);
  const bad = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 2, activation: 'tanh' })] });
  assert.throws(() => describeModel(bad), /activation 'tanh'/);
  const bad2 = tfl.sequential({ layers: [tfl.layers.batchNormalization({ inputShape: [4] })] });
  assert.throws(() => describeModel(bad2), /BatchNormalization; quantization supports/);
});

test('the native integer kernel gives the same int8 logits as the TypeScript reference, edges of the arithmetic included', async (t) => {
  const { loadNative } = await import('../../src/backend/native');
  const { integerOptions, integerKernelRunCount } = await import('../../src/quantize');
  const { mnistCnn, cnnSmall } = await import('../../src/models/zoo');
  if (!loadNative()) {
    t.skip(process.env.OPTILAB_NATIVE === '0' ? 'OPTILAB_NATIVE=0' : 'native addon not built');
    if (process.env.CI && process.env.OPTILAB_NATIVE !== '0') assert.fail('the native addon must be built in CI');
    return;
  }
  await setupBackend();
  const data = loadMnist({ split: 'test', limit: 120 });
  const run = (plan: Parameters<typeof buildIntegerModel>[0], reference: boolean) => {
    integerOptions.reference = reference;
    try {
      return runIntegerModel(buildIntegerModel(plan), data, 50);
    } finally {
      integerOptions.reference = false;
    }
  };
  const cases: [string, tfl.Sequential, Parameters<typeof buildPtqPlan>[1]][] = [
    ['lenet5 per-channel', lenet5({ seed: 4 }), { bits: 8 }],
    ['lenet5 per-tensor 4-bit weights', lenet5({ seed: 5 }), { bits: 4, granularity: 'tensor' }],
    ['mnistCnn (same padding, odd sizes)', mnistCnn({ seed: 6 }), { bits: 8 }],
    ['cnnSmall', cnnSmall({ seed: 7 }), { bits: 8 }],
  ];
  for (const [name, model, cfg] of cases) {
    const plan = await buildPtqPlan(model, cfg, data, { limit: 60 });
    const variants = [plan];
    // output scales 1e4x too small (multipliers > 1: left shifts, wrapping products) and 1e9x too large (shifts past 31)
    for (const factor of [1e-4, 1e9]) {
      const layer = name.startsWith('lenet5') ? 'conv1' : 'conv2';
      const a = plan.activations![layer];
      variants.push({ ...plan, activations: { ...plan.activations!, [layer]: { ...a, scale: a.scale.map((s) => s * factor) } } });
    }
    for (const [i, p] of variants.entries()) {
      const before = integerKernelRunCount();
      const native = run(p, false);
      assert.ok(integerKernelRunCount() > before, `${name}: the native kernel ran`);
      const reference = run(p, true);
      assert.deepEqual(native.logitsQ, reference.logitsQ, `${name}, variant ${i}`);
    }
  }
});
