/**
 * The shapes of an integer-only model (built by ./integer.ts, compiled by ./integer-plan.ts), in a module of
 * their own so that the two import them without importing each other.
 */
import type { LayerInfo } from './model';
import type { QParams } from './qparams';

/** A real multiplier M as M0 · 2^(shift − 31), with M0 an int32 in [2^30, 2^31). */
export interface FixedPointMultiplier {
  multiplier: number;
  /** Positive: left shift; negative: right shift. */
  shift: number;
}

/** One conv / dense layer prepared for integer inference. */
export interface IntLayer {
  info: LayerInfo;
  weights: Int32Array;
  bias: Int32Array;
  multipliers: FixedPointMultiplier[];
  out: QParams;
  /** Clamp bounds of the fused activation. */
  lo: number;
  hi: number;
}

/** Integer-only model: prepared layers plus the input quantization. */
export interface IntegerModel {
  /** Float preprocessing before the input is quantized (the model's leading rescaling layer). */
  rescale?: { scale: number; offset: number };
  input: QParams;
  /** Name of the layer whose output quantization is the input quantization. */
  inputLayer: string;
  steps: ({ kind: 'int'; layer: IntLayer } | { kind: 'maxpool' | 'flatten' | 'relu'; info: LayerInfo })[];
}

