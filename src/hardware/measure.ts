/**
 * Timing a kernel as GFLOP/s: a few warm-up runs (the JIT compiles and optimises the loops, caches fill),
 * then repeats timed one by one, and the median time (robust to the odd slow run on a shared machine).
 * GFLOP/s = FLOPs per run / median seconds / 1e9. Isomorphic (performance.now exists in Node and browsers).
 */

export interface MeasureOptions {
  /** Untimed runs first (default 2). */
  warmup?: number;
  /** Timed runs (default 5); the median is reported. */
  repeats?: number;
  /** Keep repeating a run of fewer milliseconds until one sample takes at least this long (default 20). */
  minSampleMs?: number;
}

export interface Measurement {
  /** Median seconds per run. */
  seconds: number;
  /** FLOPs of one run, as given. */
  flops: number;
  gflops: number;
  /** Every timed sample, seconds per run. */
  samples: number[];
}

/**
 * The median of a list of numbers.
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `run` (which does `flops` floating-point operations) and returns its median speed.
 *
 * @example
 * const m = measureGflops(() => gemmBlocked(a, b, c, shape, 64), gemmFlops(shape));
 * console.log(m.gflops.toFixed(2), 'GFLOP/s');
 */
export function measureGflops(run: () => void, flops: number, opts: MeasureOptions = {}): Measurement {
  const warmup = opts.warmup ?? 2;
  const repeats = opts.repeats ?? 5;
  const minSampleMs = opts.minSampleMs ?? 20;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive whole number, got ${repeats}`);
  for (let i = 0; i < warmup; i++) run();
  // Runs shorter than the timer's resolution are batched: find how many make one sample of >= minSampleMs.
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) run();
    const ms = performance.now() - t0;
    if (ms >= minSampleMs || inner >= 1 << 20) break;
    inner *= Math.max(2, Math.min(16, Math.ceil(minSampleMs / Math.max(ms, 0.01))));
  }
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) run();
    samples.push((performance.now() - t0) / 1000 / inner);
  }
  const seconds = median(samples);
  return { seconds, flops, gflops: flops / seconds / 1e9, samples };
}
