/**
 * The coverage list (site/coverage.json): every topic of the source documents has a page section, present
 * both as a heading id in the MDX source and as an anchor of the built page; every chapter page has at
 * least one exercise, every exercise id used exists, and every catalog exercise appears on a page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';
import { chapterExercises } from '../../src/exercises';

const SITE = path.join(ROOT, 'site');
const coverage = JSON.parse(fs.readFileSync(path.join(SITE, 'coverage.json'), 'utf8')) as { topics: Record<string, string> };
const mdx = (page: string) => fs.readFileSync(path.join(SITE, 'docs', `${page}.mdx`), 'utf8');
const chapterPages = ['overview', 'pruning', 'distillation', 'low-rank', 'edge-design', 'numerics', 'quantization', 'eight-bits', 'bitoptimizer', 'hardware', 'transformers', 'frameworks', 'onnx'];

test('the coverage list names every topic of the issue', () => {
  const keys = Object.keys(coverage.topics).join(' | ').toLowerCase();
  for (const topic of ['overview', 'structured', 'unstructured', 'criteria', 'iterative vs one-shot', 'lottery ticket', 'challenges',
    'knowledge distillation', 'low-rank', 'tensor decomposition', 'depthwise-separable', 'compact architectures', 'architecture search',
    'formats', 'precision', 'numerics: trade-offs', 'uniform', 'non-uniform', 'stochastic', 'zero-shot', 'calibration', 'symmetric/asymmetric',
    'granularity', 'static/dynamic', 'ptq', 'qat', 'weights vs activations', 'quantization: trade-offs', 'with pruning', 'edge hardware',
    'why 8 bits', 'bitoptimizer4ml', 'hw-nas', 'kernel optimizations', 'compute-in-memory', 'memory access', 'sparsity',
    'built-in apis', 'automated tools', 'hardware libraries', 'visualizing', 'onnx',
    'weight-only int4/int8', 'gptq', 'awq', 'smoothquant', 'microscaling', 'kv-cache', '2:4', 'wanda', 'head pruning', 'transformers: distillation']) {
    assert.ok(keys.includes(topic), `coverage.json has no topic mentioning "${topic}"`);
  }
});

test('every covered topic has a heading in the MDX source and an anchor in the built page', () => {
  const built = fs.existsSync(path.join(SITE, 'build', 'index.html'));
  for (const [topic, target] of Object.entries(coverage.topics)) {
    const [page, anchor] = target.split('#');
    assert.ok(chapterPages.includes(page), `${topic}: unknown page ${page}`);
    const src = mdx(page);
    assert.match(src, new RegExp(`^#{1,4} .+\\{#${anchor}\\}\\s*$`, 'm'), `${topic}: docs/${page}.mdx has no heading {#${anchor}}`);
    if (built) {
      const html = fs.readFileSync(path.join(SITE, 'build', page === 'overview' ? 'index.html' : `${page}.html`), 'utf8');
      assert.match(html, new RegExp(`\\sid="?${anchor}"?[\\s>]`), `${topic}: build/${page}.html has no element id="${anchor}"`);
    }
  }
});

test('exercises: at least one per chapter page, ids exist, every catalog exercise is used', () => {
  const used = new Set<string>();
  const known = new Set(chapterExercises.map((e) => e.id));
  for (const page of chapterPages) {
    const ids = [...mdx(page).matchAll(/<Exercise id="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids.length >= 1, `docs/${page}.mdx has no exercise`);
    for (const id of ids) {
      assert.ok(known.has(id), `docs/${page}.mdx uses unknown exercise ${id}`);
      used.add(id);
    }
  }
  assert.deepEqual(chapterExercises.map((e) => e.id).filter((id) => !used.has(id)), [], 'exercises that no page shows');
});
