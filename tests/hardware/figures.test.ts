/**
 * The hardware chapter's figures built from plain data (what bench/results/hardware.json holds): the search
 * figure's front, ruled-out trace and budget; the compute-in-memory figure's series; the roofline payload
 * without models; and that the SVG versions are well-formed strings naming what they draw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cimFigure, cimSvg, gemmIntensity, rooflineFromMeasurements, searchFigure, searchFigureFront, searchSvg } from '../../src/lite';
import { validateRooflinePayload } from '../../src/viz/validate';

const cand = (label: string, accuracy: number, latencyMs: number, sramKiB = 30, flashKiB = 100) => ({ label, accuracy, latencyMs, peakActivationBytes: sramKiB * 1024, flashBytes: flashKiB * 1024 });
const search = {
  strategies: [
    { strategy: 'random', evaluated: [cand('A', 0.9, 1), cand('B', 0.95, 2), cand('C', 0.93, 3)], ruledOut: [{ label: 'X', peakActivationBytes: 400 * 1024, flashBytes: 9000 * 1024, reasons: ['SRAM', 'flash'] }] },
    { strategy: 'evolution', evaluated: [cand('B', 0.95, 2), cand('D', 0.97, 4)], ruledOut: [{ label: 'X', peakActivationBytes: 400 * 1024, flashBytes: 9000 * 1024, reasons: ['SRAM', 'flash'] }] },
  ],
  budget: { sramBytes: 256 * 1024, flashBytes: 1024 * 1024 },
  precision: 'float32',
};

test('search figure: the front of both strategies, each architecture once, ruled-out candidates and the budget', () => {
  assert.deepEqual(searchFigureFront(search).map((c) => c.label), ['A', 'B', 'D']);
  const fig = searchFigure(search);
  const names = fig.data.map((t) => t.name);
  assert.deepEqual(names, ['random search (3 measured)', 'evolution search (2 measured)', 'Pareto front (3)', 'measured (fits the budget)', 'ruled out by the budget (1)', 'budget: 256 KiB SRAM, 1024 KiB flash']);
  // B was measured by both searches: drawn once, with the first strategy.
  assert.deepEqual(fig.data[1].x, [4]);
  assert.deepEqual(fig.data[4].x, [400]);
  assert.equal((fig.layout.xaxis2 as { type: string }).type, 'log');
  const svg = searchSvg(search);
  assert.match(svg, /^<svg [^>]*>/);
  assert.match(svg, /<\/svg>$/);
  assert.match(svg, /ruled out before training \(1\)/);
  assert.match(svg, /budget 256 KiB SRAM, 1024 KiB flash/);
});

test('compute-in-memory figure: one line per ADC resolution, one per noise level, the exact model', () => {
  const pts = [0, 0.1].flatMap((noise) => [null, 4].map((adcBits) => ({ noiseKind: 'additive' as const, noise, adcBits, accuracy: 0.9 - noise - (adcBits ? 0.05 : 0), min: 0.8, max: 0.95, seeds: 2 })));
  const fig = cimFigure({ exactAccuracy: 0.98, points: pts, tileRows: 128 });
  assert.deepEqual(fig.data.map((t) => t.name), ['4-bit ADC', 'ideal ADC', 'σ 0%', 'σ 10%', 'exact model 98.00%']);
  assert.deepEqual(fig.data[0].x, [0, 10]);
  assert.deepEqual(fig.data[2].x, ['4', 'ideal']);
  assert.match(String((fig.layout.title as { text: string }).text), /LeNet-5 on 128-row crossbars/);
  const svg = cimSvg({ exactAccuracy: 0.98, points: pts });
  assert.match(svg, /exact model 98\.00%/);
  assert.match(svg, /<\/svg>$/);
});

test('the roofline payload from measurements alone validates, and a faster kernel raises the roof', () => {
  const peak = { registerBlocked: 4, backend: 60, backendSize: 512, peak: 60, source: 'backend' as const };
  const bandwidth = { copy: 20, triad: 15, bandwidth: 20, elements: 1 << 24 };
  const p = rooflineFromMeasurements({ peak, bandwidth, kernels: [{ name: 'gemm packed', gflops: 3, intensity: gemmIntensity({ M: 512, N: 512, K: 512 }) }, { name: 'conv backend', gflops: 70, intensity: gemmIntensity({ M: 64, N: 64, K: 64 }) }] });
  assert.equal(p.peakGflops, 70);
  assert.equal(p.points.length, 2);
  assert.doesNotMatch(p.byteModel ?? '', /layers at batch/);
  assert.ok(validateRooflinePayload(JSON.stringify(p)).ok);
});
