import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-layers';
import { setupBackend } from '../helpers';
import { createModel } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { Dataset } from '../../src/data/dataset';
import { predictLogits, train } from '../../src/train/train';
import { buildIntegerModel, buildPtqPlan, runIntegerModel } from '../../src/quantize';
import { quantizeValue } from '../../src/quantize/scalar';
import { exportTflite, inspectTflite, TfliteExportError, TfliteFormatError } from '../../src/tflite';
import { startTfliteRuntime, TfliteRuntime } from './tflite-runtime';

let rt: TfliteRuntime;
let testSet: Dataset;
before(async () => {
  await setupBackend();
  testSet = loadMnist({ split: 'test' });
  rt = await startTfliteRuntime();
});
after(async () => {
  await rt?.close();
});

function head(d: Dataset, n: number): Dataset {
  const size = d.height * d.width;
  return { ...d, count: n, images: d.images.subarray(0, n * size), labels: d.labels.subarray(0, n) };
}

async function fp32MaxDiff(model: tf.LayersModel, data: Dataset): Promise<number> {
  const bytes = exportTflite(model);
  const { outputs, inputType } = await rt.run(bytes, data.images, data.count);
  assert.equal(inputType, 'float32');
  const ref = await predictLogits(model, data);
  assert.equal(outputs.length, ref.length);
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(outputs[i] - ref[i]));
  return m;
}

test('fp32 zoo models run in the TFLite interpreter (wasm) with outputs within 1e-4 of tfjs', async () => {
  const data = head(testSet, 500);
  for (const name of ['lenet5', 'mlp', 'cnnSmall']) {
    const d = await fp32MaxDiff(createModel(name, { seed: 3 }), name === 'cnnSmall' ? head(testSet, 100) : data);
    console.log(`# ${name} fp32: max |tflite - tfjs| = ${d.toExponential(2)}`);
    assert.ok(d < 1e-4, `${name}: ${d}`);
  }
});

test('fp32 operators beyond the zoo: depthwise, separable, average / global pooling, strides, softmax', async () => {
  const m = tf.sequential({ name: 'ops' });
  m.add(tf.layers.rescaling({ inputShape: [28, 28, 1], scale: 2, offset: -1, name: 'rescale' }));
  m.add(tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'same' }));
  m.add(tf.layers.reLU({ name: 'relu' }));
  m.add(tf.layers.averagePooling2d({ name: 'avg', poolSize: 2, padding: 'same' }));
  m.add(tf.layers.separableConv2d({ name: 'sep', filters: 12, kernelSize: 3, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ name: 'max', poolSize: 2, strides: 1 }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'out', units: 10, activation: 'softmax' }));
  const s = inspectTflite(exportTflite(m));
  for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX', 'ADD', 'MUL']) assert.ok(s.operators[op], `${op} in ${JSON.stringify(s.operators)}`);
  const d = await fp32MaxDiff(m, head(testSet, 200));
  console.log(`# operator model fp32: max |tflite - tfjs| = ${d.toExponential(2)}`);
  assert.ok(d < 1e-4, `${d}`);
});

test('full-integer int8 LeNet-5: TFLite agrees with optilab integer-only inference on the MNIST test set', async () => {
  const model = createModel('lenet5', { seed: 1 });
  await train(model, loadMnist({ split: 'train', limit: 4000 }), { epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 1 });
  const plan = await buildPtqPlan(model, { bits: 8 }, loadMnist({ split: 'train', limit: 500 }));
  const bytes = exportTflite(model, { plan });
  const s = inspectTflite(bytes);
  assert.equal(s.tensors[s.inputs[0]].type, 'INT8');
  assert.equal(s.tensors[s.outputs[0]].type, 'INT8');
  const im = buildIntegerModel(plan);
  const ours = runIntegerModel(im, testSet);
  // The int8 input the integer path feeds its first conv: the normalized image, quantized.
  const size = 28 * 28;
  const q = new Int8Array(testSet.count * size);
  const inv = Math.fround(1 / im.input.scale[0]);
  for (let i = 0; i < q.length; i++) {
    let v = testSet.images[i];
    if (im.rescale) v = Math.fround(Math.fround(v * im.rescale.scale) + im.rescale.offset);
    q[i] = quantizeValue(v, inv, im.input.zeroPoint[0], im.input.qmin, im.input.qmax);
  }
  const { outputs, inputType, outputType } = await rt.run(bytes, q, testSet.count);
  assert.equal(inputType, 'int8');
  assert.equal(outputType, 'int8');
  let agree = 0;
  let exact = 0;
  let maxStep = 0;
  let correct = 0;
  for (let b = 0; b < testSet.count; b++) {
    let best = 0;
    for (let c = 0; c < 10; c++) {
      const k = b * 10 + c;
      maxStep = Math.max(maxStep, Math.abs(outputs[k] - ours.logitsQ[k]));
      if (outputs[k] === ours.logitsQ[k]) exact++;
      if (outputs[k] > outputs[b * 10 + best]) best = c;
    }
    if (best === ours.predictions[b]) agree++;
    if (best === testSet.labels[b]) correct++;
  }
  const n = testSet.count;
  console.log(`# int8 LeNet-5 on ${n} MNIST test images: top-1 agreement ${(100 * agree / n).toFixed(2)}%, identical int8 logits ${(100 * exact / (n * 10)).toFixed(2)}%, max difference ${maxStep} step(s), TFLite accuracy ${(100 * correct / n).toFixed(2)}%, ${bytes.length} bytes`);
  assert.equal(n, 10000);
  assert.ok(agree / n >= 0.995, `agreement ${agree / n}`);
  assert.ok(correct / n > 0.9, `accuracy ${correct / n}`);
});

test('damaged or foreign files give clear errors, in our reader and in the TFLite runtime', async () => {
  const bytes = exportTflite(createModel('mlp', { seed: 1 }));
  const wrongId = bytes.slice();
  wrongId.set([0x4f, 0x4e, 0x4e, 0x58], 4);
  assert.throws(() => inspectTflite(wrongId), (e: Error) => e instanceof TfliteFormatError && /identifier is 'ONNX', expected 'TFL3'/.test(e.message));
  assert.throws(() => inspectTflite(bytes.slice(0, 5)), /at least a header of 8/);
  const truncated = bytes.slice(0, 4000);
  assert.throws(() => inspectTflite(truncated), TfliteFormatError);
  const x = new Float32Array(784);
  await assert.rejects(rt.run(wrongId, x, 1), (e: Error) => /model|identifier|TFL3|flatbuffer|create/i.test(e.message));
  await assert.rejects(rt.run(truncated, x, 1));
});

test('unsupported layers get an error naming the layer', () => {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ name: 'c', inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }));
  m.add(tf.layers.batchNormalization({ name: 'bn' }));
  assert.throws(() => exportTflite(m), (e: Error) => e instanceof TfliteExportError && /layer 'bn' \(BatchNormalization\)/.test(e.message));
  const t = tf.sequential();
  t.add(tf.layers.flatten({ name: 'f', inputShape: [2, 2, 1] }));
  t.add(tf.layers.dense({ name: 'd', units: 2, activation: 'tanh' }));
  assert.throws(() => exportTflite(t), /'d'.*activation 'tanh'/);
});
