import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskHeatmapFigure, sparsityBarsFigure, sparsityFigures, sparsityTrendFigure } from '../../src/viz/sparsity';
import { maskMatrix, sparsityLayer } from '../../src/viz/mask';
import { themeColors } from '../../src/viz/theme';
import { randomMask, sampleSparsity } from './fixtures';

test('exact mask heat map: z is the unpacked mask, hover says kept/pruned, no colour bar', () => {
  const p = sampleSparsity();
  const fig = maskHeatmapFigure(p, 'dense1/kernel');
  assert.equal(fig.data.length, 1);
  const t = fig.data[0] as unknown as { type: string; z: number[][]; customdata: string[][]; showscale: boolean };
  assert.equal(t.type, 'heatmap');
  assert.equal(t.z.length, 16);
  assert.equal(t.z[0].length, 12);
  assert.deepEqual(t.z, maskMatrix(p.layers[1].mask));
  assert.equal(t.customdata[0][0], t.z[0][0] ? 'kept' : 'pruned');
  assert.equal(t.showscale, false);
  assert.match(String((fig.layout.title as { text: string }).text), /dense1\/kernel \[16×12\]: \d+\.\d% pruned \(exact mask\)/);
});

test('density heat map for large layers shows fractions with a colour bar', () => {
  const fig = maskHeatmapFigure(sampleSparsity(), 2);
  const t = fig.data[0] as unknown as { z: number[][]; showscale: boolean; hovertemplate: string };
  assert.equal(t.z.length, 50);
  assert.equal(t.showscale, true);
  assert.ok(t.z.flat().every((v) => v >= 0 && v <= 1));
  const mean = t.z.flat().reduce((a, b) => a + b, 0) / t.z.flat().length;
  assert.ok(Math.abs(mean - 0.1) < 0.02, `kept fraction ~10%, got ${mean}`);
  assert.match(t.hovertemplate, /kept/);
});

test('a 512x512 mask stays exact and builds quickly', () => {
  const layer = sparsityLayer('w', [512, 512], randomMask(512 * 512, 0.8, 5));
  const t0 = performance.now();
  const fig = maskHeatmapFigure({ version: 1, layers: [layer] });
  const ms = performance.now() - t0;
  const t = fig.data[0] as unknown as { z: number[][]; customdata?: unknown; hovertemplate: string };
  const z = t.z;
  assert.equal(t.customdata, undefined, 'no per-cell hover words for large masks');
  assert.match(t.hovertemplate, /1 = kept, 0 = pruned/);
  assert.equal(layer.mask.kind, 'bits');
  assert.equal(z.length * z[0].length, 512 * 512);
  assert.ok(ms < 1000, `built in ${ms.toFixed(0)} ms`);
});

test('unknown layers raise an error naming the available layers', () => {
  assert.throws(() => maskHeatmapFigure(sampleSparsity(), 'nope'), /no layer 'nope'; layers: conv1\/kernel, dense1\/kernel, big\/kernel/);
});

test('bars: one bar per layer with the payload sparsities', () => {
  const p = sampleSparsity();
  const fig = sparsityBarsFigure(p);
  const t = fig.data[0] as unknown as { x: string[]; y: number[] };
  assert.deepEqual(t.x, p.layers.map((l) => l.name));
  assert.deepEqual(t.y, p.layers.map((l) => l.sparsity));
});

test('trend: global + one line per layer + accuracy on a second axis; undefined without history', () => {
  const p = sampleSparsity();
  const fig = sparsityTrendFigure(p)!;
  assert.equal(fig.data.length, 1 + 3 + 1);
  assert.deepEqual(fig.data[0].y, p.history!.global);
  assert.equal(fig.data[4].yaxis, 'y2');
  assert.ok(fig.layout.yaxis2);
  delete p.history;
  assert.equal(sparsityTrendFigure(p), undefined);
  assert.deepEqual(sparsityFigures(p).map((f) => f.id), ['sparsity-bars', 'sparsity-mask']);
});

test('themes change the colours, and figures are plain JSON (no functions, no DOM)', () => {
  const light = sparsityFigures(sampleSparsity(), { theme: 'light' });
  const dark = sparsityFigures(sampleSparsity(), { theme: 'dark' });
  assert.deepEqual(light.map((f) => f.id), ['sparsity-bars', 'sparsity-trend', 'sparsity-mask']);
  assert.equal(light[0].figure.layout.paper_bgcolor, themeColors('light').paper);
  assert.equal(dark[0].figure.layout.paper_bgcolor, themeColors('dark').paper);
  assert.notEqual(themeColors('light').paper, themeColors('dark').paper);
  const heat = dark[2].figure.data[0] as unknown as { colorscale: [number, string][] };
  assert.equal(heat.colorscale[1][1], themeColors('dark').kept);
  for (const f of light) assert.deepEqual(JSON.parse(JSON.stringify(f.figure)), f.figure);
});
