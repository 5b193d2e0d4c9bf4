import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, ROOT, maxAbsDiff } from '../helpers';
import { loadKjv, type KjvCorpus } from '../../src/data/kjv';
import { tinyGpt, trainTinyGpt, TINY_GPT_QUICK, applyWeightTransform, rtnTransform, type TinyGpt } from '../../src/transformer';
import { createGptSession, exportTinyGptOnnx, gptInt8Weights, int8PerChannel, onnxGptLogits, onnxPerplexity } from '../../src/onnx/export-gpt';
import { createSession } from '../../src/onnx/runtime';
import { checkOnnxFile, hasPythonOnnx } from '../../src/onnx/check';
import { decodeModel, tensorValues } from '../../src/onnx/proto';
import { mulberry32 } from '../../src/util/random';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-onnx-gpt-'));
const python = hasPythonOnnx();
if (!python && process.env.CI) throw new Error("CI needs /usr/bin/python3 with Debian's python3-onnx for the ONNX checker tests");
const NO_CHECKER = 'python3-onnx is missing, so the ONNX checker did not run (the other assertions passed)';

let kjv: KjvCorpus;
let model: TinyGpt;
let fp32: Record<string, Float32Array>;
let fp32Bytes: Uint8Array;
let int8Bytes: Uint8Array;
before(async () => {
  await setupBackend();
  kjv = loadKjv({ path: path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt') });
  // the quick shape, briefly trained (a few seconds): weights that learned something, so int8 rounding shows in the perplexity
  model = tinyGpt({ vocabSize: kjv.vocabulary.size, seed: 1 }, TINY_GPT_QUICK);
  await trainTinyGpt(model, kjv, { steps: 150, batchSize: 32, lr: 3e-3, seed: 1, evalTokens: 0 });
  fp32 = model.getWeights();
  fp32Bytes = exportTinyGptOnnx(model);
  int8Bytes = exportTinyGptOnnx(model, { weights: 'int8' });
});

function randomTokens(n: number, vocab: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
}

function tfjsLogits(m: TinyGpt, tokens: Int32Array, batch: number, seq: number): Float32Array {
  return tf.tidy(() => m.forward(tf.tensor2d(tokens, [batch, seq], 'int32')).dataSync() as Float32Array);
}

for (const weights of ['fp32', 'int8'] as const) {
  test(`tinyGpt ${weights} export passes the official ONNX checker (opset 17)`, (t: TestContext) => {
    const file = path.join(tmp, `tinyGpt.${weights}.onnx`);
    fs.writeFileSync(file, weights === 'fp32' ? fp32Bytes : int8Bytes);
    if (!python) return t.skip(NO_CHECKER);
    assert.match(checkOnnxFile(file), /^ok opset 17/);
  });
}

test('fp32 export: ONNX Runtime logits equal tfjs forward for several batch and sequence sizes (dynamic dims)', async (t) => {
  const session = await createSession(fp32Bytes);
  const c = model.config;
  for (const [batch, seq] of [[1, 1], [2, 7], [3, c.contextLength]]) {
    const tokens = randomTokens(batch * seq, c.vocabSize, batch * 100 + seq);
    const onnx = await onnxGptLogits(session, tokens, batch, seq);
    assert.equal(onnx.length, batch * seq * c.vocabSize);
    const diff = maxAbsDiff(onnx, tfjsLogits(model, tokens, batch, seq));
    t.diagnostic(`fp32 [${batch}, ${seq}]: max |ONNX Runtime - tfjs| logits = ${diff.toExponential(2)}`);
    assert.ok(diff < 2e-4, `[${batch}, ${seq}]: max |onnx - tfjs| = ${diff}`);
  }
  await assert.rejects(onnxGptLogits(session, randomTokens(c.contextLength + 1, c.vocabSize, 1), 1, c.contextLength + 1), /seq must be at most the model's contextLength/);
});

test('fp32 export: perplexity under ONNX Runtime equals TinyGpt.evaluate (same windows, incl. a short last one)', async (t) => {
  const session = await createSession(fp32Bytes);
  const valid = kjv.validation.subarray(0, 3000); // 3000 = 46 full windows of 65 and a shorter one
  const ref = model.evaluate(valid);
  const onnx = await onnxPerplexity(session, valid, model.config.contextLength);
  t.diagnostic(`fp32 perplexity: tfjs ${ref.perplexity.toFixed(5)}, ONNX Runtime ${onnx.perplexity.toFixed(5)}`);
  assert.equal(onnx.predicted, ref.predicted);
  assert.ok(Math.abs(onnx.perplexity / ref.perplexity - 1) < 1e-3, `${onnx.perplexity} vs ${ref.perplexity}`);
});

test('int8 export: int8 weights with per-output-channel scales and DequantizeLinear into every linear MatMul; about 1/4 of fp32', (t) => {
  const g = decodeModel(int8Bytes).graph!;
  const names = model.linearNames();
  const dq = g.node.filter((n) => n.opType === 'DequantizeLinear');
  assert.equal(dq.length, names.length);
  const inits = new Map(g.initializer.map((i) => [i.name, i]));
  for (const name of names) {
    const [rows, cols] = model.weight(name).shape;
    const q = inits.get(`${name}.weight_q`)!;
    assert.equal(q.dataType, 3, `${name} is int8`);
    assert.deepEqual(q.dims.map(Number), [cols, rows]);
    assert.equal(inits.get(`${name}.weight_scale`)!.dims.map(Number)[0], rows);
    // codes and scales are those of the per-channel quantizer, transposed to [in, out]
    const ref = int8PerChannel(fp32[name], rows, cols);
    const codes = tensorValues(q);
    assert.equal(codes[1], ref.codes[cols]);
    assert.ok(ref.codes.every((v) => v >= -127 && v <= 127));
    assert.deepEqual(tensorValues(inits.get(`${name}.weight_scale`)!), ref.scales);
  }
  assert.ok(!g.initializer.some((i) => i.name.endsWith('.weight_t')), 'no float copy of a linear weight');
  const ratio = int8Bytes.length / fp32Bytes.length;
  t.diagnostic(`file sizes: fp32 ${fp32Bytes.length} B, int8 ${int8Bytes.length} B (${(ratio * 100).toFixed(1)}%)`);
  assert.ok(ratio > 0.25 && ratio < 0.4, `int8 / fp32 size ${ratio}`);
});

test('int8 export: ONNX Runtime equals the fake-quantized tfjs model (logits and perplexity), close to fp32', async (t) => {
  const session = await createGptSession(int8Bytes);
  const valid = kjv.validation.subarray(0, 3000);
  const c = model.config;
  const base = model.evaluate(valid);
  try {
    // the reference: tfjs with the linear weights replaced by their RTN 8-bit per-row (= per-output-channel) values
    applyWeightTransform(model, rtnTransform({ bits: 8, groupSize: Number.MAX_SAFE_INTEGER, symmetric: true }));
    const fq = model.getWeights();
    const mine = gptInt8Weights(model);
    for (const name of model.linearNames()) assert.deepEqual(mine[name], fq[name], name);
    const tokens = randomTokens(2 * c.contextLength, c.vocabSize, 7);
    const diff = maxAbsDiff(await onnxGptLogits(session, tokens, 2, c.contextLength), tfjsLogits(model, tokens, 2, c.contextLength));
    t.diagnostic(`int8 [2, ${c.contextLength}]: max |ONNX Runtime - tfjs fake-quant| logits = ${diff.toExponential(2)}`);
    assert.ok(diff < 2e-4, `max |onnx int8 - tfjs fake-quant| = ${diff}`);
    const ref = model.evaluate(valid);
    const onnx = await onnxPerplexity(session, valid, c.contextLength);
    t.diagnostic(`int8 perplexity: tfjs fake-quant ${ref.perplexity.toFixed(5)}, ONNX Runtime ${onnx.perplexity.toFixed(5)} (fp32 ${base.perplexity.toFixed(5)})`);
    assert.ok(Math.abs(onnx.perplexity / ref.perplexity - 1) < 1e-3, `${onnx.perplexity} vs ${ref.perplexity}`);
    assert.ok(Math.abs(onnx.perplexity / base.perplexity - 1) < 0.01, `int8 ${onnx.perplexity} vs fp32 ${base.perplexity}`);
    // ONNX Runtime's default MatMulNBits arithmetic (createSession, or matmulAccuracy 'int8') also quantizes the
    // activations: not the weight-only function any more, but still close
    const dynamic = await onnxPerplexity(await createSession(int8Bytes), valid, c.contextLength);
    const dynamic2 = await onnxPerplexity(await createGptSession(int8Bytes, { matmulAccuracy: 'int8' }), valid, c.contextLength);
    t.diagnostic(`int8 perplexity with ONNX Runtime's default int8-activation MatMulNBits: ${dynamic.perplexity.toFixed(5)}`);
    assert.equal(dynamic2.perplexity, dynamic.perplexity);
    assert.ok(Math.abs(dynamic.perplexity / ref.perplexity - 1) < 0.02, `${dynamic.perplexity} vs ${ref.perplexity}`);
  } finally {
    model.setWeights(fp32);
  }
});

test('GELU tinyGpt (untrained) exports with the erf decomposition; logits match tfjs', async () => {
  const m = tinyGpt({ vocabSize: 11, seed: 3 }, { ...TINY_GPT_QUICK, activation: 'gelu', contextLength: 16, nLayers: 1 });
  try {
    // larger weights than the init so GELU's curvature matters
    const w = m.getWeights();
    const r = mulberry32(5);
    for (const name of m.linearNames()) m.setWeights({ [name]: w[name].map(() => (r() - 0.5) * 0.6) });
    for (const weights of ['fp32', 'int8'] as const) {
      const bytes = exportTinyGptOnnx(m, { weights });
      if (python) {
        const file = path.join(tmp, `gelu.${weights}.onnx`);
        fs.writeFileSync(file, bytes);
        assert.match(checkOnnxFile(file), /^ok opset 17/);
      }
      const session = await createGptSession(bytes);
      const tokens = randomTokens(2 * 16, 11, 9);
      const saved = m.getWeights();
      if (weights === 'int8') m.setWeights(gptInt8Weights(m));
      const diff = maxAbsDiff(await onnxGptLogits(session, tokens, 2, 16), tfjsLogits(m, tokens, 2, 16));
      m.setWeights(saved);
      assert.ok(diff < 2e-4, `${weights}: max |onnx - tfjs| = ${diff}`);
    }
  } finally {
    m.dispose();
  }
});

test('exportTinyGptOnnx and createGptSession reject unknown modes', async () => {
  assert.throws(() => exportTinyGptOnnx(model, { weights: 'int4' as 'int8' }), /weights must be 'fp32' or 'int8'/);
  await assert.rejects(createGptSession(fp32Bytes, { matmulAccuracy: 'fp16' as 'fp32' }), /matmulAccuracy must be/);
  await assert.rejects(createGptSession(new Uint8Array(0)), /empty/);
});
