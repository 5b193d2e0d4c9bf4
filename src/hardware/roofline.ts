/**
 * The roofline of this machine as a payload (src/viz/payloads.ts, drawn by rooflineFigure / rooflineSvg):
 * the measured peak and bandwidth, each measured kernel at its intensity and GFLOP/s, and each model layer at
 * its intensity. The roof is the best rate observed: the peak measurement, or a measured kernel if one was
 * faster (timings on a shared machine vary from run to run). Isomorphic.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { ROOFLINE_VERSION, type RooflinePayload, type RooflinePoint } from '../viz/payloads';
import type { BandwidthMeasurement } from './bandwidth';
import { BYTE_MODEL, type Intensity } from './intensity';
import { layerIntensities } from './layer-intensity';
import type { PeakMeasurement } from './peak';

/** A measured kernel to place on the roofline. */
export interface KernelPoint {
  name: string;
  gflops: number;
  intensity: Intensity;
}

export interface RooflineInput {
  peak: PeakMeasurement;
  bandwidth: BandwidthMeasurement;
  kernels?: KernelPoint[];
  /** Models whose conv / dense layers are placed on the roof. */
  models?: tfl.LayersModel[];
  /** Batch size for the layers' intensities (default 1). */
  batch?: number;
  title?: string;
}

/**
 * Builds the roofline payload.
 *
 * @example
 * const payload = rooflinePayload({ peak: measurePeak(), bandwidth: measureBandwidth(),
 *   kernels: [{ name: 'blocked', gflops: 1.2, intensity: gemmIntensity(shape) }], models: [lenet5()] });
 * display.html(rooflineSvg(payload));
 */
export function rooflinePayload(input: RooflineInput): RooflinePayload {
  const batch = input.batch ?? 1;
  const points: RooflinePoint[] = (input.kernels ?? []).map((k) => ({
    name: k.name, group: 'kernel', intensity: k.intensity.intensity, gflops: k.gflops, flops: k.intensity.flops, bytes: k.intensity.bytes,
  }));
  for (const model of input.models ?? []) {
    for (const l of layerIntensities(model, batch)) {
      points.push({ name: l.layer, group: 'layer', series: l.model, intensity: l.intensity, flops: l.flops, bytes: l.bytes });
    }
  }
  const p = input.peak;
  let peakSource = p.source === 'backend'
    ? `backend matMul ${p.backendSize}x${p.backendSize} (register-blocked JS micro-kernel in L1: ${p.registerBlocked.toFixed(2)} GFLOP/s)`
    : `4x4 register-blocked JS micro-kernel on L1-resident panels (backend matMul ${p.backendSize}x${p.backendSize}: ${p.backend.toFixed(2)} GFLOP/s)`;
  // The roof is the best rate observed on this machine: a measured kernel faster than the peak measurement raises it.
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
    byteModel: `${BYTE_MODEL}; layers at batch ${batch}`,
    points,
  };
}
