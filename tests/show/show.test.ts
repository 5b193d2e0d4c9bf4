import { test } from 'node:test';
import assert from 'node:assert/strict';
import { show, sparsityBundle, quantizationBundle, inTslabKernel, tslabSink, type MimeBundle } from '../../src/show';
import { QUANTIZATION_MIME, SPARSITY_MIME } from '../../src/viz/payloads';
import { sampleQuantization, sampleSparsity } from '../viz/fixtures';

test('bundles carry the custom MIME type, a text summary and a static HTML table', () => {
  const s = sparsityBundle(sampleSparsity());
  assert.deepEqual(Object.keys(s).sort(), [SPARSITY_MIME, 'text/html', 'text/plain'].sort());
  assert.match(String(s['text/plain']), /^Sparsity \(lenet5\)/);
  assert.match(String(s['text/html']), /<table class="optilab-table">/);
  assert.equal((s[SPARSITY_MIME] as { layers: unknown[] }).layers.length, 3);
  const q = quantizationBundle(sampleQuantization());
  assert.ok(q[QUANTIZATION_MIME]);
  assert.match(String(q['text/html']), /SQNR \(dB\)/);
});

test('an invalid payload still makes a bundle whose fallbacks list the problems', () => {
  const b = sparsityBundle({ version: 1, layers: 'x' });
  assert.deepEqual(b[SPARSITY_MIME], { version: 1, layers: 'x' });
  assert.match(String(b['text/plain']), /invalid sparsity payload:\n {2}- layers: expected an array/);
  assert.match(String(b['text/html']), /class="optilab-error"/);
});

test('show.* send exactly one bundle of the right kind to the sink and return nothing', () => {
  const seen: MimeBundle[] = [];
  const sink = (b: MimeBundle) => seen.push(b);
  assert.equal(show.sparsity(sampleSparsity(), { sink }), undefined);
  assert.equal(show.quantization(sampleQuantization(), { sink }), undefined);
  assert.equal(seen.length, 2);
  assert.ok(seen[0][SPARSITY_MIME]);
  assert.ok(seen[1][QUANTIZATION_MIME]);
});

test('outside a tslab kernel the default sink prints the text summary', () => {
  assert.equal(inTslabKernel(), false);
  const logged: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logged.push(s);
  try {
    tslabSink(sparsityBundle(sampleSparsity()));
  } finally {
    console.log = orig;
  }
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^Sparsity \(lenet5\)/);
});
