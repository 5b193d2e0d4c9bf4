/**
 * The machine's measured compute peak, the roof of the roofline. Two measurements, and the larger one is the
 * peak: (1) the 4×4 register-blocked micro-kernel of the packed GEMM on panels small enough to stay in L1
 * cache (kc = 256: two 4 KiB panels), so memory never stalls it: the best a single JavaScript thread does;
 * (2) the backend's matMul on a large in-memory square (its SIMD, and threads where it has them).
 * A peak is the best the machine does, so each uses its fastest timed sample (not the median, which the other
 * measurements report). Isomorphic.
 */
import { prepareBackendGemm } from './backend-kernels';
import { microKernel4x4 } from './gemm-packed';
import { gemmFlops, randomMatrix } from './matrix';
import { measureGflops, type Measurement, type MeasureOptions } from './measure';

/** GFLOP/s of the fastest sample. */
function best(m: Measurement): number {
  return m.flops / Math.min(...m.samples) / 1e9;
}

export interface PeakMeasurement {
  /** GFLOP/s (fastest sample) of the register-blocked micro-kernel on in-cache panels (one JS thread). */
  registerBlocked: number;
  /** GFLOP/s (fastest sample) of the backend's matMul on a size×size product. */
  backend: number;
  /** Size of the backend's square product. */
  backendSize: number;
  /** max(registerBlocked, backend): the roof. */
  peak: number;
  /** Which of the two is the roof. */
  source: 'registerBlocked' | 'backend';
}

/**
 * Measures the compute peak (GFLOP/s).
 *
 * @example
 * await initBackend();
 * const p = measurePeak();
 * console.log(`${p.peak.toFixed(1)} GFLOP/s from ${p.source}`);
 */
export function measurePeak(opts: MeasureOptions & { backendSize?: number; kc?: number } = {}): PeakMeasurement {
  const kc = opts.kc ?? 256;
  const ap = randomMatrix(kc, 4, 3);
  const bp = randomMatrix(kc, 4, 4);
  const out = new Float32Array(16);
  const calls = 64;
  const registerBlocked = best(measureGflops(() => {
    for (let i = 0; i < calls; i++) microKernel4x4(ap, 0, bp, 0, kc, out);
  }, calls * 2 * 16 * kc, opts));
  const n = opts.backendSize ?? 512;
  const shape = { M: n, N: n, K: n };
  const k = prepareBackendGemm(randomMatrix(n, n, 5), randomMatrix(n, n, 6), shape);
  let backend: number;
  try {
    backend = best(measureGflops(() => k.run(), gemmFlops(shape), opts));
  } finally {
    k.dispose();
  }
  const source = backend > registerBlocked ? 'backend' : 'registerBlocked';
  return { registerBlocked, backend, backendSize: n, peak: Math.max(registerBlocked, backend), source };
}
