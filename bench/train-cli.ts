/**
 * `npm run bench -- train-cli [--epochs 3] [--wasm]`: what a student sees from `optilab train --model lenet5
 * --epochs 3` (the compiled CLI in a child process, full MNIST): test accuracy on the 10,000 test images,
 * training seconds, seconds per epoch and wall time. `--wasm` adds the same run with OPTILAB_NATIVE=0 (plain
 * wasm kernels, several minutes). The README's training numbers are this file's rows.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchFlag, type BenchReport } from './harness';

interface Metrics { backend: string; trainSeconds: number; epochs: { seconds: number }[]; test: { accuracy: number; count: number } }

function runTrain(epochs: number, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-train-cli-'));
  try {
    const cli = path.join(__dirname, '..', 'src', 'dist', 'cli', 'main.js');
    const start = performance.now();
    const r = spawnSync(process.execPath, [cli, 'train', '--model', 'lenet5', '--epochs', String(epochs), '--out', out], { encoding: 'utf8', env });
    const wallSeconds = (performance.now() - start) / 1000;
    if (r.status !== 0) throw new Error(`optilab train failed (status ${r.status}): ${r.stderr.trim().split('\n').pop()}`);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Metrics;
    const perEpoch = m.epochs.map((e) => e.seconds);
    return {
      kernels: env.OPTILAB_NATIVE === '0' ? 'wasm (OPTILAB_NATIVE=0)' : 'native',
      backend: m.backend,
      epochs,
      testAccuracy: m.test.accuracy,
      testImages: m.test.count,
      trainSeconds: m.trainSeconds,
      epochSecondsMin: Math.min(...perEpoch),
      epochSecondsMax: Math.max(...perEpoch),
      wallSeconds,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<BenchReport> {
  const epochs = Number(benchFlag(args, 'epochs', '3'));
  const rows = [runTrain(epochs, { ...process.env })];
  if (args.includes('--wasm')) rows.push(runTrain(epochs, { ...process.env, OPTILAB_NATIVE: '0' }));
  return {
    rows,
    notes: [`optilab train --model lenet5 --epochs ${epochs} (batch 64, Adam, cosine schedule, seed 0) on all 60,000 training images; wall time includes starting Node and loading MNIST; load average ${os.loadavg()[0].toFixed(1)} at the end`],
  };
}
