import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, globalSparsity, quantizationHtml, quantizationText, sparsityHtml, sparsityText, tableHtml } from '../../src/viz/summary';
import { activationRange, histogram, methodResult } from '../../src/viz/build';
import { sampleQuantization, sampleSparsity } from './fixtures';

test('sparsity text and HTML summarise every layer', () => {
  const p = sampleSparsity();
  const text = sparsityText(p);
  assert.match(text, /^Sparsity \(lenet5\) — magnitude pruning: \d+\.\d% of 300,342 weights pruned/);
  for (const l of p.layers) assert.ok(text.includes(l.name));
  assert.match(text, /history: 4 steps, global 0\.0% -> 88\.0%/);
  const html = sparsityHtml(p);
  assert.equal((html.match(/<tr>/g) ?? []).length, 1 + p.layers.length);
  assert.ok(Math.abs(globalSparsity(p) - 0.9) < 0.01);
});

test('quantization text and HTML carry the MSE / SQNR table', () => {
  const p = sampleQuantization();
  assert.match(quantizationText(p), /conv1\/kernel\s+int8 symmetric per-tensor, best minmax: SQNR \d+\.\d\d dB/);
  const html = quantizationHtml(p);
  assert.equal((html.match(/<tr>/g) ?? []).length, 1 + 4);
  assert.ok(html.includes('<th>SQNR (dB)</th>'));
});

test('HTML escapes names', () => {
  assert.equal(escapeHtml(`<b a="1">'&`), '&lt;b a=&quot;1&quot;&gt;&#39;&amp;');
  const html = tableHtml({ columns: ['<x>'], rows: [['<script>']] });
  assert.ok(!html.includes('<script>'));
});

test('histogram: equal bins, out-of-range values in the end bins, non-finite skipped', () => {
  assert.deepEqual(histogram([0, 0.5, 1], { bins: 2 }), { edges: [0, 0.5, 1], counts: [1, 2] });
  assert.deepEqual(histogram([-5, 0.1, 9, NaN, Infinity], { bins: 2, min: 0, max: 1 }).counts, [2, 1]);
  assert.throws(() => histogram([1], { bins: 0 }), /bins must be a positive whole number/);
});

test('activationRange counts saturation; methodResult computes MSE and SQNR', () => {
  const a = activationRange([-2, 0, 1, 2, 7], 0, 6);
  assert.equal(a.saturationRate, 2 / 5);
  assert.equal(a.histogram.edges[0], -2);
  assert.equal(a.histogram.edges[a.histogram.edges.length - 1], 7);
  const m = methodResult('x', [1, 2, 3, 4], [1, 2, 3, 3]);
  assert.equal(m.mse, 0.25);
  assert.ok(Math.abs(m.sqnr - 10 * Math.log10(30 / 1)) < 1e-12);
  assert.equal(methodResult('y', [1], [1]).sqnr, Infinity);
  assert.throws(() => methodResult('z', [1, 2], [1]), /2 values but dequantized has 1/);
});
