import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  benchConvLayouts, conv2dBackend, conv2dNchw, conv2dNhwc, convFlops, convGeometry, hwioToOihw, LAYOUT_VARIANTS, nchwToNhwc, nhwcToNchw, oihwToHwio, randomMatrix, type ConvShape,
} from '../../src/hardware';
import { maxAbsDiff, setupBackend } from '../helpers';

before(async () => {
  await setupBackend();
});

// Inputs and weights uniform in [-1, 1), at most 5·5·4 = 100 terms per output: float32 rounding (of the
// backend's sums; ours are float64) stays near 1e-5; a wrong stride, padding or index moves outputs by order 1.
const TOL = 1e-4;

const SHAPES: ConvShape[] = [
  { batch: 1, height: 5, width: 5, inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3 },
  { batch: 2, height: 9, width: 7, inChannels: 3, outChannels: 5, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 'same' },
  { batch: 3, height: 11, width: 8, inChannels: 4, outChannels: 7, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 'same' },
  { batch: 2, height: 13, width: 9, inChannels: 2, outChannels: 3, kernelHeight: 5, kernelWidth: 3, stride: 2, padding: 'valid' },
  { batch: 2, height: 7, width: 10, inChannels: 3, outChannels: 4, kernelHeight: 2, kernelWidth: 4, padding: 'same' },
  { batch: 1, height: 6, width: 6, inChannels: 2, outChannels: 4, kernelHeight: 4, kernelWidth: 4, stride: 3, padding: 'same' },
];

const dimsOf = (s: ConvShape) => ({ n: s.batch, h: s.height, w: s.width, c: s.inChannels });
const kdimsOf = (s: ConvShape) => ({ kh: s.kernelHeight, kw: s.kernelWidth, cin: s.inChannels, cout: s.outChannels });

test('the layout converters move each element where its index says, and invert each other', () => {
  // [1, 2, 3, 2] NHWC: value = 100·y + 10·x + c, so its NCHW position is readable.
  const dims = { n: 1, h: 2, w: 3, c: 2 };
  const x = new Float32Array(12);
  for (let y = 0; y < 2; y++) for (let xx = 0; xx < 3; xx++) for (let c = 0; c < 2; c++) x[(y * 3 + xx) * 2 + c] = 100 * y + 10 * xx + c;
  assert.deepEqual([...nhwcToNchw(x, dims)], [0, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121]);
  const big = randomMatrix(1, 3 * 5 * 7 * 4, 9);
  const d = { n: 3, h: 5, w: 7, c: 4 };
  assert.deepEqual(nchwToNhwc(nhwcToNchw(big, d), d), big);
  const k = randomMatrix(1, 3 * 2 * 4 * 5, 10);
  const kd = { kh: 3, kw: 2, cin: 4, cout: 5 };
  const oihw = hwioToOihw(k, kd);
  // OIHW [o, i, y, x] holds HWIO [y, x, i, o]: check one element by hand, then the round trip.
  assert.equal(oihw[((4 * 4 + 2) * 3 + 1) * 2 + 1], k[((1 * 2 + 1) * 4 + 2) * 5 + 4]);
  assert.deepEqual(oihwToHwio(oihw, kd), k);
  assert.throws(() => nhwcToNchw(new Float32Array(5), { n: 1, h: 2, w: 2, c: 1 }), /5 elements, n·h·w·c = 4 expected/);
});

test('NHWC and NCHW direct convolutions both equal the backend conv2d within 1e-4 (stride 2, same/valid, odd sizes, batch > 1)', () => {
  SHAPES.forEach((s, i) => {
    const x = randomMatrix(1, s.batch * s.height * s.width * s.inChannels, i + 1);
    const w = randomMatrix(1, s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels, i + 40);
    const ref = conv2dBackend(x, w, s);
    assert.ok(maxAbsDiff(conv2dNhwc(x, w, s), ref) < TOL, `nhwc ${JSON.stringify(s)}`);
    const g = convGeometry(s);
    const y = conv2dNchw(nhwcToNchw(x, dimsOf(s)), hwioToOihw(w, kdimsOf(s)), s);
    assert.equal(y.length, ref.length);
    assert.ok(maxAbsDiff(nchwToNhwc(y, { n: s.batch, h: g.outHeight, w: g.outWidth, c: s.outChannels }), ref) < TOL, `nchw ${JSON.stringify(s)}`);
  });
  assert.throws(() => conv2dNchw(new Float32Array(3), new Float32Array(9), SHAPES[0]), /input has 3 elements, 25 expected/);
});

test('benchConvLayouts reports each layout with the convolution FLOPs', () => {
  const s = SHAPES[2];
  const t = benchConvLayouts(s, { warmup: 1, repeats: 1, minSampleMs: 0 });
  assert.deepEqual(t.map((k) => k.name), [...LAYOUT_VARIANTS]);
  for (const k of t) assert.ok(k.flops === convFlops(s) && k.seconds > 0 && Number.isFinite(k.gflops), k.name);
});
