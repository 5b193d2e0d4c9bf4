import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { setupBackend, ROOT } from '../helpers';
import { loadKjv, type KjvCorpus } from '../../src/data/kjv';
import { tinyGpt, trainTinyGpt, TINY_GPT_QUICK, applyWeightTransform, collectLinearInputs, gptqTransform, rtnTransform, type TinyGpt } from '../../src/transformer';
import { groupDequantize, groupQuantize } from '../../src/llmquant/group';

let kjv: KjvCorpus;
let model: TinyGpt;
let fp32: Record<string, Float32Array>;
before(async () => {
  await setupBackend();
  kjv = loadKjv({ path: path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt') });
  // the quick shape trained on the slice (about 20 s here): GPTQ's advantage needs weights that learned something
  model = tinyGpt({ vocabSize: kjv.vocabulary.size, seed: 1 }, TINY_GPT_QUICK);
  await trainTinyGpt(model, kjv, { steps: 600, batchSize: 32, lr: 3e-3, seed: 1, evalTokens: 0 });
  fp32 = model.getWeights();
});

test('collectLinearInputs: one row per calibration token for every linear layer, names checked', () => {
  const inputs = collectLinearInputs(model, kjv.train, { maxTokens: 256 });
  assert.deepEqual([...inputs.keys()], model.linearNames());
  const fc2 = inputs.get('block1.mlp.fc2')!;
  assert.deepEqual([fc2.rows, fc2.cols], [256, 256]);
  assert.ok(fc2.x.every((v) => v >= 0), 'fc2 sees the ReLU output');
  assert.deepEqual([inputs.get('head')!.rows, inputs.get('head')!.cols], [256, 64]);
  assert.throws(() => collectLinearInputs(model, kjv.train, { names: ['embed.token'] }), /not a linear layer/);
  assert.throws(() => collectLinearInputs(model, kjv.train, { maxTokens: 10 }), /fewer than one window/);
});

test('applyWeightTransform with RTN replaces exactly the linear weights by their group-quantized values', () => {
  model.setWeights(fp32);
  const reports = applyWeightTransform(model, rtnTransform({ bits: 4, groupSize: 32 }));
  assert.deepEqual(reports.map((r) => r.name), model.linearNames());
  assert.ok(reports.every((r) => r.relativeError > 0 && r.relativeError < 0.3));
  const w = model.getWeights();
  const expected = groupDequantize(groupQuantize(fp32['block0.attn.qkv'], 192, 64, { bits: 4, groupSize: 32 }));
  assert.deepEqual(w['block0.attn.qkv'], expected);
  assert.deepEqual(w['embed.token'], fp32['embed.token']);
  assert.deepEqual(w['block0.attn.qkv.bias'], fp32['block0.attn.qkv.bias']);
  model.setWeights(fp32);
});

test('GPTQ 4-bit group 128 loses less validation NLL than round-to-nearest at the same bits (and so at 3 bits)', () => {
  model.setWeights(fp32);
  const base = model.evaluate(kjv.validation).nll;
  const inputs = collectLinearInputs(model, kjv.train, { maxTokens: 4096 });
  const nll: Record<string, number> = {};
  for (const bits of [4, 3]) {
    model.setWeights(fp32);
    applyWeightTransform(model, rtnTransform({ bits, groupSize: 128 }));
    nll[`rtn${bits}`] = model.evaluate(kjv.validation).nll;
    model.setWeights(fp32);
    applyWeightTransform(model, gptqTransform(inputs, { bits, groupSize: 128 }));
    nll[`gptq${bits}`] = model.evaluate(kjv.validation).nll;
  }
  model.setWeights(fp32);
  const shown = JSON.stringify({ base, ...nll });
  assert.ok(nll.rtn4 > base, shown);
  assert.ok(nll.gptq4 < nll.rtn4, `GPTQ 4-bit g128 is not better than RTN: ${shown}`);
  assert.ok(nll.gptq4 - base < 0.6 * (nll.rtn4 - base), `GPTQ's 4-bit loss is not well below RTN's: ${shown}`);
  assert.ok(nll.gptq3 < nll.rtn3, shown);
  assert.throws(() => applyWeightTransform(model, gptqTransform(new Map(), { bits: 4, groupSize: 128 })), /no calibration inputs/);
  model.setWeights(fp32);
});
