/**
 * `npm run bench -- compression [--finetune=3] [--prune-end=0.5] [--ft-limit=N] [--sweep-limit=20000] [--seeds=3]
 * [--kd-epochs=2] [--kd-limits=20000,60000] [--lottery-limit=20000] [--rewind-step=60] [--scope=global|layer] [--lr=1e-3]
 * [--skip=lottery,...]`: the
 * pruning / distillation / low-rank / edge numbers of the chapter on the full MNIST test set, from the cached
 * LeNet-5 baseline (3 epochs, seed 1):
 * - unstructured 90% with the polynomial schedule vs one-shot, same fine-tuning budget; a sparsity sweep of both;
 * - bytes of the 90%-sparse model dense, CSR and bitmask;
 * - structured: 50% of conv filters removed by surgery (lenet5, and the conv-heavy mnistCnn), latency at batch 256
 *   side by side, fine-tuned;
 * - lottery ticket at 80% (rewound to init and late-rewound vs random re-init, seeds);
 * - distillation: a student with <= 1/10 of the teacher's parameters, soft targets vs labels only (seeds);
 * - low rank: fc1/fc2 factorized, fine-tuned;
 * - edge: MobileNet-style vs standard-conv twin (params, MACs, latency).
 * OPTILAB_QUICK=1 uses small subsets (numbers then only show that everything runs).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, kernelsInUse } from '../src/backend';
import { loadMnist } from '../src/data/files';
import { Dataset, subset } from '../src/data/dataset';
import { lenet5 } from '../src/models/zoo';
import { summarize } from '../src/models/summary';
import { trainCached } from '../src/train/cache';
import { evaluate, train } from '../src/train/train';
import {
  applyMasks, applySurgery, fineTuneMasked, lotteryTicket, magnitudeMasks, measureSparsity, oneShotPrune, pruneWithSchedule,
  rebuildSequential, sparseStorage, structuredMasks,
} from '../src/prune';
import { distill } from '../src/distill';
import { factorizeDense } from '../src/factorize';
import { measureLatency, mobileNetMnist, standardConvMnist } from '../src/edge';
import type { BenchReport } from './harness';

const pp = (a: number, b: number) => +(100 * (a - b)).toFixed(3);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const clone = (m: tfl.LayersModel) => rebuildSequential(m, () => undefined);

function arg(args: string[], name: string, fallback: string): string {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

/** A small CNN student: conv5x5 4 - pool - conv5x5 8 - pool - dense 10 (~2.2k parameters). */
function tinyCnn(seed: number): tfl.Sequential {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + k });
  const m = tfl.sequential({ name: 'tinyCnn' });
  m.add(tfl.layers.rescaling({ inputShape: [28, 28, 1], scale: 1 / 0.3081, offset: -0.1307 / 0.3081, name: 'normalize' }));
  m.add(tfl.layers.conv2d({ name: 'conv1', filters: 4, kernelSize: 5, activation: 'relu', kernelInitializer: init(1) }));
  m.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  m.add(tfl.layers.conv2d({ name: 'conv2', filters: 8, kernelSize: 5, activation: 'relu', kernelInitializer: init(2) }));
  m.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  m.add(tfl.layers.flatten({ name: 'flatten' }));
  m.add(tfl.layers.dense({ name: 'logits', units: 10, kernelInitializer: init(3) }));
  return m;
}

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const backend = await initBackend();
  const finetune = Number(arg(args, 'finetune', quick ? '1' : '3'));
  // The polynomial schedule reaches its final sparsity at this fraction of the fine-tuning steps; the rest recovers.
  const pruneEnd = Number(arg(args, 'prune-end', '0.5'));
  const sweepLimit = Number(arg(args, 'sweep-limit', quick ? '2000' : '20000'));
  const seeds = Number(arg(args, 'seeds', quick ? '1' : '3'));
  const scope = arg(args, 'scope', 'global') as 'layer' | 'global';
  const skip = new Set(arg(args, 'skip', '').split(',').filter(Boolean));
  const log = (s: string) => console.error(`[compression] ${new Date().toISOString().slice(11, 19)} ${s}`);
  const config = quick ? { model: 'lenet5' as const, epochs: 1, seed: 1, limit: 5000, testLimit: 2000 } : { model: 'lenet5' as const, epochs: 3, seed: 1 };
  const { model: base } = await trainCached(config);
  const fullTrain = loadMnist({ split: 'train', limit: quick ? 5000 : undefined });
  // Fine-tuning / distillation sets: the first N training images (default: all).
  const trainSet = subset(fullTrain, Math.min(Number(arg(args, 'ft-limit', String(fullTrain.count))), fullTrain.count));
  const kdLimits = arg(args, 'kd-limits', quick ? '2000' : '20000,60000').split(',').map(Number);
  const test = loadMnist({ split: 'test', limit: quick ? 2000 : undefined });
  const sweepSet = subset(trainSet, Math.min(sweepLimit, trainSet.count));
  const acc = async (m: tfl.LayersModel) => (await evaluate(m, test)).accuracy;
  const baseAcc = await acc(base);
  const baseParams = base.countParams();
  const rows: Record<string, unknown>[] = [];
  /** One result row; the drop is against LeNet-5's baseline unless another model's `baseline` is given. */
  const row = (experiment: string, setting: string, accuracy: number, extra: Record<string, unknown> = {}, baseline = baseAcc) => {
    const r = { experiment, setting, accuracy, dropPP: pp(baseline, accuracy), ...(baseline === baseAcc ? {} : { baseAccuracy: baseline }), ...extra };
    rows.push(r);
    log(`${experiment} | ${setting} | ${(100 * accuracy).toFixed(2)}% ${JSON.stringify(extra)}`);
  };
  row('dense baseline', `lenet5 ${config.epochs} epochs seed 1 (cached)`, baseAcc, { params: baseParams });
  const steps = Math.ceil(trainSet.count / 64) * finetune;
  const ftLr = Number(arg(args, 'lr', '1e-3'));
  const ft = { epochs: finetune, seed: 2, learningRate: ftLr };

  if (!skip.has('unstructured')) {
    log(`unstructured 90%: polynomial schedule vs one-shot, ${finetune} fine-tuning epochs on ${trainSet.count} images`);
    const poly = clone(base);
    const schedule = { initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: Math.floor(steps * pruneEnd), frequency: Math.max(1, Math.floor(steps / 40)) };
    const res = await pruneWithSchedule(poly, trainSet, schedule, { train: ft, scope });
    row('unstructured 90%', `polynomial (cubic) 0 -> 0.9 over ${schedule.endStep} steps + rest, ${finetune} ep`, await acc(poly), { sparsity: measureSparsity(poly).global, logSteps: res.log.steps.length });
    const one = clone(base);
    await oneShotPrune(one, trainSet, 0.9, { train: ft, scope });
    row('unstructured 90%', `one-shot + ${finetune} ep fine-tuning`, await acc(one), { sparsity: measureSparsity(one).global });
    const noFt = clone(base);
    applyMasks(noFt, magnitudeMasks(noFt, 0.9, { scope }));
    row('unstructured 90%', 'one-shot, no fine-tuning', await acc(noFt), { sparsity: measureSparsity(noFt).global });
    const storage = sparseStorage(poly);
    row('storage of the 90% model', 'kernels: dense / CSR / bitmask bytes', await acc(poly), {
      denseBytes: storage.total.denseBytes, csrBytes: storage.total.csrBytes, bitmaskBytes: storage.total.bitmaskBytes,
      csrRatio: storage.total.denseBytes / storage.total.csrBytes, bitmaskRatio: storage.total.denseBytes / storage.total.bitmaskBytes,
    });
  }

  if (!skip.has('sweep')) {
    log(`sparsity sweep: 1 fine-tuning epoch on ${sweepSet.count} images each`);
    const sweepSteps = Math.ceil(sweepSet.count / 64);
    for (const s of quick ? [0.5, 0.9] : [0.5, 0.7, 0.8, 0.9, 0.95]) {
      const poly = clone(base);
      await pruneWithSchedule(poly, sweepSet, { initialSparsity: 0, finalSparsity: s, beginStep: 0, endStep: Math.floor(sweepSteps * 0.6), frequency: Math.max(1, Math.floor(sweepSteps / 30)) }, { train: { ...ft, epochs: 1 }, scope });
      row('sweep: polynomial', `${s}`, await acc(poly), { sparsity: measureSparsity(poly).global });
      const one = clone(base);
      await oneShotPrune(one, sweepSet, s, { train: { ...ft, epochs: 1 }, scope });
      row('sweep: one-shot', `${s}`, await acc(one), { sparsity: measureSparsity(one).global });
    }
  }

  if (!skip.has('structured')) {
    log('structured: 50% of conv filters (L1), surgery, fine-tuning');
    const masked = clone(base);
    const masks = structuredMasks(masked, 0.5, { criterion: 'l1', layers: ['conv1', 'conv2'] });
    applyMasks(masked, masks);
    const small = applySurgery(masked, masks);
    const before = await acc(small);
    await train(small, trainSet, { ...ft, epochs: 1 });
    const after = await acc(small);
    const latBase = await measureLatency(base, { batchSize: 256, runs: quick ? 3 : 15 });
    const latSmall = await measureLatency(small, { batchSize: 256, runs: quick ? 3 : 15 });
    const latBase2 = await measureLatency(base, { batchSize: 256, runs: quick ? 3 : 15 });
    const baseMs = Math.min(latBase.medianMs, latBase2.medianMs);
    row('structured 50% conv filters', 'surgery, no fine-tuning', before, { params: small.countParams() });
    row('structured 50% conv filters', `surgery + 1 ep fine-tuning`, after, {
      params: small.countParams(), macs: summarize(small).totalMacs, baseMacs: summarize(base).totalMacs,
      latencyMs: latSmall.medianMs, baseLatencyMs: baseMs, speedup: baseMs / latSmall.medianMs,
    });
    // The conv-heavy BitOptimizer4ML network, where filters dominate the cost: the deploy bench's cached model
    // (1 epoch on the first 12,000 training images), half of every conv layer's filters removed, fine-tuned for
    // one epoch on the same images, latency at batch 256 measured A B A.
    const cnnLimit = quick ? 2000 : 12000;
    const cnnConfig = quick ? { model: 'mnistCnn' as const, epochs: 1, seed: 1, limit: cnnLimit, testLimit: 1000 } : { model: 'mnistCnn' as const, epochs: 1, seed: 1, limit: cnnLimit };
    const { model: cnn } = await trainCached(cnnConfig);
    const cnnAcc = await acc(cnn);
    const cnnMasked = clone(cnn);
    const cnnMasks = structuredMasks(cnnMasked, 0.5, { criterion: 'l1', layers: ['conv1', 'conv2', 'conv3'] });
    applyMasks(cnnMasked, cnnMasks);
    const cnnSmall = applySurgery(cnnMasked, cnnMasks);
    const cnnNoFt = await acc(cnnSmall);
    log(`mnistCnn: ${(100 * cnnAcc).toFixed(2)}% dense, ${(100 * cnnNoFt).toFixed(2)}% after surgery; fine-tuning 1 epoch on ${cnnLimit} images`);
    await train(cnnSmall, subset(fullTrain, cnnLimit), { ...ft, epochs: 1 });
    const cnnFt = await acc(cnnSmall);
    const runs = quick ? 3 : 8;
    const cnnA = await measureLatency(cnn, { batchSize: 256, runs });
    const cnnB = await measureLatency(cnnSmall, { batchSize: 256, runs });
    const cnnA2 = await measureLatency(cnn, { batchSize: 256, runs });
    const cnnBaseMs = Math.min(cnnA.medianMs, cnnA2.medianMs);
    row('structured 50% conv filters', 'mnistCnn, surgery, no fine-tuning', cnnNoFt, { params: cnnSmall.countParams() }, cnnAcc);
    row('structured 50% conv filters', `mnistCnn, surgery + 1 ep fine-tuning (drop vs its own ${(100 * cnnAcc).toFixed(2)}%)`, cnnFt, {
      params: cnnSmall.countParams(), baseParams: cnn.countParams(), macs: summarize(cnnSmall).totalMacs, baseMacs: summarize(cnn).totalMacs,
      latencyMs: cnnB.medianMs, baseLatencyMs: cnnBaseMs, speedup: cnnBaseMs / cnnB.medianMs,
    }, cnnAcc);
    const all = clone(base);
    const allMasks = structuredMasks(all, 0.5, { criterion: 'l1' });
    applyMasks(all, allMasks);
    const allSmall = applySurgery(all, allMasks);
    await train(allSmall, trainSet, { ...ft, epochs: 1 });
    const latAll = await measureLatency(allSmall, { batchSize: 256, runs: quick ? 3 : 15 });
    row('structured 50% of all hidden units', 'conv filters + fc neurons, surgery + 1 ep', await acc(allSmall), {
      params: allSmall.countParams(), macs: summarize(allSmall).totalMacs, latencyMs: latAll.medianMs, baseLatencyMs: baseMs, speedup: baseMs / latAll.medianMs,
    });
  }

  if (!skip.has('lowrank')) {
    log('low rank: fc1 rank 16, fc2 rank 16, fine-tuned');
    let m: tfl.LayersModel = clone(base);
    const f1 = factorizeDense(m, 'fc1', { rank: 16 });
    const f2 = factorizeDense(f1.model, 'fc2', { rank: 16 });
    m = f2.model;
    const denseBefore = 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10;
    const denseAfter = f1.paramsAfter + 120 + f2.paramsAfter + 84 + 84 * 10 + 10;
    const noFt = await acc(m);
    await train(m, trainSet, { ...ft, epochs: 1 });
    row('low rank', 'fc1 and fc2 at rank 16, no fine-tuning', noFt, { denseParams: denseAfter, baseDenseParams: denseBefore, reduction: denseBefore / denseAfter });
    row('low rank', 'fc1 and fc2 at rank 16 + 1 ep fine-tuning', await acc(m), { denseParams: denseAfter, baseDenseParams: denseBefore, reduction: denseBefore / denseAfter, params: m.countParams() });
  }

  if (!skip.has('distill')) {
    const student = tinyCnn(0);
    log(`distillation: student ${student.countParams()} params vs teacher ${baseParams}`);
    const kdEpochs = Number(arg(args, 'kd-epochs', quick ? '1' : '2'));
    // Soft targets help most when the student sees few examples: one comparison per training-set size.
    for (const limit of kdLimits) {
      const kdSet = subset(fullTrain, Math.min(limit, fullTrain.count));
      const kd: number[] = [];
      const labels: number[] = [];
      for (let s = 1; s <= seeds; s++) {
        const a = tinyCnn(s);
        await distill(a, base, kdSet, { epochs: kdEpochs, seed: s, temperature: 4, alpha: 0.9, learningRate: 5e-3 });
        kd.push(await acc(a));
        const b = tinyCnn(s);
        await train(b, kdSet, { epochs: kdEpochs, seed: s, learningRate: 5e-3 });
        labels.push(await acc(b));
        log(`${kdSet.count} images, seed ${s}: soft ${kd.at(-1)} labels ${labels.at(-1)}`);
      }
      const on = `${kdEpochs} ep on ${kdSet.count} images, ${seeds} seeds (mean)`;
      row('distillation student', `soft targets T=4 alpha=0.9, ${on}`, mean(kd), { sd: sd(kd), params: student.countParams(), teacherParams: baseParams, images: kdSet.count, perSeed: kd, vsLabelsPP: pp(mean(kd), mean(labels)) });
      row('distillation student', `labels only, ${on}`, mean(labels), { sd: sd(labels), params: student.countParams(), images: kdSet.count, perSeed: labels });
    }
  }

  if (!skip.has('lottery')) {
    const lotterySet = subset(fullTrain, Math.min(Number(arg(args, 'lottery-limit', quick ? '2000' : '20000')), fullTrain.count));
    const rewindStep = Number(arg(args, 'rewind-step', quick ? '5' : '60'));
    log(`lottery ticket 80% on ${lotterySet.count} images, ${seeds} seeds, rewinding to init and to step ${rewindStep}`);
    const dense: number[] = [];
    const ticket: number[] = [];
    const late: number[] = [];
    const random: number[] = [];
    const lt = { epochs: quick ? 1 : 2, learningRate: 2e-3 };
    for (let s = 1; s <= seeds; s++) {
      const d = lenet5({ seed: 10 + s });
      await train(d, lotterySet, { ...lt, seed: s });
      dense.push(await acc(d));
      const m = lenet5({ seed: 10 + s });
      await lotteryTicket(m, lotterySet, { sparsity: 0.8, train: { ...lt, seed: s }, scope });
      ticket.push(await acc(m));
      const l = lenet5({ seed: 10 + s });
      const r = await lotteryTicket(l, lotterySet, { sparsity: 0.8, rewindStep, train: { ...lt, seed: s }, scope });
      late.push(await acc(l));
      const reinit = lenet5({ seed: 50 + s });
      await fineTuneMasked(reinit, lotterySet, r.masks, { ...lt, seed: s });
      random.push(await acc(reinit));
      log(`seed ${s}: dense ${dense.at(-1)} ticket ${ticket.at(-1)} late-rewound ${late.at(-1)} random ${random.at(-1)}`);
    }
    const vs = (xs: number[]) => ({ sd: sd(xs), vsDensePP: pp(mean(xs), mean(dense)), perSeed: xs });
    row('lottery 80%: dense', `${lt.epochs} ep on ${lotterySet.count}, ${seeds} seeds (mean)`, mean(dense), { sd: sd(dense), perSeed: dense });
    row('lottery 80%: rewound ticket', 'rewind to init, retrain', mean(ticket), vs(ticket));
    row('lottery 80%: rewound ticket', `late rewinding to step ${rewindStep} of ${Math.ceil(lotterySet.count / 64) * lt.epochs}, retrain`, mean(late), vs(late));
    row('lottery 80%: random re-init', 'same mask (late-rewound ticket), new init', mean(random), vs(random));
  }

  if (!skip.has('edge')) {
    log('edge: MobileNet-style vs standard conv (untrained: size, MACs, latency)');
    for (const m of [mobileNetMnist({ seed: 1 }), standardConvMnist({ seed: 1 })]) {
      const lat = await measureLatency(m, { batchSize: 256, runs: quick ? 3 : 10 });
      const s = summarize(m);
      rows.push({ experiment: 'edge design', setting: m.name, accuracy: null, dropPP: null, params: s.totalParams, macs: s.totalMacs, latencyMs: lat.medianMs });
    }
  }
  tf.disposeVariables();
  return {
    rows,
    columns: [
      ['experiment', (r) => r.experiment as string],
      ['setting', (r) => r.setting as string],
      ['acc %', (r) => (typeof r.accuracy === 'number' ? +(100 * r.accuracy).toFixed(2) : null)],
      ['drop pp', (r) => r.dropPP as number],
      ['sd pp', (r) => (typeof r.sd === 'number' ? +(100 * r.sd).toFixed(2) : null)],
      ['params', (r) => (r.params ?? r.denseParams) as number],
      ['sparsity', (r) => r.sparsity as number],
      ['speedup', (r) => r.speedup as number],
      ['bytes d/csr/bm', (r) => (r.denseBytes ? `${r.denseBytes}/${r.csrBytes}/${r.bitmaskBytes}` : null)],
    ],
    notes: [
      `magnitude ranking: ${scope}; backend ${backend} (training kernels: ${kernelsInUse().kernels}); test set ${test.count} images; fine-tuning ${finetune} epoch(s) at lr ${ftLr} (cosine) on ${trainSet.count} images unless stated; distillation on the first ${kdLimits.join(' / ')} training images`,
      'drop pp = baseline accuracy - accuracy, in percentage points',
    ],
    extra: { backend, scope, finetune, pruneEnd, learningRate: ftLr, sweepLimit, seeds, args, fineTuneImages: trainSet.count, distillImages: kdLimits },
  };
}
