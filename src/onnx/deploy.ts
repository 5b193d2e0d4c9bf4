/**
 * Deployment measurements of ONNX models under onnxruntime-node with a fixed thread count: file size, load
 * time, latency p50 / p99 at batch 1, throughput at a large batch, peak memory, and (optionally) accuracy.
 * Each model is measured in its own child process, so peak memory (max RSS) belongs to that model alone.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadMnist } from '../data/files';
import { subset } from '../data/dataset';
import { readOnnxFile } from './import';
import { createSession, imagesOrtTensor, inputLayout, runOnnx } from './runtime';
import { argmaxRows } from '../train/train';

/** Options of `deployBench`. */
export interface DeployBenchOptions {
  /** Intra-op threads of ONNX Runtime; default 1. */
  threads?: number;
  /** Timed batch-1 runs (after 20 warm-up runs); default 300. */
  runs?: number;
  /** Batch size of the throughput measurement; default 256. */
  batch?: number;
  /** Timed throughput batches; default 10. */
  batchRuns?: number;
  /** Also measure top-1 accuracy on the first `accuracy` MNIST test images (0 = skip, the default). */
  accuracy?: number;
}

/** One model's measurements. */
export interface DeployStats {
  model: string;
  file: string;
  fileBytes: number;
  threads: number;
  loadMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  throughputImagesPerS: number;
  batch: number;
  /** Peak resident memory of the measuring process (Node + ONNX Runtime + model), MiB. */
  peakRssMiB: number;
  /** Peak RSS minus the RSS before the model was loaded, MiB. */
  modelRssMiB: number;
  accuracy?: number;
  accuracyImages?: number;
}

/**
 * Peak resident memory of this process in bytes: VmHWM from /proc/self/status on Linux (the high-water mark of
 * this process image only; getrusage's maxrss also counts the parent's memory at fork time), else maxRSS.
 */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Measures one model in the current process (use `deployBench` for a per-model peak memory).
 *
 * @example
 * const stats = await measureOnnxModel('mnistCnn.int8.onnx', { threads: 1, runs: 200 });
 */
export async function measureOnnxModel(file: string, opts: DeployBenchOptions = {}): Promise<DeployStats> {
  const threads = opts.threads ?? 1;
  const runs = opts.runs ?? 300;
  const batch = opts.batch ?? 256;
  const batchRuns = opts.batchRuns ?? 10;
  for (const [k, v] of Object.entries({ threads, runs, batch, batchRuns })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive whole number, got ${v}`);
  }
  const layout = inputLayout(readOnnxFile(file));
  const data = await loadMnist({ split: 'test', limit: Math.max(batch, 64) });
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const session = await createSession(file, { threads });
  const loadMs = performance.now() - t0;
  const input = session.inputNames[0];
  const singles = Array.from({ length: 64 }, (_, i) => imagesOrtTensor(data, i, 1, layout));
  for (let i = 0; i < 20; i++) await session.run({ [input]: singles[i % 64] });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    await session.run({ [input]: singles[i % 64] });
    times.push(performance.now() - a);
  }
  times.sort((x, y) => x - y);
  const big = imagesOrtTensor(data, 0, batch, layout);
  await session.run({ [input]: big });
  const b0 = performance.now();
  for (let i = 0; i < batchRuns; i++) await session.run({ [input]: big });
  const throughput = (batch * batchRuns) / ((performance.now() - b0) / 1000);
  const stats: DeployStats = {
    model: path.basename(file).replace(/\.onnx$/, ''),
    file,
    fileBytes: fs.statSync(file).size,
    threads,
    loadMs,
    latencyP50Ms: quantile(times, 0.5),
    latencyP99Ms: quantile(times, 0.99),
    throughputImagesPerS: throughput,
    batch,
    peakRssMiB: peakRssBytes() / 2 ** 20,
    modelRssMiB: Math.max(0, peakRssBytes() - rssBefore) / 2 ** 20,
  };
  if (opts.accuracy) {
    const test = subset(await loadMnist({ split: 'test' }), Math.min(opts.accuracy, 10000));
    const pred = argmaxRows(await runOnnx(session, test, { layout }), test.numClasses);
    let ok = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === test.labels[i]) ok++;
    stats.accuracy = ok / pred.length;
    stats.accuracyImages = pred.length;
  }
  await session.release();
  return stats;
}

/** Runs `measureOnnxModel` in a fresh Node process and returns its result. */
function measureInChild(file: string, opts: DeployBenchOptions): Promise<DeployStats> {
  const ts = __filename.endsWith('.ts');
  const child = path.join(__dirname, `deploy-child${ts ? '.ts' : '.js'}`);
  const args = [...(ts ? ['--import', 'tsx'] : []), child, JSON.stringify({ file, opts })];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(opts.threads ?? 1) } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) {
        const r = JSON.parse(line) as { ok: true; stats: DeployStats } | { ok: false; error: string };
        if (r.ok) resolve(r.stats);
        else reject(new Error(r.error));
      } else reject(new Error(`measuring ${file} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

/**
 * Measures several ONNX models one after another, each in its own process (so peak memory is per model),
 * with the same thread count; returns one row per model. `onProgress`, if given, is called after each model
 * is measured, with the models done so far, their total and that model's row.
 *
 * @example
 * const rows = await deployBench(['mnistCnn.onnx', 'mnistCnn.int8.onnx'], { threads: 1 });
 * console.log(formatDeployTable(rows));
 */
export async function deployBench(files: string[], opts: DeployBenchOptions = {}, onProgress?: (done: number, total: number, stats: DeployStats) => void): Promise<DeployStats[]> {
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`${f} does not exist: pass paths of .onnx files`);
  const out: DeployStats[] = [];
  for (const f of files) {
    out.push(await measureInChild(f, opts));
    onProgress?.(out.length, files.length, out[out.length - 1]);
  }
  return out;
}

/**
 * A side-by-side text table of deployment measurements (ratios against the first row).
 *
 * @example
 * console.log(formatDeployTable(await deployBench(files)));
 */
export function formatDeployTable(rows: DeployStats[]): string {
  const base = rows[0];
  const head = ['model', 'size KiB', 'x smaller', 'load ms', 'p50 ms', 'p99 ms', 'x faster', `img/s @${base?.batch ?? 256}`, 'peak MiB', 'threads', ...(rows.some((r) => r.accuracy !== undefined) ? ['accuracy'] : [])];
  const body = rows.map((r) => [
    r.model,
    (r.fileBytes / 1024).toFixed(1),
    (base.fileBytes / r.fileBytes).toFixed(2),
    r.loadMs.toFixed(1),
    r.latencyP50Ms.toFixed(3),
    r.latencyP99Ms.toFixed(3),
    (base.latencyP50Ms / r.latencyP50Ms).toFixed(2),
    r.throughputImagesPerS.toFixed(0),
    r.peakRssMiB.toFixed(1),
    String(r.threads),
    ...(r.accuracy !== undefined ? [`${(100 * r.accuracy).toFixed(2)}%`] : rows.some((x) => x.accuracy !== undefined) ? ['-'] : []),
  ]);
  const table = [head, ...body];
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
