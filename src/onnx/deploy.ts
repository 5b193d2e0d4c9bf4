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
import { createSession, onnxRuntimeNode } from './runtime';
import { inputLayout } from './session-run';
import { DeployBenchOptions, deployOptions, DeployStats, sessionAccuracy, timeSession } from './measure';

export type { DeployBenchOptions, DeployStats } from './measure';
export { formatDeployTable } from './measure';

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

/**
 * Measures one model in the current process (use `deployBench` for a per-model peak memory).
 *
 * @example
 * const stats = await measureOnnxModel('mnistCnn.int8.onnx', { threads: 1, runs: 200 });
 */
export async function measureOnnxModel(file: string, opts: DeployBenchOptions = {}): Promise<DeployStats> {
  const o = deployOptions(opts);
  const layout = inputLayout(readOnnxFile(file));
  const data = await loadMnist({ split: 'test', limit: Math.max(o.batch, 64) });
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const session = await createSession(file, { threads: o.threads });
  const loadMs = performance.now() - t0;
  const timings = await timeSession(session, onnxRuntimeNode().Tensor, data, layout, o);
  const stats: DeployStats = {
    model: path.basename(file).replace(/\.onnx$/, ''),
    file,
    fileBytes: fs.statSync(file).size,
    threads: o.threads,
    loadMs,
    ...timings,
    peakRssMiB: peakRssBytes() / 2 ** 20,
    modelRssMiB: Math.max(0, peakRssBytes() - rssBefore) / 2 ** 20,
  };
  if (opts.accuracy) Object.assign(stats, await sessionAccuracy(session, onnxRuntimeNode().Tensor, subset(await loadMnist({ split: 'test' }), Math.min(opts.accuracy, 10000)), layout));
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

