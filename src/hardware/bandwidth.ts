/**
 * The machine's measured memory bandwidth, the slope of the roofline: STREAM-style loops over Float32Arrays
 * far larger than the caches (default 16 Mi floats = 64 MiB each). Bytes moved count what the loop reads and
 * writes: copy b[i] = a[i] moves 8 bytes per element, triad a[i] = b[i] + s·c[i] moves 12 (write-allocate
 * traffic is not counted, as in STREAM). GB/s = bytes / median seconds / 1e9. Isomorphic.
 */
import { median } from './measure';

export interface BandwidthMeasurement {
  /** GB/s (1e9 bytes per second) of the copy loop. */
  copy: number;
  /** GB/s of the triad loop. */
  triad: number;
  /** max(copy, triad): the slope used for the roofline. */
  bandwidth: number;
  /** Floats per array. */
  elements: number;
}

function timeMedian(run: () => void, repeats: number): number {
  run(); // warm-up: compiles the loop and touches every page
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    run();
    samples.push((performance.now() - t0) / 1000);
  }
  return median(samples);
}

/**
 * Measures memory bandwidth with copy and triad loops.
 *
 * @example
 * const bw = measureBandwidth();
 * console.log(`${bw.bandwidth.toFixed(1)} GB/s`);
 */
export function measureBandwidth(opts: { elements?: number; repeats?: number } = {}): BandwidthMeasurement {
  const n = opts.elements ?? 16 * 1024 * 1024;
  const repeats = opts.repeats ?? 5;
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n).fill(2);
  const c = new Float32Array(n).fill(3);
  const copySeconds = timeMedian(() => b.set(a), repeats);
  const s = 1.5;
  const triadSeconds = timeMedian(() => {
    for (let i = 0; i < n; i++) a[i] = b[i] + s * c[i];
  }, repeats);
  const copy = (8 * n) / copySeconds / 1e9;
  const triad = (12 * n) / triadSeconds / 1e9;
  return { copy, triad, bandwidth: Math.max(copy, triad), elements: n };
}
