/**
 * `npm run bench -- inference [models...]`: forward-pass throughput of zoo models at batch 1 and 256, on 1 and
 * 2 threads, beside the same architectures in PyTorch (Debian python3-torch, eval mode, no_grad) measured right
 * before and after ours (A B A, averaged) with the same thread count, and the ratio. Also how much of our time
 * is spent inside kernels (tf.profile's kernel times) and how much around them (layers, dispatch, allocation).
 * "Ours" is the library's inference path, what predictLogits and evaluate run: the native forward plan
 * (src/backend/native-forward.ts) where it covers the model, model.predict otherwise; model.predict is
 * measured beside it in every row. Each row also measures the integer-only int8 path (runIntegerModel on a
 * calibrated 8-bit plan of the same model: src/quantize/integer-plan.ts's native plan) right after the fp32 plan,
 * with the same images, batch and threads, and the ratio int8 / fp32 plan.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, kernelsInUse } from '../src/backend';
import { setNativeThreads } from '../src/backend/native';
import { createModel, ZooName } from '../src/models/zoo';
import { planForward } from '../src/train/forward-plan';
import { loadMnist } from '../src/data/files';
import type { Dataset } from '../src/data/dataset';
import { buildIntegerModel, buildPtqPlan, integerPathInUse, runIntegerModel, type IntegerModel } from '../src/quantize';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BenchReport } from './harness';

const PYTHON = '/usr/bin/python3';
const BATCHES = [1, 256];

interface Measured {
  imgPerSec: number;
  /** Share of the wall time spent in kernels, from one profiled forward pass. */
  kernelShare: number;
}

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

function pytorch(model: string, threads: number, seconds: number): Map<number, number> {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(PYTHON, [path.join(__dirname, 'pytorch_inference.py'), String(threads), String(seconds), BATCHES.join(','), model], { encoding: 'utf8', env, cwd: __dirname });
  if (r.status !== 0) throw new Error(`the PyTorch reference failed: ${r.stderr}`);
  const out = new Map<number, number>();
  for (const line of r.stdout.trim().split('\n')) {
    const j = JSON.parse(line) as { batch: number; imgPerSec: number };
    out.set(j.batch, j.imgPerSec);
  }
  return out;
}

/** Images per second of `forward` (one batch per call) over `seconds`, after 3 warm-up calls; a synchronous `forward` is not awaited. */
async function throughput(forward: () => unknown, batch: number, seconds: number): Promise<number> {
  const call = async () => {
    const r = forward();
    if (r instanceof Promise) await r;
  };
  for (let i = 0; i < 3; i++) await call();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const r = forward();
    if (r instanceof Promise) await r;
    n++;
  }
  return (n * batch) / ((performance.now() - start) / 1000);
}

async function ours(model: LayersModel, batch: number, seconds: number): Promise<Measured> {
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 3);
  const forward = async () => {
    const y = model.predict(x, { batchSize: batch }) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  const imgPerSec = await throughput(forward, batch, seconds);
  const t0 = performance.now();
  const profile = await tf.profile(forward);
  const wall = performance.now() - t0;
  // only the kernels the forward pass ran directly (ops report their kernels' time again under their own name)
  const kernelMs = profile.kernels.filter((k) => !k.name.endsWith('__op')).reduce((s, k) => s + Number(k.kernelTimeMs), 0);
  x.dispose();
  return { imgPerSec, kernelShare: Math.min(1, kernelMs / wall) };
}

/** Throughput of the native forward plan (what evaluate runs), or null when there is none for the model. */
async function planned(model: LayersModel, batch: number, seconds: number): Promise<number | null> {
  const plan = planForward(model);
  if (!plan) return null;
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 3);
  const images = x.dataSync() as Float32Array;
  x.dispose();
  // the output copied out of the plan's buffer, as a caller that keeps it would (PyTorch returns a new tensor)
  return throughput(() => plan.run(images, batch).slice(), batch, seconds);
}

/** Throughput of the integer-only path on the plan's images (runIntegerModel, one batch per call), with the path it took. */
async function integer(im: IntegerModel, batch: number, seconds: number): Promise<{ imgPerSec: number; path: string }> {
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 3);
  const data: Dataset = { name: 'random', split: 'test', count: batch, height: 28, width: 28, numClasses: 10, images: x.dataSync() as Float32Array, labels: new Uint8Array(batch), source: 'bench' };
  x.dispose();
  const imgPerSec = await throughput(() => runIntegerModel(im, data, batch), batch, seconds);
  const { path, refusal } = integerPathInUse();
  return { imgPerSec, path: refusal ? `${path} (${refusal})` : path };
}

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const models = args.filter((a) => !a.startsWith('--')) as ZooName[];
  if (!models.length) models.push('lenet5', 'mnistCnn', 'cnnSmall');
  const seconds = quick ? 1 : 5;
  const backend = await initBackend();
  const { kernels, native } = kernelsInUse();
  const threadCounts = kernels === 'native' ? [...new Set([1, Math.min(2, os.cpus().length)])] : [1];
  const torch = torchAvailable();
  const rows = [];
  const calibration = loadMnist({ split: 'train', limit: 200 });
  for (const name of models) {
    const model = createModel(name, { seed: 0 });
    const im = buildIntegerModel(await buildPtqPlan(model, { bits: 8 }, calibration, { limit: 200 }));
    for (const threads of threadCounts) {
      process.stderr.write(`measuring ${name} on ${threads} thread(s): PyTorch, ${backend}/${kernels}, PyTorch...\n`);
      const before = torch ? pytorch(name, threads, seconds) : null;
      setNativeThreads(threads);
      const mine = new Map<number, Measured>();
      const plans = new Map<number, number | null>();
      const int8 = new Map<number, { imgPerSec: number; path: string }>();
      try {
        for (const batch of BATCHES) {
          mine.set(batch, await ours(model, batch, seconds));
          plans.set(batch, await planned(model, batch, seconds));
          int8.set(batch, await integer(im, batch, seconds));
        }
      } finally {
        setNativeThreads(1);
      }
      const after = torch ? pytorch(name, threads, seconds) : null;
      for (const batch of BATCHES) {
        const m = mine.get(batch)!;
        const pt = before && after ? (before.get(batch)! + after.get(batch)!) / 2 : null;
        const plan = plans.get(batch) ?? null;
        const imgPerSec = plan ?? m.imgPerSec;
        rows.push({
          model: name, backend, kernels, threads, batch, path: plan ? 'plan' : 'predict', imgPerSec, planImgPerSec: plan, predictImgPerSec: m.imgPerSec,
          predictKernelShare: m.kernelShare, planVsPredict: plan ? plan / m.imgPerSec : null, pytorchImgPerSec: pt, ratioVsPytorch: pt ? imgPerSec / pt : null,
          int8ImgPerSec: int8.get(batch)!.imgPerSec, int8VsFp32: int8.get(batch)!.imgPerSec / imgPerSec, int8Path: int8.get(batch)!.path,
        });
      }
    }
    model.dispose();
  }
  return {
    rows,
    notes: [
      `forward passes of one batch, ${seconds} s per measurement; imgPerSec: the library's inference path (path 'plan': the native forward plan that predictLogits/evaluate run, output copied out; 'predict': model.predict with batchSize = the batch), ratioVsPytorch from it; predictImgPerSec: model.predict in the same row; predictKernelShare: kernel time / wall time of one profiled model.predict`,
      torch ? 'PyTorch (Debian python3-torch, eval mode, no_grad) measured right before and after ours, mean of both, torch.set_num_threads(threads) and OMP_NUM_THREADS=threads' : 'PyTorch (Debian python3-torch) not installed: no reference column',
      `int8ImgPerSec: the integer-only path (runIntegerModel, batchSize = the batch, float images in, int8 logits dequantized out) on an 8-bit per-channel plan calibrated on 200 training images, measured right after the fp32 plan with the same images and threads; int8VsFp32 = int8ImgPerSec / imgPerSec; int8Path: 'plan' (the native integer plan) or why not`,
      kernels === 'native' ? `kernels: optilab's native addon (${native.version}); threads = OpenMP threads inside the native kernels` : `kernels: ${kernels}`,
    ],
    extra: { native },
  };
}
