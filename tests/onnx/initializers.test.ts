// ONNX import of initializers whose data does not match their dims: an error naming the file and the tensor
// (src/onnx/proto.ts tensorValues, src/onnx/import.ts), never a DataView RangeError or a silently wrong model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../../src/onnx/import';
import { decodeModel, DT, encodeModel, OnnxModel, OnnxTensor, tensorValues } from '../../src/onnx/proto';

const FIXTURE = path.join(__dirname, 'fixtures', 'torch_mlp.onnx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-onnx-init-'));

function fixture(): OnnxModel {
  return decodeModel(fs.readFileSync(FIXTURE), FIXTURE);
}

function init(model: OnnxModel, name: string): OnnxTensor {
  return model.graph!.initializer.find((t) => t.name === name)!;
}

/** Writes `model` to <tmp>/<label>.onnx and returns the path. */
function write(label: string, model: OnnxModel): string {
  const file = path.join(tmp, `${label}.onnx`);
  fs.writeFileSync(file, encodeModel(model));
  return file;
}

function rejects(source: string | OnnxModel, prefix: string, message: RegExp, label: string) {
  assert.throws(() => importOnnx(source), (e: Error) => {
    assert.ok(e.message.startsWith(`${prefix}: `), `${label}: the message starts with the file: ${e.name}: ${e.message}`);
    assert.equal(e.name, 'TensorDataError', label);
    assert.match(e.message, message, label);
    assert.match(e.message, /re-export or re-download the model/, `${label}: says what to do`);
    return true;
  }, label);
}

test('raw_data shorter than the dims: the file, the tensor, the declared and the found size', () => {
  const m = fixture();
  const w = init(m, 'net.0.weight');
  w.rawData = w.rawData!.slice(0, 100_000);
  const file = write('short-raw', m);
  rejects(file, file, /tensor 'net\.0\.weight' has dims \[32, 784\] \(25088 float32 values, 100352 bytes\) but its raw_data holds 100000 bytes/, 'short raw_data');
});

test('raw_data longer than the dims is refused, not silently cut', () => {
  const m = fixture();
  const b = init(m, 'net.2.bias');
  b.rawData = Uint8Array.from([...b.rawData!, 0, 0, 128, 63, 0, 0, 0, 64]);
  const file = write('long-raw', m);
  rejects(file, file, /tensor 'net\.2\.bias' has dims \[10\] \(10 float32 values, 40 bytes\) but its raw_data holds 48 bytes/, 'long raw_data');
});

test('float_data of the wrong length, or no data at all, is refused', () => {
  const short = fixture();
  const b = init(short, 'net.2.bias');
  b.floatData = [0.1, 0.2, 0.3];
  b.rawData = new Uint8Array(0);
  const file = write('short-float-data', short);
  rejects(file, file, /tensor 'net\.2\.bias' has dims \[10\] \(10 float32 values\) but its float_data holds 3 values/, 'short float_data');

  const empty = fixture();
  init(empty, 'net.0.bias').rawData = new Uint8Array(0);
  const file2 = write('no-data', empty);
  rejects(file2, file2, /tensor 'net\.0\.bias' has dims \[32\] \(32 float32 values\) but it holds no data \(neither raw_data nor float_data\)/, 'no data');
});

test("a Constant node's value of the wrong size names the node", () => {
  const m = fixture();
  const c = m.graph!.node.find((n) => n.opType === 'Constant')!;
  c.attribute.find((a) => a.name === 'value')!.t!.rawData = Uint8Array.of(0, 0);
  const file = write('short-constant', m);
  rejects(file, file, new RegExp(`\\(the value of node '${c.name}', Constant\\) has dims \\[\\] \\(1 float32 value, 4 bytes\\) but its raw_data holds 2 bytes`), 'constant');
});

test('a decoded model (no file) is named as the ONNX model', () => {
  const m = fixture();
  const w = init(m, 'net.2.weight');
  w.rawData = w.rawData!.slice(0, 1276);
  rejects(m, `the ONNX model${m.graph!.name ? ` '${m.graph!.name}'` : ''}`, /tensor 'net\.2\.weight' has dims \[10, 32\] \(320 float32 values, 1280 bytes\) but its raw_data holds 1276 bytes/, 'decoded model');
});

test('tensorValues checks every element type; matching data still reads', () => {
  const i64: OnnxTensor = { name: 'shape', dims: [2], dataType: DT.INT64, int64Data: [1, -1, 3] };
  assert.throws(() => tensorValues(i64, 'x.onnx'), /^TensorDataError: x\.onnx: tensor 'shape' has dims \[2\] \(2 int64 values\) but its int64_data holds 3 values/);
  const i8: OnnxTensor = { name: 'q', dims: [2, 2], dataType: DT.INT8, rawData: Uint8Array.of(1, 254, 3) };
  assert.throws(() => tensorValues(i8), /^TensorDataError: tensor 'q' has dims \[2, 2\] \(4 int8 values, 4 bytes\) but its raw_data holds 3 bytes/);
  assert.deepEqual(Array.from(tensorValues({ ...i64, int64Data: [1, -1] })), [1, -1]);
  assert.deepEqual(Array.from(tensorValues({ ...i8, rawData: Uint8Array.of(1, 254, 3, 4) })), [1, -2, 3, 4]);
  assert.deepEqual(Array.from(tensorValues({ name: 's', dims: [], dataType: DT.FLOAT, floatData: [2.5] })), [2.5]);
  assert.throws(() => tensorValues({ name: 'h', dims: [1], dataType: 10, rawData: Uint8Array.of(0, 0) }, 'x.onnx'), /x\.onnx: tensor 'h' has element type 10; only float32/);
});
