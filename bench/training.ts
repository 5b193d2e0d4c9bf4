/**
 * `npm run bench -- training [models...]`: training (batch 64, Adam) and inference (batch 256) throughput of zoo
 * models on the active backend, beside the same architectures in PyTorch (Debian python3-torch) measured in the
 * same run with the same thread count, and the ratio. PyTorch is measured right before and right after each of our
 * measurements (A B A) and averaged, so load from other work on the machine hits both sides alike.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend, kernelsInUse } from '../src/backend';
import { setNativeThreads } from '../src/backend/native';
import { loadMnist } from '../src/data/files';
import { Dataset, subset } from '../src/data/dataset';
import { createModel, ZooName } from '../src/models/zoo';
import { predictLogits, train } from '../src/train/train';
import { trainParallel } from '../src/train/parallel';
import { planTraining } from '../src/train/train-plan';
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
async function measureTfjs(name: ZooName, seconds: number, workers: number, nativeThreads: number, inferThreads: number, batchSize = 64) {
  try {
    return await measureWith(name, seconds, workers, nativeThreads, inferThreads, batchSize);
  } finally {
    setNativeThreads(1);
  }
}

/** Images per second of the library's inference path (predictLogits: the native forward plan where there is one) at batch 256. */
async function inferenceThroughput(model: ReturnType<typeof createModel>, data: Dataset, seconds: number): Promise<number> {
  const batch = subset(data, 256);
  await predictLogits(model, batch, 256);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await predictLogits(model, batch, 256); // one batch of 256, as PyTorch runs it
    n++;
  }
  return (n * 256) / ((performance.now() - start) / 1000);
}

/**
 * Training throughput of one epoch over `steps` batches. Data-parallel runs train two epochs in one call and
 * count the second: the first pays the workers' start-up (threads, backends, first-step kernels), reported
 * apart as `startSeconds`, as PyTorch's process start and warm-up are not in its number either.
 */
async function trainThroughput(model: ReturnType<typeof createModel>, data: Dataset, workers: number, batchSize: number): Promise<{ imgPerSec: number; startSeconds: number | null }> {
  if (workers === 1) return { imgPerSec: (await train(model, data, { epochs: 1, batchSize })).imagesPerSecond, startSeconds: null };
  const r = await trainParallel(model, data, { epochs: 2, batchSize, workers });
  const [first, second] = r.epochs;
  return { imgPerSec: data.count / second.seconds, startSeconds: r.seconds - first.seconds - second.seconds };
}

async function measureWith(name: ZooName, seconds: number, workers: number, nativeThreads: number, inferThreads: number, batchSize = 64) {
  setNativeThreads(nativeThreads);
  const data = loadMnist({ split: 'train', limit: batchSize * 400 });
  const model = createModel(name, { seed: 0 });
  await trainThroughput(model, subset(data, batchSize * 3), 1, batchSize); // warm-up: kernels compiled, memory grown
  // Estimate a step count that fills `seconds`, then time one epoch over exactly that many batches.
  const probe = await trainThroughput(model, subset(data, batchSize * 5), workers, batchSize);
  const steps = Math.max(5, Math.min(400, Math.round((seconds * probe.imgPerSec) / batchSize)));
  const timed = await trainThroughput(model, subset(data, batchSize * steps), workers, batchSize);
  setNativeThreads(inferThreads);
  const infer = await inferenceThroughput(model, data, seconds);
  // which way train() (and each data-parallel worker) ran the steps: the native training plan, or tfjs's tape
  const trainPath = planTraining(model, batchSize, { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }) ? 'plan' : 'tape';
  return { trainImgPerSec: timed.imgPerSec, startSeconds: timed.startSeconds, inferImgPerSec: infer, steps, trainPath };
}

/** Intra-op scaling at batch 256 (the issue's measure): one process, 1 then `threads` native threads, training and inference. */
async function scalingAt256(name: ZooName, seconds: number, threads: number) {
  const one = await measureTfjs(name, seconds, 1, 1, 1, 256);
  const many = await measureTfjs(name, seconds, 1, threads, threads, 256);
  return {
    model: name,
    batch: 256,
    threads,
    train: { oneThread: one.trainImgPerSec, threads: many.trainImgPerSec, scaling: many.trainImgPerSec / one.trainImgPerSec },
    infer: { oneThread: one.inferImgPerSec, threads: many.inferImgPerSec, scaling: many.inferImgPerSec / one.inferImgPerSec },
  };
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
      trainPath: ours.trainPath,
      startSeconds: ours.startSeconds,
      inferImgPerSec: ours.inferImgPerSec,
      pytorch: pt,
      ratioVsPytorch: pt ? { train: ours.trainImgPerSec / pt.trainImgPerSec, infer: ours.inferImgPerSec / pt.inferImgPerSec } : null,
    });
  }
  // The issue's two-core measure: mnistCnn at batch 256, one process, 1 vs all threads (training and inference).
  const scaling = kernels === 'native' && cores > 1 && models.includes('mnistCnn') ? [await scalingAt256('mnistCnn', seconds, cores)] : [];
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
      ['train path', (r) => (r as Row).trainPath],
      ['train img/s', (r) => (r as Row).trainImgPerSec],
      ['pytorch train', (r) => (r as Row).pytorch?.trainImgPerSec],
      ['train ratio', (r) => (r as Row).ratioVsPytorch?.train],
      ['workers start s', (r) => (r as Row).startSeconds],
      ['infer threads', (r) => (r as Row).inferThreads],
      ['infer img/s', (r) => (r as Row).inferImgPerSec],
      ['pytorch infer', (r) => (r as Row).pytorch?.inferImgPerSec],
      ['infer ratio', (r) => (r as Row).ratioVsPytorch?.infer],
    ],
    notes: [
      `training: batch 64, Adam, softmax cross-entropy, one epoch over shuffled batches on both sides (ours: MNIST images; PyTorch: a pool of as many random images of the same shape, reshuffled each pass); inference: batch 256 in one process, on ${kernels === 'native' || backend === 'tensorflow' ? "the row's total thread count (native kernels) on both sides" : 'one thread for ours (tfjs-wasm has no threads here) and the row\'s thread count for PyTorch'}; ${seconds} s per measurement`,
      `workers > 1: data-parallel training (trainParallel), the second epoch of a two-epoch call (the first pays the workers' start-up, given as start s); threads/worker > 1: one process, multi-threaded native kernels; both against PyTorch with the same total number of threads`,
      `train path: 'plan' is the native training plan (src/backend/native-train.ts: the whole Adam step as native calls, no tape), 'tape' is tfjs's gradient tape on the backend's kernels`,
      `inference: the library's path (predictLogits: the native forward plan where the addon is loaded, else model.predict)`,
      ...scaling.map((r) => `two-core scaling, ${r.model} batch ${r.batch}, one process: training ${r.train.scaling.toFixed(2)}x (${r.train.oneThread.toFixed(0)} -> ${r.train.threads.toFixed(0)} img/s), inference ${r.infer.scaling.toFixed(2)}x (${r.infer.oneThread.toFixed(0)} -> ${r.infer.threads.toFixed(0)} img/s), 1 -> ${r.threads} threads`),
      torch
        ? `PyTorch (Debian python3-torch) measured right before and after ours (mean of both), torch.set_num_threads(threads) and OMP_NUM_THREADS=threads; its dense layers use the system BLAS ${systemBlas()}`
        : 'PyTorch (Debian python3-torch) not installed: no reference column',
      kernels === 'native'
        ? `kernels: optilab's native addon (${native.version}) on the wasm backend; threads = workers x threads/worker (OpenMP inside the native kernels)`
        : `kernels: ${kernels}${backend === 'wasm' ? ` (native addon: ${native.detail})` : ''}`,
    ],
    extra: { native, scaling },
  };
}
