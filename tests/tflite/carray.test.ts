import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setupBackend } from '../helpers';
import { createModel } from '../../src/models/zoo';
import { loadMnist } from '../../src/data/files';
import { buildPtqPlan } from '../../src/quantize';
import { budgetReport, exportTflite, inspectTflite, planArena, toCArray } from '../../src/tflite';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-tflite-c-'));
let int8: Uint8Array;
let fp32: Uint8Array;
before(async () => {
  await setupBackend();
  const model = createModel('lenet5', { seed: 2 });
  fp32 = exportTflite(model);
  int8 = exportTflite(model, { plan: await buildPtqPlan(model, { bits: 8 }, loadMnist({ split: 'train', limit: 200 })) });
});

test('arena plan of LeNet-5 equals the hand-computed plan', () => {
  // int8, 16-byte aligned sizes: input 784, conv1 28x28x6 = 4704, pool1 14x14x6 = 1176 -> 1184, conv2 1600,
  // pool2 400, reshape 400, fc1 120 -> 128, fc2 84 -> 96, logits 10 -> 16. The peak is pool1 (op 1), when
  // conv1's output and pool1's output are both alive: 4704 + 1184 = 5888; first-fit reuses the rest.
  const p = planArena(inspectTflite(int8));
  assert.equal(p.peakLiveBytes, 5888);
  assert.equal(p.arenaBytes, 5888);
  const at = (name: string) => p.slots.find((s) => s.name === name)!;
  assert.deepEqual([at('conv1').offset, at('pool1').offset, at('input').offset, at('conv2').offset], [0, 4704, 4704, 0]);
  // fp32: the same tensors x4 plus the normalization (MUL, ADD: 3136 each); the peak is pool1 again:
  // 18816 + 4704 = 23520.
  const f = planArena(inspectTflite(fp32));
  assert.equal(f.peakLiveBytes, 23520);
  assert.equal(f.arenaBytes, 23520);
  // No two tensors alive at the same time share bytes.
  for (const a of f.slots) for (const b of f.slots) {
    if (a === b || a.last < b.first || b.last < a.first) continue;
    assert.ok(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset, `${a.name} / ${b.name}`);
  }
});

test('budget report: flash, arena and named targets', () => {
  const r = budgetReport(int8);
  assert.equal(r.flashBytes, int8.length);
  assert.equal(r.arenaBytes, 5888);
  assert.deepEqual(r.targets.map((t) => t.fits), [true, true, true]);
  const big = budgetReport(exportTflite(createModel('mnistCnn', { seed: 1 })));
  const m0 = big.targets.find((t) => t.name.startsWith('Cortex-M0+'))!;
  assert.equal(m0.fits, false);
  assert.match(m0.why, /model .* KiB > flash 256\.0 KiB; arena .* > SRAM 32\.0 KiB/);
  assert.match(r.text, /tensor arena \(liveness plan, 16-byte aligned\): 5888 bytes/);
});

test('C array compiles for a Cortex-M4 and round-trips the exact model bytes on the host', () => {
  const { header, source, symbol } = toCArray(int8, 'lenet5_int8', 'lenet5_int8.h');
  assert.equal(symbol, 'lenet5_int8');
  fs.writeFileSync(path.join(tmp, 'lenet5_int8.h'), header);
  fs.writeFileSync(path.join(tmp, 'lenet5_int8.cc'), source);
  const obj = path.join(tmp, 'model.o');
  execFileSync('arm-none-eabi-g++', ['-mcpu=cortex-m4', '-mthumb', '-Os', '-std=c++11', '-c', path.join(tmp, 'lenet5_int8.cc'), '-o', obj]);
  const nm = execFileSync('arm-none-eabi-nm', ['-S', '--size-sort', obj], { encoding: 'utf8' });
  const row = nm.split('\n').find((l) => l.endsWith(` ${symbol}`))!;
  assert.ok(row, nm);
  assert.equal(parseInt(row.split(' ')[1], 16), int8.length, 'the array in the object has the model size');
  assert.equal(row.split(' ')[2], 'R', 'the array is read-only data (flash)');
  fs.writeFileSync(path.join(tmp, 'main.cc'), `#include <cstdio>\n#include <cstdint>\n#include "lenet5_int8.h"\nint main() {\n  if (reinterpret_cast<uintptr_t>(${symbol}) % 16 != 0) return 2;\n  fwrite(${symbol}, 1, ${symbol}_len, stdout);\n  return 0;\n}\n`);
  const exe = path.join(tmp, 'roundtrip');
  execFileSync('g++', ['-std=c++11', '-Wall', '-Werror', path.join(tmp, 'main.cc'), path.join(tmp, 'lenet5_int8.cc'), '-o', exe]);
  const out = execFileSync(exe);
  assert.equal(out.length, int8.length);
  assert.ok(Buffer.from(int8).equals(out), 'host program prints the model bytes exactly');
});
