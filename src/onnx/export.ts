/**
 * Export of sequential tfjs-layers models (the zoo, pruned-and-shrunk and low-rank rebuilds, depthwise edge
 * models) to ONNX (opset 13): an fp32 graph, or an int8 QDQ graph built from an optilab PTQ plan
 * (QuantizeLinear / DequantizeLinear around every conv and dense layer, per-channel symmetric int8 weights,
 * int32 biases, per-tensor activations).
 *
 * The graph takes the same NHWC input as tfjs ([batch, h, w, c], pixels in [0, 1]); convolutions run in NCHW
 * after a Transpose, and a Transpose back to NHWC comes before Flatten so the flattened order is exactly
 * tfjs's.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { QuantPlan } from '../quantize/model';
import { describeLayers, layerKind } from '../models/describe';
import { foldBatchNorm } from '../hardware/fusion';
import { DT, encodeModel, valueInfo } from './proto';
import { Builder, OnnxExportError } from './graph-builder';
import { LAYER_EXPORTERS } from './export-layers';

export { OnnxExportError } from './graph-builder';

/** The ONNX operator set the exporter writes. */
export const ONNX_OPSET = 13;

/** Options of `exportOnnx`. */
export interface OnnxExportOptions {
  /** A calibrated optilab PTQ plan (`buildPtqPlan` with calibration data): writes an int8 QDQ graph. */
  plan?: QuantPlan;
  /** Graph name; default the model's name. */
  name?: string;
  /**
   * Element type of quantized activations in QDQ graphs. Default 'uint8': optilab's signed asymmetric int8
   * activations shifted by 128 (q + 128, zero point + 128: the same real values, exactly), which is what
   * ONNX Runtime's x86 kernels fuse into QLinearConv / QGemm (u8 activations x s8 weights). 'int8' keeps
   * the signed form. Weights are int8 either way.
   */
  activationType?: 'uint8' | 'int8';
  /**
   * Fold every BatchNormalization layer into the Conv2D, DepthwiseConv2D or Dense layer before it
   * (`foldBatchNorm`, src/hardware/fusion.ts) and export the folded model, which computes the same function.
   * Default false: a BN layer is refused, naming it. fp32 only (a PTQ plan is built for the unfolded weights:
   * fold first, then calibrate). A BN that cannot fold (after an activation or pooling) is refused with the reason.
   */
  foldBatchNorm?: boolean;
}

/**
 * Builds the ONNX ModelProto bytes of a sequential model: fp32, or int8 QDQ when `opts.plan` (a calibrated
 * optilab PTQ plan of this model) is given. Supported layers: InputLayer, Dropout, Rescaling, Conv2D,
 * DepthwiseConv2D, SeparableConv2D and GlobalAveragePooling2D (fp32), MaxPooling2D, Flatten, Dense, ReLU, Activation(relu|linear);
 * anything else throws an OnnxExportError naming the layer and the reason.
 *
 * @example
 * const bytes = exportOnnx(model);                        // fp32
 * const plan = await buildPtqPlan(model, { bits: 8 }, subset(train, 500));
 * const int8 = exportOnnx(model, { plan });               // QDQ
 * const bn = exportOnnx(convBnModel, { foldBatchNorm: true }); // BN folded into the convs first
 * fs.writeFileSync('mnistCnn.int8.onnx', int8);
 */
export function exportOnnx(model: tfl.LayersModel, opts: OnnxExportOptions = {}): Uint8Array {
  if (opts.foldBatchNorm && model.layers.some((l) => layerKind(l) === 'batchnorm')) {
    if (opts.plan) throw new Error('foldBatchNorm with an int8 plan: the plan was calibrated on the unfolded weights; fold first (foldBatchNorm(model).model), then build the plan and export that model');
    const { model: folded, kept } = foldBatchNorm(model);
    try {
      if (kept.length) throw new OnnxExportError(kept[0].batchNorm, 'BatchNormalization', `it cannot be folded: ${kept[0].reason}`);
      return exportOnnx(folded, { ...opts, name: opts.name ?? model.name, foldBatchNorm: false });
    } finally {
      folded.dispose();
    }
  }
  const inShape = model.inputs[0]?.shape;
  if (!inShape || inShape.length !== 4 || inShape.slice(1).some((d) => d === null)) {
    throw new OnnxExportError(model.name, 'model', `the input shape must be [batch, height, width, channels] with known sizes, got ${JSON.stringify(inShape)}`);
  }
  const [h0, w0, c0] = inShape.slice(1) as number[];
  const plan = opts.plan;
  if (plan && !plan.activations) throw new Error('int8 QDQ export needs a calibrated plan: pass calibration data to buildPtqPlan');
  if (plan?.dynamicActivationBits) throw new Error('int8 QDQ export needs static activation ranges, not dynamic quantization');
  const b = new Builder([h0, w0, c0], (opts.activationType ?? 'uint8') === 'uint8');
  const layers = describeLayers(model);
  const firstReal = layers.find((l) => l.className !== 'InputLayer');
  if (plan && firstReal?.className !== 'Rescaling') {
    const qin = plan.activations!.input;
    if (!qin) throw new Error("int8 QDQ export: the plan has no input quantization ('input' in plan.activations)");
    b.quantize(qin, 'input.q');
  }
  for (const d of layers) {
    const exporter = LAYER_EXPORTERS[d.className];
    if (!exporter) {
      throw new OnnxExportError(d.name, d.className, `the ONNX exporter supports InputLayer, Dropout, Rescaling, Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense, ReLU and Activation layers, not ${d.className}`);
    }
    exporter(d, b, plan);
  }
  if (b.layout !== 'flat') b.toLayout('nhwc', 'output');
  b.dequantize('logits.dequantize');
  // Name the final tensor 'logits' with an Identity so the graph output has a stable name.
  b.add('Identity', [b.cur], 'output', {}, 'logits');
  const outDims: (number | string)[] = b.layout === 'flat' ? ['batch', ...b.shape] : ['batch', ...b.shape];
  return encodeModel({
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: opts.name ?? model.name,
      node: b.nodes,
      initializer: b.inits,
      input: [valueInfo('input', DT.FLOAT, ['batch', h0, w0, c0])],
      output: [valueInfo('logits', DT.FLOAT, outDims)],
    },
  });
}
