import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { convIntensity, denseIntensity, depthwiseIntensity, gemmIntensity, layerIntensities, rooflinePayload } from '../../src/hardware';
import { lenet5, mnistCnn, mlp, cnnSmall } from '../../src/models/zoo';
import { summarize } from '../../src/models/summary';
import { validateRooflinePayload } from '../../src/viz/validate';
import { setupBackend } from '../helpers';

before(async () => { await setupBackend(); });

test('a matrix product moves A, B and C once: 2MNK / 4(MK + KN + MN)', () => {
  const r = gemmIntensity({ M: 512, N: 512, K: 512 });
  assert.equal(r.flops, 2 * 512 ** 3);
  assert.equal(r.bytes, 4 * 3 * 512 * 512);
  assert.ok(Math.abs(r.intensity - 512 / 6) < 1e-9);
});

test('a dense layer at batch 1 does about half a FLOP per byte; batching raises it', () => {
  const one = denseIntensity(1, 400, 120);
  assert.equal(one.flops, 2 * 400 * 120);
  assert.equal(one.bytes, 4 * (400 + 400 * 120 + 120 + 120));
  assert.ok(one.intensity < 0.5);
  assert.ok(denseIntensity(64, 400, 120).intensity > 20 * one.intensity);
});

test('convolution and depthwise intensities count input, kernel and output once', () => {
  const s = { batch: 1, height: 28, width: 28, inChannels: 1, outChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: 'same' as const };
  const c = convIntensity(s);
  assert.equal(c.flops, 2 * 28 * 28 * 6 * 25);
  assert.equal(c.bytes, 4 * (28 * 28 + 25 * 6 + 28 * 28 * 6));
  const d = depthwiseIntensity({ batch: 1, height: 14, width: 14, inChannels: 32, outChannels: 32, kernelHeight: 3, kernelWidth: 3, padding: 'same' });
  assert.equal(d.flops, 2 * 14 * 14 * 32 * 9);
  assert.equal(d.bytes, 4 * (14 * 14 * 32 * 2 + 9 * 32));
});

test('every zoo model: one entry per conv / dense layer, FLOPs = 2 x the MACs of the model summary', () => {
  for (const model of [lenet5(), mnistCnn(), mlp(), cnnSmall()]) {
    const layers = layerIntensities(model, 1);
    const summary = summarize(model);
    const mac = summary.layers.filter((l) => l.macs > 0);
    assert.deepEqual(layers.map((l) => l.layer), mac.map((l) => l.name), model.name);
    layers.forEach((l, i) => assert.equal(l.flops, 2 * mac[i].macs, `${model.name}/${l.layer}`));
    for (const l of layers) assert.ok(l.intensity > 0 && l.model === model.name);
  }
});

test('separable convolutions sum their depthwise and pointwise parts', () => {
  const m = tfl.sequential({ layers: [tfl.layers.separableConv2d({ inputShape: [8, 8, 4], filters: 6, kernelSize: 3, padding: 'same', name: 'sep' })] });
  const [l] = layerIntensities(m, 2);
  assert.equal(l.kind, 'separable');
  assert.equal(l.flops, 2 * 2 * 8 * 8 * 4 * 9 + 2 * 2 * 8 * 8 * 4 * 6);
  assert.throws(() => layerIntensities(m, 0), /batch must be a positive/);
});

test('the roofline payload holds the kernels and the layers and validates', () => {
  const peak = { registerBlocked: 4, backend: 60, backendSize: 512, peak: 60, source: 'backend' as const };
  const bandwidth = { copy: 20, triad: 15, bandwidth: 20, elements: 1 << 24 };
  const p = rooflinePayload({ peak, bandwidth, kernels: [{ name: 'packed', gflops: 3.5, intensity: gemmIntensity({ M: 512, N: 512, K: 512 }) }], models: [lenet5()] });
  assert.equal(p.peakGflops, 60);
  assert.equal(p.bandwidthGBs, 20);
  assert.deepEqual(p.points.map((q) => q.name), ['packed', 'conv1', 'conv2', 'fc1', 'fc2', 'logits']);
  assert.ok(p.points.slice(1).every((q) => q.group === 'layer' && q.series === 'lenet5' && q.gflops === undefined));
  assert.match(p.peakSource ?? '', /backend matMul 512x512/);
  assert.match(p.byteModel ?? '', /batch 1/);
  assert.ok(validateRooflinePayload(JSON.stringify(p)).ok);
});

test('a measured kernel faster than the peak measurement raises the roof, and the source says so', () => {
  const peak = { registerBlocked: 4, backend: 60, backendSize: 512, peak: 60, source: 'backend' as const };
  const bandwidth = { copy: 20, triad: 15, bandwidth: 20, elements: 1 << 24 };
  const kernels = [{ name: 'conv backend', gflops: 80, intensity: gemmIntensity({ M: 64, N: 64, K: 64 }) }, { name: 'naive', gflops: 1, intensity: gemmIntensity({ M: 64, N: 64, K: 64 }) }];
  const p = rooflinePayload({ peak, bandwidth, kernels });
  assert.equal(p.peakGflops, 80);
  assert.match(p.peakSource ?? '', /^the fastest measured kernel, conv backend, which beat the peak measurement \(60.00 GFLOP\/s/);
  assert.equal(rooflinePayload({ peak, bandwidth, kernels: kernels.slice(1) }).peakGflops, 60);
});
