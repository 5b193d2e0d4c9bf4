/**
 * Uniform affine quantize / dequantize / fake-quantize of whole tensors with per-tensor, per-channel or
 * per-group parameters, matching PyTorch's quantize_per_tensor / quantize_per_channel bit for bit.
 */
import { checkShape, QParams, sliceLayout } from './qparams';
import { quantizeValue } from './scalar';

/**
 * Validates shape and qparams together and returns the parameter layout (for other quantizers).
 *
 * @example
 * const layout = affineCheck(w.length, [64, 10], qp); layout.index(5); // the scale entry of value 5
 */
export function affineCheck(length: number, shape: number[], qp: QParams): ReturnType<typeof sliceLayout> {
  checkShape(length, shape);
  return checkQParams(qp, shape);
}

function checkQParams(qp: QParams, shape: number[]): ReturnType<typeof sliceLayout> {
  if (!qp || !(qp.scale instanceof Float32Array) || !(qp.zeroPoint instanceof Int32Array)) {
    throw new TypeError('qparams must come from computeQParams: { scale: Float32Array, zeroPoint: Int32Array, qmin, qmax }');
  }
  const layout = sliceLayout(shape, qp.axis, qp.groupSize);
  if (qp.scale.length !== layout.count || qp.zeroPoint.length !== layout.count) {
    throw new Error(
      `qparams hold ${qp.scale.length} scales and ${qp.zeroPoint.length} zero points but shape ${JSON.stringify(shape)}` +
        `${qp.axis !== undefined ? ` with axis ${qp.axis}` : ''}${qp.groupSize ? ` and groupSize ${qp.groupSize}` : ''} needs ${layout.count}`,
    );
  }
  for (let k = 0; k < qp.scale.length; k++) {
    if (!(qp.scale[k] > 0) || !Number.isFinite(qp.scale[k])) throw new RangeError(`scale[${k}] must be a positive finite number, got ${qp.scale[k]}`);
  }
  return layout;
}

/**
 * Quantizes `x` (with `shape`) to integers: q = clamp(zp + rint(x · float32(1/scale)), qmin, qmax).
 * NaN is not allowed (it has no integer code).
 *
 * @example
 * const qp = computeQParams(w, [64, 10], { bits: 8, symmetric: true, signed: true, axis: 1 });
 * const q = quantize(w, [64, 10], qp); // Int32Array of values in [-128, 127]
 */
export function quantize(x: Float32Array, shape: number[], qp: QParams): Int32Array {
  checkShape(x.length, shape);
  const layout = checkQParams(qp, shape);
  const inv = qp.scale.map((s) => Math.fround(1 / s));
  const out = new Int32Array(x.length);
  const { qmin, qmax } = qp;
  if (layout.count === 1) {
    const s = inv[0];
    const z = qp.zeroPoint[0];
    const f32 = new Float32Array(1);
    for (let i = 0; i < x.length; i++) {
      // quantizeValue inlined (the hot loop): z + rint(float32(x * inv)), clamped
      f32[0] = x[i] * s;
      const y = f32[0];
      if (y !== y) throw new RangeError(`cannot quantize NaN (index ${i})`);
      let r = Math.round(y);
      if (r - y === 0.5 && (r & 1) !== 0) r -= 1;
      const q = z + r;
      out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
    }
    return out;
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) throw new RangeError(`cannot quantize NaN (index ${i})`);
    const k = layout.index(i);
    out[i] = quantizeValue(v, inv[k], qp.zeroPoint[k], qmin, qmax);
  }
  return out;
}

/**
 * Back to float32: x' = float32((q - zp) · scale).
 *
 * @example
 * const xq = dequantize(quantize(w, shape, qp), shape, qp); // w with quantization error
 */
export function dequantize(q: ArrayLike<number>, shape: number[], qp: QParams): Float32Array {
  checkShape(q.length, shape);
  const layout = checkQParams(qp, shape);
  const out = new Float32Array(q.length);
  if (layout.count === 1) {
    const s = qp.scale[0];
    const z = qp.zeroPoint[0];
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - z) * s;
    return out;
  }
  for (let i = 0; i < q.length; i++) {
    const k = layout.index(i);
    out[i] = (q[i] - qp.zeroPoint[k]) * qp.scale[k];
  }
  return out;
}

/**
 * Quantize then dequantize in one pass (the simulated, "fake-quant" values).
 *
 * @example
 * const wq = fakeQuantize(w, shape, qp);
 */
export function fakeQuantize(x: Float32Array, shape: number[], qp: QParams): Float32Array {
  return dequantize(quantize(x, shape, qp), shape, qp);
}
