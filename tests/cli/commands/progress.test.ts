// Progress reporting of `optilab eval`, `optilab export --int8` and `optilab deploy-bench`: off a terminal (CI
// set) each writes progress lines on stderr, and stdout keeps only the command's own output.
// (`optilab grade`: tests/grader/progress.suite.ts and tests/queue/progress.suite.ts; `optilab notebooks run`:
// tests/notebooks/progress.test.ts; createProgress itself and the terminal path: tests/cli/progress.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createModel } from '../../../src/models/zoo';
import { saveModel } from '../../../src/models/files';
import { ROOT, setupBackend } from '../../helpers';

const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const ONNX_FIXTURES = path.join(ROOT, 'tests', 'onnx', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-cli-progress-'));
const modelDir = path.join(tmp, 'mlp');

before(async () => {
  await setupBackend();
  await saveModel(createModel('mlp', { seed: 1 }), modelDir);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function optilab(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, CI: 'true' }, timeout: 120_000 });
}

/** The percentages of `label`'s progress lines in `stderr`, checking each line's form. */
function percentages(stderr: string, label: string): number[] {
  const lines = stderr.split('\n').filter((l) => l.startsWith(`${label}: `) && !l.startsWith(`${label}: done in`));
  for (const l of lines) assert.match(l, new RegExp(`^${label}: \\d+% \\(elapsed \\d+s, ETA (\\d+s|\\d+m\\d\\ds|--)\\) `), l);
  return lines.map((l) => Number(/: (\d+)%/.exec(l)![1]));
}

const cases: { name: string; args: () => string[]; label: string; percents: number[]; detail: RegExp; done: RegExp; stdout: (out: string) => void }[] = [
  {
    name: 'eval: one step per evaluation batch (batches of 500 images)',
    args: () => ['eval', '--model', modelDir, '--limit', '1000', '--json'],
    label: 'eval mnist',
    percents: [50, 100],
    detail: /: 50% .*\) 500\/1000 images$/m,
    done: /^eval mnist: done in \d+s 1000 images$/m,
    stdout: (out) => assert.equal(JSON.parse(out).count, 1000),
  },
  {
    name: 'export --int8: one step per calibration batch (batches of 250 images)',
    args: () => ['export', '--model', modelDir, '--format', 'onnx', '--int8', '--calibration', '600', '--out', path.join(tmp, 'mlp.int8.onnx')],
    label: 'calibrate int8 on mnist',
    percents: [42, 83, 100],
    detail: /: 83% .*\) 500\/600 images$/m,
    done: /^calibrate int8 on mnist: done in \d+s 600 images$/m,
    stdout: (out) => assert.match(out, /^\S+mlp\.int8\.onnx: [\d.]+ KiB, int8 QDQ \(calibrated on 600 mnist train images\), opset 13, /),
  },
  {
    name: 'deploy-bench: one step per measured model',
    args: () => [
      'deploy-bench', path.join(ONNX_FIXTURES, 'torch_mlp.onnx'), path.join(ONNX_FIXTURES, 'torch_cnn.onnx'), '--runs', '10', '--batch', '8', '--json',
    ],
    label: 'deploy-bench',
    percents: [0, 50, 100],
    detail: /: 50% .*\) torch_mlp: p50 [\d.]+ ms; measuring torch_cnn\.onnx$/m,
    done: /^deploy-bench: done in \d+s 2 model\(s\)$/m,
    stdout: (out) => assert.deepEqual(JSON.parse(out).map((r: { model: string }) => r.model), ['torch_mlp', 'torch_cnn']),
  },
];

for (const c of cases) {
  test(`${c.name}: progress lines on stderr, stdout clean`, () => {
    const r = optilab(...c.args());
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(percentages(r.stderr, c.label), c.percents, r.stderr);
    assert.match(r.stderr, c.detail);
    assert.match(r.stderr, c.done);
    assert.doesNotMatch(r.stdout, /ETA|done in/, 'no progress on stdout');
    c.stdout(r.stdout);
  });
}
