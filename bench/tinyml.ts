/**
 * `npm run bench -- tinyml [--test-limit=N] [--no-runtime] [--no-pruning]`: "8 bits are enough" on a
 * microcontroller budget. Every zoo model (trained through trainCached: one epoch on 12,000 images, seed 1) is
 * exported to fp32 and full-integer int8 TFLite (optilab PTQ: per-channel int8 weights, per-tensor int8
 * activations calibrated on 500 train images). Per model and format: file bytes, tensor-arena estimate (liveness
 * plan), which named microcontrollers it fits, top-1 accuracy on the MNIST test set computed by optilab (tfjs
 * for fp32, the integer-only path for int8) and by TensorFlow Lite's own interpreter (wasm, in Debian chromium:
 * tests/tflite/tflite-runtime.ts), and their top-1 agreement. Then the largest model pruned on top of int8
 * (90% unstructured global magnitude, 50% structured L1 + surgery, one epoch of fine-tuning each): file, deflate
 * and bitmask-sparse sizes (flashFootprint) and accuracy.
 */
import { initBackend } from '../src/backend';
import { loadMnist } from '../src/data/files';
import { Dataset, subset } from '../src/data/dataset';
import { trainCached } from '../src/train/cache';
import { evaluate, predictLogits, train } from '../src/train/train';
import { ZooName } from '../src/models/zoo';
import { buildIntegerModel, buildPtqPlan, IntegerModel, QuantPlan, runIntegerModel } from '../src/quantize';
import { quantizeValue } from '../src/quantize/scalar';
import { applySurgery, fineTuneMasked, magnitudeMasks, structuredMasks } from '../src/prune';
import { budgetReport, exportTflite, flashFootprint, MCU_TARGETS } from '../src/tflite';
import { startTfliteRuntime, TfliteRuntime } from '../tests/tflite/tflite-runtime';
import type { BenchReport, Cell } from './harness';

const MODELS: ZooName[] = ['lenet5', 'mlp', 'cnnSmall', 'mnistCnn'];
/** Short column names of MCU_TARGETS, in order. */
const TARGET_KEYS = ['nano33', 'esp32', 'm0plus'];

function arg(args: string[], name: string, fallback: string): string {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

function argmax(v: ArrayLike<number>, row: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (v[row * classes + c] > v[row * classes + best]) best = c;
  return best;
}

/** The int8 input the integer path (and the int8 .tflite) takes: the normalized image, quantized. */
function quantizedImages(im: IntegerModel, d: Dataset): Int8Array {
  const q = new Int8Array(d.images.length);
  const inv = Math.fround(1 / im.input.scale[0]);
  for (let i = 0; i < q.length; i++) {
    let v = d.images[i];
    if (im.rescale) v = Math.fround(Math.fround(v * im.rescale.scale) + im.rescale.offset);
    q[i] = quantizeValue(v, inv, im.input.zeroPoint[0], im.input.qmin, im.input.qmax);
  }
  return q;
}

function integerAccuracy(plan: QuantPlan, d: Dataset): { accuracy: number; predictions: Int32Array; im: IntegerModel } {
  const im = buildIntegerModel(plan);
  const { predictions } = runIntegerModel(im, d);
  let right = 0;
  for (let i = 0; i < d.count; i++) if (predictions[i] === d.labels[i]) right++;
  return { accuracy: right / d.count, predictions, im };
}

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const backend = await initBackend();
  const log = (s: string) => console.error(`[tinyml] ${new Date().toISOString().slice(11, 19)} ${s}`);
  const testLimit = Number(arg(args, 'test-limit', quick ? '500' : '10000'));
  const names = quick ? MODELS.slice(0, 2) : MODELS;
  const trainLimit = quick ? 3000 : 12000;
  const configOf = (model: ZooName) => (quick ? { model, epochs: 1, seed: 1, limit: trainLimit, testLimit: 500 } : { model, epochs: 1, seed: 1, limit: trainLimit });
  const trainSet = loadMnist({ split: 'train', limit: trainLimit });
  const calib = subset(trainSet, 500);
  const test = loadMnist({ split: 'test', limit: testLimit });
  let rt: TfliteRuntime | undefined;
  let runtimeNote = 'TFLite interpreter: @tensorflow/tfjs-tflite (TensorFlow Lite compiled to wasm) in Debian chromium, one image at a time';
  if (!args.includes('--no-runtime')) {
    try {
      rt = await startTfliteRuntime();
    } catch (e) {
      runtimeNote = `TFLite interpreter not available (${(e as Error).message}): tfliteAccuracy is null`;
      log(runtimeNote);
    }
  } else runtimeNote = 'TFLite interpreter skipped (--no-runtime)';

  const rows: Record<string, unknown>[] = [];
  const fitsOf = (bytes: Uint8Array) => {
    const r = budgetReport(bytes);
    const fits: Record<string, boolean> = {};
    r.targets.forEach((t, i) => (fits[TARGET_KEYS[i]] = t.fits));
    return { arenaBytes: r.arenaBytes, fits };
  };
  let largest: { name: ZooName; int8: Uint8Array; accuracy: number; fp32Bytes: number } | undefined;
  try {
    for (const name of names) {
      const { model, cached, metrics } = await trainCached(configOf(name));
      log(`${name}: ${cached ? 'from the cache' : 'trained'} (tfjs test accuracy ${metrics.test.accuracy})`);
      const plan = await buildPtqPlan(model, { bits: 8 }, calib);
      const fp32 = exportTflite(model);
      const int8 = exportTflite(model, { plan });
      log(`${name}: fp32 ${fp32.length} bytes, int8 ${int8.length} bytes; scoring on ${test.count} test images`);
      const fpAcc = (await evaluate(model, test)).accuracy;
      const intRes = integerAccuracy(plan, test);
      let fpTflite: number | null = null;
      let fpMaxDiff: number | null = null;
      let intTflite: number | null = null;
      let intAgree: number | null = null;
      if (rt) {
        const ref = await predictLogits(model, test);
        const out = (await rt.run(fp32, test.images, test.count)).outputs;
        let right = 0;
        fpMaxDiff = 0;
        for (let i = 0; i < ref.length; i++) fpMaxDiff = Math.max(fpMaxDiff, Math.abs(out[i] - ref[i]));
        for (let b = 0; b < test.count; b++) if (argmax(out, b, 10) === test.labels[b]) right++;
        fpTflite = right / test.count;
        const qout = (await rt.run(int8, quantizedImages(intRes.im, test), test.count)).outputs;
        let qright = 0;
        let same = 0;
        for (let b = 0; b < test.count; b++) {
          const p = argmax(qout, b, 10);
          if (p === test.labels[b]) qright++;
          if (p === intRes.predictions[b]) same++;
        }
        intTflite = qright / test.count;
        intAgree = same / test.count;
        log(`${name}: TFLite fp32 ${fpTflite} (max |diff| ${fpMaxDiff.toExponential(2)}), int8 ${intTflite} (agreement with the integer path ${intAgree})`);
      }
      const base = { model: name, params: model.countParams(), testImages: test.count };
      rows.push({ ...base, format: 'fp32', bytes: fp32.length, smaller: 1, ...fitsOf(fp32), accuracy: fpAcc, tfliteAccuracy: fpTflite, agreement: null, maxAbsDiff: fpMaxDiff });
      rows.push({ ...base, format: 'int8', bytes: int8.length, smaller: +(fp32.length / int8.length).toFixed(3), ...fitsOf(int8), accuracy: intRes.accuracy, tfliteAccuracy: intTflite, agreement: intAgree, maxAbsDiff: null });
      largest = { name, int8, accuracy: intRes.accuracy, fp32Bytes: fp32.length };
    }
  } finally {
    await rt?.close();
  }

  const pruning: Record<string, unknown>[] = [];
  if (largest && !args.includes('--no-pruning')) {
    const name = largest.name;
    const tune = { epochs: 1, seed: 3, learningRate: 1e-3 };
    const footprint = (variant: string, bytes: Uint8Array, accuracy: number) => {
      const f = flashFootprint(bytes);
      pruning.push({ model: name, variant, zeroFraction: +(f.zeroElements / f.constantElements).toFixed(4), bytes: f.fileBytes, deflateBytes: f.deflateBytes, bitmaskBytes: f.bitmaskBytes, accuracy, ...fitsOf(bytes) });
    };
    footprint('int8', largest.int8, largest.accuracy);
    log(`${name}: 90% unstructured (global magnitude) + fine-tuning`);
    const sparse = (await trainCached(configOf(name))).model;
    await fineTuneMasked(sparse, trainSet, magnitudeMasks(sparse, 0.9, { scope: 'global' }), tune);
    const sparsePlan = await buildPtqPlan(sparse, { bits: 8 }, calib);
    footprint('int8 + 90% unstructured', exportTflite(sparse, { plan: sparsePlan }), integerAccuracy(sparsePlan, test).accuracy);
    log(`${name}: 50% structured (L1) + surgery + fine-tuning`);
    const model = (await trainCached(configOf(name))).model;
    const hidden = model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()) && l.name !== 'logits').map((l) => l.name);
    const slim = applySurgery(model, structuredMasks(model, 0.5, { criterion: 'l1', layers: hidden }));
    await train(slim, trainSet, tune);
    const slimPlan = await buildPtqPlan(slim, { bits: 8 }, calib);
    footprint('int8 + 50% structured', exportTflite(slim, { plan: slimPlan }), integerAccuracy(slimPlan, test).accuracy);
  }

  const pct = (v: unknown): Cell => (typeof v === 'number' ? +(100 * v).toFixed(2) : null);
  const int8Rows = rows.filter((r) => r.format === 'int8');
  return {
    rows,
    columns: [
      ['model', (r) => r.model as Cell],
      ['format', (r) => r.format as Cell],
      ['KiB', (r) => +((r.bytes as number) / 1024).toFixed(1)],
      ['smaller', (r) => r.smaller as Cell],
      ['arena KiB', (r) => +((r.arenaBytes as number) / 1024).toFixed(1)],
      ['acc %', (r) => pct(r.accuracy)],
      ['TFLite acc %', (r) => pct(r.tfliteAccuracy)],
      ['agree %', (r) => pct(r.agreement)],
      ...TARGET_KEYS.map((k) => [k, (r: Record<string, unknown>) => ((r.fits as Record<string, boolean>)[k] ? 'fits' : 'no')] as [string, (r: Record<string, unknown>) => Cell]),
    ],
    notes: [
      `models: ${JSON.stringify(configOf('lenet5')).replace('lenet5', '<zoo model>')} on ${backend}; int8 = full-integer TFLite from optilab PTQ (per-channel int8 weights, per-tensor int8 activations from 500 train images, int8 input and output)`,
      `accuracy on ${test.count} MNIST test images: optilab (tfjs for fp32, the integer-only path for int8) and ${runtimeNote}; agreement = top-1 of TFLite int8 vs optilab's integer path`,
      `targets: ${MCU_TARGETS.map((t, i) => `${TARGET_KEYS[i]} = ${t.name}, ${t.flashBytes / 1024} KiB flash / ${t.sramBytes / 1024} KiB SRAM`).join('; ')}; flash counts the model bytes, SRAM the tensor arena (liveness plan, 16-byte aligned), nothing else`,
      `min top-1 agreement TFLite int8 vs integer path: ${int8Rows.every((r) => r.agreement !== null) ? Math.min(...int8Rows.map((r) => r.agreement as number)) : 'not measured'}`,
      ...pruning.map((p) => `pruning ${p.model} ${p.variant}: ${p.bytes} bytes .tflite, ${p.deflateBytes} deflated, ${p.bitmaskBytes} bitmask-sparse, ${(100 * (p.zeroFraction as number)).toFixed(1)}% zeros, accuracy ${pct(p.accuracy)}%`),
    ],
    extra: { targets: MCU_TARGETS.map((t, i) => ({ key: TARGET_KEYS[i], ...t })), pruning },
  };
}
