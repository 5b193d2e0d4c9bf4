/**
 * Timing several kernels against each other on a shared machine: each kernel is warmed up and batched into
 * samples of at least `minSampleMs` (as in measureGflops), then the samples are taken in rounds, one per kernel
 * per round, with the order rotated each round (A B C, B C A, C A B, ...). Other work on the machine then slows
 * every kernel alike instead of whichever happened to run during it, and the best (minimum) sample of each
 * kernel — the run least disturbed — is what is compared; the median is reported too. Isomorphic.
 */
import { median, type MeasureOptions } from './measure';

/** A kernel to time. */
export interface TimedRun {
  name: string;
  run: () => void;
}

/** The timing of one kernel in a comparison. */
export interface ComparedTiming {
  name: string;
  /** Best seconds per run over the rounds. */
  seconds: number;
  /** Median seconds per run over the rounds. */
  median: number;
  samples: number[];
}

/**
 * Times the kernels in interleaved rounds; returns them in the order given.
 *
 * @example
 * const [dense, csr] = compareKernels([{ name: 'dense', run: () => gemv(a, x, y, M, K) }, { name: 'csr', run: () => spmvCsr(s, x, y) }]);
 * dense.seconds / csr.seconds; // speed-up of CSR
 */
export function compareKernels(runs: TimedRun[], opts: MeasureOptions = {}): ComparedTiming[] {
  const warmup = opts.warmup ?? 2;
  const repeats = opts.repeats ?? 5;
  const minSampleMs = opts.minSampleMs ?? 20;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive whole number, got ${repeats}`);
  const inner = runs.map(({ run }) => {
    for (let i = 0; i < warmup; i++) run();
    let n = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) run();
      const ms = performance.now() - t0;
      if (ms >= minSampleMs || n >= 1 << 20) return n;
      n *= Math.max(2, Math.min(16, Math.ceil(minSampleMs / Math.max(ms, 0.01))));
    }
  });
  const samples: number[][] = runs.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (let j = 0; j < runs.length; j++) {
      const k = (j + r) % runs.length;
      const t0 = performance.now();
      for (let i = 0; i < inner[k]; i++) runs[k].run();
      samples[k].push((performance.now() - t0) / 1000 / inner[k]);
    }
  }
  return runs.map(({ name }, k) => ({ name, seconds: Math.min(...samples[k]), median: median(samples[k]), samples: samples[k] }));
}
