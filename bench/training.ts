/**
 * `npm run bench -- training [models...]`: training (batch 64, Adam) and inference (batch 256) throughput of zoo
 * models on the active backend, beside the same architectures in PyTorch (Debian python3-torch) measured in the
 * same run with the same thread count, and the ratio.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend';
import { loadMnist } from '../src/data/files';
import { imagesTensor, subset } from '../src/data/dataset';
import { createModel, ZooName } from '../src/models/zoo';
import { train } from '../src/train/train';
import type { BenchReport } from './harness';

const PYTHON = '/usr/bin/python3';

interface PytorchResult {
  model: string;
  threads: number;
  torch: string;
  trainImgPerSec: number;
  inferImgPerSec: number;
}

function pytorchAvailable(): boolean {
  return fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

async function measureTfjs(name: ZooName, seconds: number) {
  const data = loadMnist({ split: 'train', limit: 64 * 400 });
  const model = createModel(name, { seed: 0 });
  await train(model, subset(data, 64 * 3), { epochs: 1, batchSize: 64 }); // warm-up: kernels compiled, memory grown
  // Estimate a step count that fills `seconds`, then time one epoch over exactly that many batches.
  const probe = await train(model, subset(data, 64 * 5), { epochs: 1, batchSize: 64 });
  const steps = Math.max(5, Math.min(400, Math.round((seconds * probe.imagesPerSecond) / 64)));
  const timed = await train(model, subset(data, 64 * steps), { epochs: 1, batchSize: 64 });
  const batch = imagesTensor(data, 0, 256);
  tf.tidy(() => model.predict(batch));
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const y = tf.tidy(() => model.predict(batch) as tf.Tensor);
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
  const models = (args.length ? args : ['lenet5', 'mnistCnn', 'cnnSmall']) as ZooName[];
  const seconds = quick ? 2 : 10;
  const backend = await initBackend();
  // tfjs-wasm runs single-threaded in Node; tfjs-node uses its own thread pool (all cores).
  const threads = backend === 'tensorflow' ? (await import('os')).cpus().length : 1;
  const torch = pytorchAvailable();
  const torchResults = new Map<string, PytorchResult>();
  if (torch) {
    const r = spawnSync(PYTHON, [path.join(__dirname, 'pytorch_training.py'), String(threads), String(seconds), ...models], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the PyTorch reference failed: ${r.stderr}`);
    for (const line of r.stdout.trim().split('\n')) {
      const p = JSON.parse(line) as PytorchResult;
      torchResults.set(p.model, p);
    }
  }
  const rows = [];
  for (const model of models) {
    process.stderr.write(`measuring ${model} on ${backend}...\n`);
    const ours = await measureTfjs(model, seconds);
    const pt = torchResults.get(model) ?? null;
    rows.push({
      model,
      backend,
      threads,
      trainImgPerSec: ours.trainImgPerSec,
      inferImgPerSec: ours.inferImgPerSec,
      pytorch: pt ? { trainImgPerSec: pt.trainImgPerSec, inferImgPerSec: pt.inferImgPerSec, threads: pt.threads, version: pt.torch } : null,
      ratioVsPytorch: pt ? { train: ours.trainImgPerSec / pt.trainImgPerSec, infer: ours.inferImgPerSec / pt.inferImgPerSec } : null,
    });
  }
  type Row = (typeof rows)[number];
  return {
    rows,
    columns: [
      ['model', (r) => (r as Row).model],
      ['backend', (r) => (r as Row).backend],
      ['threads', (r) => (r as Row).threads],
      ['train img/s', (r) => (r as Row).trainImgPerSec],
      ['pytorch train', (r) => (r as Row).pytorch?.trainImgPerSec],
      ['train ratio', (r) => (r as Row).ratioVsPytorch?.train],
      ['infer img/s', (r) => (r as Row).inferImgPerSec],
      ['pytorch infer', (r) => (r as Row).pytorch?.inferImgPerSec],
      ['infer ratio', (r) => (r as Row).ratioVsPytorch?.infer],
    ],
    notes: [
      `training: batch 64, Adam, softmax cross-entropy; inference: batch 256; ${seconds} s per measurement`,
      torch ? `PyTorch measured in the same run with torch.set_num_threads(${threads})` : 'PyTorch (Debian python3-torch) not installed: no reference column',
    ],
  };
}
