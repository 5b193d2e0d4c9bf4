/**
 * The arithmetic intensity of every convolution and dense layer of a tfjs-layers model, read through
 * describeLayers (src/models/describe.ts), at a given batch size, under the compulsory byte model of
 * src/hardware/intensity.ts. Isomorphic.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { describeLayers } from '../models/describe';
import { convIntensity, denseIntensity, depthwiseIntensity, type Intensity } from './intensity';
import type { ConvPadding, ConvShape } from './conv-shape';

export interface LayerIntensity extends Intensity {
  model: string;
  layer: string;
  kind: 'conv2d' | 'depthwise' | 'separable' | 'dense';
  batch: number;
}

/**
 * One entry per conv2d / depthwise / separable / dense layer (separable: its depthwise and pointwise parts
 * summed). Other layers (pooling, activations) are skipped: they do no multiply-accumulates.
 *
 * @example
 * layerIntensities(lenet5(), 1).map((l) => `${l.layer} ${l.intensity.toFixed(2)}`);
 * // ['conv1 ...', 'conv2 ...', 'fc1 0.50', 'fc2 ...', 'logits ...']
 */
export function layerIntensities(model: tfl.LayersModel, batch = 1): LayerIntensity[] {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive whole number, got ${batch}`);
  const out: LayerIntensity[] = [];
  for (const d of describeLayers(model)) {
    if (!d.inputShape || !d.outputShape) continue;
    const base = { model: model.name, layer: d.name, batch };
    if (d.kind === 'dense') {
      const inUnits = d.inputShape[d.inputShape.length - 1];
      const outUnits = d.outputShape[d.outputShape.length - 1];
      out.push({ ...base, kind: 'dense', ...denseIntensity(batch, inUnits, outUnits, d.useBias) });
      continue;
    }
    if (d.kind !== 'conv2d' && d.kind !== 'depthwise' && d.kind !== 'separable') continue;
    if (d.channelsFirst) throw new Error(`layer ${d.name}: channelsFirst convolutions are not modelled`);
    if (d.padding !== 'same' && d.padding !== 'valid') throw new Error(`layer ${d.name}: padding '${d.padding}' is not modelled`);
    const [h, w, cin] = d.inputShape;
    const cout = d.outputShape[2];
    const [kh, kw] = d.kernelSize ?? [3, 3];
    const shape: ConvShape = { batch, height: h, width: w, inChannels: cin, outChannels: cout, kernelHeight: kh, kernelWidth: kw, stride: d.strides?.[0] ?? 1, padding: d.padding as ConvPadding };
    if (d.kind === 'conv2d') {
      out.push({ ...base, kind: 'conv2d', ...convIntensity(shape) });
    } else if (d.kind === 'depthwise') {
      out.push({ ...base, kind: 'depthwise', ...depthwiseIntensity(shape) });
    } else {
      const mult = Number(d.config.depthMultiplier ?? 1);
      const dw = depthwiseIntensity({ ...shape, outChannels: cin * mult });
      const [oh, ow] = d.outputShape;
      const pw = convIntensity({ batch, height: oh, width: ow, inChannels: cin * mult, outChannels: cout, kernelHeight: 1, kernelWidth: 1 });
      // The intermediate depthwise output is counted once written and once read, as two kernels would move it.
      const flops = dw.flops + pw.flops;
      const bytes = dw.bytes + pw.bytes;
      out.push({ ...base, kind: 'separable', flops, bytes, intensity: flops / bytes });
    }
  }
  return out;
}
