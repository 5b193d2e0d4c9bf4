/**
 * Quantized model files: the model topology plus one binary holding real integer weights (int8 bytes, or
 * two int4 values per byte, or bit-packed codes for other widths), per-channel scales (float16 when every
 * scale is exactly a float16 value, as `quantizeWeights` makes them by default; else float32) and float32
 * biases; zero points and activation parameters live in the JSON. Isomorphic (bytes in memory); write them
 * with fs in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { dequantize } from './affine';
import { LayerInfo, QuantizedWeight, QuantPlan, describeModel } from './model';
import { QParams } from './qparams';
import { decodeFloat, FLOAT16, float16Bits, roundToFloat16 } from '../numerics/floats';

/** JSON description of one stored weight tensor. */
export interface StoredWeight {
  layer: string;
  shape: number[];
  bits: number;
  qmin: number;
  qmax: number;
  axis?: number;
  groupSize?: number;
  zeroPoint: number[];
  /** Byte offsets / lengths inside the binary. */
  codes: { offset: number; bytes: number };
  /** `bits` 16: IEEE float16 scales; absent or 32: float32. */
  scales: { offset: number; count: number; bits?: 16 | 32 };
  bias: { offset: number; count: number };
}

export interface QuantizedModelJson {
  format: 'optilab-quantized';
  version: 1;
  modelTopology: unknown;
  weights: StoredWeight[];
  /** Float layers kept as float32 (name -> offsets of kernel and bias). */
  floatLayers: { layer: string; shape: number[]; kernel: { offset: number; count: number }; bias: { offset: number; count: number } }[];
  activations?: Record<string, { scale: number; zeroPoint: number; qmin: number; qmax: number }>;
}

export interface QuantizedModelFiles {
  modelJson: QuantizedModelJson;
  weights: Uint8Array;
}

/**
 * Packs signed integers of `bits` width (2..16) as unsigned offsets (v - qmin), least significant bits
 * first: two int4 values per byte, four int2, one int8 per byte.
 *
 * @example
 * packInts(Int32Array.from([-8, 7]), 4, -8); // Uint8Array [0xf0]
 */
export function packInts(values: Int32Array, bits: number, qmin: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i] - qmin;
    for (let b = 0; b < bits; b++, bit++) {
      if (v & 1) out[bit >> 3] |= 1 << (bit & 7);
      v >>= 1;
    }
  }
  return out;
}

/**
 * Inverse of `packInts`.
 *
 * @example
 * unpackInts(Uint8Array.from([0xf0]), 2, 4, -8); // Int32Array [-8, 7]
 */
export function unpackInts(bytes: Uint8Array, count: number, bits: number, qmin: number): Int32Array {
  if (bytes.length * 8 < count * bits) throw new Error(`${bytes.length} bytes cannot hold ${count} values of ${bits} bits`);
  const out = new Int32Array(count);
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, bit++) if (bytes[bit >> 3] & (1 << (bit & 7))) v |= 1 << b;
    out[i] = v + qmin;
  }
  return out;
}

class ByteWriter {
  private parts: Uint8Array[] = [];
  length = 0;
  add(bytes: Uint8Array): number {
    const offset = this.length;
    this.parts.push(bytes);
    this.length += bytes.length;
    // keep float32 arrays 4-byte aligned
    const pad = (4 - (this.length % 4)) % 4;
    if (pad) {
      this.parts.push(new Uint8Array(pad));
      this.length += pad;
    }
    return offset;
  }
  halves(a: Float32Array): number {
    const h = float16Bits(a);
    return this.add(new Uint8Array(h.buffer, h.byteOffset, h.byteLength));
  }
  floats(a: Float32Array): number {
    return this.add(new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/**
 * Serialises a quantized model: topology + binary with packed integer kernels, float16 (or float32) scales and
 * float32 biases.
 *
 * @example
 * const files = encodeQuantizedModel(model, plan); // files.weights.length ≈ params · bits / 8
 */
export function encodeQuantizedModel(model: tfl.LayersModel, plan: QuantPlan): QuantizedModelFiles {
  const w = new ByteWriter();
  const weights: StoredWeight[] = [];
  const floatLayers: QuantizedModelJson['floatLayers'] = [];
  for (const l of plan.layers) {
    if (!l.kernel) continue;
    const qw = plan.weights.get(l.name);
    if (!qw) {
      floatLayers.push({
        layer: l.name,
        shape: l.kernelShape!,
        kernel: { offset: w.floats(l.kernel), count: l.kernel.length },
        bias: { offset: w.floats(l.bias!), count: l.bias!.length },
      });
      continue;
    }
    const bits = Math.ceil(Math.log2(qw.qp.qmax - qw.qp.qmin + 1));
    const codes = packInts(qw.q, bits, qw.qp.qmin);
    const codesOffset = w.add(codes);
    const entry: StoredWeight = {
      layer: l.name,
      shape: qw.shape,
      bits,
      qmin: qw.qp.qmin,
      qmax: qw.qp.qmax,
      zeroPoint: Array.from(qw.qp.zeroPoint),
      codes: { offset: codesOffset, bytes: codes.length },
      scales: exactFloat16(qw.qp.scale)
        ? { offset: w.halves(qw.qp.scale), count: qw.qp.scale.length, bits: 16 }
        : { offset: w.floats(qw.qp.scale), count: qw.qp.scale.length },
      bias: { offset: w.floats(qw.bias), count: qw.bias.length },
    };
    if (qw.qp.axis !== undefined) entry.axis = qw.qp.axis;
    if (qw.qp.groupSize !== undefined) entry.groupSize = qw.qp.groupSize;
    weights.push(entry);
  }
  const modelJson: QuantizedModelJson = {
    format: 'optilab-quantized',
    version: 1,
    modelTopology: model.toJSON(null, false),
    weights,
    floatLayers,
  };
  if (plan.activations) {
    modelJson.activations = Object.fromEntries(
      Object.entries(plan.activations).map(([k, qp]) => [k, { scale: qp.scale[0], zeroPoint: qp.zeroPoint[0], qmin: qp.qmin, qmax: qp.qmax }]),
    );
  }
  return { modelJson, weights: w.concat() };
}

/** True when every value survives a round trip through float16 unchanged. */
function exactFloat16(a: Float32Array): boolean {
  const r = roundToFloat16(a);
  return a.every((v, i) => v === r[i]);
}

function halvesAt(bytes: Uint8Array, offset: number, count: number): Float32Array {
  if (offset + count * 2 > bytes.length) throw new Error(`quantized weights file is truncated (needs ${offset + count * 2} bytes, has ${bytes.length})`);
  return decodeFloat(new Uint16Array(bytes.slice(offset, offset + count * 2).buffer), FLOAT16);
}

function floatsAt(bytes: Uint8Array, offset: number, count: number): Float32Array {
  if (offset + count * 4 > bytes.length) throw new Error(`quantized weights file is truncated (needs ${offset + count * 4} bytes, has ${bytes.length})`);
  return new Float32Array(bytes.slice(offset, offset + count * 4).buffer);
}

/**
 * Reads quantized model files back: a tfjs model with dequantized kernels (for float inference) and the
 * quantization plan (for fake-quant or integer-only inference).
 *
 * @example
 * const { model, plan } = await decodeQuantizedModel(files);
 */
export async function decodeQuantizedModel(files: QuantizedModelFiles): Promise<{ model: tfl.LayersModel; plan: QuantPlan }> {
  const j = files.modelJson;
  if (j?.format !== 'optilab-quantized') throw new Error(`not an optilab quantized model (format ${String(j?.format)})`);
  const tflayers = await import('@tensorflow/tfjs-layers');
  const model = await tflayers.models.modelFromJSON({ modelTopology: j.modelTopology as never });
  const qws = new Map<string, QuantizedWeight>();
  for (const s of j.weights) {
    const count = s.shape.reduce((a, b) => a * b, 1);
    const q = unpackInts(files.weights.subarray(s.codes.offset, s.codes.offset + s.codes.bytes), count, s.bits, s.qmin);
    const scale = s.scales.bits === 16 ? halvesAt(files.weights, s.scales.offset, s.scales.count) : floatsAt(files.weights, s.scales.offset, s.scales.count);
    const qp: QParams = { scale, zeroPoint: Int32Array.from(s.zeroPoint), qmin: s.qmin, qmax: s.qmax };
    if (s.axis !== undefined) qp.axis = s.axis;
    if (s.groupSize !== undefined) qp.groupSize = s.groupSize;
    const bias = floatsAt(files.weights, s.bias.offset, s.bias.count);
    qws.set(s.layer, { layer: s.layer, shape: s.shape, q, qp, bias });
    const k = tf.tensor(dequantize(q, s.shape, qp), s.shape);
    const b = tf.tensor1d(bias);
    model.getLayer(s.layer).setWeights([k, b]);
    k.dispose();
    b.dispose();
  }
  for (const f of j.floatLayers) {
    const k = tf.tensor(floatsAt(files.weights, f.kernel.offset, f.kernel.count), f.shape);
    const b = tf.tensor1d(floatsAt(files.weights, f.bias.offset, f.bias.count));
    model.getLayer(f.layer).setWeights([k, b]);
    k.dispose();
    b.dispose();
  }
  const layers: LayerInfo[] = describeModel(model);
  const plan: QuantPlan = { layers, weights: qws };
  if (j.activations) {
    plan.activations = Object.fromEntries(
      Object.entries(j.activations).map(([k, a]) => [k, { scale: Float32Array.of(a.scale), zeroPoint: Int32Array.of(a.zeroPoint), qmin: a.qmin, qmax: a.qmax }]),
    );
  }
  return { model, plan };
}
