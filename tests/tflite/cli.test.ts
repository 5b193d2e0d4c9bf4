import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setupBackend } from '../helpers';
import { createModel } from '../../src/models/zoo';
import { saveModel } from '../../src/models/files';
import { UsageError } from '../../src/cli/command';
import { command as exportCmd } from '../../src/cli/commands/export';
import { inspectTflite } from '../../src/tflite';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-tflite-cli-'));
const dir = path.join(tmp, 'lenet5');
before(async () => {
  await setupBackend();
  await saveModel(createModel('lenet5', { seed: 2 }), dir);
});

async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> {
  const log = console.log;
  let out = '';
  console.log = (...a: unknown[]) => (out += a.join(' ') + '\n');
  try {
    return { value: await fn(), out };
  } finally {
    console.log = log;
  }
}

test('optilab export --format tflite writes fp32 and full-integer int8 models', async () => {
  const fp = path.join(tmp, 'lenet5.tflite');
  const q = path.join(tmp, 'lenet5.int8.tflite');
  const r1 = await quiet(() => exportCmd.run(['--model', dir, '--format', 'tflite', '--out', fp]));
  assert.equal(r1.value, 0);
  assert.match(r1.out, /fp32, MUL×1 ADD×1 CONV_2D×2 MAX_POOL_2D×2 RESHAPE×1 FULLY_CONNECTED×3/);
  const r2 = await quiet(() => exportCmd.run(['--model', dir, '--format', 'tflite', '--int8', '--calibration', '64', '--out', q]));
  assert.equal(r2.value, 0);
  assert.match(r2.out, /full-integer int8 \(calibrated on 64 mnist train images\)/);
  assert.match(r2.out, /tensor arena \(liveness plan, 16-byte aligned\): 5888 bytes/);
  const s = inspectTflite(fs.readFileSync(q));
  assert.equal(s.tensors[s.inputs[0]].type, 'INT8');
  assert.ok(fs.statSync(fp).size / fs.statSync(q).size > 3, 'int8 file more than 3x smaller');
});

test('optilab export --format c-array writes a .h/.cc pair and the budget', async () => {
  const out = path.join(tmp, 'c', 'lenet5_int8.cc');
  const r = await quiet(() => exportCmd.run(['--model', dir, '--format', 'c-array', '--int8', '--calibration', '64', '--out', out]));
  assert.equal(r.value, 0);
  const h = fs.readFileSync(path.join(tmp, 'c', 'lenet5_int8.h'), 'utf8');
  const cc = fs.readFileSync(out, 'utf8');
  assert.match(h, /extern const unsigned char lenet5_int8\[\];/);
  assert.match(cc, /alignas\(16\) const unsigned char lenet5_int8\[\] = \{/);
  assert.match(r.out, /fits +Arduino Nano 33 BLE Sense/);
  await assert.rejects(exportCmd.run(['--model', dir, '--format', 'tflite', '--check', '--out', 'x.tflite']), (e: Error) => e instanceof UsageError && /--check applies to --format onnx only/.test(e.message));
});
