import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOFLINE_VERSION, type RooflinePayload } from '../../src/viz/payloads';
import { attainable, ridgeIntensity, rooflineFigure, rooflineSvg } from '../../src/viz/roofline';
import { assertRooflinePayload, validateRooflinePayload } from '../../src/viz/validate';

const payload: RooflinePayload = {
  version: ROOFLINE_VERSION,
  title: 'test machine',
  peakGflops: 100,
  bandwidthGBs: 10,
  points: [
    { name: 'packed', group: 'kernel', intensity: 80, gflops: 4 },
    { name: 'fc1', group: 'layer', series: 'lenet5', intensity: 0.5 },
    { name: 'conv1', group: 'layer', series: 'lenet5', intensity: 40 },
    { name: 'fc1', group: 'layer', series: 'mlp', intensity: 0.49 },
  ],
};

test('the roof is min(peak, bandwidth x intensity), with the ridge at peak / bandwidth', () => {
  assert.equal(ridgeIntensity(payload), 10);
  assert.equal(attainable(payload, 0.5), 5);
  assert.equal(attainable(payload, 40), 100);
});

test('the figure draws the roof through the ridge, kernels at their measured speed and layers on the roof', () => {
  const fig = rooflineFigure(payload);
  const [roof, kernels, lenet, mlp] = fig.data;
  assert.deepEqual(roof.x, [0.245, 10, 160]);
  assert.deepEqual(roof.y, [2.45, 100, 100]);
  assert.deepEqual(kernels.y, [4]);
  assert.deepEqual(lenet.y, [5, 100]);
  assert.equal(lenet.name, 'lenet5 layers (on the roof)');
  assert.deepEqual(mlp.x, [0.49]);
  assert.equal((fig.layout.xaxis as { type: string }).type, 'log');
  assert.match((kernels.hovertext as string[])[0], /packed: 80.00 FLOP\/B, 4.00 GFLOP\/s measured, roof 100.00 GFLOP\/s \(compute-bound\)/);
  assert.match((lenet.hovertext as string[])[0], /memory-bound/);
});

test('the SVG has the roof, one mark per point, and escapes names', () => {
  const svg = rooflineSvg({ ...payload, points: [...payload.points, { name: 'a<b', group: 'kernel', intensity: 1, gflops: 1 }] });
  assert.match(svg, /^<svg [^>]*width="640"/);
  assert.equal((svg.match(/<polyline/g) ?? []).length, 1);
  assert.equal((svg.match(/<circle cx="[\d.]+" cy="[\d.]+" r="5" fill="[^"]+"><title>/g) ?? []).length, 2);
  assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3);
  assert.match(svg, /a&lt;b/);
  assert.doesNotMatch(svg, /NaN/);
});

test('validation accepts the payload and names what is wrong in a broken one', () => {
  assert.ok(validateRooflinePayload(JSON.stringify(payload)).ok);
  const r = validateRooflinePayload({ version: 1, peakGflops: 0, bandwidthGBs: 'fast', points: [{ name: 'x', group: 'op', intensity: -1 }] });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.ok(r.errors.some((e) => e.startsWith('peakGflops: must be >=')));
    assert.ok(r.errors.some((e) => e.startsWith('bandwidthGBs: expected a number')));
    assert.ok(r.errors.some((e) => e.startsWith("points[0].group: expected 'kernel' or 'layer'")));
    assert.ok(r.errors.some((e) => e.startsWith('points[0].intensity: must be >=')));
  }
  assert.throws(() => assertRooflinePayload({ ...payload, version: 99 }), /newer than the supported version 1/);
  assert.throws(() => assertRooflinePayload('{not json'), /not valid JSON/);
});
