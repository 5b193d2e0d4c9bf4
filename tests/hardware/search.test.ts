import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadMnist } from '../../src/data/files';
import {
  architectureLabel, candidateKey, candidateMemory, checkMcuBudget, DEFAULT_SEARCH_SPACE, dominates, evaluateCandidate, evolutionarySearch, memoryResultCache,
  mutateArchitecture, randomSearch, sampleArchitecture, stableHash, stableStringify, type Architecture, type SearchOptions, type SearchSpace,
} from '../../src/hardware';
import { fileResultCache } from '../../src/hardware/search-cache-file';
import { mulberry32 } from '../../src/util/random';
import { MNIST_SLICE, setupBackend } from '../helpers';

before(async () => {
  await setupBackend();
});

// Tiny on purpose: the bookkeeping is under test, not the accuracies (128 training images, 4-8 filters).
const data = { train: loadMnist({ split: 'train', limit: 128 }), test: loadMnist({ split: 'test', dir: MNIST_SLICE, limit: 64 }) };
const SPACE: SearchSpace = { kinds: ['standard', 'separable'], filters: [4, 8], kernelSizes: [3, 5], depths: [1, 2], denseUnits: [0, 16] };
const base = (cache = memoryResultCache()): SearchOptions => ({
  budget: 3,
  space: SPACE,
  seed: 4,
  training: { images: 128, epochs: 1, testImages: 64, batchSize: 32 },
  latency: { runs: 2, batchRuns: 1, batchSize: 8, warmup: 1 },
  // 12,000 bytes of flash (int8): of the one-block nets only 4 filters without a hidden layer fit (14·14·4·10
  // logit weights); two-block nets all fit.
  mcu: { sramBytes: 1 << 20, flashBytes: 12_000 },
  cache,
});

test('stable hashes ignore key order and see every value', () => {
  assert.equal(stableStringify({ b: 1, a: [2, { d: 3, c: 4 }], u: undefined }), '{"a":[2,{"c":4,"d":3}],"b":1}');
  assert.equal(stableHash({ a: 1, b: [1, 2] }), stableHash({ b: [1, 2], a: 1 }));
  assert.notEqual(stableHash({ a: 1, b: [1, 2] }), stableHash({ a: 1, b: [2, 1] }));
  assert.match(stableHash('x'), /^[0-9a-f]{16}$/);
});

test('sampling and mutation are seeded, stay in the space, and a mutation changes one thing', () => {
  const draw = (seed: number) => Array.from({ length: 20 }, ((r) => () => architectureLabel(sampleArchitecture(DEFAULT_SEARCH_SPACE, r)))(mulberry32(seed)));
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3), draw(4));
  const rand = mulberry32(8);
  for (let i = 0; i < 200; i++) {
    const a = sampleArchitecture(SPACE, rand);
    assert.ok(SPACE.depths.includes(a.blocks.length) && SPACE.denseUnits.includes(a.dense));
    for (const b of a.blocks) assert.ok(SPACE.filters.includes(b.filters) && SPACE.kernelSizes.includes(b.kernelSize) && SPACE.kinds.includes(b.kind));
    const m = mutateArchitecture(a, SPACE, rand);
    assert.notEqual(architectureLabel(m), architectureLabel(a));
    assert.ok(SPACE.depths.includes(m.blocks.length));
    const changed = Math.abs(m.blocks.length - a.blocks.length) + (m.dense !== a.dense ? 1 : 0)
      + (m.blocks.length === a.blocks.length ? m.blocks.filter((b, j) => JSON.stringify(b) !== JSON.stringify(a.blocks[j])).length : 0);
    assert.equal(changed, 1, `${architectureLabel(a)} -> ${architectureLabel(m)}`);
  }
  assert.equal(architectureLabel({ blocks: [{ kind: 'standard', filters: 16, kernelSize: 5 }, { kind: 'separable', filters: 32, kernelSize: 3 }], dense: 64 }), 'S16k5-D32k3-fc64');
});

test('a candidate is trained, scored and timed once; the cache key covers architecture and training settings', async () => {
  const arch: Architecture = { blocks: [{ kind: 'separable', filters: 4, kernelSize: 3 }], dense: 0 };
  const opts = base();
  const r = await evaluateCandidate(arch, data, opts);
  assert.equal(r.cached, false);
  assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && r.testImages === 64);
  assert.ok(r.latencyMs > 0 && r.batchLatencyMs > 0 && r.batchSize === 8 && r.batchImagesPerSecond > 0);
  assert.equal(r.params, candidateMemory(arch).params);
  const again = await evaluateCandidate(arch, data, opts);
  assert.equal(again.cached, true);
  assert.equal(again.accuracy, r.accuracy);
  assert.equal(again.latencyMs, r.latencyMs);
  const key = candidateKey(arch, data, opts);
  assert.equal(r.key, key);
  assert.notEqual(candidateKey(arch, data, { ...opts, training: { ...opts.training, epochs: 2 } }), key);
  assert.notEqual(candidateKey({ ...arch, dense: 16 }, data, opts), key);
  assert.notEqual(candidateKey(arch, data, { ...opts, salt: 'other build' }), key);
  assert.equal(candidateKey(arch, data, { ...opts, training: { ...opts.training, seed: 1, learningRate: 2e-3 } }), key, 'defaults spelled out');
});

test('random and evolutionary search each measure exactly the budget, rule out what does not fit, and rerun from the cache', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-search-'));
  try {
    const file = path.join(dir, 'results.json');
    const first = await randomSearch(data, base(fileResultCache(file)));
    assert.equal(first.strategy, 'random');
    assert.equal(first.evaluated.length, 3);
    assert.equal(new Set(first.evaluated.map((c) => c.label)).size, 3);
    for (const c of first.evaluated) assert.ok(checkMcuBudget(candidateMemory(c.arch), base().mcu).fits, c.label);
    assert.ok(first.ruledOut.length > 0, 'seed 4 draws one-block nets that do not fit');
    for (const r of first.ruledOut) {
      assert.ok(r.reasons.length === 1 && /^flash: .* > 11\.7 KiB$/.test(r.reasons[0]), `${r.label}: ${r.reasons.join('; ')}`);
      assert.ok(r.flashBytes > 12_000 && r.arch.blocks.length === 1);
    }
    // The front is the non-dominated part of what was measured.
    for (const c of first.evaluated) assert.equal(first.front.includes(c), !first.evaluated.some((o) => dominates(o, c)), c.label);
    // A rerun (new process: a new cache object on the same file) draws the same candidates and trains none.
    const rerun = await randomSearch(data, base(fileResultCache(file)));
    assert.deepEqual(rerun.evaluated.map((c) => c.label), first.evaluated.map((c) => c.label));
    assert.ok(rerun.evaluated.every((c) => c.cached));
    assert.deepEqual(rerun.evaluated.map((c) => c.accuracy), first.evaluated.map((c) => c.accuracy));
    assert.deepEqual(rerun.ruledOut.map((c) => c.label), first.ruledOut.map((c) => c.label));

    const evo = await evolutionarySearch(data, base(fileResultCache(file)));
    assert.equal(evo.strategy, 'evolution');
    assert.equal(evo.evaluated.length, 3, 'the same budget as random search');
    const evoAgain = await evolutionarySearch(data, base(fileResultCache(file)));
    assert.deepEqual(evoAgain.evaluated.map((c) => c.label), evo.evaluated.map((c) => c.label), 'reproducible given the cached measurements');
    assert.ok(evoAgain.evaluated.every((c) => c.cached));
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; entries: Record<string, unknown> };
    assert.equal(stored.version, 1);
    assert.ok(Object.keys(stored.entries).length >= 3);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a budget that nothing fits measures nothing and stops after maxDraws', async () => {
  const r = await randomSearch(data, { ...base(), mcu: { sramBytes: 100, flashBytes: 100 }, maxDraws: 30 });
  assert.equal(r.evaluated.length, 0);
  assert.equal(r.draws, 30);
  assert.ok(r.ruledOut.length > 0 && r.ruledOut.every((x) => x.reasons.some((s) => s.startsWith('SRAM'))));
  await assert.rejects(randomSearch(data, { ...base(), budget: 0 }), /budget must be a positive whole number/);
});
