/**
 * `npm run bench -- quantization [--model=lenet5]`: the numerics and quantization chapter's numbers on the full
 * MNIST test set: fp32 baseline; fp16 / bf16 weights; the BitOptimizer4ML table (accuracy vs kept float32 bits
 * and vs zero-threshold, with the sizes they save); int8 PTQ (per-channel symmetric weights, per-tensor
 * activations calibrated on 1,000 training images) with its weights file against fp32; the integer-only path
 * against fake quant; int4 weights by PTQ and after one epoch of QAT; quantize / dequantize throughput.
 * OPTILAB_QUICK=1 uses a small model and data subsets (numbers then only show that everything runs).
 */
import { initBackend } from '../src/backend';
import { loadMnist } from '../src/data/files';
import { subset } from '../src/data/dataset';
import { ZooName } from '../src/models/zoo';
import { modelToFiles } from '../src/models/io';
import { trainCached } from '../src/train/cache';
import { evaluate, scoreLogits } from '../src/train/train';
import { roundToBFloat16, roundToFloat16, roundToFp8E4M3, roundToFp8E5M2, truncateFloat32, zeroBelow } from '../src/numerics';
import {
  buildIntegerModel, buildPtqPlan, computeQParams, dequantize, describeModel, encodeQuantizedModel, fakeQuantLogits,
  mapKernels, quantizationAwareTraining, quantize, runIntegerModel, integerPathInUse,
} from '../src/quantize';
import type { BenchReport } from './harness';

const pp = (a: number, b: number) => +(100 * (a - b)).toFixed(3);

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const model = (args.find((a) => a.startsWith('--model='))?.slice(8) ?? 'lenet5') as ZooName;
  const backend = await initBackend();
  const config = quick ? { model, epochs: 1, seed: 1, limit: 5000, testLimit: 2000 } : { model, epochs: 3, seed: 1 };
  const log = (s: string) => console.error(`[quantization] ${s}`);
  log(`baseline ${JSON.stringify(config)} on ${backend}`);
  const { model: fp32, cached } = await trainCached(config);
  const train = loadMnist({ split: 'train', limit: quick ? 5000 : undefined });
  const test = loadMnist({ split: 'test', limit: quick ? 2000 : undefined });
  const calib = subset(train, 1000);
  const rows: Record<string, unknown>[] = [];
  const base = (await evaluate(fp32, test)).accuracy;
  const layers = describeModel(fp32);
  const params = layers.reduce((s, l) => s + (l.kernel?.length ?? 0) + (l.bias?.length ?? 0), 0);
  const fp32Files = await modelToFiles(fp32);
  const fp32Bytes = fp32Files.weights.length;
  rows.push({ experiment: 'fp32 baseline', setting: model, accuracy: base, dropPP: 0, bytes: fp32Bytes, ratio: 1 });

  const floatFormats: [string, (w: Float32Array) => Float32Array, number][] = [
    ['float16', roundToFloat16, 16],
    ['bfloat16', roundToBFloat16, 16],
    ['fp8 e4m3', (w) => roundToFp8E4M3(w, { saturate: true }), 8],
    ['fp8 e5m2', (w) => roundToFp8E5M2(w), 8],
  ];
  for (const [name, fn, bits] of floatFormats) {
    const acc = (await evaluate(await mapKernels(fp32, fn, true), test)).accuracy;
    const bytes = (params * bits) / 8;
    rows.push({ experiment: `${name} weights`, setting: 'round to nearest even', accuracy: acc, dropPP: pp(base, acc), bytes, ratio: fp32Bytes / bytes });
  }

  log('BitOptimizer4ML study');
  for (const keep of [9, 10, 11, 12, 13, 14, 15, 16, 32]) {
    const acc = (await evaluate(await mapKernels(fp32, (w) => truncateFloat32(w, keep), true), test)).accuracy;
    const bytes = Math.ceil((params * keep) / 8);
    rows.push({ experiment: 'truncate float32', setting: `${keep} bits`, accuracy: acc, dropPP: pp(base, acc), bytes, ratio: fp32Bytes / bytes });
  }
  for (let t = 1; t <= 10; t++) {
    const threshold = t / 100;
    let zeros = 0;
    const m = await mapKernels(fp32, (w) => {
      const r = zeroBelow(w, threshold);
      zeros += r.zeroFraction * w.length;
      return r.values;
    });
    const acc = (await evaluate(m, test)).accuracy;
    const weights = layers.reduce((s, l) => s + (l.kernel?.length ?? 0), 0);
    // A sparse file stores each non-zero weight with a 32-bit value + 32-bit index, the biases densely.
    const bytes = Math.round((weights - zeros) * 8 + (params - weights) * 4);
    rows.push({ experiment: 'zero-threshold', setting: `|w| < ${threshold.toFixed(2)} (${((100 * zeros) / weights).toFixed(1)}% zero)`, accuracy: acc, dropPP: pp(base, acc), bytes, ratio: fp32Bytes / bytes });
  }

  log('int8 PTQ');
  const plan8 = await buildPtqPlan(fp32, { bits: 8, granularity: 'channel' }, calib, { limit: 1000 });
  const fq8 = scoreLogits(await fakeQuantLogits(plan8, test), test.labels, 10);
  const files8 = encodeQuantizedModel(fp32, plan8);
  rows.push({ experiment: 'int8 PTQ (fake quant)', setting: 'w: per-channel sym, a: per-tensor minmax, 1000 calib', accuracy: fq8.accuracy, dropPP: pp(base, fq8.accuracy), bytes: files8.weights.length, ratio: fp32Bytes / files8.weights.length });
  const wo8 = scoreLogits(await fakeQuantLogits({ ...plan8, activations: undefined }, test), test.labels, 10);
  rows.push({ experiment: 'int8 weight-only', setting: 'per-channel sym', accuracy: wo8.accuracy, dropPP: pp(base, wo8.accuracy), bytes: files8.weights.length, ratio: fp32Bytes / files8.weights.length });
  for (const method of ['percentile', 'entropy', 'mse'] as const) {
    const p = await buildPtqPlan(fp32, { bits: 8 }, calib, { limit: 1000, method, percentile: 99.99 });
    const acc = scoreLogits(await fakeQuantLogits(p, test), test.labels, 10).accuracy;
    rows.push({ experiment: 'int8 PTQ (fake quant)', setting: `activations: ${method}`, accuracy: acc, dropPP: pp(base, acc), bytes: files8.weights.length, ratio: fp32Bytes / files8.weights.length });
  }
  const pt8 = await buildPtqPlan(fp32, { bits: 8, granularity: 'tensor' }, calib, { limit: 1000 });
  const pt8Acc = scoreLogits(await fakeQuantLogits(pt8, test), test.labels, 10).accuracy;
  const pt8Bytes = encodeQuantizedModel(fp32, pt8).weights.length;
  rows.push({ experiment: 'int8 PTQ (fake quant)', setting: 'weights per-tensor instead', accuracy: pt8Acc, dropPP: pp(base, pt8Acc), bytes: pt8Bytes, ratio: fp32Bytes / pt8Bytes });
  const dyn8 = scoreLogits(await fakeQuantLogits({ ...plan8, activations: undefined, dynamicActivationBits: 8 }, test), test.labels, 10).accuracy;
  rows.push({ experiment: 'int8 PTQ (fake quant)', setting: 'activations dynamic (per image)', accuracy: dyn8, dropPP: pp(base, dyn8), bytes: files8.weights.length, ratio: fp32Bytes / files8.weights.length });
  log('integer-only path');
  let t0 = performance.now();
  const int = runIntegerModel(buildIntegerModel(plan8), test);
  const intSeconds = (performance.now() - t0) / 1000;
  const intPath = integerPathInUse();
  const agree = int.predictions.filter((p, i) => p === fq8.predictions[i]).length / test.count;
  const intAcc = int.predictions.filter((p, i) => p === test.labels[i]).length / test.count;
  rows.push({ experiment: 'int8 integer-only', setting: `agrees with fake quant on ${(100 * agree).toFixed(2)}%`, accuracy: intAcc, dropPP: pp(base, intAcc), bytes: files8.weights.length, ratio: fp32Bytes / files8.weights.length });

  log('int4');
  const plan4 = await buildPtqPlan(fp32, { bits: 4 });
  const files4 = encodeQuantizedModel(fp32, plan4);
  const ptq4 = scoreLogits(await fakeQuantLogits(plan4, test), test.labels, 10).accuracy;
  rows.push({ experiment: 'int4 PTQ weight-only', setting: 'per-channel sym minmax', accuracy: ptq4, dropPP: pp(base, ptq4), bytes: files4.weights.length, ratio: fp32Bytes / files4.weights.length });
  const planMse4 = await buildPtqPlan(fp32, { bits: 4, method: 'mse' });
  const mse4 = scoreLogits(await fakeQuantLogits(planMse4, test), test.labels, 10).accuracy;
  rows.push({ experiment: 'int4 PTQ weight-only', setting: 'per-channel sym mse clipping', accuracy: mse4, dropPP: pp(base, mse4), bytes: files4.weights.length, ratio: fp32Bytes / files4.weights.length });
  const qatModel = await mapKernels(fp32, (w) => w, true);
  const qat = await quantizationAwareTraining(qatModel, train, { bits: 4, epochs: 1, seed: 1, learningRate: 5e-4, traceEvery: 50 });
  const qat4 = scoreLogits(await fakeQuantLogits(await buildPtqPlan(qatModel, { bits: 4 }), test), test.labels, 10).accuracy;
  rows.push({ experiment: 'int4 QAT weight-only', setting: `1 epoch, ${train.count} images, ${qat.seconds.toFixed(0)} s`, accuracy: qat4, dropPP: pp(base, qat4), bytes: files4.weights.length, ratio: fp32Bytes / files4.weights.length });

  const qatModelA8 = await mapKernels(fp32, (w) => w, true);
  const qatA8 = await quantizationAwareTraining(qatModelA8, train, { bits: 4, activationBits: 8, epochs: 1, seed: 1, learningRate: 5e-4, traceEvery: 50 });
  const w4a8Ptq = scoreLogits(await fakeQuantLogits(await buildPtqPlan(fp32, { bits: 4 }, calib, { limit: 1000 }), test), test.labels, 10).accuracy;
  rows.push({ experiment: 'int4 PTQ w4a8', setting: 'int8 activations, 1000 calib', accuracy: w4a8Ptq, dropPP: pp(base, w4a8Ptq), bytes: files4.weights.length, ratio: fp32Bytes / files4.weights.length });
  const w4a8Qat = scoreLogits(await fakeQuantLogits({ ...(await buildPtqPlan(qatModelA8, { bits: 4 })), activations: qatA8.activations }, test), test.labels, 10).accuracy;
  rows.push({ experiment: 'int4 QAT w4a8', setting: `1 epoch, activations fake-quantized too, ${qatA8.seconds.toFixed(0)} s`, accuracy: w4a8Qat, dropPP: pp(base, w4a8Qat), bytes: files4.weights.length, ratio: fp32Bytes / files4.weights.length });

  log('int2');
  for (const method of ['minmax', 'mse'] as const) {
    const p2 = await buildPtqPlan(fp32, { bits: 2, method });
    const acc = scoreLogits(await fakeQuantLogits(p2, test), test.labels, 10).accuracy;
    const b2 = encodeQuantizedModel(fp32, p2).weights.length;
    rows.push({ experiment: 'int2 PTQ weight-only', setting: `per-channel sym ${method}`, accuracy: acc, dropPP: pp(base, acc), bytes: b2, ratio: fp32Bytes / b2 });
  }
  const qatModel2 = await mapKernels(fp32, (w) => w, true);
  const qat2 = await quantizationAwareTraining(qatModel2, train, { bits: 2, epochs: 1, seed: 1, learningRate: 5e-4, traceEvery: 50 });
  const plan2 = await buildPtqPlan(qatModel2, { bits: 2 });
  const qat2Acc = scoreLogits(await fakeQuantLogits(plan2, test), test.labels, 10).accuracy;
  const b2q = encodeQuantizedModel(qatModel2, plan2).weights.length;
  rows.push({ experiment: 'int2 QAT weight-only', setting: `1 epoch, ${train.count} images, ${qat2.seconds.toFixed(0)} s`, accuracy: qat2Acc, dropPP: pp(base, qat2Acc), bytes: b2q, ratio: fp32Bytes / b2q });

  log('throughput');
  const n = quick ? 1_000_000 : 10_000_000;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) * 3;
  const qp = computeQParams(x, [n], { bits: 8, symmetric: false, signed: false });
  quantize(x.subarray(0, 1000), [1000], qp);
  t0 = performance.now();
  const q = quantize(x, [n], qp);
  const qSec = (performance.now() - t0) / 1000;
  t0 = performance.now();
  dequantize(q, [n], qp);
  const dSec = (performance.now() - t0) / 1000;
  const throughput = { elements: n, quantizePerSecond: Math.round(n / qSec), dequantizePerSecond: Math.round(n / dSec) };

  return {
    rows,
    columns: [
      ['experiment', (r) => r.experiment as string],
      ['setting', (r) => r.setting as string],
      ['accuracy %', (r) => +(100 * (r.accuracy as number)).toFixed(2)],
      ['drop pp', (r) => r.dropPP as number],
      ['bytes', (r) => r.bytes as number],
      ['x smaller', (r) => (r.ratio as number).toFixed(3)],
    ],
    notes: [
      `model ${model} (${params} parameters, ${cached ? 'cached' : 'trained now'}), test images ${test.count}, backend ${backend}${quick ? ', QUICK subsets' : ''}`,
      `integer-only path: ${(100 * agree).toFixed(2)}% of predictions equal the fake-quant path; ${test.count} images in ${intSeconds.toFixed(2)} s (${Math.round(test.count / intSeconds)} img/s, batches of 200, compiling included; path '${intPath.path}'${intPath.refusal ? `: ${intPath.refusal}` : ''}; bench/inference.ts measures its throughput beside fp32)`,
      `quantize ${(throughput.quantizePerSecond / 1e6).toFixed(1)} M elements/s, dequantize ${(throughput.dequantizePerSecond / 1e6).toFixed(1)} M elements/s on ${n} floats (per-tensor uint8)`,
      `fp32 weights.bin ${fp32Bytes} bytes; int8 file ${files8.weights.length} bytes (int8 kernels + float16 per-channel scales + float32 biases)`,
    ],
    extra: { config, throughput, agreement: agree, qatTrace: qat.trace, baseline: base },
  };
}
