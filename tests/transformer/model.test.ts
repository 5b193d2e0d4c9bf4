import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, maxAbsDiff } from '../helpers';
import { mulberry32 } from '../../src/util/random';
import { tinyGpt, gptConfig, sampleToken, layerNorm, gelu, causalMask, TINY_GPT_DEFAULT, TINY_GPT_QUICK, MASKED_SCORE, gptSummary, formatGptSummary } from '../../src/transformer';
import { summarize } from '../../src/models/summary';
import { LANGUAGE_ZOO } from '../../src/models/zoo';

before(async () => {
  await setupBackend();
});

const small = (seed = 1) => tinyGpt({ vocabSize: 13, contextLength: 10, dModel: 16, nLayers: 2, nHeads: 2, mlpRatio: 4, activation: 'relu', seed });

function ids(b: number, t: number, vocab: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: b }, () => Array.from({ length: t }, () => Math.floor(r() * vocab)));
}

test('config: presets, overrides and checks', () => {
  const c = gptConfig({ vocabSize: 63 });
  assert.deepEqual([c.nLayers, c.nHeads, c.dModel, c.contextLength, c.mlpRatio], [4, 4, 128, 128, 4]);
  assert.equal(gptConfig({ vocabSize: 63 }, TINY_GPT_QUICK).dModel, 64);
  assert.throws(() => gptConfig({ vocabSize: 63, dModel: 30 }), /not a multiple of nHeads/);
  assert.throws(() => gptConfig({ vocabSize: 0 }), /vocabSize/);
  assert.throws(() => gptConfig({ vocabSize: 5, activation: 'tanh' as 'relu' }), /activation/);
  assert.equal(TINY_GPT_DEFAULT.nLayers, 4);
});

test('tinyGpt is in the zoo and the same seed gives the same weights', () => {
  const a = LANGUAGE_ZOO.tinyGpt({ vocabSize: 13, seed: 5 }, TINY_GPT_QUICK);
  const b = LANGUAGE_ZOO.tinyGpt({ vocabSize: 13, seed: 5 }, TINY_GPT_QUICK);
  const c = LANGUAGE_ZOO.tinyGpt({ vocabSize: 13, seed: 6 }, TINY_GPT_QUICK);
  const wa = a.getWeights();
  assert.deepEqual(wa['block0.attn.qkv'], b.getWeights()['block0.attn.qkv']);
  assert.notDeepEqual(wa['block0.attn.qkv'], c.getWeights()['block0.attn.qkv']);
  assert.ok(wa['block1.ln2.gamma'].every((v) => v === 1) && wa['head.bias'].every((v) => v === 0));
  assert.throws(() => a.weight('nope'), /no parameter 'nope'/);
  [a, b, c].forEach((m) => m.dispose());
});

test('parameter and MAC counts by hand (default shape, 63 tokens) equal gptSummary, summarize and the model', () => {
  const V = 63;
  const d = 128;
  const T = 128;
  const L = 4;
  const h = 4 * d;
  const embedding = V * d + T * d;
  const ln = 2 * d;
  const qkv = 3 * d * d + 3 * d;
  const proj = d * d + d;
  const fc1 = h * d + h;
  const fc2 = d * h + d;
  const head = V * d + V;
  const perBlock = ln + qkv + proj + ln + fc1 + fc2;
  const params = embedding + L * perBlock + ln + head;
  assert.equal(params, 825919);
  // MACs per token: every weight matrix once (biases, LayerNorms and the embedding lookup are not MACs), plus
  // q k^T and p v over all T keys (the dense masked product the forward pass computes), d * T each.
  const linearMacs = L * (3 * d * d + d * d + h * d + d * h) + V * d;
  const attentionMacs = L * 2 * d * T;
  const model = tinyGpt({ vocabSize: V });
  const s = gptSummary(model.config);
  assert.equal(model.parameterCount(), params);
  assert.equal(s.totalParams, params);
  assert.equal(s.linearMacsPerToken, linearMacs);
  assert.equal(s.totalMacsPerToken, linearMacs + attentionMacs);
  assert.equal(s.totalBytes, params * 4);
  const causal = gptSummary(model.config, { attention: 'causal' });
  assert.equal(causal.totalMacsPerToken, linearMacs + L * 2 * d * ((T + 1) / 2));
  // the project's summarize: one row per layer, the same totals
  const m = summarize(model, 8);
  assert.equal(m.name, 'tinyGpt');
  assert.equal(m.totalParams, params);
  assert.equal(m.totalMacs, linearMacs + attentionMacs);
  assert.equal(m.totalBytes, m.layers.reduce((a, l) => a + l.bytes, 0));
  const row = (name: string) => m.layers.find((l) => l.name === name)!;
  assert.deepEqual([row('embed.token').params, row('embed.token').macs], [V * d, 0]);
  assert.deepEqual([row('embed.position').params, row('embed.position').macs], [T * d, 0]);
  assert.deepEqual([row('block2.ln1').type, row('block2.ln1').params], ['LayerNorm', ln]);
  assert.deepEqual([row('block2.attn.qkv').params, row('block2.attn.qkv').macs, row('block2.attn.qkv').outputShape], [qkv, 3 * d * d, [3 * d]]);
  assert.deepEqual([row('block2.attn.scores').params, row('block2.attn.scores').macs], [0, d * T]);
  assert.deepEqual([row('block2.attn.proj').params, row('block2.attn.proj').macs], [proj, d * d]);
  assert.deepEqual([row('block2.mlp.fc1').params, row('block2.mlp.fc2').macs], [fc1, d * h]);
  assert.deepEqual([row('lnf').params, row('head').params, row('head').macs], [ln, head, V * d]);
  assert.match(formatGptSummary(s), /total\s+825919\s+925568/);
  model.dispose();
});

test('forward: logits [b, t, V]; lastOnly is the last row; too long or empty inputs throw', () => {
  const model = small();
  const x = tf.tensor2d(ids(3, 7, 13, 1), [3, 7], 'int32');
  const logits = tf.tidy(() => model.forward(x));
  assert.deepEqual(logits.shape, [3, 7, 13]);
  const last = tf.tidy(() => model.forward(x, { lastOnly: true }));
  assert.deepEqual(last.shape, [3, 1, 13]);
  const full = logits.arraySync();
  const l = last.arraySync();
  for (let b = 0; b < 3; b++) assert.ok(maxAbsDiff(l[b][0], full[b][6]) < 1e-5);
  assert.throws(() => model.forward(tf.zeros([1, 11], 'int32') as tf.Tensor2D), /exceed the context length 10/);
  [x, logits, last].forEach((t) => t.dispose());
  model.dispose();
});

test('causal: changing a later token leaves every earlier position unchanged and changes its own', () => {
  const model = small(2);
  const base = ids(2, 10, 13, 3);
  const before = tf.tidy(() => model.forward(tf.tensor2d(base, [2, 10], 'int32')).arraySync());
  for (const j of [3, 9]) {
    const changed = base.map((r) => r.slice());
    changed[0][j] = (changed[0][j] + 5) % 13;
    changed[1][j] = (changed[1][j] + 1) % 13;
    const after = tf.tidy(() => model.forward(tf.tensor2d(changed, [2, 10], 'int32')).arraySync());
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < j; i++) assert.ok(maxAbsDiff(before[b][i], after[b][i]) === 0, `position ${i} moved when token ${j} changed`);
      assert.ok(maxAbsDiff(before[b][j], after[b][j]) > 1e-4, `position ${j} did not see its own token`);
    }
  }
  const m = causalMask(3).arraySync();
  assert.deepEqual(m, [
    [0, MASKED_SCORE, MASKED_SCORE],
    [0, 0, MASKED_SCORE],
    [0, 0, 0],
  ]);
  model.dispose();
});

test('LayerNorm and GELU: values and their hand-written gradients equal autodiff of the plain formulas', () => {
  const r = mulberry32(9);
  const x = tf.tensor2d(Float32Array.from({ length: 24 }, () => r() * 4 - 2), [4, 6]);
  const g = tf.tensor1d(Float32Array.from({ length: 6 }, () => 0.5 + r()));
  const b = tf.tensor1d(Float32Array.from({ length: 6 }, () => r() - 0.5));
  const w = tf.tensor2d(Float32Array.from({ length: 24 }, () => r() - 0.5), [4, 6]);
  const plainLn = (xi: tf.Tensor2D, gi: tf.Tensor1D, bi: tf.Tensor1D) => {
    const { mean, variance } = tf.moments(xi, 1, true);
    return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), gi), bi);
  };
  const ours = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(layerNorm(xi as tf.Tensor2D, gi as tf.Tensor1D, bi as tf.Tensor1D), w)))([x, g, b]);
  const ref = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(plainLn(xi as tf.Tensor2D, gi as tf.Tensor1D, bi as tf.Tensor1D), w)))([x, g, b]);
  assert.ok(maxAbsDiff(layerNorm(x, g, b).dataSync(), plainLn(x, g, b).dataSync()) < 1e-5);
  ours.forEach((o, i) => assert.ok(maxAbsDiff(o.dataSync(), ref[i].dataSync()) < 1e-4, `LayerNorm gradient ${i}`));
  const plainGelu = (xi: tf.Tensor) => tf.mul(tf.mul(xi, 0.5), tf.add(1, tf.erf(tf.div(xi, Math.SQRT2))));
  assert.ok(maxAbsDiff(gelu(tf.tensor1d([-1, 0, 1])).dataSync(), [-0.158655, 0, 0.841345]) < 1e-5);
  const gOurs = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(gelu(xi), w)))(x);
  const gRef = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(plainGelu(xi), w)))(x);
  assert.ok(maxAbsDiff(gOurs.dataSync(), gRef.dataSync()) < 1e-4);
});

test('evaluate: nll from the logits by hand, perplexity = exp(nll), bits per character = nll / ln 2 (log base 2)', () => {
  const model = small(4);
  const r = mulberry32(11);
  // 25 tokens: windows of 11 start at 0 and 10, then a short one at 20 (20..24)
  const tokens = Int32Array.from({ length: 25 }, () => Math.floor(r() * 13));
  const e = model.evaluate(tokens, { batchSize: 1 });
  assert.equal(e.predicted, 24);
  let total = 0;
  for (const [s, len] of [
    [0, 11],
    [10, 11],
    [20, 5],
  ]) {
    const logits = tf.tidy(() => model.forward(tf.tensor2d(Array.from(tokens.slice(s, s + len - 1)), [1, len - 1], 'int32')).arraySync()[0]);
    logits.forEach((row, i) => {
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      total += lse - row[tokens[s + i + 1]];
    });
  }
  const nll = total / 24;
  assert.ok(Math.abs(e.nll - nll) < 1e-5, `${e.nll} vs ${nll}`);
  assert.ok(Math.abs(e.perplexity - Math.exp(nll)) < 1e-4);
  assert.ok(Math.abs(e.bitsPerChar - nll / Math.LN2) < 1e-5);
  assert.ok(Math.abs(model.bitsPerChar(tokens, { batchSize: 4 }) - Math.log2(Math.exp(nll))) < 1e-5);
  // a model that predicts uniformly: perplexity is the vocabulary size, log2(13) bits per character
  model.setWeights({ head: new Float32Array(13 * 16), 'head.bias': new Float32Array(13) });
  const u = model.evaluate(tokens);
  assert.ok(Math.abs(u.perplexity - 13) < 1e-4 && Math.abs(u.bitsPerChar - Math.log2(13)) < 1e-6);
  assert.throws(() => model.evaluate([1]), /at least 2 tokens/);
  model.dispose();
});

test('generate: greedy is the argmax, sampling is deterministic under a seed, and options are checked', () => {
  const model = small(5);
  const prompt = [1, 2, 3];
  const greedy = model.generate(prompt, 12, { temperature: 0 });
  assert.equal(greedy.length, 12);
  // greedy by hand: the argmax of the last position, appended, the context cut to the last 10 tokens
  const seq = prompt.slice();
  for (let i = 0; i < 12; i++) {
    const ctx = seq.slice(-10);
    const row = tf.tidy(() => model.forward(tf.tensor2d(ctx, [1, ctx.length], 'int32')).arraySync()[0][ctx.length - 1]);
    const next = row.indexOf(Math.max(...row));
    assert.equal(greedy[i], next, `greedy token ${i}`);
    seq.push(next);
  }
  const a = model.generate(prompt, 30, { temperature: 1.5, seed: 7 });
  const b = model.generate(prompt, 30, { temperature: 1.5, seed: 7 });
  const c = model.generate(prompt, 30, { temperature: 1.5, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((t) => t >= 0 && t < 13));
  const k1 = model.generate(prompt, 12, { temperature: 2, topK: 1, seed: 3 });
  assert.deepEqual(k1, greedy, 'top-1 sampling is greedy');
  assert.throws(() => model.generate([], 3), /at least one token/);
  assert.throws(() => model.generate(prompt, 3, { temperature: -1 }), /temperature/);
  model.dispose();
});

test('sampleToken: argmax at temperature 0, top-k restricts, frequencies follow the softmax', () => {
  const logits = Float64Array.from([0, 2, 1, 2]);
  assert.equal(sampleToken(logits, 0, 4, mulberry32(0)), 1, 'ties go to the lower id');
  const r = mulberry32(1);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 20000; i++) counts[sampleToken(logits, 1, 4, r)]++;
  const z = 1 + 2 * Math.exp(2) + Math.exp(1);
  [1, Math.exp(2), Math.exp(1), Math.exp(2)].forEach((w, i) => assert.ok(Math.abs(counts[i] / 20000 - w / z) < 0.015, `token ${i}: ${counts[i]}`));
  for (let i = 0; i < 200; i++) assert.ok([1, 3].includes(sampleToken(logits, 1, 2, r)));
});

test('getWeights / setWeights round-trip, size checked', () => {
  const model = small(6);
  const w = model.getWeights();
  const x = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
  const y0 = tf.tidy(() => model.forward(x).dataSync());
  model.setWeights({ 'block0.mlp.fc1': new Float32Array(w['block0.mlp.fc1'].length) });
  assert.ok(maxAbsDiff(tf.tidy(() => model.forward(x).dataSync()), y0) > 0);
  model.setWeights(w);
  assert.equal(maxAbsDiff(tf.tidy(() => model.forward(x).dataSync()), y0), 0);
  assert.throws(() => model.setWeights({ head: [1, 2] }), /has 208 values/);
  x.dispose();
  model.dispose();
});
