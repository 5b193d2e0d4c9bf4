/**
 * The roofline payload from measured numbers alone (no model): the peak and bandwidth measurements, the
 * measured kernels at their intensity and GFLOP/s, and any layer points the caller already computed. The
 * roof is the best rate observed: the peak measurement, or a measured kernel if one was faster (timings on a
 * shared machine vary from run to run). No tfjs, so the course site can build the same payload from a bench
 * result file (rooflinePayload of roofline.ts adds the layers of tfjs models). Isomorphic.
 */
import { ROOFLINE_VERSION, type RooflinePayload, type RooflinePoint } from '../viz/payloads';
import type { BandwidthMeasurement } from './bandwidth';
import { BYTE_MODEL, type Intensity } from './intensity';
import type { PeakMeasurement } from './peak';

/** A measured kernel to place on the roofline. */
export interface KernelPoint {
  name: string;
  gflops: number;
  intensity: Intensity;
}

export interface RooflineMeasurements {
  peak: PeakMeasurement;
  bandwidth: BandwidthMeasurement;
  kernels?: KernelPoint[];
  /** Layer points (group 'layer'), already placed by their intensity. */
  layers?: RooflinePoint[];
  /** Said in the byte model when layers are given (default 1). */
  batch?: number;
  title?: string;
}

/**
 * The roofline payload of measured kernels (and precomputed layer points).
 *
 * @example
 * const payload = rooflineFromMeasurements({ peak: bench.roof.peak, bandwidth: bench.roof.bandwidth,
 *   kernels: bench.gemm.variants.map((v) => ({ name: v.name, gflops: v.gflops, intensity: gemmIntensity({ M: 512, N: 512, K: 512 }) })) });
 */
export function rooflineFromMeasurements(input: RooflineMeasurements): RooflinePayload {
  const points: RooflinePoint[] = (input.kernels ?? []).map((k) => ({
    name: k.name, group: 'kernel', intensity: k.intensity.intensity, gflops: k.gflops, flops: k.intensity.flops, bytes: k.intensity.bytes,
  }));
  points.push(...(input.layers ?? []));
  const p = input.peak;
  let peakSource = p.source === 'backend'
    ? `backend matMul ${p.backendSize}x${p.backendSize} (register-blocked JS micro-kernel in L1: ${p.registerBlocked.toFixed(2)} GFLOP/s)`
    : `4x4 register-blocked JS micro-kernel on L1-resident panels (backend matMul ${p.backendSize}x${p.backendSize}: ${p.backend.toFixed(2)} GFLOP/s)`;
  const fastest = (input.kernels ?? []).reduce<KernelPoint | undefined>((f, k) => (k.gflops > (f?.gflops ?? -Infinity) ? k : f), undefined);
  let peakGflops = p.peak;
  if (fastest && fastest.gflops > peakGflops) {
    peakSource = `the fastest measured kernel, ${fastest.name}, which beat the peak measurement (${p.peak.toFixed(2)} GFLOP/s: ${peakSource})`;
    peakGflops = fastest.gflops;
  }
  return {
    version: ROOFLINE_VERSION,
    title: input.title ?? 'Roofline of this machine',
    peakGflops,
    peakSource,
    bandwidthGBs: input.bandwidth.bandwidth,
    bandwidthSource: `max of copy (${input.bandwidth.copy.toFixed(2)} GB/s) and triad (${input.bandwidth.triad.toFixed(2)} GB/s) on ${input.bandwidth.elements} floats per array`,
    byteModel: input.layers?.length ? `${BYTE_MODEL}; layers at batch ${input.batch ?? 1}` : BYTE_MODEL,
    points,
  };
}
