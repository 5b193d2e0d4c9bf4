import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tfl from '@tensorflow/tfjs-layers';
import { setupBackend } from '../helpers';
import { createModel } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { Dataset, subset } from '../../src/data/dataset';
import { predictLogits, train } from '../../src/train/train';
import { buildPtqPlan, buildIntegerModel, fakeQuantLogits, runIntegerModel } from '../../src/quantize';
import { exportOnnx, OnnxExportError } from '../../src/onnx/export';
import { createSession, runOnnx } from '../../src/onnx/runtime';
import { argmaxRows } from '../../src/train/train';
import { checkOnnxFile, hasPythonOnnx } from '../../src/onnx/check';
import { decodeModel } from '../../src/onnx/proto';
import { applySurgery, structuredMasks } from '../../src/prune';
import { factorizeConv, factorizeDense } from '../../src/factorize';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-onnx-'));
// The official checker runs wherever Debian's python3-onnx is installed; CI installs it (scripts/setup.d/50-onnx.apt).
const python = hasPythonOnnx();
if (!python && process.env.CI) throw new Error("CI needs /usr/bin/python3 with Debian's python3-onnx for the ONNX checker tests");
const NO_CHECKER = 'python3-onnx is missing, so the ONNX checker did not run (the other assertions passed)';

/** A test titled "passes the checker" reports itself skipped, not passed, when the checker could not run. */
function skipWithoutChecker(t: TestContext): void {
  if (!python) t.skip(NO_CHECKER);
}

let test256: Dataset;
let train2k: Dataset;
before(async () => {
  await setupBackend();
  test256 = await loadMnist({ split: 'test', limit: 256 });
  train2k = await loadMnist({ split: 'train', limit: 2000 });
});

function save(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  if (python) assert.match(checkOnnxFile(file), /^ok opset 13/);
  return file;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function fp32Diff(model: tfl.LayersModel, name: string): Promise<number> {
  const file = save(`${name}.onnx`, exportOnnx(model));
  const onnxLogits = await runOnnx(await createSession(file), test256);
  return maxAbs(onnxLogits, await predictLogits(model, test256));
}

for (const name of ['lenet5', 'mnistCnn', 'mlp', 'cnnSmall']) {
  test(`fp32 export of ${name} passes the checker and matches tfjs within 1e-4 on 256 MNIST test images`, async (t) => {
    const diff = await fp32Diff(createModel(name, { seed: 3 }), name);
    assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
    skipWithoutChecker(t); // last: a failed assertion above still fails the test
  });
}

test('fp32 export of a depthwise-separable edge model (DepthwiseConv2D, stride 2, same padding, global pooling) matches tfjs', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.rescaling({ inputShape: [28, 28, 1], scale: 2, offset: -1, name: 'normalize' }));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }));
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu', name: 'b1_dw' }));
  m.add(tfl.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu', name: 'b1_pw' }));
  m.add(tfl.layers.globalAveragePooling2d({ name: 'pool' }));
  m.add(tfl.layers.dense({ units: 10, name: 'logits' }));
  const diff = await fp32Diff(m, 'depthwise');
  assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
});

test('fp32 export of a SeparableConv2D with valid padding and no bias matches tfjs', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.separableConv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, depthMultiplier: 2, useBias: false, activation: 'relu', name: 'sep' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 10, name: 'logits' }));
  const diff = await fp32Diff(m, 'separable');
  assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
});

test('the flatten order is NHWC: a dense layer reading one pixel-channel sees the same value as in tfjs', async () => {
  // A conv with 2 channels then Flatten then Dense: permuting the flatten order would change the logits.
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 5, strides: 4, name: 'conv' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 10, name: 'logits', kernelInitializer: 'randomNormal' }));
  const diff = await fp32Diff(m, 'flatten-order');
  assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
});

test('the fp32 graph has the NHWC input, a Transpose to NCHW, Conv / MaxPool / Gemm and a logits output', () => {
  const g = decodeModel(exportOnnx(createModel('lenet5', { seed: 1 }))).graph!;
  const ops = g.node.map((n) => n.opType);
  assert.deepEqual(ops.slice(0, 3), ['Mul', 'Add', 'Transpose']);
  assert.equal(ops.filter((o) => o === 'Conv').length, 2);
  assert.equal(ops.filter((o) => o === 'Gemm').length, 3);
  assert.equal(g.input[0].name, 'input');
  assert.equal(g.output[0].name, 'logits');
});

test('unsupported layers and options give an error naming the layer and the reason', () => {
  const bn = tfl.sequential();
  bn.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, name: 'c' }));
  bn.add(tfl.layers.batchNormalization({ name: 'bn1' }));
  assert.throws(() => exportOnnx(bn), (e: Error) => e instanceof OnnxExportError && /layer 'bn1' \(BatchNormalization\)/.test(e.message) && /supports/.test(e.message));
  const tanh = tfl.sequential();
  tanh.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'f' }));
  tanh.add(tfl.layers.dense({ units: 10, activation: 'tanh', name: 'fc_tanh' }));
  assert.throws(() => exportOnnx(tanh), /layer 'fc_tanh' \(Dense\).*activation 'tanh' is not supported/);
  const dil = tfl.sequential();
  dil.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, dilationRate: 2, name: 'dilated' }));
  assert.throws(() => exportOnnx(dil), /layer 'dilated' \(Conv2D\).*dilation rate \[2,2\] is not supported/);
});

test('int8 QDQ export of a trained lenet5 passes the checker and agrees >= 99.5% (top-1) with the integer-only path', async (t) => {
  const model = createModel('lenet5', { seed: 1 });
  await train(model, train2k, { epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 1 });
  const plan = await buildPtqPlan(model, { bits: 8 }, subset(train2k, 500));
  const file = save('lenet5.int8.onnx', exportOnnx(model, { plan }));
  const g = decodeModel(fs.readFileSync(file)).graph!;
  const ops = new Set(g.node.map((n) => n.opType));
  assert.ok(ops.has('QuantizeLinear') && ops.has('DequantizeLinear'));
  // Weights are stored as int8 with one scale per output channel.
  const w = g.initializer.find((t) => t.name === 'conv1.weight_quantized')!;
  assert.equal(w.dataType, 3);
  assert.equal(g.initializer.find((t) => t.name === 'conv1.weight_scale')!.dims.length, 1);
  const ortPred = argmaxRows(await runOnnx(await createSession(file), test256), 10);
  const intPred = runIntegerModel(buildIntegerModel(plan), test256).predictions;
  let agree = 0;
  for (let i = 0; i < ortPred.length; i++) if (ortPred[i] === intPred[i]) agree++;
  assert.ok(agree / ortPred.length >= 0.995, `agreement ${agree}/${ortPred.length}`);
  // The int8 activation variant (signed zero points) gives the same predictions.
  const signed = await runOnnx(await createSession(save('lenet5.s8.onnx', exportOnnx(model, { plan, activationType: 'int8' }))), test256);
  assert.deepEqual(argmaxRows(signed, 10), ortPred);
  skipWithoutChecker(t);
});

test('int8 export refuses uncalibrated plans and per-group weights with a clear error', async () => {
  const model = createModel('mlp', { seed: 1 });
  const weightOnly = await buildPtqPlan(model, { bits: 8 });
  assert.throws(() => exportOnnx(model, { plan: weightOnly }), /calibrated plan/);
  const grouped = await buildPtqPlan(model, { bits: 8, granularity: 'group', groupSize: 16 }, subset(test256, 64));
  assert.throws(() => exportOnnx(model, { plan: grouped }), /layer 'fc1' \(Dense\).*per-group/);
});

test('pruned-and-shrunk (structured surgery) and low-rank (dense SVD, Tucker-2 conv) models export in fp32 and int8', async () => {
  // Trained briefly: an untrained model's near-tied logits make top-1 agreement a coin toss on ties.
  const base = createModel('lenet5', { seed: 5 });
  await train(base, train2k, { epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 5 });
  const pruned = applySurgery(base, structuredMasks(base, 0.5, { layers: ['conv1', 'conv2', 'fc1'] }));
  const lowDense = factorizeDense(base, 'fc1', { rank: 16 }).model;
  const lowBoth = factorizeConv(lowDense, 'conv2', { rIn: 3, rOut: 8 }).model;
  for (const [name, m] of [['pruned', pruned], ['lowrank', lowBoth]] as const) {
    const diff = await fp32Diff(m, name);
    assert.ok(diff <= 1e-4, `${name}: max abs diff ${diff}`);
    const plan = await buildPtqPlan(m, { bits: 8 }, subset(train2k, 200));
    const file = save(`${name}.int8.onnx`, exportOnnx(m, { plan }));
    const ortPred = argmaxRows(await runOnnx(await createSession(file), test256), 10);
    const fakePred = argmaxRows(await fakeQuantLogits(plan, test256), 10);
    const intPred = runIntegerModel(buildIntegerModel(plan), test256).predictions;
    const agree = (a: ArrayLike<number>) => Array.from(ortPred).filter((p, i) => p === a[i]).length;
    // QDQ is the fake-quant semantics; the integer path's fixed-point requantization rounds a little
    // differently, which shows on the weak (briefly trained, factorized) models' near ties.
    assert.ok(agree(fakePred) / ortPred.length >= 0.995, `${name}: agreement with fake quant ${agree(fakePred)}/${ortPred.length}`);
    assert.ok(agree(intPred) / ortPred.length >= 0.98, `${name}: agreement with the integer path ${agree(intPred)}/${ortPred.length}`);
  }
});

test('int8 export of a model without a Rescaling layer quantizes the raw input first', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }));
  m.add(tfl.layers.dense({ units: 32, activation: 'relu', name: 'fc1' }));
  m.add(tfl.layers.dense({ units: 10, name: 'logits' }));
  const plan = await buildPtqPlan(m, { bits: 8 }, subset(train2k, 200));
  const file = save('norescale.int8.onnx', exportOnnx(m, { plan }));
  const g = decodeModel(fs.readFileSync(file)).graph!;
  assert.equal(g.node[0].opType, 'QuantizeLinear');
  assert.equal(g.node[0].input[0], 'input');
  const ortPred = argmaxRows(await runOnnx(await createSession(file), test256), 10);
  const intPred = runIntegerModel(buildIntegerModel(plan), test256).predictions;
  let agree = 0;
  for (let i = 0; i < ortPred.length; i++) if (ortPred[i] === intPred[i]) agree++;
  assert.ok(agree / ortPred.length >= 0.98, `agreement ${agree}/${ortPred.length}`);
});
