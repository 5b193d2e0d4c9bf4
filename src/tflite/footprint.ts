/**
 * What a `.tflite` file costs in flash once its weights are sparse. A `.tflite` stores every constant tensor
 * densely, so pruned (zero) weights take as many bytes as any other; they only save flash when the bytes are
 * compressed. Three measures: the file as it is, the file through deflate (gzip -9: a general compressor), and
 * the file with every constant tensor stored as a bitmask of its non-zero elements followed by those elements
 * (a simple sparse format a microcontroller can decode on the fly).
 */
import * as zlib from 'zlib';
import * as flatbuffers from 'flatbuffers';
import { Model } from './generated/tflite/model';
import { TensorType } from './generated/tflite/tensor-type';
import { inspectTflite } from './inspect';

export interface FlashFootprint {
  /** The `.tflite` file as written. */
  fileBytes: number;
  /** The file compressed with deflate at level 9 (gzip without its 18-byte header and trailer). */
  deflateBytes: number;
  /** Bytes of the constant tensors (weights, biases, shapes). */
  constantBytes: number;
  /** Elements of the constant tensors, and how many of them are exactly zero. */
  constantElements: number;
  zeroElements: number;
  /** The file with each constant tensor stored as ceil(n / 8) mask bytes + its non-zero elements. */
  bitmaskBytes: number;
}

const ELEMENT_BYTES: Record<number, number> = { [TensorType.FLOAT32]: 4, [TensorType.INT32]: 4, [TensorType.UINT8]: 1, [TensorType.INT8]: 1 };

/**
 * Flash footprint of a `.tflite` model: as written, deflated, and with bitmask-sparse constant tensors.
 *
 * @example
 * const f = flashFootprint(exportTflite(prunedModel, { plan }));
 * console.log(f.fileBytes, f.deflateBytes, f.bitmaskBytes, f.zeroElements / f.constantElements);
 */
export function flashFootprint(bytes: Uint8Array): FlashFootprint {
  inspectTflite(bytes); // clear errors on damaged or foreign files
  const m = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
  const sg = m.subgraphs(0)!;
  const seen = new Set<number>();
  let constantBytes = 0;
  let constantElements = 0;
  let zeroElements = 0;
  let sparseBytes = 0;
  for (let i = 0; i < sg.tensorsLength(); i++) {
    const t = sg.tensors(i)!;
    const b = t.buffer();
    if (b === 0 || seen.has(b)) continue;
    const data = m.buffers(b)!.dataArray();
    if (!data || data.length === 0) continue;
    seen.add(b);
    const el = ELEMENT_BYTES[t.type()];
    const n = data.length / el;
    let zeros = 0;
    for (let k = 0; k < n; k++) {
      let zero = true;
      for (let j = 0; j < el; j++) if (data[k * el + j] !== 0) { zero = false; break; }
      if (zero) zeros++;
    }
    constantBytes += data.length;
    constantElements += n;
    zeroElements += zeros;
    sparseBytes += Math.ceil(n / 8) + (n - zeros) * el;
  }
  return {
    fileBytes: bytes.length,
    deflateBytes: zlib.deflateRawSync(bytes, { level: 9 }).length,
    constantBytes,
    constantElements,
    zeroElements,
    bitmaskBytes: bytes.length - constantBytes + sparseBytes,
  };
}
