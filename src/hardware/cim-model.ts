/**
 * A trained tfjs-layers Sequential model run as if its Dense and Conv2D layers were computed in memory (the
 * crossbar model of src/hardware/cim-kernel.ts), at inference only. The choice made here: each such layer is
 * evaluated with noisy weights and ADC-quantized per-tile partial sums using tfjs ops on the whole batch, not by
 * pushing every product through the TypeScript reference loops (same model, far faster on 10,000 images):
 *
 * - the layer's kernel, read as a [K, N] matrix (a conv kernel [kh, kw, cin, cout] in im2col row order
 *   (ky, kx, c), as src/hardware/im2col.ts unfolds windows), gets weight noise with addWeightNoise, seeded per
 *   layer;
 * - its K rows are cut into crossbar tiles of R rows; a Dense tile is a matMul of the matching input columns
 *   with the tile's rows, a Conv2D tile is the convolution with a kernel zeroed outside the tile's rows (exactly
 *   that tile's partial sums at every output pixel);
 * - each tile's partial sums pass the ADC (bits over [-clip, clip]), the tiles are added, then the bias (kept
 *   digital, without noise) and the activation.
 *
 * Every other layer (rescaling, pooling, flatten, depthwise convolutions, which map poorly onto a crossbar) runs
 * as it is. The ADC's full scale is set per layer by calibration: the largest |partial sum| the exact model
 * produces on calibration images (times `clipScale`), as a designer sizes the ADC range. Isomorphic.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { imagesTensor, type Dataset } from '../data/dataset';
import { describeLayer } from '../models/describe';
import { scoreLogits } from '../train/train';
import { addWeightNoise, checkAdc, tileCount, type CimNoise } from './cim-kernel';

/** How a model is run in memory. */
export interface CimModelSettings {
  /** Crossbar rows per tile (default 128). */
  tileRows?: number;
  /** ADC resolution; absent or null: an ideal ADC (no quantization). */
  adcBits?: number | null;
  noise?: CimNoise;
  /** Seed of the weight noise (default 0); each layer draws from seed·1000 + its index. */
  seed?: number;
  /** Names of the layers to run in memory (default: every Dense and Conv2D layer). */
  layers?: string[];
}

/** The ADC full scale of each in-memory layer, by layer name. */
export type AdcCalibration = Record<string, number>;

interface Prepared {
  kind: 'dense' | 'conv2d';
  /** Dense: [rows, N] slices of the kernel; Conv2D: full kernels zeroed outside each tile's rows. */
  tiles: tf.Tensor[];
  /** Dense: the first input column of each tile and its width. */
  starts: [number, number][];
  bias: tf.Tensor1D | null;
  activation: string;
  strides: [number, number];
  padding: 'same' | 'valid';
}

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
  elu: (x) => tf.elu(x),
};

function inMemory(layer: tfl.layers.Layer, s: CimModelSettings): boolean {
  const cls = layer.getClassName();
  if (cls !== 'Dense' && cls !== 'Conv2D') return false;
  return s.layers ? s.layers.includes(layer.name) : true;
}

/** The layer's tiles (noisy when asked), bias and activation, as tensors the caller disposes. */
function prepare(layer: tfl.layers.Layer, index: number, s: CimModelSettings): Prepared {
  const d = describeLayer(layer);
  if (!(d.activation in ACTIVATIONS)) throw new Error(`layer ${d.name}: activation '${d.activation}' is not simulated (use one of ${Object.keys(ACTIVATIONS).join(', ')})`);
  const kernel = d.weights[0];
  const shape = kernel.shape;
  const N = shape[shape.length - 1];
  const K = kernel.size / N;
  const clean = kernel.dataSync() as Float32Array;
  const noise = s.noise ?? {};
  const w = (noise.additive ?? 0) > 0 || (noise.multiplicative ?? 0) > 0 ? addWeightNoise(clean, noise, (s.seed ?? 0) * 1000 + index) : clean;
  const R = s.tileRows ?? 128;
  const T = tileCount(K, R);
  const tiles: tf.Tensor[] = [];
  const starts: [number, number][] = [];
  for (let t = 0; t < T; t++) {
    const k0 = t * R;
    const rows = Math.min(R, K - k0);
    starts.push([k0, rows]);
    if (d.kind === 'dense') tiles.push(tf.tensor2d(w.slice(k0 * N, (k0 + rows) * N), [rows, N]));
    else {
      const masked = new Float32Array(w.length);
      masked.set(w.subarray(k0 * N, (k0 + rows) * N), k0 * N);
      tiles.push(tf.tensor4d(masked, shape as [number, number, number, number]));
    }
  }
  if (d.kind === 'conv2d') {
    if (d.channelsFirst) throw new Error(`layer ${d.name}: channelsFirst convolutions are not simulated`);
    if (d.dilation && (d.dilation[0] !== 1 || d.dilation[1] !== 1)) throw new Error(`layer ${d.name}: dilated convolutions are not simulated`);
    if (d.padding !== 'same' && d.padding !== 'valid') throw new Error(`layer ${d.name}: padding '${d.padding}' is not simulated`);
  }
  return {
    kind: d.kind === 'dense' ? 'dense' : 'conv2d',
    tiles, starts,
    bias: d.useBias ? tf.tensor1d(d.weights[1].dataSync() as Float32Array) : null,
    activation: d.activation,
    strides: d.strides ?? [1, 1],
    padding: d.padding as 'same' | 'valid',
  };
}

/** The tile partial sums of a prepared layer on x: one tensor per tile. */
function partialSums(p: Prepared, x: tf.Tensor): tf.Tensor[] {
  if (p.kind === 'dense') {
    const x2 = x as tf.Tensor2D;
    return p.tiles.map((wt, t) => tf.matMul(tf.slice(x2, [0, p.starts[t][0]], [-1, p.starts[t][1]]), wt as tf.Tensor2D));
  }
  return p.tiles.map((wt) => tf.conv2d(x as tf.Tensor4D, wt as tf.Tensor4D, p.strides, p.padding));
}

/** The mid-rise ADC of cim-kernel.ts's adcQuantize, elementwise. */
function adcTensor(v: tf.Tensor, bits: number, clip: number): tf.Tensor {
  const levels = 2 ** bits;
  const step = (2 * clip) / levels;
  const k = tf.clipByValue(tf.floor(tf.div(tf.add(v, clip), step)), 0, levels - 1);
  return tf.sub(tf.mul(tf.add(k, 0.5), step), clip);
}

/** One forward pass of a batch; `observe` (calibration) receives each in-memory layer's partial sums. */
function forward(model: tfl.LayersModel, prepared: Map<number, Prepared>, x: tf.Tensor, adc: { bits: number; calibration: AdcCalibration } | null, observe?: (layer: string, partials: tf.Tensor[]) => void): tf.Tensor {
  let h = x;
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() === 'InputLayer') return;
    const p = prepared.get(i);
    if (!p) {
      h = layer.apply(h) as tf.Tensor;
      return;
    }
    const parts = partialSums(p, h);
    observe?.(layer.name, parts);
    const clip = adc ? adc.calibration[layer.name] : undefined;
    if (adc && clip === undefined) throw new Error(`layer ${layer.name}: no ADC calibration (calibrate with the same layers and tile rows)`);
    const digitised = adc ? parts.map((q) => adcTensor(q, adc.bits, clip!)) : parts;
    let y = digitised.length === 1 ? digitised[0] : tf.addN(digitised);
    if (p.bias) y = tf.add(y, p.bias);
    h = ACTIVATIONS[p.activation](y);
  });
  return h;
}

function prepareAll(model: tfl.LayersModel, s: CimModelSettings): Map<number, Prepared> {
  if (s.layers) {
    const missing = s.layers.filter((n) => !model.layers.some((l) => l.name === n && inMemory(l, { layers: undefined })));
    if (missing.length) throw new Error(`no Dense or Conv2D layer named ${missing.join(', ')} in ${model.name}`);
  }
  const prepared = new Map<number, Prepared>();
  model.layers.forEach((layer, i) => {
    if (inMemory(layer, s)) prepared.set(i, prepare(layer, i, s));
  });
  return prepared;
}

function disposeAll(prepared: Map<number, Prepared>): void {
  for (const p of prepared.values()) {
    for (const t of p.tiles) t.dispose();
    p.bias?.dispose();
  }
}

/**
 * The ADC full scale per in-memory layer: max |tile partial sum| of the exact model (no noise) over the
 * calibration images, times `clipScale` (default 1).
 *
 * @example
 * const calibration = calibrateAdc(model, subset(train, 200)); // { conv1: 7.9, conv2: 21.3, fc1: 18.0, ... }
 */
export function calibrateAdc(model: tfl.LayersModel, data: Dataset, opts: { tileRows?: number; layers?: string[]; clipScale?: number; batchSize?: number } = {}): AdcCalibration {
  const prepared = prepareAll(model, { tileRows: opts.tileRows, layers: opts.layers });
  const max: AdcCalibration = {};
  const batch = opts.batchSize ?? 250;
  try {
    for (let start = 0; start < data.count; start += batch) {
      const n = Math.min(batch, data.count - start);
      tf.tidy(() => {
        forward(model, prepared, imagesTensor(data, start, n), null, (name, parts) => {
          for (const p of parts) max[name] = Math.max(max[name] ?? 0, tf.max(tf.abs(p)).dataSync()[0]);
        });
      });
    }
  } finally {
    disposeAll(prepared);
  }
  const scale = opts.clipScale ?? 1;
  // A layer whose partial sums are all zero still needs a positive full scale.
  for (const k of Object.keys(max)) max[k] = Math.max(max[k] * scale, 1e-12);
  return max;
}

/**
 * Logits [count, classes] of the model run in memory. With adcBits set, `calibration` gives each layer's ADC
 * full scale (calibrateAdc, with the same tile rows and layers).
 *
 * @example
 * const logits = cimPredict(model, test, { tileRows: 128, adcBits: 4, noise: { additive: 0.05 }, seed: 1 }, calibration);
 */
export function cimPredict(model: tfl.LayersModel, data: Dataset, s: CimModelSettings, calibration?: AdcCalibration, batchSize = 500): Float32Array {
  const bits = s.adcBits ?? null;
  if (bits !== null) {
    if (!calibration) throw new Error('cimPredict: an ADC needs a calibration (calibrateAdc)');
    checkAdc({ bits, clip: 1 });
  }
  const prepared = prepareAll(model, s);
  const out = new Float32Array(data.count * data.numClasses);
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const n = Math.min(batchSize, data.count - start);
      const y = tf.tidy(() => forward(model, prepared, imagesTensor(data, start, n), bits === null ? null : { bits, calibration: calibration! }));
      out.set(y.dataSync() as Float32Array, start * data.numClasses);
      y.dispose();
    }
  } finally {
    disposeAll(prepared);
  }
  return out;
}

/**
 * Top-1 accuracy of the model run in memory.
 *
 * @example
 * cimAccuracy(model, test, { adcBits: 3 }, calibration); // e.g. 0.93
 */
export function cimAccuracy(model: tfl.LayersModel, data: Dataset, s: CimModelSettings, calibration?: AdcCalibration): number {
  return scoreLogits(cimPredict(model, data, s, calibration), data.labels, data.numClasses).accuracy;
}

export interface CimSweepOptions {
  /** Noise σ values (fractions: of the weight range for additive noise, of each weight for multiplicative). */
  noiseLevels: readonly number[];
  /** Which noise the levels set (default 'additive'). */
  noiseKind?: 'additive' | 'multiplicative';
  /** ADC resolutions; null for an ideal ADC. */
  adcBits: readonly (number | null)[];
  /** Noise seeds (chips) averaged at each noisy point (default [1, 2, 3]); a noise-free point runs once. */
  seeds?: readonly number[];
  tileRows?: number;
  layers?: string[];
  /** ADC calibration; required when adcBits has a number. */
  calibration?: AdcCalibration;
}

/** Accuracy at one noise level and ADC resolution. */
export interface CimSweepPoint {
  noiseKind: 'additive' | 'multiplicative';
  noise: number;
  adcBits: number | null;
  tileRows: number;
  /** Mean, min and max top-1 accuracy over the seeds. */
  accuracy: number;
  min: number;
  max: number;
  seeds: number;
}

/**
 * Accuracy of the model in memory for every noise level × ADC resolution.
 *
 * @example
 * const calibration = calibrateAdc(lenet, subset(train, 200));
 * cimSweep(lenet, test, { noiseLevels: [0, 0.05, 0.1], adcBits: [null, 8, 4, 2], calibration });
 */
export function cimSweep(model: tfl.LayersModel, data: Dataset, o: CimSweepOptions): CimSweepPoint[] {
  const kind = o.noiseKind ?? 'additive';
  const seeds = o.seeds ?? [1, 2, 3];
  const tileRows = o.tileRows ?? 128;
  if (seeds.length === 0) throw new Error('cimSweep: no seeds');
  const points: CimSweepPoint[] = [];
  for (const noise of o.noiseLevels) {
    const runs = noise === 0 ? seeds.slice(0, 1) : seeds;
    const acc = new Map<number | null, number[]>(o.adcBits.map((b) => [b, []]));
    for (const seed of runs) {
      for (const bits of o.adcBits) {
        const s: CimModelSettings = { tileRows, adcBits: bits, noise: { [kind]: noise }, seed, layers: o.layers };
        acc.get(bits)!.push(cimAccuracy(model, data, s, o.calibration));
      }
    }
    for (const bits of o.adcBits) {
      const a = acc.get(bits)!;
      points.push({ noiseKind: kind, noise, adcBits: bits, tileRows, accuracy: a.reduce((x, y) => x + y, 0) / a.length, min: Math.min(...a), max: Math.max(...a), seeds: a.length });
    }
  }
  return points;
}
