/**
 * One list of payload types: PAYLOAD_MIMES holds every `*_MIME` constant of src/viz/payloads.ts, each one is
 * validated by validatePayload and drawn by payloadFigures, and the renderers (the course site's notebook
 * pages, their live runner, the lab extension) take the list from there instead of spelling MIME strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as payloads from '../../src/viz/payloads';
import { PAYLOAD_MIMES, ROOFLINE_MIME, ROOFLINE_VERSION, payloadKind, type RooflinePayload } from '../../src/viz/payloads';
import { validatePayload } from '../../src/viz/validate';
import { payloadFigures } from '../../src/viz/payload-figures';
import { sampleQuantization, sampleSparsity } from './fixtures';
import { ROOT } from '../helpers';

const roofline: RooflinePayload = {
  version: ROOFLINE_VERSION, title: 'two points', peakGflops: 50, bandwidthGBs: 20,
  points: [{ name: 'gemm packed', group: 'kernel', intensity: 30, gflops: 4 }, { name: 'fc1', group: 'layer', series: 'lenet5', intensity: 0.5 }],
};
const samples: Record<string, unknown> = {
  [payloads.SPARSITY_MIME]: sampleSparsity(), [payloads.QUANTIZATION_MIME]: sampleQuantization(), [ROOFLINE_MIME]: roofline,
};

test('PAYLOAD_MIMES lists every *_MIME constant of payloads.ts, each with a kind', () => {
  const constants = Object.entries(payloads).filter(([k]) => k.endsWith('_MIME')).map(([, v]) => v as string);
  assert.ok(constants.length >= 3);
  assert.deepEqual([...PAYLOAD_MIMES].sort(), constants.sort());
  for (const m of PAYLOAD_MIMES) assert.ok(payloadKind(m), `kind of ${m}`);
  assert.equal(payloadKind(ROOFLINE_MIME), 'roofline');
  assert.equal(payloadKind('text/html'), null);
});

test('validatePayload and payloadFigures handle every payload type, the roofline included', () => {
  for (const mime of PAYLOAD_MIMES) {
    assert.ok(samples[mime], `a sample for ${mime} in this test`);
    const v = validatePayload(mime, JSON.stringify(samples[mime]));
    if (!v.ok) assert.fail(`${mime}: ${v.errors.join('; ')}`);
    const figures = payloadFigures(mime, v.payload as never, { theme: 'dark' });
    assert.ok(figures.length >= 1, `${mime} has figures`);
    for (const f of figures) assert.ok(f.figure.data.length >= 1 && f.id && f.title, `${mime} figure ${f.id}`);
  }
  const [fig] = payloadFigures(ROOFLINE_MIME, roofline);
  assert.equal(fig.id, 'roofline');
  assert.equal(fig.figure.data.length, 3, 'roof, kernels, one layer series');
  const bad = validatePayload(ROOFLINE_MIME, { ...roofline, peakGflops: -1, points: [{ name: 'x', group: 'tile', intensity: 0 }] });
  assert.equal(bad.ok, false);
  const errors = (bad as { errors: string[] }).errors.join('\n');
  assert.match(errors, /peakGflops: must be >=/);
  assert.match(errors, /points\[0\]\.group: expected 'kernel' or 'layer'/);
  assert.match((validatePayload('application/vnd.optilab.other+json', {}) as { errors: string[] }).errors[0], new RegExp(`expected one of .*${ROOFLINE_MIME.replace(/[.+]/g, '\\$&')}`));
});

/** Source files of the renderers: none may spell an optilab payload MIME type (they import PAYLOAD_MIMES). */
function rendererSources(): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|mjs|js)$/.test(e.name)) files.push(p);
    }
  };
  for (const d of ['site/src/components', 'site/scripts', 'labextension/optilab-viz/src']) walk(path.join(ROOT, d));
  return files;
}

test('the site and the lab extension take payload MIME types from payloads.ts, not from string literals', () => {
  const files = rendererSources();
  assert.ok(files.some((f) => f.endsWith('prepare-notebooks.mjs')) && files.some((f) => f.endsWith('outputs.ts')));
  const spelled = files.filter((f) => /application\/vnd\.optilab\./.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
  assert.deepEqual(spelled, []);
  const ext = fs.readFileSync(path.join(ROOT, 'labextension/optilab-viz/src/index.ts'), 'utf8');
  assert.match(ext, /mimeTypes: \[\.\.\.PAYLOAD_MIMES\]/, 'the lab extension registers every payload type');
});
