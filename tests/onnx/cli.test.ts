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
import { command as benchCmd } from '../../src/cli/commands/deploy-bench';
import { deployBench, formatDeployTable } from '../../src/onnx/deploy';
import { inspectOnnx } from '../../src/onnx/inspect';
import { hasPythonOnnx } from '../../src/onnx/check';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-onnx-cli-'));
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

test('optilab export writes fp32 and int8 QDQ ONNX files of a saved model', async () => {
  const fp = path.join(tmp, 'out', 'lenet5.onnx');
  const q = path.join(tmp, 'out', 'lenet5.int8.onnx');
  const check = hasPythonOnnx() ? ['--check'] : [];
  const r1 = await quiet(() => exportCmd.run(['--model', dir, '--format', 'onnx', '--out', fp, ...check]));
  assert.equal(r1.value, 0);
  assert.match(r1.out, /fp32, opset 13/);
  const r2 = await quiet(() => exportCmd.run(['--model', dir, '--format', 'onnx', '--int8', '--calibration', '64', '--out', q, ...check]));
  assert.equal(r2.value, 0);
  assert.match(r2.out, /int8 QDQ \(calibrated on 64 mnist train images\)/);
  if (check.length) assert.match(r2.out, /onnx.checker \(full_check\): ok/);
  const s = inspectOnnx(q);
  assert.ok(s.operators.QuantizeLinear > 0 && s.bytesByType.int8 > s.bytesByType.float32);
  assert.ok(fs.statSync(fp).size / fs.statSync(q).size > 3, 'int8 file more than 3x smaller');
});

test('optilab export: usage errors for missing or bad flags', async () => {
  await assert.rejects(exportCmd.run(['--model', dir]), (e: Error) => e instanceof UsageError && /--out/.test(e.message));
  await assert.rejects(exportCmd.run(['--out', 'x.onnx']), (e: Error) => e instanceof UsageError && /--model/.test(e.message));
  await assert.rejects(exportCmd.run(['--model', dir, '--out', 'x.onnx', '--format', 'pb']), (e: Error) => e instanceof UsageError && /--format must be one of onnx/.test(e.message));
  await assert.rejects(exportCmd.run(['--model', dir, '--out', 'x.onnx', '--calibration', '10']), /only applies with --int8/);
});

test('deploy-bench measures each model in its own process and prints a side-by-side table', async () => {
  const files = [path.join(tmp, 'out', 'lenet5.onnx'), path.join(tmp, 'out', 'lenet5.int8.onnx')];
  const rows = await deployBench(files, { runs: 30, batch: 32, batchRuns: 2, accuracy: 100 });
  assert.equal(rows.length, 2);
  for (const r of rows) {
    assert.equal(r.threads, 1);
    assert.ok(r.loadMs > 0 && r.latencyP50Ms > 0 && r.latencyP99Ms >= r.latencyP50Ms && r.throughputImagesPerS > 0);
    assert.ok(r.peakRssMiB > 20, `peak RSS ${r.peakRssMiB}`);
    assert.equal(r.accuracyImages, 100);
  }
  assert.equal(rows[0].fileBytes, fs.statSync(files[0]).size);
  const table = formatDeployTable(rows);
  assert.match(table, /lenet5\.int8/);
  assert.match(table, /p50 ms.*p99 ms/);
  const r = await quiet(() => benchCmd.run([files[1], '--runs', '10', '--batch', '8', '--json']));
  assert.equal(JSON.parse(r.out)[0].batch, 8);
  await assert.rejects(benchCmd.run([]), UsageError);
  await assert.rejects(benchCmd.run([path.join(tmp, 'nope.onnx')]), /does not exist/);
});

test("deploy-bench's peak memory belongs to the measuring process, not to the parent", async () => {
  const ballast = Buffer.alloc(400 * 2 ** 20, 1); // 400 MiB resident in this (parent) process
  const [r] = await deployBench([path.join(tmp, 'out', 'lenet5.int8.onnx')], { runs: 10, batch: 8, batchRuns: 1 });
  assert.ok(ballast[12345] === 1);
  assert.ok(process.memoryUsage().rss > 400 * 2 ** 20);
  assert.ok(r.peakRssMiB < 350, `child peak ${r.peakRssMiB} MiB includes the parent's memory`);
});
