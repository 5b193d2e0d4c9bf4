import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildIntegerModel, buildPtqPlan, integerOptions, integerPathInUse, integerPlanFor, runIntegerModel } from '../../src/quantize';
import type { QuantPlan } from '../../src/quantize';
import { lenet5, mnistCnn } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import type { Dataset } from '../../src/data/dataset';
import { loadNative, setNativeThreads } from '../../src/backend/native';
import { mulberry32 } from '../../src/util/random';
import { setupBackend } from '../helpers';

/** The integer logits of the path runIntegerModel picks, and of the reference loops. */
function both(plan: QuantPlan, data: Dataset, batchSize: number) {
  const im = buildIntegerModel(plan);
  const fast = runIntegerModel(im, data, batchSize);
  const path = integerPathInUse();
  integerOptions.reference = true;
  try {
    return { fast, path, reference: runIntegerModel(im, data, batchSize), im };
  } finally {
    integerOptions.reference = false;
  }
}

function randomImages(count: number, height: number, width: number, seed: number): Dataset {
  const r = mulberry32(seed);
  const images = Float32Array.from({ length: count * height * width }, () => r());
  const labels = Uint8Array.from({ length: count }, () => Math.floor(r() * 10));
  return { name: 'random', split: 'test', count, height, width, numClasses: 10, images, labels, source: 'test' };
}

const native = () => loadNative() !== null;
const init = (seed: number) => tfl.initializers.glorotUniform({ seed });

test('integer plan: lenet5 and mnistCnn logits are bit-identical with the reference loops (batch 1, 7 and 256-image runs)', async () => {
  await setupBackend();
  const calib = loadMnist({ split: 'train', limit: 300 });
  const cases: [string, tfl.Sequential, number][] = [
    ['lenet5', lenet5({ seed: 11 }), 300],
    ['mnistCnn', mnistCnn({ seed: 12 }), 40],
  ];
  for (const [name, model, count] of cases) {
    const plan = await buildPtqPlan(model, { bits: 8 }, calib, { limit: 300 });
    const data = loadMnist({ split: 'test', limit: count });
    for (const batch of [1, 7, 256]) {
      const sub = batch === 1 ? { ...data, count: 5 } : data;
      const { fast, path, reference } = both(plan, sub, batch);
      if (native()) assert.deepEqual(path, { path: 'plan', refusal: '' }, `${name}: the plan ran`);
      else assert.equal(path.path, 'layers');
      assert.deepEqual(fast.logitsQ, reference.logitsQ, `${name}, batch ${batch}`);
      assert.deepEqual(fast.predictions, reference.predictions);
      assert.deepEqual(fast.logits, reference.logits);
    }
    model.dispose();
  }
});

test('integer plan: on two threads (whole chunks per thread, or one thread for small calls) the logits are still the reference bits', { skip: native() ? false : 'no native addon' }, async () => {
  await setupBackend();
  const calib = loadMnist({ split: 'train', limit: 200 });
  for (const [name, model] of [['lenet5', lenet5({ seed: 21 })], ['mnistCnn', mnistCnn({ seed: 22 })]] as const) {
    const plan = await buildPtqPlan(model, { bits: 8 }, calib, { limit: 200 });
    // 100 images: six full chunks of 16 and a remainder of 4, spread over both threads
    const data = loadMnist({ split: 'test', limit: 100 });
    setNativeThreads(2);
    try {
      const { fast, path, reference } = both(plan, data, 100);
      assert.deepEqual(path, { path: 'plan', refusal: '' }, `${name}: the plan ran`);
      assert.deepEqual(fast.logitsQ, reference.logitsQ, name);
      assert.deepEqual(fast.logits, reference.logits, name);
      // one image per call: lenet5's is too little work to share, so it runs on one thread of the two
      const single = both(plan, { ...data, count: 3 }, 1);
      assert.deepEqual(single.fast.logitsQ, single.reference.logitsQ, `${name}, batch 1`);
    } finally {
      setNativeThreads(1);
    }
    model.dispose();
  }
});

test('integer plan: odd shapes, strides, same/valid padding, odd channel counts, with and without ReLU, per-tensor and per-channel, non-zero input zero point', async () => {
  await setupBackend();
  // A: odd sizes, stride 2 'same', then 'valid' with 5 -> 13 channels and no activation, 'same' pooling (pads)
  const a = () =>
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [13, 11, 1], filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
        tfl.layers.conv2d({ filters: 13, kernelSize: 3, padding: 'valid', kernelInitializer: init(2) }),
        tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 7, activation: 'relu', kernelInitializer: init(3) }),
        tfl.layers.dense({ units: 10, kernelInitializer: init(4) }),
      ],
    });
  // B: rescaled to [-1, 1] (input zero point inside the range, so padding is not 0), a width-folded first
  // convolution (one channel, 4 filters, 16 columns), stride 2 'valid' leaving a column out, overlapping pooling,
  // a separate ReLU layer
  const b = () =>
    tfl.sequential({
      layers: [
        tfl.layers.rescaling({ inputShape: [10, 16, 1], scale: 2, offset: -1 }),
        tfl.layers.conv2d({ filters: 4, kernelSize: 5, padding: 'same', kernelInitializer: init(5) }),
        tfl.layers.reLU(),
        tfl.layers.conv2d({ filters: 9, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: init(6) }),
        tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'valid' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10, kernelInitializer: init(7) }),
      ],
    });
  const shapes: [string, () => tfl.Sequential, number, number][] = [
    ['A', a, 13, 11],
    ['B', b, 10, 16],
  ];
  for (const [name, make, h, w] of shapes) {
    const model = make();
    const data = randomImages(40, h, w, h * w);
    for (const granularity of ['channel', 'tensor'] as const) {
      const plan = await buildPtqPlan(model, { bits: 8, granularity }, data, { limit: 40 });
      if (name === 'B') assert.notEqual(plan.activations![plan.layers[0].name].zeroPoint[0], plan.activations![plan.layers[0].name].qmin, 'B: a non-zero input zero point');
      // output scales 1e4x too small: multipliers > 1, left shifts (no pooling before requantization)
      const first = plan.layers.find((l) => l.kind === 'conv2d')!.name;
      const act = plan.activations![first];
      const shifted = { ...plan, activations: { ...plan.activations!, [first]: { ...act, scale: act.scale.map((s) => s * 1e-4) } } };
      for (const [variant, p] of [['', plan], [' left shifts', shifted]] as const) {
        for (const [count, batch] of [[1, 1], [7, 7], [40, 40], [40, 16]]) {
          const { fast, path, reference } = both(p, { ...data, count }, batch);
          if (native()) assert.equal(path.path, 'plan', `${name}: ${path.refusal}`);
          assert.deepEqual(fast.logitsQ, reference.logitsQ, `${name} ${granularity}${variant}, ${count} images in batches of ${batch}`);
        }
      }
    }
    model.dispose();
  }
});

test('integer plan: refused, and named, where an assumption fails; the per-layer path then gives the reference logits', async () => {
  await setupBackend();
  const data = loadMnist({ split: 'train', limit: 60 });
  const model = lenet5({ seed: 13 });
  const cases: [string, QuantPlan, RegExp][] = [
    ['9-bit activations', await buildPtqPlan(model, { bits: 8 }, data, { limit: 60, bits: 9 }), /spans \d+ levels, more than a byte holds/],
    ['12-bit weights', await buildPtqPlan(model, { bits: 12 }, data, { limit: 60 }), /does not fit int8/],
  ];
  for (const [name, plan, why] of cases) {
    const { fast, path, reference } = both(plan, { ...data, count: 20 }, 20);
    assert.equal(path.path, 'layers', name);
    if (native()) assert.match(path.refusal, why, name);
    else assert.match(path.refusal, /not installed/);
    assert.deepEqual(fast.logitsQ, reference.logitsQ, name);
  }
  model.dispose();
});

test('integer plan: describes its oneDNN implementations; none without the addon', async () => {
  await setupBackend();
  const data = loadMnist({ split: 'train', limit: 50 });
  const im = buildIntegerModel(await buildPtqPlan(lenet5({ seed: 14 }), { bits: 8 }, data, { limit: 50 }));
  const plan = integerPlanFor(im, 28, 28, 1);
  if (!native()) {
    assert.equal(plan, null);
    return;
  }
  assert.ok(plan);
  assert.equal(plan.outputs, 10);
  assert.match(plan.describe(), /^conv \S+, maxpool, conv \S+, maxpool, dense \S+, dense \S+, dense \S+$/);
  assert.equal(integerPlanFor(im, 28, 28, 1), plan, 'compiled once per shape');
});
