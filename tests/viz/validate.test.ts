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
