import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lenet5 } from '../../src/models/zoo';
import { applyMasks, magnitudeMasks } from '../../src/prune/masks';
import { buildSparsityPayload } from '../../src/prune/payload';
import { bitmaskBytes, csrBytes, fromBitmask, fromCsr, sparseStorage, toBitmask, toCsr } from '../../src/prune/storage';
import { unpackMaskBits } from '../../src/viz/mask';
import { validateSparsityPayload } from '../../src/viz/validate';
import { mulberry32 } from '../../src/util/random';
import { setupBackend } from '../helpers';

test.before(setupBackend);

function sparseMatrix(rows: number, cols: number, density: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => (r() < density ? r() * 2 - 1 : 0));
}

test('CSR and bitmask encodings round-trip exactly and their bytes follow the layout', () => {
  const w = sparseMatrix(37, 53, 0.1, 1);
  const nnz = w.filter((v) => v !== 0).length;
  const csr = toCsr(w, 37, 53);
  assert.deepEqual(fromCsr(csr), w);
  assert.equal(csrBytes(csr), 38 * 4 + nnz * 2 + nnz * 4);
  const bm = toBitmask(w, 37, 53);
  assert.deepEqual(fromBitmask(bm), w);
  assert.equal(bitmaskBytes(bm), Math.ceil((37 * 53) / 8) + nnz * 4);
  assert.deepEqual(Array.from(toCsr(new Float32Array([0, 2, 0, 0, 0, 3]), 2, 3).rowPtr), [0, 1, 2]);
  assert.throws(() => toCsr(w, 10, 10), /does not match shape \[10, 10\]/);
});

test('storage of a 90%-sparse model: CSR and bitmask well below dense', () => {
  const model = lenet5({ seed: 1 });
  applyMasks(model, magnitudeMasks(model, 0.9));
  const r = sparseStorage(model);
  assert.equal(r.total.denseBytes, (150 + 2400 + 48000 + 10080 + 840) * 4);
  assert.ok(Math.abs(r.total.nonzeros - 0.1 * (r.total.denseBytes / 4)) < 5);
  assert.ok(r.total.csrBytes < 0.25 * r.total.denseBytes, `csr ${r.total.csrBytes}`);
  assert.ok(r.total.bitmaskBytes < 0.2 * r.total.denseBytes, `bitmask ${r.total.bitmaskBytes}`);
});

test('sparsity payload: per-layer exact bits of the mask, sparsity and history; valid for the renderers', () => {
  const model = lenet5({ seed: 2 });
  const masks = magnitudeMasks(model, 0.5);
  applyMasks(model, masks);
  const history = { steps: [0, 1], global: [0, 0.5], perLayer: { fc1: [0, 0.5] }, target: [0, 0.5] };
  const p = buildSparsityPayload(model, { history, accuracy: [0.9, 0.89], title: 't' });
  assert.equal(p.layers.length, 5);
  const fc1 = p.layers.find((l) => l.name === 'fc1')!;
  assert.deepEqual(fc1.shape, [400, 120]);
  assert.ok(Math.abs(fc1.sparsity - 0.5) < 1e-3);
  assert.equal(fc1.mask.kind, 'bits');
  if (fc1.mask.kind === 'bits') assert.deepEqual(Array.from(unpackMaskBits(fc1.mask.bits, 48000)), Array.from(masks.fc1.kernel));
  assert.deepEqual(p.history!.accuracy, [0.9, 0.89]);
  assert.ok(validateSparsityPayload(p).ok, JSON.stringify(validateSparsityPayload(p)));
  const grid = buildSparsityPayload(model, { maxBits: 1000, gridSize: 16 });
  const g = grid.layers.find((l) => l.name === 'fc1')!.mask;
  assert.equal(g.kind, 'density');
  assert.throws(() => buildSparsityPayload(model, { history, accuracy: [1] }), /accuracy has 1 entries/);
});
