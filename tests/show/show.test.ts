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

test('show.roofline sends a roofline bundle: the MIME type, a text summary, and an SVG with the table of points', async () => {
  const { ROOFLINE_MIME, ROOFLINE_VERSION } = await import('../../src/viz/payloads');
  const { rooflineBundle } = await import('../../src/show');
  const payload = {
    version: ROOFLINE_VERSION, title: 'Roofline of a test machine', peakGflops: 40, bandwidthGBs: 10,
    points: [{ name: 'gemm naive', group: 'kernel' as const, intensity: 32, gflops: 1.5 }, { name: 'fc1', group: 'layer' as const, series: 'lenet5', intensity: 0.25 }],
  };
  const seen: MimeBundle[] = [];
  assert.equal(show.roofline(payload, { sink: (b) => seen.push(b) }), undefined);
  assert.equal(seen.length, 1);
  const b = seen[0];
  assert.deepEqual(Object.keys(b).sort(), [ROOFLINE_MIME, 'text/html', 'text/plain'].sort());
  assert.match(String(b['text/plain']), /^Roofline of a test machine: peak 40\.00 GFLOP\/s, 10\.00 GB\/s, ridge 4\.00 FLOP\/B, 1 kernels, 1 layers\n {2}gemm naive +32\.00 FLOP\/B {2}1\.50 of 40\.00 GFLOP\/s$/);
  const html = String(b['text/html']);
  assert.match(html, /<svg [^>]*>.*<\/svg>/s);
  // fc1 at 0.25 FLOP/B is left of the ridge (4): memory-bound at 10 GB/s x 0.25 = 2.5 GFLOP/s.
  assert.match(html, /<td>lenet5 fc1<\/td><td>layer<\/td><td>0\.25<\/td><td>-<\/td><td>2\.50<\/td><td>memory<\/td>/);
  assert.match(html, /<td>gemm naive<\/td><td>kernel<\/td><td>32\.00<\/td><td>1\.50<\/td><td>40\.00<\/td><td>compute<\/td>/);
  const invalid = rooflineBundle({ version: 1, peakGflops: 'fast' });
  assert.match(String(invalid['text/plain']), /invalid roofline payload:\n {2}- peakGflops: expected a number/);
});
