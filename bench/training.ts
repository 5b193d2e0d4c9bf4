/**
 * `npm run bench -- training [models...]`: training (batch 64, Adam) and inference (batch 256) throughput of zoo
 * models on the active backend, beside the same architectures in PyTorch (Debian python3-torch) measured in the
 * same run with the same thread count, and the ratio. PyTorch is measured right before and right after each of our
 * measurements (A B A) and averaged, so load from other work on the machine hits both sides alike.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, kernelsInUse } from '../src/backend';
import { setNativeThreads } from '../src/backend/native';
import { loadMnist } from '../src/data/files';
import { imagesTensor, subset } from '../src/data/dataset';
import { createModel, ZooName } from '../src/models/zoo';
import { train } from '../src/train/train';
import { trainParallel } from '../src/train/parallel';
import type { BenchReport } from './harness';

const PYTHON = '/usr/bin/python3';

interface PytorchResult {
  model: string;
  threads: number;
  torch: string;
  trainImgPerSec: number;
  inferImgPerSec: number;
}

/**
 * Which library provides libblas.so.3 (PyTorch's dense layers run on it: Debian's reference BLAS is several
 * times slower than OpenBLAS, which scripts/setup.d/70-bench.apt installs so the baseline is a fair one).
 */
function systemBlas(): string {
  try {
    const lib = fs.realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3');
    return lib.includes('openblas') ? `(OpenBLAS: ${lib})` : `(${lib}: the reference BLAS, slow: install libopenblas0-pthread)`;
  } catch {
    return '(libblas.so.3 not found)';
  }
}

function pytorchAvailable(): boolean {
  return fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

/**
 * Our side of one row: training with `workers` data-parallel workers of `nativeThreads` native threads each, then
 * inference in this process on `inferThreads` native threads (the row's total, as PyTorch gets).
 */
async function measureTfjs(name: ZooName, seconds: number, workers: number, nativeThreads: number, inferThreads: number) {
  try {
    return await measureWith(name, seconds, workers, nativeThreads, inferThreads);
  } finally {
    setNativeThreads(1);
  }
}

async function measureWith(name: ZooName, seconds: number, workers: number, nativeThreads: number, inferThreads: number) {
  setNativeThreads(nativeThreads);
  const data = loadMnist({ split: 'train', limit: 64 * 400 });
  const model = createModel(name, { seed: 0 });
  const fit = (d: typeof data) => (workers > 1 ? trainParallel(model, d, { epochs: 1, batchSize: 64, workers }) : train(model, d, { epochs: 1, batchSize: 64 }));
  await fit(subset(data, 64 * 3)); // warm-up: kernels compiled, memory grown
  // Estimate a step count that fills `seconds`, then time one epoch over exactly that many batches.
  const probe = await fit(subset(data, 64 * 5));
  const steps = Math.max(5, Math.min(400, Math.round((seconds * probe.imagesPerSecond) / 64)));
  const timed = await fit(subset(data, 64 * steps));
  setNativeThreads(inferThreads);
  const batch = imagesTensor(data, 0, 256);
  tf.tidy(() => model.predict(batch, { batchSize: 256 }));
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const y = tf.tidy(() => model.predict(batch, { batchSize: 256 }) as tf.Tensor); // one batch of 256, as PyTorch runs it
    await y.data();
    y.dispose();
    n++;
  }
  const infer = (n * 256) / ((performance.now() - start) / 1000);
  batch.dispose();
  return { trainImgPerSec: timed.imagesPerSecond, inferImgPerSec: infer, steps };
}

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const workerArg = args.find((a) => a.startsWith('--workers='));
  const models = args.filter((a) => !a.startsWith('--')) as ZooName[];
  if (!models.length) models.push('lenet5', 'mnistCnn', 'cnnSmall');
  const seconds = quick ? 2 : 10;
  const backend = await initBackend();
  const cores = (await import('os')).cpus().length;
  // tfjs-wasm runs single-threaded in Node, so each extra core is used by one more data-parallel worker;
  // tfjs-node uses its own thread pool (all cores) in one process.
  const { kernels, native } = kernelsInUse();
  // With the native addon, one process can also use every core inside its kernels (OpenMP), instead of workers.
  const settings: { threads: number; workers: number; nativeThreads: number }[] =
    backend === 'tensorflow' ? [{ threads: cores, workers: 1, nativeThreads: 1 }] : [{ threads: 1, workers: 1, nativeThreads: 1 }];
  const extraWorkers = workerArg ? Number(workerArg.split('=')[1]) : cores;
  if (backend !== 'tensorflow' && extraWorkers > 1) {
    settings.push({ threads: extraWorkers, workers: extraWorkers, nativeThreads: 1 });
    if (kernels === 'native') settings.push({ threads: extraWorkers, workers: 1, nativeThreads: extraWorkers });
  }
  const torch = pytorchAvailable();
  const pytorch = (model: string, threads: number): PytorchResult | null => {
    if (!torch) return null;
    // OpenMP (oneDNN) and any BLAS thread pool pinned to the same count as torch.set_num_threads.
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const r = spawnSync(PYTHON, [path.join(__dirname, 'pytorch_training.py'), String(threads), String(seconds), model], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`the PyTorch reference failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as PytorchResult;
  };
  const mean = (a: number, b: number) => (a + b) / 2;
  const rows = [];
  for (const model of models) for (const { threads, workers, nativeThreads } of settings) {
    process.stderr.write(`measuring ${model}: PyTorch, ${backend}/${kernels} (${workers} worker${workers > 1 ? 's' : ''} x ${nativeThreads} thread${nativeThreads > 1 ? 's' : ''}), PyTorch...\n`);
    const before = pytorch(model, threads);
    // Inference runs in one process; with the native addon its kernels use every thread of the row, like PyTorch.
    const inferThreads = kernels === 'native' || backend === 'tensorflow' ? threads : 1;
    const ours = await measureTfjs(model, seconds, workers, nativeThreads, inferThreads);
    const after = pytorch(model, threads);
    const pt =
      before && after
        ? { trainImgPerSec: mean(before.trainImgPerSec, after.trainImgPerSec), inferImgPerSec: mean(before.inferImgPerSec, after.inferImgPerSec), threads: before.threads, version: before.torch, trainRuns: [before.trainImgPerSec, after.trainImgPerSec] }
        : null;
    rows.push({
      model,
      backend,
      kernels,
      threads,
      workers,
      nativeThreadsPerWorker: kernels === 'native' ? nativeThreads : null,
      inferThreads,
      trainImgPerSec: ours.trainImgPerSec,
      inferImgPerSec: ours.inferImgPerSec,
      pytorch: pt,
      ratioVsPytorch: pt ? { train: ours.trainImgPerSec / pt.trainImgPerSec, infer: ours.inferImgPerSec / pt.inferImgPerSec } : null,
    });
  }
  type Row = (typeof rows)[number];
  return {
    rows,
    columns: [
      ['model', (r) => (r as Row).model],
      ['backend', (r) => (r as Row).backend],
      ['kernels', (r) => (r as Row).kernels],
      ['threads', (r) => (r as Row).threads],
      ['workers', (r) => (r as Row).workers],
      ['threads/worker', (r) => (r as Row).nativeThreadsPerWorker],
      ['train img/s', (r) => (r as Row).trainImgPerSec],
      ['pytorch train', (r) => (r as Row).pytorch?.trainImgPerSec],
      ['train ratio', (r) => (r as Row).ratioVsPytorch?.train],
      ['infer threads', (r) => (r as Row).inferThreads],
      ['infer img/s', (r) => (r as Row).inferImgPerSec],
      ['pytorch infer', (r) => (r as Row).pytorch?.inferImgPerSec],
      ['infer ratio', (r) => (r as Row).ratioVsPytorch?.infer],
    ],
    notes: [
      `training: batch 64, Adam, softmax cross-entropy, one epoch over shuffled batches on both sides (ours: MNIST images; PyTorch: a pool of as many random images of the same shape, reshuffled each pass); inference: batch 256 in one process, on ${kernels === 'native' || backend === 'tensorflow' ? "the row's total thread count (native kernels) on both sides" : 'one thread for ours (tfjs-wasm has no threads here) and the row\'s thread count for PyTorch'}; ${seconds} s per measurement`,
      `workers > 1: data-parallel training (trainParallel); threads/worker > 1: one process, multi-threaded native kernels; both against PyTorch with the same total number of threads`,
      torch
        ? `PyTorch (Debian python3-torch) measured right before and after ours (mean of both), torch.set_num_threads(threads) and OMP_NUM_THREADS=threads; its dense layers use the system BLAS ${systemBlas()}`
        : 'PyTorch (Debian python3-torch) not installed: no reference column',
      kernels === 'native'
        ? `kernels: optilab's native addon (${native.version}) on the wasm backend; threads = workers x threads/worker (OpenMP inside the native kernels)`
        : `kernels: ${kernels}${backend === 'wasm' ? ` (native addon: ${native.detail})` : ''}`,
    ],
    extra: { native },
  };
}
