import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist } from '../../src/data/files';
import { subset } from '../../src/data/dataset';
import { lenet5 } from '../../src/models/zoo';
import { predictLogits, scoreLogits, train } from '../../src/train/train';
import {
  adcQuantize, addWeightNoise, calibrateAdc, cimAccuracy, cimMatmul, cimPredict, cimSweep, convGeometry, gemmNaive, im2col, randomMatrix, tileCount, tilePartialSums, type ConvShape,
} from '../../src/hardware';
import { maxAbsDiff, setupBackend } from '../helpers';

before(async () => {
  await setupBackend();
});

test('the ADC: 2^bits mid-rise levels over [-clip, clip], error at most half a step inside the range', () => {
  assert.equal(adcQuantize(0.3, 1, 1), 0.5);
  assert.equal(adcQuantize(-0.01, 1, 1), -0.5);
  assert.equal(adcQuantize(0.3, 2, 1), 0.25);
  assert.equal(adcQuantize(0.6, 2, 1), 0.75);
  assert.equal(adcQuantize(9, 2, 1), 0.75, 'clipped to the top level');
  assert.equal(adcQuantize(-9, 3, 2), -2 + 0.25, 'clipped to the bottom level');
  const levels = new Set<number>();
  for (let v = -1.2; v <= 1.2; v += 0.001) {
    const q = adcQuantize(v, 4, 1);
    levels.add(q);
    if (Math.abs(v) <= 1) assert.ok(Math.abs(q - v) <= 1 / 16 + 1e-12, `${v} -> ${q}`);
  }
  assert.equal(levels.size, 16);
});

test('tile partial sums add up to the full product (K not a multiple of the tile rows, and one tile)', () => {
  for (const [shape, rows] of [[{ M: 5, N: 7, K: 300 }, 128], [{ M: 3, N: 4, K: 20 }, 128], [{ M: 2, N: 9, K: 33 }, 1]] as const) {
    const a = randomMatrix(shape.M, shape.K, 1);
    const w = randomMatrix(shape.K, shape.N, 2);
    const p = tilePartialSums(a, w, shape, rows);
    const T = tileCount(shape.K, rows);
    assert.equal(p.length, T * shape.M * shape.N);
    const sum = new Float32Array(shape.M * shape.N);
    for (let t = 0; t < T; t++) for (let i = 0; i < sum.length; i++) sum[i] += p[t * sum.length + i];
    const full = new Float32Array(shape.M * shape.N);
    gemmNaive(a, w, full, shape);
    assert.ok(maxAbsDiff(sum, full) < 1e-4, `K ${shape.K}, ${rows} rows`);
    // An ideal crossbar (no noise, no ADC) is the plain product; a 20-bit ADC errs by at most half a step per tile.
    assert.ok(maxAbsDiff(cimMatmul(a, w, shape, { tileRows: rows }), full) < 1e-4);
    const clip = 64;
    assert.ok(maxAbsDiff(cimMatmul(a, w, shape, { tileRows: rows, adc: { bits: 20, clip } }), full) <= T * clip / 2 ** 20 + 1e-4);
  }
});

test('weight noise is seeded, relative to the weight range, and absent at σ = 0', () => {
  const w = randomMatrix(100, 100, 3).map((v) => 0.5 * v); // range max |w| ≈ 0.5
  const range = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.deepEqual(addWeightNoise(w, {}, 1), w);
  assert.deepEqual(addWeightNoise(w, { additive: 0.1 }, 1), addWeightNoise(w, { additive: 0.1 }, 1));
  assert.notDeepEqual(addWeightNoise(w, { additive: 0.1 }, 1), addWeightNoise(w, { additive: 0.1 }, 2));
  const std = (noisy: Float32Array, rel?: boolean) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < w.length; i++) {
      if (rel && Math.abs(w[i]) < 0.1) continue;
      const d = rel ? (noisy[i] - w[i]) / w[i] : noisy[i] - w[i];
      s += d * d;
      n++;
    }
    return Math.sqrt(s / n);
  };
  // 10,000 draws: the sample σ is within 3% of the true one with overwhelming probability.
  assert.ok(Math.abs(std(addWeightNoise(w, { additive: 0.1 }, 4)) / (0.1 * range) - 1) < 0.03);
  assert.ok(Math.abs(std(addWeightNoise(w, { multiplicative: 0.2 }, 5), true) / 0.2 - 1) < 0.05);
  assert.throws(() => addWeightNoise(w, { additive: -1 }, 1), /must be >= 0/);
});

test('the tfjs simulation of a conv and a dense layer equals the reference crossbar kernel (noise, 4-bit ADC, 8-row tiles)', () => {
  const images = loadMnist({ split: 'test', limit: 4 });
  // conv 5x5 (K = 25: 4 tiles of 8 rows) -> global average pool; then a dense layer over the raw pixels (K = 784).
  const conv = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 10, kernelSize: 5, useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }), tfl.layers.globalAveragePooling2d({})] });
  const dense = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 10, useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })] });
  const settings = { tileRows: 8, adcBits: 4, noise: { additive: 0.1, multiplicative: 0.1 }, seed: 3 };
  for (const [model, index] of [[conv, 0], [dense, 1]] as const) {
    const layer = model.layers[index];
    const calibration = calibrateAdc(model, images, { tileRows: 8 });
    const clip = calibration[layer.name];
    const got = cimPredict(model, images, settings, calibration);
    const w = layer.getWeights()[0].dataSync() as Float32Array;
    const crossbar = { tileRows: 8, adc: { bits: 4, clip }, noise: settings.noise, seed: 3 * 1000 + index };
    let want: Float32Array;
    if (index === 0) {
      const s: ConvShape = { batch: 4, height: 28, width: 28, inChannels: 1, outChannels: 10, kernelHeight: 5, kernelWidth: 5 };
      const g = convGeometry(s);
      const P = g.outHeight * g.outWidth;
      const y = cimMatmul(im2col(images.images, s, g), w, { M: 4 * P, N: 10, K: 25 }, crossbar);
      want = new Float32Array(40);
      for (let n = 0; n < 4; n++) for (let p = 0; p < P; p++) for (let f = 0; f < 10; f++) want[n * 10 + f] += y[(n * P + p) * 10 + f] / P;
    } else want = cimMatmul(images.images, w, { M: 4, N: 10, K: 784 }, crossbar);
    // float32 (tfjs) and float64 (reference) sums can fall on either side of an ADC threshold, rarely: allow one step.
    const step = (2 * clip) / 16;
    assert.ok(maxAbsDiff(got, want) <= step + 1e-4, `${layer.name}: ${maxAbsDiff(got, want)} (step ${step})`);
    model.dispose();
  }
});

test('LeNet-5 in memory: exact without noise and with a 20-bit ADC; 1-2 bit ADCs degrade; noise is seeded', async () => {
  const model = lenet5({ seed: 1 });
  await train(model, loadMnist({ split: 'train', limit: 2048 }), { epochs: 1, seed: 1, learningRate: 3e-3 });
  const test = loadMnist({ split: 'test', limit: 400 });
  const exact = await predictLogits(model, test);
  const exactAcc = scoreLogits(exact, test.labels, 10).accuracy;
  const calibration = calibrateAdc(model, subset(loadMnist({ split: 'train', limit: 2248 }), Array.from({ length: 200 }, (_, i) => 2048 + i)));
  assert.deepEqual(Object.keys(calibration).sort(), ['conv1', 'conv2', 'fc1', 'fc2', 'logits']);
  // Logits are of order 10; float32 sums in another order (tiles, then their sum) differ near 1e-5.
  assert.ok(maxAbsDiff(cimPredict(model, test, { tileRows: 128 }), exact) < 1e-3);
  assert.ok(maxAbsDiff(cimPredict(model, test, { tileRows: 16 }), exact) < 1e-3, 'many tiles');
  // A 20-bit ADC whose full scale covers every partial sum of these images (calibrated on them: nothing clips)
  // errs by clip / 2^20 per tile, about 1e-5.
  const d20 = maxAbsDiff(cimPredict(model, test, { tileRows: 128, adcBits: 20 }, calibrateAdc(model, test)), exact);
  assert.ok(d20 < 1e-3, `20 bits: max |logit difference| ${d20}`);
  const acc = (bits: number) => cimAccuracy(model, test, { tileRows: 128, adcBits: bits }, calibration);
  const [a1, a2, a8] = [acc(1), acc(2), acc(8)];
  assert.ok(exactAcc > 0.8, `the briefly trained LeNet-5 reaches ${exactAcc}`);
  assert.ok(Math.abs(a8 - exactAcc) <= 0.02, `8 bits: ${a8} vs exact ${exactAcc}`);
  assert.ok(a1 < exactAcc - 0.3, `1 bit: ${a1} vs exact ${exactAcc}`);
  assert.ok(a2 < exactAcc - 0.1, `2 bits: ${a2} vs exact ${exactAcc}`);
  const noisy = (seed: number) => cimPredict(model, test, { noise: { additive: 0.1 }, seed });
  assert.deepEqual(noisy(7), noisy(7));
  assert.ok(maxAbsDiff(noisy(7), noisy(8)) > 1e-2);
  const sweep = cimSweep(model, subset(test, 100), { noiseLevels: [0, 0.3], adcBits: [null, 2], seeds: [1, 2], calibration });
  assert.deepEqual(sweep.map((p) => [p.noise, p.adcBits, p.seeds]), [[0, null, 1], [0, 2, 1], [0.3, null, 2], [0.3, 2, 2]]);
  for (const p of sweep) assert.ok(p.min <= p.accuracy && p.accuracy <= p.max);
  assert.throws(() => cimPredict(model, test, { adcBits: 4 }), /needs a calibration/);
  assert.throws(() => cimPredict(model, test, { layers: ['pool1'] }), /no Dense or Conv2D layer named pool1/);
  tf.disposeVariables();
});
