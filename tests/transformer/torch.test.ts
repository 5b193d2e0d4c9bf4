// tinyGpt's forward pass and loss against an independent PyTorch model (tests/transformer/torch_reference.py,
// built from torch.nn modules: nn.MultiheadAttention with a causal mask, nn.LayerNorm, nn.Linear) run by
// Debian's python3-torch on the same weights. CI installs python3-torch (scripts/setup.sh); elsewhere, without
// it, the tests report themselves skipped.
import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../helpers';
import { SYSTEM_PYTHON } from '../../src/onnx/check';
import { mulberry32 } from '../../src/util/random';
import { tinyGpt, type GptActivation } from '../../src/transformer';

const SCRIPT = path.join(__dirname, 'torch_reference.py');
const hasTorch = fs.existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch && process.env.CI) throw new Error(`CI needs ${SYSTEM_PYTHON} with Debian's python3-torch for the PyTorch cross-check of tinyGpt`);
const NO_TORCH = `python3-torch is missing (${SYSTEM_PYTHON} cannot import torch), so the PyTorch cross-check did not run`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-tinygpt-'));

before(async () => {
  await setupBackend();
});

/** A small tinyGpt whose every parameter (LayerNorm gains and all biases too) is seeded random, not its init. */
function randomModel(activation: GptActivation, seed: number) {
  const model = tinyGpt({ vocabSize: 11, contextLength: 12, dModel: 16, nLayers: 2, nHeads: 4, mlpRatio: 4, activation, seed });
  const r = mulberry32(seed + 100);
  const w = model.getWeights();
  for (const [name, values] of Object.entries(w)) {
    const gain = name.endsWith('.gamma');
    for (let i = 0; i < values.length; i++) values[i] = gain ? 1 + (r() - 0.5) * 0.4 : (r() - 0.5) * 0.6;
  }
  model.setWeights(w);
  return model;
}

function runTorch(model: ReturnType<typeof randomModel>, tokens: number[][], file: string): { logits: number[][][]; loss: number } {
  const spec = { config: model.config, weights: Object.fromEntries(Object.entries(model.getWeights()).map(([k, v]) => [k, Array.from(v)])), tokens };
  const json = path.join(tmp, file);
  fs.writeFileSync(json, JSON.stringify(spec));
  const r = spawnSync(SYSTEM_PYTHON, [SCRIPT, json], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `torch_reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function tokens(b: number, t: number, vocab: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: b }, () => Array.from({ length: t }, () => Math.floor(r() * vocab)));
}

for (const activation of ['relu', 'gelu'] as const) {
  test(`forward logits and loss equal an independent torch.nn model (${activation} MLP, random weights, full and shorter sequences)`, (t: TestContext) => {
    if (!hasTorch) {
      t.skip(NO_TORCH);
      return;
    }
    const model = randomModel(activation, activation === 'relu' ? 3 : 4);
    try {
      for (const len of [12, 5]) {
        const ids = tokens(3, len, 11, len);
        const ref = runTorch(model, ids, `${activation}-${len}.json`);
        const ours = tf.tidy(() => model.forward(tf.tensor2d(ids, [3, len], 'int32')).arraySync());
        let worst = 0;
        let scale = 0;
        for (let b = 0; b < 3; b++)
          for (let i = 0; i < len; i++)
            for (let v = 0; v < 11; v++) {
              worst = Math.max(worst, Math.abs(ours[b][i][v] - ref.logits[b][i][v]));
              scale = Math.max(scale, Math.abs(ref.logits[b][i][v]));
            }
        assert.ok(scale > 0.5, `the logits are not trivially small (max |logit| ${scale})`);
        assert.ok(worst < 1e-4 * Math.max(1, scale), `len ${len}: max |tinyGpt - torch| logit = ${worst} (max |logit| ${scale})`);
        const x = tf.tensor2d(ids.map((r) => r.slice(0, -1)), [3, len - 1], 'int32');
        const y = tf.tensor2d(ids.map((r) => r.slice(1)), [3, len - 1], 'int32');
        const loss = tf.tidy(() => model.loss(x, y).dataSync()[0]);
        x.dispose();
        y.dispose();
        assert.ok(Math.abs(loss - ref.loss) < 1e-5 * Math.max(1, ref.loss), `len ${len}: loss ${loss} vs torch ${ref.loss}`);
      }
    } finally {
      model.dispose();
    }
  });
}
