import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MX_FORMATS, encodeMxElement, decodeMxElement, mxSharedExponent, mxQuantize, mxDequantize, encodeE8M0, decodeE8M0, packCodes, unpackCodes, mxBytes, mxBitsPerValue, MxElement } from '../../src/llmquant/mx';

const ALL: MxElement[] = ['fp8_e4m3', 'fp8_e5m2', 'fp6_e3m2', 'fp6_e2m3', 'fp4_e2m1', 'int8'];

test('element ranges of the spec: max normal and smallest subnormal', () => {
  assert.equal(MX_FORMATS.fp8_e4m3.maxNormal, 448);
  assert.equal(MX_FORMATS.fp8_e5m2.maxNormal, 57344);
  assert.equal(MX_FORMATS.fp6_e3m2.maxNormal, 28);
  assert.equal(MX_FORMATS.fp6_e2m3.maxNormal, 7.5);
  assert.equal(MX_FORMATS.fp4_e2m1.maxNormal, 6);
  assert.equal(decodeMxElement(0x01, 'fp8_e4m3'), 2 ** -9);
  assert.equal(decodeMxElement(0x01, 'fp8_e5m2'), 2 ** -16);
  assert.equal(decodeMxElement(0x01, 'fp6_e3m2'), 0.0625);
  assert.equal(decodeMxElement(0x01, 'fp6_e2m3'), 0.125);
  assert.deepEqual(ALL.map((f) => MX_FORMATS[f].emax), [8, 15, 4, 2, 2, 0]);
});

test('E2M1 codes 0..15 are {0, 0.5, 1, 1.5, 2, 3, 4, 6} and their negatives', () => {
  const vals = Array.from({ length: 16 }, (_, c) => decodeMxElement(c, 'fp4_e2m1'));
  assert.deepEqual(vals.slice(0, 8), [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  assert.deepEqual(vals.slice(8).map((v) => -v), [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  assert.ok(Object.is(vals[8], -0));
});

test('hand-checked FP8 bit patterns: E4M3 and E5M2', () => {
  // E4M3: S EEEE MMM, bias 7
  assert.equal(encodeMxElement(1, 'fp8_e4m3'), 0b0_0111_000);
  assert.equal(encodeMxElement(448, 'fp8_e4m3'), 0b0_1111_110);
  assert.equal(encodeMxElement(-448, 'fp8_e4m3'), 0b1_1111_110);
  assert.equal(encodeMxElement(-1.75, 'fp8_e4m3'), 0b1_0111_110);
  assert.equal(encodeMxElement(2 ** -9, 'fp8_e4m3'), 0b0_0000_001);
  assert.equal(encodeMxElement(2 ** -6, 'fp8_e4m3'), 0b0_0001_000); // smallest normal
  assert.equal(encodeMxElement(7 * 2 ** -9, 'fp8_e4m3'), 0b0_0000_111); // largest subnormal
  assert.ok(Number.isNaN(decodeMxElement(0x7f, 'fp8_e4m3')));
  assert.ok(Number.isNaN(decodeMxElement(0xff, 'fp8_e4m3')));
  assert.equal(decodeMxElement(0x7e, 'fp8_e4m3'), 448);
  assert.equal(decodeMxElement(0x78, 'fp8_e4m3'), 256); // exponent field 1111 is a normal number
  // E5M2: S EEEEE MM, bias 15, IEEE-like
  assert.equal(encodeMxElement(1, 'fp8_e5m2'), 0b0_01111_00);
  assert.equal(encodeMxElement(57344, 'fp8_e5m2'), 0b0_11110_11);
  assert.equal(encodeMxElement(Infinity, 'fp8_e5m2'), 0b0_11111_00);
  assert.equal(encodeMxElement(-Infinity, 'fp8_e5m2'), 0b1_11111_00);
  assert.equal(decodeMxElement(0x7c, 'fp8_e5m2'), Infinity);
  for (const c of [0x7d, 0x7e, 0x7f]) assert.ok(Number.isNaN(decodeMxElement(c, 'fp8_e5m2')));
  assert.equal(encodeMxElement(2 ** -16, 'fp8_e5m2'), 0b0_00000_01);
  // FP6
  assert.equal(encodeMxElement(28, 'fp6_e3m2'), 0b0_111_11);
  assert.equal(encodeMxElement(-7.5, 'fp6_e2m3'), 0b1_11_111);
  assert.equal(encodeMxElement(1, 'fp6_e2m3'), 0b0_01_000);
});

test('saturation: values past the largest normal clamp to it (no Inf produced from finite input)', () => {
  assert.equal(encodeMxElement(464, 'fp8_e4m3'), 0x7e); // halfway to 480: would round up, clamps
  assert.equal(encodeMxElement(1e6, 'fp8_e4m3'), 0x7e);
  assert.equal(encodeMxElement(61440, 'fp8_e5m2'), 0x7b);
  assert.equal(encodeMxElement(-1e9, 'fp8_e5m2'), 0xfb);
  assert.equal(encodeMxElement(7, 'fp4_e2m1'), 0b0111);
  assert.equal(encodeMxElement(100, 'fp6_e3m2'), 0b011111);
  assert.equal(encodeMxElement(2.5, 'int8'), 127); // int8 clamps to 127/64
  assert.equal(encodeMxElement(-2.5, 'int8'), 0x81); // -127 (symmetric)
});

test('round to nearest, ties to even', () => {
  // E4M3 near 1: spacing 1/8
  assert.equal(decodeMxElement(encodeMxElement(1.0625, 'fp8_e4m3'), 'fp8_e4m3'), 1); // tie -> mantissa 000
  assert.equal(decodeMxElement(encodeMxElement(1.1875, 'fp8_e4m3'), 'fp8_e4m3'), 1.25); // tie -> mantissa 010
  assert.equal(decodeMxElement(encodeMxElement(1.07, 'fp8_e4m3'), 'fp8_e4m3'), 1.125);
  // E2M1: 2.5 is a tie between 2 and 3 -> 2; 3.5 between 3 and 4 -> 4; 5 between 4 and 6 -> 4
  assert.equal(decodeMxElement(encodeMxElement(2.5, 'fp4_e2m1'), 'fp4_e2m1'), 2);
  assert.equal(decodeMxElement(encodeMxElement(3.5, 'fp4_e2m1'), 'fp4_e2m1'), 4);
  assert.equal(decodeMxElement(encodeMxElement(5, 'fp4_e2m1'), 'fp4_e2m1'), 4);
  assert.equal(decodeMxElement(encodeMxElement(0.25, 'fp4_e2m1'), 'fp4_e2m1'), 0); // subnormal tie -> 0
  assert.equal(decodeMxElement(encodeMxElement(0.75, 'fp4_e2m1'), 'fp4_e2m1'), 1);
  // subnormal E4M3: 2^-10 is half the smallest subnormal -> 0, 3*2^-10 -> 2*2^-9
  assert.equal(encodeMxElement(2 ** -10, 'fp8_e4m3'), 0);
  assert.equal(encodeMxElement(3 * 2 ** -10, 'fp8_e4m3'), 2);
  // INT8 with implicit 2^-6: 1.5/64 is a tie between 1 and 2 -> 2
  assert.equal(encodeMxElement(1.5 / 64, 'int8'), 2);
  assert.equal(encodeMxElement(2.5 / 64, 'int8'), 2);
});

test('every finite code decodes and re-encodes to itself (all six types)', () => {
  for (const f of ALL) {
    const n = 1 << MX_FORMATS[f].bits;
    for (let c = 0; c < n; c++) {
      const v = decodeMxElement(c, f);
      if (!Number.isFinite(v)) continue;
      if (f === 'int8' && c === 0x80) continue; // -2: decodable, never produced (symmetric)
      assert.equal(encodeMxElement(v, f), c, `${f} code ${c} (${v})`);
    }
  }
});

test('E8M0 scale: bias 127, 0xFF is NaN', () => {
  assert.equal(encodeE8M0(0), 127);
  assert.equal(encodeE8M0(-127), 0);
  assert.equal(encodeE8M0(127), 254);
  assert.equal(encodeE8M0(128), 0xff);
  assert.equal(decodeE8M0(0), 2 ** -127);
  assert.equal(decodeE8M0(130), 8);
  assert.ok(Number.isNaN(decodeE8M0(0xff)));
});

test('scale selection: shared exponent = floor(log2(amax)) - emax of the element type', () => {
  const block = [0.3, -5.9, 1];
  assert.equal(mxSharedExponent(block, 'fp8_e4m3'), 2 - 8);
  assert.equal(mxSharedExponent(block, 'fp8_e5m2'), 2 - 15);
  assert.equal(mxSharedExponent(block, 'fp6_e3m2'), 2 - 4);
  assert.equal(mxSharedExponent(block, 'fp6_e2m3'), 2 - 2);
  assert.equal(mxSharedExponent(block, 'fp4_e2m1'), 2 - 2);
  assert.equal(mxSharedExponent(block, 'int8'), 2);
  assert.equal(mxSharedExponent([4], 'fp4_e2m1'), 0); // amax exactly a power of two
  assert.equal(mxSharedExponent([0, 0], 'fp4_e2m1'), -127); // all zero: smallest scale
  assert.equal(mxSharedExponent([1e-40], 'fp8_e4m3'), -127); // clamped to the E8M0 range
  assert.ok(Number.isNaN(mxSharedExponent([1, NaN], 'fp8_e4m3')));
  assert.ok(Number.isNaN(mxSharedExponent([1, Infinity], 'fp8_e5m2')));
});

test('mxQuantize: blocks of 32 along rows, NaN blocks, round trip', () => {
  const x = new Float32Array(64);
  for (let i = 0; i < 32; i++) x[i] = (i - 16) / 4; // block 0: amax 4 -> exponent 2 - 2 = 0 for E2M1
  x[40] = 96; // block 1: amax 96 -> floor(log2 96) = 6 -> 2^4
  const t = mxQuantize(x, 'fp4_e2m1');
  assert.deepEqual(Array.from(t.scales), [127, 131]);
  const y = mxDequantize(t);
  assert.equal(y[0], -4);
  assert.equal(y[16 + 10], 2); // 2.5 -> tie -> 2
  assert.equal(y[16 + 14], 4); // 3.5 -> tie -> 4
  assert.equal(y[40], 96); // 96/16 = 6
  assert.equal(y[41], 0);
  // rows: blocks restart at each row of a [2, 40] matrix (2 blocks per row: 32 + 8)
  const m = mxQuantize(new Float32Array(80).fill(1), 'fp8_e4m3', { rowLength: 40 });
  assert.equal(m.scales.length, 4);
  assert.deepEqual(Array.from(mxDequantize(m)), new Array(80).fill(1));
  // NaN in a block: NaN scale, the whole block decodes to NaN, other blocks unaffected
  const z = Float32Array.from({ length: 64 }, (_, i) => i / 10);
  z[3] = NaN;
  const tz = mxQuantize(z, 'fp8_e5m2');
  assert.equal(tz.scales[0], 0xff);
  const dz = mxDequantize(tz);
  assert.ok(dz.slice(0, 32).every((v) => Number.isNaN(v)));
  assert.ok(dz.slice(32).every((v) => Number.isFinite(v)));
  // relative error of MXFP8 E4M3 on normal values is at most 2^-4
  for (let i = 40; i < 64; i++) assert.ok(Math.abs(dz[i] - z[i]) <= z[i] * 2 ** -3, `${i}`);
  const e4 = mxDequantize(mxQuantize(z.slice(32), 'fp8_e4m3'));
  for (let i = 8; i < 32; i++) assert.ok(Math.abs(e4[i] - z[32 + i]) <= z[32 + i] * 2 ** -4);
});

test('packing: FP4 two per byte (low nibble first), FP6 four per 3 bytes, bytes count', () => {
  assert.deepEqual(Array.from(packCodes([0x1, 0x2, 0xf], 4)), [0x21, 0x0f]);
  const six = [0b101010, 0b010101, 0b111111, 0b000001];
  const p = packCodes(six, 6);
  assert.equal(p.length, 3);
  assert.deepEqual(Array.from(unpackCodes(p, 6, 4)), six);
  const t = mxQuantize(new Float32Array(64).fill(0.5), 'fp6_e2m3');
  assert.equal(mxBytes(t).length, 2 + 48);
  assert.equal(mxBytes(mxQuantize(new Float32Array(64), 'fp4_e2m1')).length, 34);
  assert.equal(mxBitsPerValue('fp4_e2m1'), 4.25);
  assert.equal(mxBitsPerValue('fp8_e4m3'), 8.25);
});
