import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setupBackend } from '../helpers';
import { loadMnist } from '../../src/data/files';
import { Dataset, subset } from '../../src/data/dataset';
import { createModel } from '../../src/models/zoo';
import { predictLogits, scoreLogits } from '../../src/train/train';
import { buildPtqPlan, buildIntegerModel, runIntegerModel } from '../../src/quantize';
import { exportOnnx } from '../../src/onnx/export';
import { importOnnx, readOnnxFile } from '../../src/onnx/import';
import { createSession, runOnnx } from '../../src/onnx/runtime';
import { inputLayout } from '../../src/onnx/session-run';
import { argmaxRows } from '../../src/train/train';
import { checkOnnxFile, hasPythonOnnx } from '../../src/onnx/check';
import { decodeModel } from '../../src/onnx/proto';

const FIXTURES = path.join(__dirname, 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-onnx-import-'));
const python = hasPythonOnnx();

let testSet: Dataset;
let calib: Dataset;
before(async () => {
  await setupBackend();
  testSet = await loadMnist({ split: 'test' });
  calib = await loadMnist({ split: 'train', limit: 500 });
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const name of ['torch_cnn', 'torch_mlp']) {
  const file = path.join(FIXTURES, `${name}.onnx`);
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.expected.json`), 'utf8'));

  test(`${name}: the PyTorch export runs in onnxruntime-node with torch's logits and accuracy`, async () => {
    if (python) checkOnnxFile(file);
    const model = readOnnxFile(file);
    assert.equal(inputLayout(model), 'nchw');
    const logits = await runOnnx(await createSession(file), testSet, { layout: 'nchw' });
    assert.ok(maxAbs(logits.subarray(0, 160), expected.logitsFirst16.flat()) < 1e-4);
    const acc = scoreLogits(logits, testSet.labels, 10).accuracy;
    assert.ok(Math.abs(acc - expected.testAccuracy) < 1e-3, `onnx ${acc} vs torch ${expected.testAccuracy}`);
  });

  test(`${name}: imported into tfjs, quantized with optilab PTQ, exported as QDQ and deployed with ONNX Runtime`, async () => {
    const model = importOnnx(file, name);
    assert.equal(model.layers[0].name, 'normalize');
    assert.equal(model.layers[model.layers.length - 1].name, 'logits');
    const sub = subset(testSet, 256);
    const ortLogits = await runOnnx(await createSession(file), sub, { layout: 'nchw' });
    assert.ok(maxAbs(await predictLogits(model, sub), ortLogits) <= 1e-4, 'tfjs import matches the ONNX model');
    const plan = await buildPtqPlan(model, { bits: 8 }, calib);
    const qfile = path.join(tmp, `${name}.int8.onnx`);
    fs.writeFileSync(qfile, exportOnnx(model, { plan }));
    if (python) checkOnnxFile(qfile);
    const sub2k = subset(testSet, 2000);
    const fp = scoreLogits(await runOnnx(await createSession(file), sub2k, { layout: 'nchw' }), sub2k.labels, 10).accuracy;
    const qLogits = await runOnnx(await createSession(qfile), sub2k);
    const q = scoreLogits(qLogits, sub2k.labels, 10).accuracy;
    assert.ok(fp - q <= 0.01, `int8 ${q} vs fp32 ${fp}`);
    assert.ok(fs.statSync(qfile).size < fs.statSync(file).size / 2.5, 'the int8 file is much smaller');
    const intPred = runIntegerModel(buildIntegerModel(plan), sub2k).predictions;
    const ortPred = argmaxRows(qLogits, 10);
    let agree = 0;
    for (let i = 0; i < intPred.length; i++) if (intPred[i] === ortPred[i]) agree++;
    assert.ok(agree / intPred.length >= 0.995, `agreement ${agree}/${intPred.length}`);
  });
}

test("optilab's own fp32 export (NHWC input, transposes) imports back to the same function", async () => {
  const original = createModel('lenet5', { seed: 4 });
  const file = path.join(tmp, 'lenet5.onnx');
  fs.writeFileSync(file, exportOnnx(original));
  const back = importOnnx(file);
  const sub = subset(testSet, 64);
  assert.ok(maxAbs(await predictLogits(back, sub), await predictLogits(original, sub)) <= 1e-4);
});

test('corrupted, truncated, empty and non-ONNX files give a clear error on import and in ONNX Runtime', async () => {
  const bytes = fs.readFileSync(path.join(FIXTURES, 'torch_cnn.onnx'));
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['text', new TextEncoder().encode('this is not a model\n')],
  ];
  for (const frac of [0.02, 0.1, 0.5, 0.9, 0.999]) cases.push([`truncated-${frac}`, bytes.subarray(0, Math.floor(bytes.length * frac))]);
  const flipped = Uint8Array.from(bytes);
  for (let i = 0; i < 64; i++) flipped[i * 7] ^= 0xff;
  cases.push(['corrupted-header', flipped]);
  for (const [label, data] of cases) {
    const file = path.join(tmp, `${label}.onnx`);
    fs.writeFileSync(file, data);
    assert.throws(() => importOnnx(file), (e: Error) => e.message.startsWith(file) && /not a valid ONNX model|is empty/.test(e.message), label);
    await assert.rejects(createSession(file), (e: Error) => e.message.startsWith(file) && /not a valid ONNX model|is empty|cannot load/.test(e.message), label);
  }
  assert.throws(() => importOnnx(path.join(tmp, 'missing.onnx')), /does not exist/);
});

test('unsupported operators give an error naming the node and the operator', () => {
  const model = decodeModel(fs.readFileSync(path.join(FIXTURES, 'torch_cnn.onnx')));
  const relu = model.graph!.node.find((n) => n.opType === 'Relu')!;
  relu.opType = 'Sigmoid';
  assert.throws(() => importOnnx(model), new RegExp(`node '${relu.name}' \\(Sigmoid\\).*not supported`));
  const conv = decodeModel(fs.readFileSync(path.join(FIXTURES, 'torch_cnn.onnx')));
  const c = conv.graph!.node.find((n) => n.opType === 'Conv')!;
  c.attribute.find((a) => a.name === 'pads')!.ints = [0, 0, 2, 2];
  assert.throws(() => importOnnx(conv), /\(Conv\): padding \[0,0,2,2\].*matches neither/);
});
