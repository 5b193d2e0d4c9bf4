import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, lenet5, mlp, mnistCnn } from '../../src/models/zoo';
import { formatSummary, summarize } from '../../src/models/summary';
import { setupBackend } from '../helpers';

test.before(setupBackend);

test('lenet5: known parameter and MAC counts', () => {
  const s = summarize(lenet5());
  // conv1 5*5*1*6+6, conv2 5*5*6*16+16, fc 400*120+120, 120*84+84, 84*10+10
  assert.deepEqual(s.layers.filter((l) => l.params).map((l) => l.params), [156, 2416, 48120, 10164, 850]);
  assert.equal(s.totalParams, 61706);
  // conv1: 28*28*6 outputs * 25 MACs; conv2: 10*10*16 * 150; dense: in*out
  assert.equal(s.totalMacs, 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10);
  assert.equal(s.totalBytes, 61706 * 4);
  assert.equal(summarize(lenet5(), 8).totalBytes, 61706);
  assert.equal(summarize(lenet5(), 4).layers[1].bytes, 78); // 156 params * 4 bits
});

test('mnistCnn is the BitOptimizer4ML network: 3x3 convs 32/64/128, dense 2048 -> 625 -> 10', () => {
  const m = mnistCnn();
  const s = summarize(m);
  const flatten = s.layers.find((l) => l.name === 'flatten')!;
  assert.deepEqual(flatten.outputShape, [2048]);
  assert.deepEqual(s.layers.filter((l) => l.type === 'Conv2D').map((l) => l.outputShape[2]), [32, 64, 128]);
  assert.equal(s.layers.find((l) => l.name === 'fc1')!.params, 2048 * 625 + 625);
  assert.equal(s.totalParams, 320 + 18496 + 73856 + 1280625 + 6260);
});

test('every zoo model maps [n,28,28,1] images to [n,10] logits from a layer named logits', () => {
  for (const name of ['lenet5', 'mnistCnn', 'mlp', 'cnnSmall']) {
    const m = createModel(name);
    const y = m.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor;
    assert.deepEqual(y.shape, [3, 10], name);
    assert.equal(m.layers[m.layers.length - 1].name, 'logits');
  }
});

test('the same seed gives the same initial weights; another seed does not', async () => {
  const a = await lenet5({ seed: 5 }).getWeights()[0].data();
  const b = await lenet5({ seed: 5 }).getWeights()[0].data();
  const c = await lenet5({ seed: 6 }).getWeights()[0].data();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('bad names and options are rejected clearly', () => {
  assert.throws(() => createModel('resnet'), /unknown model 'resnet'; the zoo has lenet5, mnistCnn, mlp, cnnSmall/);
  assert.throws(() => mlp({ hidden: [0] }), /hidden layer 0 width must be a positive whole number/);
  assert.throws(() => summarize(lenet5(), 0), /bitWidth must be in 1\.\.64/);
});

test('formatSummary prints one row per layer plus a total', () => {
  const text = formatSummary(summarize(lenet5()));
  assert.equal(text.split('\n').length, lenet5().layers.length + 2);
  assert.match(text, /total\s+61706\s+416520\s+246824/);
});
