/**
 * Deployment measurements of an ONNX Runtime session (isomorphic): batch-1 latency percentiles, batched
 * throughput and top-1 accuracy, and the side-by-side table of several models. ./deploy measures files in Node
 * (with the process's peak memory, one process per model); the course site measures with onnxruntime-web.
 */
import type { Dataset } from '../data/dataset';
import { argmaxRows } from '../train/train';
import { imagesOrtInput, InputLayout, OrtSessionLike, OrtTensorClass, runSession } from './session-run';

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
  /** Peak resident memory of the measuring process (Node + ONNX Runtime + model), MiB; NaN where not measured (a browser). */
  peakRssMiB: number;
  /** Peak RSS minus the RSS before the model was loaded, MiB. */
  modelRssMiB: number;
  accuracy?: number;
  accuracyImages?: number;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** The options with their defaults, each checked to be a positive whole number. */
export function deployOptions(opts: DeployBenchOptions): Required<Omit<DeployBenchOptions, 'accuracy'>> {
  const o = { threads: opts.threads ?? 1, runs: opts.runs ?? 300, batch: opts.batch ?? 256, batchRuns: opts.batchRuns ?? 10 };
  for (const [k, v] of Object.entries(o)) if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive whole number, got ${v}`);
  return o;
}

/** The smallest step of performance.now() seen in a short busy loop, ms (~1e-6 in Node, 0.1 in most pages). */
function clockTick(): number {
  let tick = Infinity;
  let steps = 0;
  let last = performance.now();
  for (let i = 0; i < 1e6 && steps < 5; i++) {
    const now = performance.now();
    if (now > last) {
      tick = Math.min(tick, now - last);
      steps++;
    }
    last = now;
  }
  return Number.isFinite(tick) ? tick : 1;
}

/**
 * Times a session: `runs` batch-1 runs after 20 warm-up runs (on the first 64 images of `data`, p50 and p99;
 * under a coarse clock each sample is the mean of a group of runs, see the code),
 * then `batchRuns` runs of one batch of `batch` images (images/s). `data` needs at least max(batch, 64) images.
 *
 * @example
 * const t = await timeSession(session, ort.Tensor, test, 'nhwc', { runs: 100, batch: 256, batchRuns: 5 });
 */
export async function timeSession(session: OrtSessionLike, Tensor: OrtTensorClass, data: Dataset, layout: InputLayout, opts: { runs: number; batch: number; batchRuns: number }): Promise<Pick<DeployStats, 'latencyP50Ms' | 'latencyP99Ms' | 'throughputImagesPerS' | 'batch'>> {
  if (data.count < Math.max(opts.batch, 64)) throw new RangeError(`timeSession needs ${Math.max(opts.batch, 64)} images, got ${data.count}`);
  const input = session.inputNames[0];
  const singles = Array.from({ length: 64 }, (_, i) => imagesOrtInput(Tensor, data, i, 1, layout));
  for (let i = 0; i < 20; i++) await session.run({ [input]: singles[i % 64] });
  // A coarse clock (browsers without cross-origin isolation round performance.now() to 0.1 ms) would round a
  // sub-millisecond run to 0 or 0.1 ms: there each sample is the mean of a group of runs spanning >= 50 ticks.
  const tick = clockTick();
  const first = performance.now();
  await session.run({ [input]: singles[0] });
  const group = tick <= 0.005 ? 1 : Math.max(1, Math.ceil((50 * tick) / Math.max(performance.now() - first, tick)));
  const times: number[] = [];
  for (let i = 0; i < opts.runs; i += group) {
    const n = Math.min(group, opts.runs - i);
    const a = performance.now();
    for (let k = 0; k < n; k++) await session.run({ [input]: singles[(i + k) % 64] });
    times.push((performance.now() - a) / n);
  }
  times.sort((x, y) => x - y);
  const big = imagesOrtInput(Tensor, data, 0, opts.batch, layout);
  await session.run({ [input]: big });
  const b0 = performance.now();
  for (let i = 0; i < opts.batchRuns; i++) await session.run({ [input]: big });
  const throughput = (opts.batch * opts.batchRuns) / ((performance.now() - b0) / 1000);
  return { latencyP50Ms: quantile(times, 0.5), latencyP99Ms: quantile(times, 0.99), throughputImagesPerS: throughput, batch: opts.batch };
}

/**
 * Top-1 accuracy of a session on a labelled dataset.
 *
 * @example
 * (await sessionAccuracy(session, ort.Tensor, test, 'nhwc')).accuracy; // 0.987
 */
export async function sessionAccuracy(session: OrtSessionLike, Tensor: OrtTensorClass, data: Dataset, layout: InputLayout): Promise<{ accuracy: number; accuracyImages: number }> {
  const pred = argmaxRows(await runSession(session, Tensor, data, { layout }), data.numClasses);
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === data.labels[i]) ok++;
  return { accuracy: ok / pred.length, accuracyImages: pred.length };
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
    Number.isFinite(r.peakRssMiB) ? r.peakRssMiB.toFixed(1) : '-',
    String(r.threads),
    ...(r.accuracy !== undefined ? [`${(100 * r.accuracy).toFixed(2)}%`] : rows.some((x) => x.accuracy !== undefined) ? ['-'] : []),
  ]);
  const table = [head, ...body];
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
