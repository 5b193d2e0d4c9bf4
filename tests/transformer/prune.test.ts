import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, ROOT, maxAbsDiff } from '../helpers';
import { loadKjv, type KjvCorpus } from '../../src/data/kjv';
import { tinyGpt, trainTinyGpt, collectLinearInputs, causalSelfAttention, causalMask, layerNorm, linear, TINY_GPT_QUICK, type TinyGpt, type LinearInputs } from '../../src/transformer';
import {
  applyGptMasks,
  gptPruneMasks,
  gptPrunableNames,
  headImportance,
  inputFeatureNorms,
  leastImportantHeads,
  measureGptSparsity,
  nmMask,
  perplexityVsHeadsRemoved,
  perplexityVsSparsity,
  pruneHeads,
  pruneTinyGpt,
  unstructuredMask,
  wandaScores,
} from '../../src/transformer/prune';

let kjv: KjvCorpus;
let model: TinyGpt;
let fp32: Record<string, Float32Array>;
before(async () => {
  await setupBackend();
  kjv = loadKjv({ path: path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt') });
  // the quick shape trained on the slice (about 20 s here): Wanda's advantage needs weights and activations that learned something
  model = tinyGpt({ vocabSize: kjv.vocabulary.size, seed: 1 }, TINY_GPT_QUICK);
  await trainTinyGpt(model, kjv, { steps: 600, batchSize: 32, lr: 3e-3, seed: 1, evalTokens: 0 });
  fp32 = model.getWeights();
});

/** Nonzeros of the mask in each group of 4 consecutive columns of each row. */
function groupCounts(mask: Float32Array, rows: number, cols: number): number[] {
  const counts: number[] = [];
  for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += 4) counts.push(mask[r * cols + g] + mask[r * cols + g + 1] + mask[r * cols + g + 2] + mask[r * cols + g + 3]);
  return counts;
}

test('Wanda scores |W_ij| * ||x_j||: a hand-computed example, per row, unstructured and 2:4', () => {
  // W [2, 4], calibration inputs x [2 rows, 4 features]: ||x_j|| = [sqrt 2, 0, 2, 5]
  const w = Float32Array.of(1, -2, 3, 0.5, 4, 1, -1, 2);
  const inputs: LinearInputs = { name: 'l', rows: 2, cols: 4, x: Float32Array.of(1, 0, 2, 3, 1, 0, 0, 4) };
  const norms = inputFeatureNorms(inputs);
  assert.ok(maxAbsDiff(norms, [Math.SQRT2, 0, 2, 5]) < 1e-12);
  const s = wandaScores(w, 2, 4, norms);
  assert.ok(maxAbsDiff(s, [Math.SQRT2, 0, 6, 2.5, 4 * Math.SQRT2, 0, 2, 10]) < 1e-12);
  // half of each row: Wanda keeps columns 2, 3 of row 0 (6, 2.5) and 0, 3 of row 1; magnitude keeps 1, 2 of row 0
  assert.deepEqual(Array.from(unstructuredMask(s, 2, 4, 0.5, 'row')), [0, 0, 1, 1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(nmMask(s, 2, 4)), [0, 0, 1, 1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(unstructuredMask(Float64Array.from(w, Math.abs), 2, 4, 0.5, 'row')), [0, 1, 1, 0, 1, 0, 0, 1]);
  // per layer the two rows compete: the 4 lowest of all 8 Wanda scores go
  assert.deepEqual(Array.from(unstructuredMask(s, 2, 4, 0.5, 'layer')), [0, 0, 1, 1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(unstructuredMask(s, 2, 4, 0.25, 'layer')), [1, 0, 1, 1, 1, 0, 1, 1]);
});

test('gptPruneMasks with Wanda uses each layer\'s collected inputs (the model\'s own, for a real layer)', () => {
  model.setWeights(fp32);
  const inputs = collectLinearInputs(model, kjv.train, { maxTokens: 512, names: gptPrunableNames(model) });
  const masks = gptPruneMasks(model, { method: 'wanda', pattern: '2:4', inputs });
  const name = 'block1.mlp.fc2';
  const x = inputs.get(name)!;
  const [rows, cols] = model.weight(name).shape as [number, number];
  const norms = new Float64Array(cols);
  for (let r = 0; r < x.rows; r++) for (let j = 0; j < cols; j++) norms[j] += x.x[r * cols + j] ** 2;
  const expected = nmMask(Float64Array.from(fp32[name], (v, i) => Math.abs(v) * Math.sqrt(norms[i % cols])), rows, cols);
  assert.deepEqual(masks[name].mask, expected);
  assert.notDeepEqual(masks[name].mask, gptPruneMasks(model, { pattern: '2:4', names: [name] })[name].mask, 'Wanda and magnitude choose differently');
  assert.throws(() => gptPruneMasks(model, { method: 'wanda', sparsity: 0.5 }), /Wanda needs the calibration inputs/);
});

test('2:4: exactly 2 of every 4 consecutive inputs of each row kept, the largest; applied weights are the kept originals', () => {
  model.setWeights(fp32);
  const { masks, report } = pruneTinyGpt(model, { pattern: '2:4' });
  const after = model.getWeights();
  for (const name of gptPrunableNames(model)) {
    const { rows, cols, mask } = masks[name];
    assert.ok(groupCounts(mask, rows, cols).every((c) => c === 2), `${name}: a group without exactly 2 kept`);
    const w = fp32[name];
    for (let i = 0; i < w.length; i += 4) {
      const kept = [0, 1, 2, 3].filter((j) => mask[i + j] === 1).map((j) => Math.abs(w[i + j]));
      const dropped = [0, 1, 2, 3].filter((j) => mask[i + j] === 0).map((j) => Math.abs(w[i + j]));
      assert.ok(Math.min(...kept) >= Math.max(...dropped), `${name}: group at ${i} dropped a larger weight`);
    }
    for (let i = 0; i < w.length; i++) assert.equal(after[name][i], mask[i] ? w[i] : 0);
  }
  assert.ok(report.layers.every((l) => l.sparsity === 0.5 && l.maskSparsity === 0.5));
  assert.equal(report.sparsity, 0.5);
  assert.deepEqual(after.head, fp32.head, 'head not pruned by default');
  assert.deepEqual(after['block0.attn.qkv.bias'], fp32['block0.attn.qkv.bias']);
  assert.throws(() => gptPruneMasks(model, { pattern: '2:4', sparsity: 0.7 }), /exactly half/);
  model.setWeights(fp32);
});

test('unstructured: exact sparsity per layer, per row (the layer total still exact) and global; the head only when asked', () => {
  model.setWeights(fp32);
  for (const scope of ['layer', 'row'] as const) {
    const masks = gptPruneMasks(model, { sparsity: 0.3, scope });
    for (const m of Object.values(masks)) {
      const zeros = m.mask.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
      assert.equal(zeros, Math.round(m.rows * m.cols * 0.3), `${scope} ${m.name}`);
      if (scope === 'row') {
        for (let r = 0; r < m.rows; r++) {
          const z = m.mask.subarray(r * m.cols, (r + 1) * m.cols).reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
          assert.ok(Math.abs(z - 0.3 * m.cols) < 1, `row ${r} of ${m.name} lost ${z}`);
        }
      }
    }
  }
  const global = gptPruneMasks(model, { sparsity: 0.6, scope: 'global' });
  const all = Object.values(global);
  const total = all.reduce((a, m) => a + m.mask.length, 0);
  const zeros = all.reduce((a, m) => a + m.mask.reduce((z, v) => z + (v === 0 ? 1 : 0), 0), 0);
  assert.equal(zeros, Math.round(total * 0.6));
  assert.ok(new Set(all.map((m) => m.mask.reduce((z, v) => z + (v === 0 ? 1 : 0), 0) / m.mask.length)).size > 1, 'global sparsity differs by layer');
  // the head only with includeHead
  assert.deepEqual(Object.keys(gptPruneMasks(model, { sparsity: 0.5 })), model.linearNames().filter((n) => n !== 'head'));
  const { report } = pruneTinyGpt(model, { sparsity: 0.5, includeHead: true });
  assert.deepEqual(report.layers.map((l) => l.name), model.linearNames());
  assert.equal(measureGptSparsity(model).perLayer.head, 0.5);
  assert.ok(report.modelSparsity < report.sparsity, 'embeddings, LayerNorms and biases are not pruned');
  assert.throws(() => gptPruneMasks(model, { sparsity: 1 }), /\[0, 1\)/);
  assert.throws(() => gptPruneMasks(model, {}), /needs a sparsity/);
  assert.throws(() => gptPruneMasks(model, { sparsity: 0.5, names: ['embed.token'] }), /not a linear layer/);
  model.setWeights(fp32);
});

// Wanda vs magnitude is not asserted: on this slice-trained model the order flips with the scope and pattern
// (e.g. 2:4: magnitude 6.8, Wanda 7.2); on the quick model trained on the full KJV (GPT_TRAINING_QUICK) Wanda
// won at every sparsity (50%: 5.05 vs 5.32 unstructured, 6.86 vs 7.35 at 2:4). The rows are printed as a diagnostic.
test('perplexityVsSparsity: dense row once, perplexity rises with sparsity, 2:4 costs more than unstructured 50%, weights restored', (t) => {
  model.setWeights(fp32);
  const rows = perplexityVsSparsity(model, kjv.train, kjv.validation, { sparsities: [0, 0.3, 0.5], evalTokens: 8192 });
  const at = (method: string, pattern: string, sparsity: number) => rows.find((r) => r.method === method && r.pattern === pattern && r.sparsity === sparsity)!;
  assert.equal(rows.length, 2 * 3 + 2);
  assert.equal(at('magnitude', 'unstructured', 0).perplexity, at('wanda', 'unstructured', 0).perplexity);
  for (const method of ['magnitude', 'wanda']) {
    assert.ok(at(method, 'unstructured', 0).perplexity < at(method, 'unstructured', 0.3).perplexity);
    assert.ok(at(method, 'unstructured', 0.3).perplexity < at(method, 'unstructured', 0.5).perplexity);
    assert.ok(at(method, 'unstructured', 0.5).perplexity < at(method, '2:4', 0.5).perplexity, '2:4 is the more constrained 50%');
    assert.equal(at(method, '2:4', 0.5).actualSparsity, 0.5);
  }
  assert.ok(rows.filter((r) => r.pattern === 'unstructured').every((r) => Math.abs(r.actualSparsity - r.sparsity) < 1e-4), 'unstructured sparsity as asked (per-layer rounding only)');
  t.diagnostic(JSON.stringify(rows.map((r) => [r.method, r.pattern, r.sparsity, +r.perplexity.toFixed(3)])));
  assert.deepEqual(model.getWeights(), fp32, 'weights restored');
});

/** The model's logits computed by hand from `weights`, with the attention output of head `head` of block `layer` set to 0. */
function manualLogits(m: TinyGpt, weights: Record<string, Float32Array>, ids: number[][], layer: number, head: number): Float32Array {
  const c = m.config;
  return tf.tidy(() => {
    const W = (n: string) => tf.tensor2d(weights[n], m.weight(n).shape as [number, number]);
    const V = (n: string) => tf.tensor1d(weights[n]);
    const [b, t] = [ids.length, ids[0].length];
    const d = c.dModel;
    const dh = d / c.nHeads;
    const onehot = tf.cast(tf.oneHot(tf.tensor1d(ids.flat(), 'int32'), c.vocabSize), 'float32') as tf.Tensor2D;
    let x = tf.reshape(tf.add(tf.reshape(tf.matMul(onehot, W('embed.token')), [b, t, d]), tf.slice(W('embed.position'), [0, 0], [t, d])), [b * t, d]) as tf.Tensor2D;
    const headCols = tf.tensor1d(Array.from({ length: d }, (_, j) => (Math.floor(j / dh) === head ? 0 : 1)));
    for (let i = 0; i < c.nLayers; i++) {
      const p = `block${i}`;
      let att = causalSelfAttention(layerNorm(x, V(`${p}.ln1.gamma`), V(`${p}.ln1.beta`)), W(`${p}.attn.qkv`), V(`${p}.attn.qkv.bias`), b, t, c.nHeads, causalMask(t));
      if (i === layer) att = tf.mul(att, headCols) as tf.Tensor2D;
      x = tf.add(x, linear(att, W(`${p}.attn.proj`), V(`${p}.attn.proj.bias`))) as tf.Tensor2D;
      const h = linear(layerNorm(x, V(`${p}.ln2.gamma`), V(`${p}.ln2.beta`)), W(`${p}.mlp.fc1`), V(`${p}.mlp.fc1.bias`), 'relu');
      x = tf.add(x, linear(h, W(`${p}.mlp.fc2`), V(`${p}.mlp.fc2.bias`))) as tf.Tensor2D;
    }
    return linear(layerNorm(x, V('lnf.gamma'), V('lnf.beta')), W('head'), V('head.bias')).dataSync() as Float32Array;
  });
}

test('pruneHeads: a zeroed head contributes nothing (its attention output is 0; logits match a forward pass without it)', () => {
  model.setWeights(fp32);
  const ids = [Array.from(kjv.train.slice(0, 40)), Array.from(kjv.train.slice(500, 540))];
  const x = tf.tensor2d(ids, [2, 40], 'int32');
  const full = tf.tidy(() => model.forward(x).dataSync() as Float32Array);
  assert.ok(maxAbsDiff(full, manualLogits(model, fp32, ids, -1, -1)) < 1e-4, 'the manual forward pass is the model\'s');
  const zeroed = pruneHeads(model, [{ layer: 1, head: 2 }]);
  assert.equal(zeroed, 3 * 16 * 64 + 3 * 16 + 64 * 16);
  const pruned = tf.tidy(() => model.forward(x).dataSync() as Float32Array);
  assert.ok(maxAbsDiff(pruned, manualLogits(model, fp32, ids, 1, 2)) < 1e-4, 'pruned logits = the forward pass with head 1.2 cut out');
  assert.ok(maxAbsDiff(pruned, full) > 1e-3, 'the head mattered');
  const proj = collectLinearInputs(model, kjv.train, { names: ['block1.attn.proj'], maxTokens: 128 }).get('block1.attn.proj')!;
  for (let r = 0; r < proj.rows; r++) for (let j = 32; j < 48; j++) assert.equal(proj.x[r * 64 + j], 0);
  x.dispose();
  assert.throws(() => pruneHeads(model, [{ layer: 2, head: 0 }]), /no head 0 in block 2/);
  model.setWeights(fp32);
});

test('head importance (output RMS and loss increase) and perplexity vs heads removed', () => {
  model.setWeights(fp32);
  const output = headImportance(model, kjv.train, { maxTokens: 2048 });
  assert.equal(output.length, 8);
  assert.ok(output.every((s) => s.score > 0));
  const loss = headImportance(model, kjv.train, { method: 'loss', maxTokens: 2048 });
  assert.deepEqual(model.getWeights(), fp32, 'weights restored');
  assert.ok(loss.some((s) => s.score > 0.01), JSON.stringify(loss));
  assert.deepEqual(leastImportantHeads([{ layer: 0, head: 0, score: 2 }, { layer: 0, head: 1, score: 1 }, { layer: 1, head: 0, score: 1 }], 2), [{ layer: 0, head: 1 }, { layer: 1, head: 0 }]);
  const rows = perplexityVsHeadsRemoved(model, kjv.train, kjv.validation, [0, 2, 4, 8], { method: 'loss', maxTokens: 2048, evalTokens: 8192 });
  assert.deepEqual(rows.map((r) => r.heads.length), [0, 2, 4, 8]);
  assert.ok(rows[0].perplexity < rows[2].perplexity && rows[2].perplexity < rows[3].perplexity, JSON.stringify(rows.map((r) => r.perplexity)));
  assert.deepEqual(model.getWeights(), fp32, 'weights restored');
});
