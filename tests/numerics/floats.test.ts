import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  roundToFloat16, roundToBFloat16, roundToFp8E4M3, roundToFp8E5M2, floatFormatInfo, encodeFloat, decodeFloat,
  FLOAT16, BFLOAT16, FP8_E4M3, FP8_E5M2, floatFormat, roundHalfEven,
} from '../../src/numerics';

const f = (...v: number[]) => new Float32Array(v);

test('roundHalfEven rounds exact ties to the even neighbour', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, 3]);
});

test('format facts: max, smallest normal and subnormal', () => {
  assert.equal(floatFormatInfo(FLOAT16).max, 65504);
  assert.equal(floatFormatInfo(FLOAT16).minSubnormal, 2 ** -24);
  assert.equal(floatFormatInfo(BFLOAT16).max, Math.fround(3.3895313892515355e38));
  assert.equal(floatFormatInfo(FP8_E4M3).max, 448);
  assert.equal(floatFormatInfo(FP8_E4M3).minSubnormal, 2 ** -9);
  assert.equal(floatFormatInfo(FP8_E5M2).max, 57344);
  assert.equal(floatFormatInfo(FP8_E5M2).minSubnormal, 2 ** -16);
  assert.throws(() => floatFormat('fp4'), /unknown float format 'fp4'/);
});

test('float16: ties to even, subnormals, overflow to Infinity, NaN and -0 kept', () => {
  const r = roundToFloat16(f(1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -26, 65519, 65520, -1e6, NaN, -0));
  assert.equal(r[0], 1);
  assert.equal(r[1], 1 + 2 * 2 ** -10);
  assert.equal(r[2], 0); // half of the smallest subnormal: tie to 0
  assert.equal(r[3], 2 ** -24);
  assert.equal(r[4], 65504);
  assert.equal(r[5], Infinity);
  assert.equal(r[6], -Infinity);
  assert.ok(Number.isNaN(r[7]));
  assert.ok(Object.is(r[8], -0));
});

test('bfloat16 keeps float32 exponent range and rounds the mantissa to 7 bits', () => {
  const r = roundToBFloat16(f(1 + 2 ** -8, 1 + 3 * 2 ** -8, 1e-40, 3.4e38));
  assert.deepEqual(Array.from(r.slice(0, 2)), [1, 1 + 2 ** -6]);
  const sub = new Uint32Array(Float32Array.of(r[2]).buffer)[0];
  assert.ok(sub > 0 && sub < 0x00800000 && (sub & 0xffff) === 0, 'a bfloat16 subnormal');
  assert.equal(roundToBFloat16(f(Math.fround(3.4e38)))[0], Infinity);
});

test('FP8 E4M3: finite-only, 448 max, overflow NaN or saturated, ties to even', () => {
  const r = roundToFp8E4M3(f(464, 465, 500, Infinity, 0.3, 2 ** -10, 1.5 * 2 ** -10));
  assert.equal(r[0], 448); // tie between 448 and 480 -> 448 (even)
  assert.ok(Number.isNaN(r[1]) && Number.isNaN(r[2]) && Number.isNaN(r[3]));
  assert.equal(r[4], 0.3125);
  assert.equal(r[5], 0);
  assert.equal(r[6], 2 ** -9);
  const s = roundToFp8E4M3(f(500, -Infinity), { saturate: true });
  assert.deepEqual(Array.from(s), [448, -448]);
});

test('FP8 E5M2: IEEE-like with Infinity', () => {
  const r = roundToFp8E5M2(f(57344, 61439, 61440, 2 ** -17, 3 * 2 ** -17));
  assert.deepEqual(Array.from(r), [57344, 57344, Infinity, 0, 2 ** -15]);
});

test('encode / decode round-trip every 8-bit pattern of both FP8 formats', () => {
  for (const fmt of [FP8_E4M3, FP8_E5M2]) {
    const codes = Uint32Array.from({ length: 256 }, (_, i) => i);
    const vals = decodeFloat(codes, fmt);
    const back = encodeFloat(vals, fmt);
    for (let i = 0; i < 256; i++) {
      if (Number.isNaN(vals[i])) continue;
      assert.equal(back[i], i, `${fmt.name} code ${i} (${vals[i]})`);
    }
    const nans = Array.from(vals).filter(Number.isNaN).length;
    assert.equal(nans, fmt === FP8_E4M3 ? 2 : 6);
  }
  assert.equal(encodeFloat(f(1), FLOAT16)[0], 0x3c00);
  assert.equal(decodeFloat([0x7bff], FLOAT16)[0], 65504);
});

test('rejects non-Float32Array input', () => {
  assert.throws(() => roundToFloat16([1, 2] as unknown as Float32Array), /expected a Float32Array/);
});
