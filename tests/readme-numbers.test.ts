import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { loadResults, README_BLOCKS, readmeBlockKeys, renderReadme } from '../bench/readme-numbers';

const ROOT = path.resolve(__dirname, '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const results = loadResults(path.join(ROOT, 'bench', 'results'));

test('the README carries every generated bench block, each from an existing result file', () => {
  assert.deepEqual([...readmeBlockKeys(readme)].sort(), Object.keys(README_BLOCKS).sort());
  for (const block of Object.values(README_BLOCKS)) assert.ok(results[block.file], `bench/results/${block.file}.json`);
});

test("the README's measured numbers equal bench/results (regenerate with npx tsx bench/readme-numbers.ts)", () => {
  const fresh = renderReadme(readme, results);
  if (fresh !== readme) {
    const a = readme.split('\n');
    const b = fresh.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    assert.fail(`README.md line ${i + 1} differs from bench/results:\n  README:    ${a[i]}\n  generated: ${b[i]}`);
  }
});

test('a changed measurement changes the README text (the check can fail)', () => {
  const train = structuredClone(results['train-cli']);
  train.rows[0].testAccuracy = 0.5;
  const drifted = renderReadme(readme, { ...results, 'train-cli': train });
  assert.notEqual(drifted, readme);
  assert.match(drifted, /reached 50\.00% test accuracy/);
  assert.match(readme, new RegExp(`reached ${(results['train-cli'].rows[0].testAccuracy * 100).toFixed(2)}% test accuracy`));
  const queue = structuredClone(results['class-queue']);
  queue.rows.find((r: { workers: number }) => r.workers === 2).perMinute = 99;
  assert.match(renderReadme(readme, { ...results, 'class-queue': queue }), /99\.0\/min with 2/);
});

test('no measurement claim outside a generated block', () => {
  const outside = readme.replace(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g, '');
  for (const claim of [/Measured on/i, /[\d.]+ students per GiB/, /[\d.]+ submissions\/min/, /s per [\d,]+-image epoch/, /[\d.]+x the CPU per submission/, /[\d.]+% test accuracy/]) {
    assert.doesNotMatch(outside, claim, `README.md says '${claim.source}' outside a bench block`);
  }
});

test('a block naming an unknown key or a missing result file is an error, not silence', () => {
  assert.throws(() => renderReadme('<!-- bench:nope -->\nx\n<!-- /bench:nope -->', results), /no such block/);
  assert.throws(() => renderReadme('<!-- bench:class -->\nx\n<!-- /bench:class -->', {}), /needs bench\/results\/class\.json/);
});
