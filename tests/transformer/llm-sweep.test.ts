import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { setupBackend, ROOT } from '../helpers';
import { loadKjv, type KjvCorpus } from '../../src/data/kjv';
import { tinyGpt, trainTinyGpt, TINY_GPT_QUICK, type TinyGpt } from '../../src/transformer';
import { collectLinearInputs } from '../../src/transformer/quantize';
import { w8a8Evaluate } from '../../src/transformer/quantize-llm';
import { activationChannelStats, injectActivationOutliers, perplexityVsBits, DEFAULT_SWEEP, type SweepRow } from '../../src/transformer/llm-sweep';

let kjv: KjvCorpus;
let model: TinyGpt;
let fp32: Record<string, Float32Array>;
before(async () => {
  await setupBackend();
  kjv = loadKjv({ path: path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt') });
  // the quick shape trained on the slice, as tests/transformer/quantize.test.ts (GPTQ's advantage needs weights that learned something)
  model = tinyGpt({ vocabSize: kjv.vocabulary.size, seed: 1 }, TINY_GPT_QUICK);
  await trainTinyGpt(model, kjv, { steps: 500, batchSize: 32, lr: 3e-3, seed: 1, evalTokens: 0 });
  fp32 = model.getWeights();
});

test('perplexityVsBits: every method of the default sweep, storage counted, GPTQ 4-bit g128 below RTN 4-bit g128', (t) => {
  const rows = perplexityVsBits(model, { calibration: kjv.train, validation: kjv.validation, calibrationTokens: 1024, awqGrid: 10 });
  assert.deepEqual(model.getWeights(), fp32, 'weights restored');
  assert.equal(rows.length, DEFAULT_SWEEP.length);
  const by = (method: string, bits?: number, groupSize?: number | null): SweepRow =>
    rows.find((r) => r.method === method && (bits === undefined || r.bits === bits) && (groupSize === undefined || r.groupSize === groupSize))!;
  const shown = JSON.stringify(rows.map((r) => [r.method, r.bits, r.groupSize, +r.perplexity.toFixed(4), r.bytes]));
  t.diagnostic(`[method, bits, groupSize, perplexity, bytes]: ${shown}`);
  const fp = by('fp32');
  assert.ok(fp.perplexity < 8, `trained: ${shown}`);
  assert.equal(fp.bitsPerWeight, 32);
  assert.ok(by('gptq', 4, 128).perplexity < by('rtn', 4, 128).perplexity, `GPTQ 4-bit g128 not below RTN: ${shown}`);
  assert.ok(by('rtn', 4, 128).perplexity > fp.perplexity, shown);
  // 8-bit methods stay within 1% of fp32; 4-bit ones lose more than the 8-bit ones
  for (const m of ['rtn', 'mxint8', 'mxfp8_e4m3', 'w8a8', 'smoothquant-w8a8', 'kv-int8']) assert.ok(by(m, 8).perplexity < fp.perplexity * 1.01, `${m}: ${shown}`);
  assert.ok(by('kv-int4').perplexity > by('kv-int8').perplexity, shown);
  assert.ok(by('mxfp4_e2m1').perplexity > by('mxfp8_e4m3').perplexity, shown);
  // storage: group-packed int4 g128 on 64-wide layers is one float32 scale per row; MX is bits + 8/32 per weight
  assert.ok(Math.abs(by('mxfp4_e2m1').bitsPerWeight - 4.25) < 1e-9, shown);
  assert.ok(Math.abs(by('mxfp6_e3m2').bitsPerWeight - 6.25) < 1e-9, shown);
  assert.equal(by('gptq', 4, 128).bytes, by('rtn', 4, 128).bytes);
  assert.ok(by('rtn', 4, 32).bytes > by('rtn', 4, 128).bytes && by('rtn', 4, 128).bytes < by('rtn', 8, 128).bytes && by('rtn', 8, 128).bytes < fp.bytes / 2, shown);
  assert.ok(by('awq', 4, 128).bytes > by('rtn', 4, 128).bytes, 'AWQ also stores its per-channel scales');
  assert.equal(by('kv-int4').bytes, fp.bytes);
  assert.ok(by('kv-int4').kvBytesPerToken < by('kv-int8').kvBytesPerToken && by('kv-int8').kvBytesPerToken < fp.kvBytesPerToken / 3, shown);
});

test('the trained model has no strong activation outliers; injected ones make SmoothQuant W8A8 beat plain W8A8', (t) => {
  model.setWeights(fp32);
  const stats = activationChannelStats(model, kjv.train, { maxTokens: 1024 });
  assert.deepEqual(stats.map((s) => s.name), model.linearNames());
  const ratios = stats.map((s) => +s.maxOverMedian.toFixed(2));
  t.diagnostic(`trained max/median channel abs-max per layer: ${JSON.stringify(stats.map((s) => [s.name, +s.maxOverMedian.toFixed(2)]))}`);
  // what this small model shows (real LLMs have channels 20-100x the median from a few billion parameters on)
  assert.ok(Math.max(...ratios) < 6, `max/median per layer: ${ratios}`);

  const base = model.evaluate(kjv.validation).nll;
  injectActivationOutliers(model, { channels: [5, 40], factor: 30 });
  assert.ok(Math.abs(model.evaluate(kjv.validation).nll - base) < 1e-4, 'injection keeps the function');
  const injected = activationChannelStats(model, kjv.train, { maxTokens: 1024 });
  for (const s of injected.filter((s) => /qkv|fc1/.test(s.name))) assert.ok(s.maxOverMedian > 15, `${s.name}: ${s.maxOverMedian}`);
  const inputs = collectLinearInputs(model, kjv.train, { maxTokens: 1024 });
  const plain = w8a8Evaluate(model, kjv.validation).nll;
  const smooth = w8a8Evaluate(model, kjv.validation, { smooth: { alpha: 0.5, inputs } }).nll;
  const shown = JSON.stringify({ base, plain, smooth, ratios: injected.map((s) => +s.maxOverMedian.toFixed(1)) });
  t.diagnostic(`injected outliers (channels 5, 40 x30), validation NLL: ${shown}`);
  assert.ok(plain - base > 0.02, `plain W8A8 should suffer from the outliers: ${shown}`);
  assert.ok(smooth < plain && smooth - base < 0.25 * (plain - base), `SmoothQuant should recover most of it: ${shown}`);
  model.setWeights(fp32);
});
