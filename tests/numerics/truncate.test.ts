import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateFloat32, zeroBelow, truncatedSizeBytes, bitLayout, bitLayouts } from '../../src/numerics';

test('truncateFloat32 keeps the top bits and zeroes the rest', () => {
  const x = new Float32Array([Math.PI, -Math.PI, 0, -0, 1.75, NaN]);
  const t9 = truncateFloat32(x, 9);
  assert.deepEqual(Array.from(t9.slice(0, 5)), [2, -2, 0, -0, 1]);
  assert.ok(Number.isNaN(t9[5]));
  assert.equal(truncateFloat32(x, 16)[0], 3.140625);
  assert.equal(truncateFloat32(x, 11)[4], 1.75); // 1.11b needs two mantissa bits
  assert.equal(truncateFloat32(x, 10)[4], 1.5);
  const u = new Uint32Array(truncateFloat32(new Float32Array([0.1, -123.456]), 12).buffer);
  for (const b of u) assert.equal(b & 0xfffff, 0);
  assert.deepEqual(truncateFloat32(x, 32).slice(0, 5), x.slice(0, 5));
});

test('truncateFloat32 validates keepBits', () => {
  for (const k of [8, 33, 12.5, NaN]) assert.throws(() => truncateFloat32(new Float32Array(1), k), /keepBits must be a whole number from 9/);
});

test('zeroBelow zeroes small magnitudes and reports the fraction', () => {
  const r = zeroBelow(new Float32Array([0.005, -0.2, -0.009, 0.02]), 0.01);
  assert.deepEqual(Array.from(r.values), [0, Math.fround(-0.2), 0, Math.fround(0.02)]);
  assert.equal(r.zeroFraction, 0.5);
  assert.throws(() => zeroBelow(new Float32Array(1), -1), /threshold/);
  assert.equal(truncatedSizeBytes(1000, 12, 0.5), 750);
});

test('bitLayout splits sign, exponent and mantissa of each format', () => {
  const e = bitLayout(-0.1, 'bfloat16');
  assert.deepEqual(e, { value: -0.1, format: 'bfloat16', sign: '1', exponent: '01111011', mantissa: '1001101', stored: Math.fround(-0.10009765625) });
  const all = bitLayouts(Math.PI);
  assert.deepEqual(all.map((l) => [l.exponent.length, l.mantissa.length]), [[8, 23], [5, 10], [8, 7], [4, 3], [5, 2]]);
  assert.deepEqual(all.map((l) => l.stored).slice(1), [3.140625, 3.140625, 3.25, 3]);
  assert.equal(bitLayout(1e-6, 'float16').exponent, '00000'); // a float16 subnormal
});
