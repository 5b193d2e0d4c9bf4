/**
 * Export of sequential tfjs-layers models (the zoo, trained or pruned rebuilds, depthwise edge models) to
 * TensorFlow Lite: an fp32 model, or a full-integer int8 model from a calibrated optilab PTQ plan
 * (per-channel symmetric int8 weights, per-tensor asymmetric int8 activations, int32 biases at scale
 * s_in · s_w, int8 input and output: TFLite's full-integer mode).
 *
 * Layout: tfjs and TFLite both keep activations in NHWC, so no transposes are needed; conv kernels go from
 * tfjs's HWIO to TFLite's OHWI, dense kernels from [in, out] to [out, in]; depthwise kernels [kh, kw, cin,
 * mult] have the same bytes as TFLite's [1, kh, kw, cin · mult].
 *
 * The int8 model's input tensor holds the quantized image as optilab's integer path quantizes it: when the
 * model starts with a Rescaling layer (the zoo's normalization), the input's scale and zero point describe the
 * normalized image (the rescaling is done in float before quantization, as a TFLite converter given normalized
 * data would do).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { QuantPlan } from '../quantize/model';
import { describeLayers } from '../models/describe';
import { serializeGraph, TfliteQuant } from './graph';
import { LAYER_WRITERS } from './export-layers';
import { Cursor, Exporter, quantOf, TfliteExportError } from './tflite-builder';

export { TfliteExportError } from './tflite-builder';

/** Options of `exportTflite`. */
export interface TfliteExportOptions {
  /** A calibrated optilab PTQ plan of this model (`buildPtqPlan` with calibration data): writes a full-integer int8 model. */
  plan?: QuantPlan;
  /** Free-text description stored in the file; default 'optilab export of <model name>'. */
  description?: string;
}

const SUPPORTED = 'InputLayer, Dropout, Rescaling, Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, ReLU and Activation (relu, linear, softmax)';

/**
 * Builds the `.tflite` bytes of a sequential model (batch 1, NHWC input of the model's shape, float pixels in
 * [0, 1] for fp32; the quantized image for int8). Supported layers: InputLayer, Dropout, Rescaling, Conv2D,
 * DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense,
 * ReLU and Activation (relu / linear / softmax); ReLUs are fused into the previous operator. With `opts.plan`
 * the layers must be those optilab's integer path runs (Rescaling first, Conv2D, Dense, MaxPooling2D, Flatten,
 * ReLU). Anything else throws a TfliteExportError naming the layer.
 *
 * @example
 * const fp32 = exportTflite(model);
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * fs.writeFileSync('lenet5.int8.tflite', exportTflite(model, { plan }));
 */
export function exportTflite(model: tfl.LayersModel, opts: TfliteExportOptions = {}): Uint8Array {
  const inShape = model.inputs[0]?.shape;
  if (!inShape || inShape.length !== 4 || inShape.slice(1).some((d) => d === null)) {
    throw new TfliteExportError(model.name, 'model', `the input shape must be [batch, height, width, channels] with known sizes, got ${JSON.stringify(inShape)}`);
  }
  const plan = opts.plan;
  if (plan && !plan.activations) throw new Error('full-integer TFLite export needs a calibrated plan: pass calibration data to buildPtqPlan');
  if (plan?.dynamicActivationBits) throw new Error('full-integer TFLite export needs static activation ranges, not dynamic quantization');
  const x = new Exporter(plan);
  const layers = describeLayers(model).filter((l) => l.className !== 'InputLayer');
  const skipFirstRescale = plan !== undefined && layers[0]?.className === 'Rescaling';
  const inQuant = plan ? inputQuant(x, plan, layers[0]?.name, skipFirstRescale) : undefined;
  const shape0 = inShape.slice(1) as number[];
  let cur: Cursor = { id: x.activation('input', shape0, inQuant), shape: shape0, quant: inQuant };
  x.g.inputs = [cur.id];
  layers.forEach((d, index) => {
    const write = LAYER_WRITERS[d.className];
    if (!write) throw new TfliteExportError(d.name, d.className, `the TFLite exporter supports ${SUPPORTED} layers, not ${d.className}`);
    cur = write({ x, d, cur, index, skipFirstRescale });
  });
  x.g.outputs = [cur.id];
  return serializeGraph(x.g, opts.description ?? `optilab export of ${model.name}${plan ? ' (full-integer int8)' : ' (fp32)'}`);
}

/** The int8 input's quantization: the first Rescaling's output when the model starts with one, else the plan's 'input'. */
function inputQuant(x: Exporter, plan: QuantPlan, firstLayer: string | undefined, fromRescaling: boolean): TfliteQuant {
  if (fromRescaling) return quantOf(x.outQuant(firstLayer!, 'Rescaling'));
  const qin = plan.activations!.input;
  if (!qin) throw new Error("full-integer TFLite export: the plan has no input quantization ('input' in plan.activations)");
  return quantOf(qin);
}
