/**
 * The library functions that code-exercise tests may compare with (`ref.<name>` inside tests). Only
 * browser-safe modules (no tfjs), so the site's exercise worker stays small.
 */
import { truncateFloat32 } from '../numerics/truncate';
import { roundToFloat16, roundToBFloat16 } from '../numerics/floats';
import { computeQParams } from '../quantize/qparams';
import { quantize, dequantize } from '../quantize/affine';
import { rint } from '../quantize/scalar';
import { decodeE8M0, decodeMxElement, encodeMxElement, mxDequantize, mxQuantize, mxSharedExponent } from '../llmquant/mx';

/**
 * The reference functions handed to code-exercise tests as `ref`.
 *
 * @example
 * await runCodeChecks(userJs, testsJs, exerciseRef);
 */
export const exerciseRef = {
  truncateFloat32,
  roundToFloat16,
  roundToBFloat16,
  computeQParams,
  quantize,
  dequantize,
  rint,
  // OCP microscaling (MX) blocks: shared E8M0 exponent, element codes (the transformer page's MXFP4 exercise)
  mxQuantize,
  mxDequantize,
  mxSharedExponent,
  encodeMxElement,
  decodeMxElement,
  decodeE8M0,
};

export type ExerciseRef = typeof exerciseRef;
