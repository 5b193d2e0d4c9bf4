/**
 * The roofline of this machine as a payload (src/viz/payloads.ts, drawn by rooflineFigure / rooflineSvg):
 * the measured peak and bandwidth, each measured kernel at its intensity and GFLOP/s, and each model layer at
 * its intensity. The roof is the best rate observed: the peak measurement, or a measured kernel if one was
 * faster (timings on a shared machine vary from run to run; roofline-payload.ts, which needs no model).
 * Isomorphic.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { RooflinePayload, RooflinePoint } from '../viz/payloads';
import type { BandwidthMeasurement } from './bandwidth';
import { layerIntensities } from './layer-intensity';
import type { PeakMeasurement } from './peak';
import { BYTE_MODEL } from './intensity';
import { rooflineFromMeasurements, type KernelPoint } from './roofline-payload';

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
  const layers: RooflinePoint[] = [];
  for (const model of input.models ?? []) {
    for (const l of layerIntensities(model, batch)) {
      layers.push({ name: l.layer, group: 'layer', series: l.model, intensity: l.intensity, flops: l.flops, bytes: l.bytes });
    }
  }
  const payload = rooflineFromMeasurements({ peak: input.peak, bandwidth: input.bandwidth, kernels: input.kernels, layers, batch, title: input.title });
  return { ...payload, byteModel: `${BYTE_MODEL}; layers at batch ${batch}` };
}
