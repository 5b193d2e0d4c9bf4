/**
 * Static notebook pages: site/scripts/prepare-notebooks.mjs turns stored outputs into page data; every optilab
 * payload type (PAYLOAD_MIMES from the compiled library, the roofline included) becomes a 'payload' output the
 * page draws with the library's figures, ahead of the bundle's text/html fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { ROOT } from '../helpers';
import { PAYLOAD_MIMES } from '../../src/viz/payloads';
import { rooflineBundle, sparsityBundle, quantizationBundle } from '../../src/show/bundle';
import { sampleQuantization, sampleSparsity } from '../viz/fixtures';

test('every payload type of a stored notebook reaches the page as a payload output', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-prepare-'));
  const root = path.join(tmp, 'root');
  const site = path.join(tmp, 'site');
  fs.mkdirSync(path.join(root, 'notebooks'), { recursive: true });
  const roofline = { version: 1, title: 'stored roofline', peakGflops: 50, bandwidthGBs: 20, points: [{ name: 'gemm naive', group: 'kernel', intensity: 30, gflops: 1.4 }] };
  const bundles = [sparsityBundle(sampleSparsity()), quantizationBundle(sampleQuantization()), rooflineBundle(roofline)];
  const nb = {
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      { cell_type: 'markdown', metadata: {}, source: '# Payloads' },
      { cell_type: 'code', metadata: {}, execution_count: 1, source: 'ol.show.roofline(roof)', outputs: bundles.map((data) => ({ output_type: 'display_data', metadata: {}, data })) },
    ],
  };
  fs.writeFileSync(path.join(root, 'notebooks', 'payloads.ipynb'), JSON.stringify(nb));
  const { prepareNotebooks } = await import(pathToFileURL(path.join(ROOT, 'site', 'scripts', 'prepare-notebooks.mjs')).href);
  const log = console.log;
  console.log = () => undefined;
  try {
    prepareNotebooks({ root, site });
  } finally {
    console.log = log;
  }
  const page = JSON.parse(fs.readFileSync(path.join(site, 'src', 'generated', 'notebooks', 'payloads.json'), 'utf8'));
  const outputs = page.cells[1].outputs as { kind: string; mime: string; payload: { title?: string } }[];
  assert.deepEqual(outputs.map((o) => o.kind), ['payload', 'payload', 'payload']);
  assert.deepEqual(outputs.map((o) => o.mime), [...PAYLOAD_MIMES]);
  assert.equal(outputs[2].payload.title, 'stored roofline');
  fs.rmSync(tmp, { recursive: true, force: true });
});
