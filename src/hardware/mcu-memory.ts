/**
 * A microcontroller memory model of a candidate (src/hardware/search-model.ts), computed from its plan alone, so a
 * search can rule a candidate out before training it:
 *
 * - **SRAM, peak activations.** Layers run one after another, and while a layer runs its input and its output
 *   must both be held; everything earlier has been consumed. The peak is the largest input + output over the
 *   layers (the model's input image counts as the first layer's input). Every layer counts, reshapes included
 *   (a runtime that aliases flatten's output would need less there; it is never the peak of these models).
 * - **Flash, weights.** Parameters (kernels and biases) × bytes per weight.
 *
 * int8 stores 1 byte per element, float32 4. Scratch buffers (im2col), the runtime's own code and data and
 * int32 biases are not modelled. Isomorphic.
 */
import { convGeometry } from './conv-shape';
import { candidatePlan, type LayerPlan } from './search-model';
import type { Architecture } from './search-space';

export type McuPrecision = 'int8' | 'float32';

/** Bytes per stored element of each precision. */
export const PRECISION_BYTES: Readonly<Record<McuPrecision, number>> = { int8: 1, float32: 4 };

/** One layer's footprint. */
export interface LayerFootprint {
  name: string;
  op: LayerPlan['op'];
  /** Shapes without the batch axis: [h, w, c] or [units]. */
  inputShape: number[];
  outputShape: number[];
  inputElements: number;
  outputElements: number;
  params: number;
  /** (input + output elements) × activation bytes: SRAM while this layer runs. */
  liveBytes: number;
}

export interface McuMemory {
  precision: { activations: McuPrecision; weights: McuPrecision };
  layers: LayerFootprint[];
  /** max over the layers of liveBytes. */
  peakActivationBytes: number;
  /** The layer at the peak (the first, on ties). */
  peakLayer: string;
  params: number;
  /** params × weight bytes. */
  flashBytes: number;
}

export interface McuMemoryOptions {
  /** Precision of activations and weights (default 'int8'); `weights` overrides it for the weights. */
  precision?: McuPrecision;
  weights?: McuPrecision;
  inputShape?: [number, number, number];
  numClasses?: number;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function outputOf(l: LayerPlan, input: number[]): { shape: number[]; params: number } {
  switch (l.op) {
    case 'rescaling':
      return { shape: input, params: 0 };
    case 'conv2d':
    case 'depthwise': {
      const [h, w, c] = input;
      const k = l.kernelSize;
      const g = convGeometry({ batch: 1, height: h, width: w, inChannels: c, outChannels: 1, kernelHeight: k, kernelWidth: k, padding: 'same' });
      if (l.op === 'depthwise') return { shape: [g.outHeight, g.outWidth, c], params: k * k * c + c };
      return { shape: [g.outHeight, g.outWidth, l.filters], params: k * k * c * l.filters + l.filters };
    }
    case 'maxpool': {
      const [h, w, c] = input;
      return { shape: [Math.ceil(h / 2), Math.ceil(w / 2), c], params: 0 }; // 2×2, stride 2, 'same'
    }
    case 'flatten':
      return { shape: [count(input)], params: 0 };
    case 'dense':
      return { shape: [l.units], params: input[0] * l.units + l.units };
  }
}

/**
 * The memory model of an architecture: per-layer shapes, parameters and live bytes, the peak and the flash.
 *
 * @example
 * const m = candidateMemory({ blocks: [{ kind: 'standard', filters: 16, kernelSize: 5 }], dense: 32 }, { precision: 'int8' });
 * m.peakActivationBytes; // 15680: b1_pool holds 28·28·16 in + 14·14·16 out
 * m.flashBytes;          // 101130 (one byte per parameter)
 */
export function candidateMemory(arch: Architecture, opts: McuMemoryOptions = {}): McuMemory {
  const activations = opts.precision ?? 'int8';
  const weights = opts.weights ?? activations;
  const aBytes = PRECISION_BYTES[activations];
  let shape: number[] = [...(opts.inputShape ?? [28, 28, 1])];
  const layers: LayerFootprint[] = candidatePlan(arch, opts.numClasses ?? 10).map((l) => {
    const out = outputOf(l, shape);
    const f: LayerFootprint = {
      name: l.name, op: l.op, inputShape: shape, outputShape: out.shape,
      inputElements: count(shape), outputElements: count(out.shape), params: out.params,
      liveBytes: (count(shape) + count(out.shape)) * aBytes,
    };
    shape = out.shape;
    return f;
  });
  const peak = layers.reduce((p, l) => (l.liveBytes > p.liveBytes ? l : p), layers[0]);
  const params = layers.reduce((s, l) => s + l.params, 0);
  return { precision: { activations, weights }, layers, peakActivationBytes: peak.liveBytes, peakLayer: peak.name, params, flashBytes: params * PRECISION_BYTES[weights] };
}

/** SRAM and flash available to the model. */
export interface McuBudget {
  sramBytes: number;
  flashBytes: number;
}

/** 256 KiB of SRAM, 1 MiB of flash: an Arduino Nano 33 BLE (nRF52840), the first of src/tflite's MCU_TARGETS. */
export const DEFAULT_MCU_BUDGET: McuBudget = { sramBytes: 256 * 1024, flashBytes: 1024 * 1024 };

export interface BudgetCheck {
  fits: boolean;
  /** Why not, one sentence per exceeded budget (empty when it fits). */
  reasons: string[];
}

const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/**
 * Checks a memory model against a budget.
 *
 * @example
 * checkMcuBudget(candidateMemory({ blocks: [{ kind: 'standard', filters: 96, kernelSize: 3 }], dense: 128 }, { precision: 'float32' }));
 * // { fits: false, reasons: ['SRAM: peak activations 367.5 KiB (float32, at b1_pool) > 256.0 KiB',
 * //   'flash: 9417.3 KiB of float32 weights (2410826 parameters) > 1024.0 KiB'] }
 */
export function checkMcuBudget(m: McuMemory, budget: McuBudget = DEFAULT_MCU_BUDGET): BudgetCheck {
  const reasons: string[] = [];
  if (m.peakActivationBytes > budget.sramBytes) {
    reasons.push(`SRAM: peak activations ${kib(m.peakActivationBytes)} (${m.precision.activations}, at ${m.peakLayer}) > ${kib(budget.sramBytes)}`);
  }
  if (m.flashBytes > budget.flashBytes) {
    reasons.push(`flash: ${kib(m.flashBytes)} of ${m.precision.weights} weights (${m.params} parameters) > ${kib(budget.flashBytes)}`);
  }
  return { fits: reasons.length === 0, reasons };
}
