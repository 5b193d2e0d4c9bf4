/**
 * The library functions that code-exercise tests may compare with (`ref.<name>` inside tests). Only
 * browser-safe modules (no tfjs), so the site's exercise worker stays small.
 */
import { truncateFloat32 } from '../numerics/truncate';
import { roundToFloat16, roundToBFloat16 } from '../numerics/floats';
import { computeQParams } from '../quantize/qparams';
import { quantize, dequantize } from '../quantize/affine';
import { rint } from '../quantize/scalar';

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
};

export type ExerciseRef = typeof exerciseRef;
