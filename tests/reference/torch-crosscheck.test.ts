import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float16Bits, bfloat16Bits, roundToFloat16, roundToBFloat16, decodeFloat, encodeFloat, FLOAT16, BFLOAT16, FP8_E4M3, FP8_E5M2 } from '../../src/numerics';
import { computeQParams, quantize, dequantize, MinMaxObserver, MovingAverageMinMaxObserver } from '../../src/quantize';
import { bitsOf, f32FromBits, loadFloatVectors, loadFp8Vectors, loadObserverVectors, loadQuantVectors } from './vectors';

test('float16 and bfloat16 bit patterns equal torch .half() / .bfloat16() exactly (ties, subnormals, overflow, NaN)', () => {
  const v = loadFloatVectors();
  const x = f32FromBits(v.input_bits);
  assert.ok(x.length > 400);
  assert.deepEqual(Array.from(float16Bits(x)), v.half_bits);
  // NaN payloads differ between torch's scalar (0x7fc0) and AVX2 (0xffff) paths: any NaN pattern matches a NaN.
  const isNaN16 = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
  const bf = Array.from(bfloat16Bits(x)).map((b, i) => (isNaN16(b) && isNaN16(v.bfloat16_bits[i]) ? v.bfloat16_bits[i] : b));
  assert.deepEqual(bf, v.bfloat16_bits);
  assert.ok(v.bfloat16_bits.some(isNaN16), 'the vectors include a NaN');
  // The rounded values decode the same patterns.
  const h = roundToFloat16(x);
  const hd = decodeFloat(v.half_bits, FLOAT16);
  const b = roundToBFloat16(x);
  const bd = decodeFloat(v.bfloat16_bits, BFLOAT16);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(hd[i])) assert.ok(Number.isNaN(h[i]));
    else assert.ok(Object.is(h[i], hd[i]), `half of ${x[i]}: ${h[i]} vs torch ${hd[i]}`);
    if (Number.isNaN(bd[i])) assert.ok(Number.isNaN(b[i]));
    else assert.ok(Object.is(b[i], bd[i]), `bfloat16 of ${x[i]}: ${b[i]} vs torch ${bd[i]}`);
  }
});

test('computeQParams / quantize / dequantize equal torch observers and quantize_per_tensor/channel exactly', () => {
  const { cases } = loadQuantVectors();
  assert.ok(cases.length > 200);
  let checked = 0;
  for (const c of cases) {
    const x = f32FromBits(c.x_bits);
    const qp = computeQParams(x, c.shape, {
      bits: c.bits,
      symmetric: c.symmetric,
      signed: c.signed,
      narrowRange: c.narrowRange,
      ...(c.axis === null ? {} : { axis: c.axis }),
    });
    assert.equal(qp.qmin, c.qmin, c.name);
    assert.equal(qp.qmax, c.qmax, c.name);
    assert.deepEqual(bitsOf(qp.scale), c.scale_bits, `scale of ${c.name}`);
    assert.deepEqual(Array.from(qp.zeroPoint), c.zero_point, `zero point of ${c.name}`);
    const q = quantize(x, c.shape, qp);
    assert.deepEqual(Array.from(q), c.q, `quantized values of ${c.name}`);
    assert.deepEqual(bitsOf(dequantize(q, c.shape, qp)), c.dequant_bits, `dequantized values of ${c.name}`);
    checked++;
  }
  assert.equal(checked, cases.length);
});

test('running and moving-average observers equal torch over several batches', () => {
  const { cases } = loadObserverVectors();
  assert.equal(cases.length, 5);
  for (const c of cases) {
    const opts = { bits: c.bits, symmetric: c.symmetric, signed: c.signed, ...(c.axis === null ? {} : { axis: c.axis }) };
    const obs = c.observer.startsWith('MovingAverage') ? new MovingAverageMinMaxObserver(opts, c.averaging_constant!) : new MinMaxObserver(opts);
    for (const b of c.batches_bits) obs.observe(f32FromBits(b), c.shape);
    assert.deepEqual(bitsOf(obs.min!), c.min_bits, `${c.observer} min`);
    assert.deepEqual(bitsOf(obs.max!), c.max_bits, `${c.observer} max`);
    const qp = obs.qparams();
    assert.deepEqual(bitsOf(qp.scale), c.scale_bits, `${c.observer} scale`);
    assert.deepEqual(Array.from(qp.zeroPoint), c.zero_point, `${c.observer} zero point`);
  }
});

test('FP8 E4M3 (fn) and E5M2 bit patterns equal ml_dtypes float8_e4m3fn / float8_e5m2', () => {
  const v = loadFp8Vectors();
  const x = f32FromBits(v.input_bits);
  assert.ok(x.length > 300);
  const e4 = Array.from(encodeFloat(x, FP8_E4M3));
  const e5 = Array.from(encodeFloat(x, FP8_E5M2));
  // NaN payloads may differ: any NaN pattern of the format matches a NaN.
  const nanE4 = (b: number) => (b & 0x7f) === 0x7f;
  const nanE5 = (b: number) => (b & 0x7c) === 0x7c && (b & 0x03) !== 0;
  const same = (ours: number[], ref: number[], isNaN: (b: number) => boolean) => ours.map((b, i) => (isNaN(b) && isNaN(ref[i]) ? ref[i] : b));
  assert.deepEqual(same(e4, v.e4m3fn_bits, nanE4), v.e4m3fn_bits);
  assert.deepEqual(same(e5, v.e5m2_bits, nanE5), v.e5m2_bits);
  assert.ok(v.e4m3fn_bits.filter(nanE4).length >= 4, 'overflow and Infinity become NaN in E4M3');
});
