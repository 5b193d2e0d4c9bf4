import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activationRangeFigure, bitLayoutFigure, errorHistogramFigure, formatLabel, qatTraceFigure, quantizationFigures, quantTable, saturationFigure, sqnrFigure,
} from '../../src/viz/quantization';
import { themeColors } from '../../src/viz/theme';
import { sampleQuantization } from './fixtures';

test('error histograms overlay one trace per method, bars at bin centres with bin widths', () => {
  const p = sampleQuantization();
  const fig = errorHistogramFigure(p, 'dense1/kernel');
  assert.equal(fig.data.length, 2);
  assert.equal(fig.layout.barmode, 'overlay');
  const h = p.layers[1].methods[0].errorHistogram;
  const t = fig.data[0] as unknown as { x: number[]; y: number[]; width: number[]; name: string };
  assert.deepEqual(t.y, h.counts);
  assert.ok(Math.abs(t.x[0] - (h.edges[0] + h.edges[1]) / 2) < 1e-15);
  assert.ok(Math.abs(t.width[3] - (h.edges[4] - h.edges[3])) < 1e-15);
  assert.match(t.name, /^minmax \(MSE /);
});

test('table: a row per layer and method with MSE and SQNR', () => {
  const p = sampleQuantization();
  const t = quantTable(p);
  assert.deepEqual(t.columns, ['layer', 'format', 'method', 'MSE', 'SQNR (dB)', 'scales', 'act. saturated']);
  assert.equal(t.rows.length, 4);
  assert.deepEqual(t.rows[1].slice(0, 3), ['conv1/kernel', 'int8 symmetric per-tensor', 'percentile']);
  assert.equal(Number(t.rows[0][4]).toFixed(1), p.layers[0].methods[0].sqnr.toFixed(1));
  assert.equal(formatLabel({ bits: 4, scheme: 'asymmetric', signed: false, granularity: 'group', groupSize: 32 }), 'uint4 asymmetric per-group(32)');
});

test('SQNR bars: one trace per method, one bar per layer', () => {
  const fig = sqnrFigure(sampleQuantization());
  assert.deepEqual(fig.data.map((t) => t.name), ['minmax', 'percentile']);
  assert.equal((fig.data[0].x as string[]).length, 2);
});

test('activation range: values outside the clip range land only in the alert trace', () => {
  const p = sampleQuantization();
  const a = p.layers[0].activation!;
  const fig = activationRangeFigure(p, 0, { theme: 'dark' })!;
  const [inside, outside] = fig.data as unknown as { y: number[]; marker: { color: string } }[];
  assert.equal(outside.marker.color, themeColors('dark').alert);
  const h = a.histogram;
  h.counts.forEach((n, i) => {
    const out = h.edges[i + 1] <= a.clipMin || h.edges[i] >= a.clipMax;
    assert.equal(out ? outside.y[i] : inside.y[i], n);
    assert.equal(out ? inside.y[i] : outside.y[i], 0);
  });
  assert.ok(outside.y.reduce((s, v) => s + v, 0) > 0, 'sample has saturated values');
  assert.equal((fig.layout.shapes as unknown[]).length, 2);
  delete p.layers[0].activation;
  assert.equal(activationRangeFigure(p, 0), undefined);
});

test('saturation overview: clip range and the overflow beyond it per layer', () => {
  const p = sampleQuantization();
  const fig = saturationFigure(p)!;
  assert.deepEqual(fig.data.map((t) => t.name), ['clip range', 'saturated below', 'saturated above']);
  const above = fig.data[2] as unknown as { base: number[]; x: number[] };
  const a = p.layers[0].activation!;
  assert.equal(above.base[0], a.clipMax);
  assert.ok(Math.abs(above.x[0] - (a.max - a.clipMax)) < 1e-12);
});

test('QAT trace: one log-scale line per layer; undefined without a trace', () => {
  const p = sampleQuantization();
  const fig = qatTraceFigure(p)!;
  assert.equal(fig.data.length, 2);
  assert.equal((fig.layout.yaxis as { type: string }).type, 'log');
  delete p.qatTrace;
  assert.equal(qatTraceFigure(p), undefined);
});

test('bit layout: one row per value, cells coloured by field, bits as text', () => {
  const p = sampleQuantization();
  const fig = bitLayoutFigure(p)!;
  const t = fig.data[0] as unknown as { z: (number | null)[][]; text: string[][]; y: string[] };
  assert.equal(t.z.length, 3);
  assert.equal(t.z[0].length, 32);
  assert.deepEqual(t.z[1].slice(0, 7), [0, 1, 1, 1, 1, 1, 2]);
  assert.equal(t.z[1][16], null, 'float16 row is padded after 16 bits');
  assert.equal(t.text[0].join(''), '0' + '01111011' + '10011001100110011001101');
  assert.equal(new Set(t.y).size, 3, 'row labels are unique');
});

test('quantizationFigures lists every figure present, in order', () => {
  const p = sampleQuantization();
  assert.deepEqual(quantizationFigures(p).map((f) => f.id),
    ['quant-sqnr', 'quant-error', 'quant-activation', 'quant-saturation', 'quant-qat', 'quant-bits']);
  delete p.bitLayout;
  delete p.qatTrace;
  p.layers.forEach((l) => delete l.activation);
  assert.deepEqual(quantizationFigures(p).map((f) => f.id), ['quant-sqnr', 'quant-error']);
});
