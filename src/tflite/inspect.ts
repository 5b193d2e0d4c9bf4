/**
 * Reading a `.tflite` file back (with the generated flatbuffer readers): operators, tensors and sizes, for
 * reports, the memory planner and clear errors on files that are not TFLite models.
 */
import * as flatbuffers from 'flatbuffers';
import { BuiltinOperator } from './generated/tflite/builtin-operator';
import { Model } from './generated/tflite/model';
import { TensorType } from './generated/tflite/tensor-type';

export interface TfliteTensorInfo {
  name: string;
  shape: number[];
  type: string;
  /** Bytes of the tensor's elements. */
  bytes: number;
  /** True for constant tensors (weights, biases, shapes) stored in the file. */
  constant: boolean;
}

export interface TfliteOpInfo {
  op: string;
  version: number;
  inputs: number[];
  outputs: number[];
}

export interface TfliteSummary {
  version: number;
  description: string;
  bytes: number;
  tensors: TfliteTensorInfo[];
  ops: TfliteOpInfo[];
  inputs: number[];
  outputs: number[];
  /** Operator counts by name, e.g. { CONV_2D: 2, FULLY_CONNECTED: 3 }. */
  operators: Record<string, number>;
}

const ELEMENT_BYTES: Record<number, number> = { [TensorType.FLOAT32]: 4, [TensorType.INT32]: 4, [TensorType.UINT8]: 1, [TensorType.INT8]: 1 };

/** An error reading a `.tflite` file: says what is wrong with it. */
export class TfliteFormatError extends Error {
  constructor(what: string) {
    super(`not a valid TFLite model: ${what}`);
    this.name = 'TfliteFormatError';
  }
}

/**
 * Parses and checks a `.tflite` flatbuffer (identifier, buffer references, tensor indices).
 *
 * @example
 * const s = inspectTflite(fs.readFileSync('lenet5.tflite'));
 * s.operators; // { CONV_2D: 2, MAX_POOL_2D: 2, RESHAPE: 1, FULLY_CONNECTED: 3, ... }
 */
export function inspectTflite(bytes: Uint8Array): TfliteSummary {
  if (bytes.length < 8) throw new TfliteFormatError(`the file has ${bytes.length} bytes (a model has at least a header of 8)`);
  const bb = new flatbuffers.ByteBuffer(bytes);
  if (!bb.__has_identifier('TFL3')) {
    const id = Array.from(bytes.slice(4, 8), (c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : '.')).join('');
    throw new TfliteFormatError(`file identifier is '${id}', expected 'TFL3' at bytes 4-7`);
  }
  try {
    const m = Model.getRootAsModel(bb);
    if (m.subgraphsLength() < 1) throw new TfliteFormatError('the model has no subgraph');
    const sg = m.subgraphs(0)!;
    const nBuf = m.buffersLength();
    const tensors: TfliteTensorInfo[] = [];
    for (let i = 0; i < sg.tensorsLength(); i++) {
      const t = sg.tensors(i)!;
      const shape = Array.from(t.shapeArray() ?? []);
      const el = ELEMENT_BYTES[t.type()];
      if (el === undefined) throw new TfliteFormatError(`tensor ${i} has element type ${t.type()}, which this reader does not know`);
      const buf = t.buffer();
      if (buf >= nBuf) throw new TfliteFormatError(`tensor ${i} refers to buffer ${buf} but the model has ${nBuf}`);
      const data = m.buffers(buf)!.dataLength();
      const bytesN = shape.reduce((a, b) => a * b, 1) * el;
      if (buf !== 0 && data !== bytesN) throw new TfliteFormatError(`tensor ${i} ('${t.name()}') needs ${bytesN} bytes but its buffer has ${data}`);
      tensors.push({ name: t.name() ?? `t${i}`, shape, type: TensorType[t.type()], bytes: bytesN, constant: buf !== 0 && data > 0 });
    }
    const codes: { op: string; version: number }[] = [];
    for (let i = 0; i < m.operatorCodesLength(); i++) {
      const c = m.operatorCodes(i)!;
      const code = Math.max(c.deprecatedBuiltinCode(), c.builtinCode());
      codes.push({ op: BuiltinOperator[code] ?? `BUILTIN_${code}`, version: c.version() });
    }
    const check = (idx: number[], what: string): number[] => {
      for (const k of idx) if (k !== -1 && (k < 0 || k >= tensors.length)) throw new TfliteFormatError(`${what} refers to tensor ${k} but the subgraph has ${tensors.length}`);
      return idx;
    };
    const ops: TfliteOpInfo[] = [];
    const operators: Record<string, number> = {};
    for (let i = 0; i < sg.operatorsLength(); i++) {
      const o = sg.operators(i)!;
      const code = codes[o.opcodeIndex()];
      if (!code) throw new TfliteFormatError(`operator ${i} has opcode index ${o.opcodeIndex()} but the model has ${codes.length} operator codes`);
      ops.push({ ...code, inputs: check(Array.from(o.inputsArray() ?? []), `operator ${i}`), outputs: check(Array.from(o.outputsArray() ?? []), `operator ${i}`) });
      operators[code.op] = (operators[code.op] ?? 0) + 1;
    }
    return {
      version: m.version(),
      description: m.description() ?? '',
      bytes: bytes.length,
      tensors,
      ops,
      inputs: check(Array.from(sg.inputsArray() ?? []), 'the subgraph inputs'),
      outputs: check(Array.from(sg.outputsArray() ?? []), 'the subgraph outputs'),
      operators,
    };
  } catch (e) {
    if (e instanceof TfliteFormatError) throw e;
    throw new TfliteFormatError(`the flatbuffer is damaged (${(e as Error).message})`);
  }
}
