import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertQuantizationPayload, assertSparsityPayload, PayloadError, validatePayload, validateQuantizationPayload, validateSparsityPayload } from '../../src/viz/validate';
import { QUANTIZATION_MIME, SPARSITY_MIME, SPARSITY_VERSION } from '../../src/viz/payloads';
import { sampleQuantization, sampleSparsity } from './fixtures';

function errorsOf(r: { ok: boolean; errors?: string[] }): string {
  assert.equal(r.ok, false, 'expected the payload to be rejected');
  return (r.errors ?? []).join('\n');
}

test('sample payloads are valid, also as JSON text', () => {
  assert.equal(validateSparsityPayload(sampleSparsity()).ok, true);
  assert.equal(validateQuantizationPayload(sampleQuantization()).ok, true);
  assert.equal(validateSparsityPayload(JSON.stringify(sampleSparsity())).ok, true);
  assert.equal(validatePayload(QUANTIZATION_MIME, JSON.stringify(sampleQuantization())).ok, true);
});

test('a newer version is refused with the supported version and what to do', () => {
  const p = { ...sampleSparsity(), version: SPARSITY_VERSION + 1 };
  const text = errorsOf(validateSparsityPayload(p));
  assert.match(text, /version 2, newer than the supported version 1/);
  assert.match(text, /update optilab/);
});

test('malformed payloads give path-qualified, readable errors', () => {
  assert.match(errorsOf(validateSparsityPayload(null)), /payload: expected an object, got null/);
  assert.match(errorsOf(validateSparsityPayload('{not json')), /not valid JSON/);
  assert.match(errorsOf(validateSparsityPayload({ version: 1 })), /layers: expected an array, got undefined/);
  assert.match(errorsOf(validateSparsityPayload({ version: 1, layers: [] })), /layers: is empty/);

  const bad = sampleSparsity();
  (bad.layers[0] as { sparsity: unknown }).sparsity = 1.5;
  (bad.layers[1].mask as { bits: string }).bits = 'AAAA';
  const text = errorsOf(validateSparsityPayload(bad));
  assert.match(text, /layers\[0\]\.sparsity: must be <= 1, got 1.5/);
  assert.match(text, /layers\[1\]\.mask\.bits: holds 3 bytes, 24 needed for 16x12 bits/);

  const q = sampleQuantization();
  q.layers[1].methods[0].errorHistogram.edges.pop();
  (q.layers[0].activation as { saturationRate: unknown }).saturationRate = 'high';
  const qt = errorsOf(validateQuantizationPayload(q));
  assert.match(qt, /layers\[1\]\.methods\[0\]\.errorHistogram\.edges: expected 41 values, got 40/);
  assert.match(qt, /layers\[0\]\.activation\.saturationRate: expected a number, got "high"/);
});

test('history series must match the number of steps; bit strings must be 0/1', () => {
  const s = sampleSparsity();
  s.history!.perLayer['conv1/kernel'].push(1);
  assert.match(errorsOf(validateSparsityPayload(s)), /history\.perLayer\.conv1\/kernel: expected 4 values, got 5/);
  const q = sampleQuantization();
  q.bitLayout![0].mantissa = '10x1';
  assert.match(errorsOf(validateQuantizationPayload(q)), /bitLayout\[0\]\.mantissa: expected a string of 0\/1 bits/);
});

test('error lists stay short', () => {
  const layers = Array.from({ length: 30 }, () => ({}));
  const r = validateSparsityPayload({ version: 1, layers });
  if (r.ok) throw new Error('expected errors');
  assert.ok(r.errors.length <= 9);
  assert.equal(r.errors[r.errors.length - 1], '(more errors not shown)');
});

test('assert* throw PayloadError; validatePayload rejects unknown MIME types', () => {
  assert.throws(() => assertSparsityPayload({}), (e: unknown) => e instanceof PayloadError && e.errors.length > 0);
  assert.equal(assertQuantizationPayload(sampleQuantization()).layers.length, 2);
  assert.match(errorsOf(validatePayload('text/plain', {})), /unknown MIME type 'text\/plain'/);
  assert.equal(validatePayload(SPARSITY_MIME, sampleSparsity()).ok, true);
});

test("a sparsity mask must fit its layer's shape (exact bits and density grids)", () => {
  const bits = sampleSparsity();
  bits.layers[0].shape = [5, 5, 1, 8]; // the mask is 25x6
  assert.match(
    errorsOf(validateSparsityPayload(bits)),
    /^layers\[0\]\.mask: a 25x6 mask does not fit the layer's shape \[5, 5, 1, 8\], viewed as 25x8 \(rows = the product of all but the last dimension, cols = the last\): rebuild it from the layer's weights with sparsityLayer\(name, shape, mask\)/m,
  );
  const swapped = sampleSparsity();
  swapped.layers[1].shape = [12, 16]; // same size, transposed
  assert.match(errorsOf(validateSparsityPayload(swapped)), /layers\[1\]\.mask: a 16x12 mask does not fit the layer's shape \[12, 16\], viewed as 12x16/);
  const grid = sampleSparsity();
  grid.layers[2].shape = [600, 700]; // a 50x50 grid of 12x10 cells covers 600x500
  assert.match(errorsOf(validateSparsityPayload(grid)), /layers\[2\]\.mask: a 50x50 grid of 12x10-weight cells does not fit the layer's shape \[600, 700\], viewed as 600x700 .*which needs a 50x70 grid/);
  const flat = sampleSparsity();
  flat.layers[1].shape = [192];
  assert.match(errorsOf(validateSparsityPayload(flat)), /layers\[1\]\.mask: a 16x12 mask does not fit the layer's shape \[192\], viewed as 1x192/);
});

test('null densities (NaN in JSON) are not fractions', () => {
  const s = sampleSparsity();
  (s.layers[2].mask as { density: (number | null)[] }).density[3] = null;
  assert.match(errorsOf(validateSparsityPayload(s)), /layers\[2\]\.mask\.density\[3\]: must be a fraction in \[0, 1\], got null/);
  const text = JSON.stringify(sampleSparsity()).replace(/"density":\[[^,\]]+/, '"density":[null');
  assert.match(errorsOf(validateSparsityPayload(text)), /layers\[2\]\.mask\.density\[0\]: must be a fraction in \[0, 1\], got null/);
});

test('quantization scales and zero points must number one per tensor, channel or group of the shape', () => {
  const tensor = sampleQuantization();
  tensor.layers[0].scales.push(0.1); // per-tensor: 1
  assert.match(errorsOf(validateQuantizationPayload(tensor)), /layers\[0\]\.scales: expected 1 value \(per-tensor quantization\), got 2: emit the payload with buildQuantizationPayload/);

  const channel = sampleQuantization();
  channel.layers[0].format.granularity = 'channel'; // shape [5, 5, 1, 80]: 80 channels
  channel.layers[0].scales = Array(80).fill(0.01);
  channel.layers[0].zeroPoints = Array(79).fill(0);
  const ct = errorsOf(validateQuantizationPayload(channel));
  assert.match(ct, /layers\[0\]\.zeroPoints: expected 80 values \(one per channel of the last axis of shape \[5, 5, 1, 80\]\), got 79/);
  assert.doesNotMatch(ct, /layers\[0\]\.scales/);

  const group = sampleQuantization();
  group.layers[1].format = { ...group.layers[1].format, granularity: 'group', groupSize: 16 }; // [40, 50]: 50 channels x ceil(40 / 16) = 3 groups
  group.layers[1].scales = Array(150).fill(0.01);
  group.layers[1].zeroPoints = Array(150).fill(0);
  assert.equal(validateQuantizationPayload(group).ok, true, 'a matching per-group payload is valid');
  group.layers[1].scales = Array(50).fill(0.01);
  assert.match(errorsOf(validateQuantizationPayload(group)), /layers\[1\]\.scales: expected 150 values \(50 channels of the last axis of shape \[40, 50\] x 3 groups of 16\), got 50/);

  const noGroup = sampleQuantization();
  noGroup.layers[1].format.granularity = 'group';
  assert.match(errorsOf(validateQuantizationPayload(noGroup)), /layers\[1\]\.format\.groupSize: expected a number, got undefined/);
  const unknown = sampleQuantization();
  (unknown.layers[0].format as { granularity: string }).granularity = 'row';
  assert.match(errorsOf(validateQuantizationPayload(unknown)), /layers\[0\]\.format\.granularity: expected 'tensor', 'channel' or 'group', got "row"/);
});
