/**
 * Model surgery with decompositions: a Dense layer becomes two thinner ones (truncated SVD), a Conv2D
 * becomes 1x1 -> kxk -> 1x1 convolutions (Tucker-2: HOSVD on the input- and output-channel modes).
 * Both return a new Sequential model; fine-tune it afterwards with `train`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, Sequential } from '@tensorflow/tfjs-layers';
import { rebuildSequential } from '../prune/rebuild';
import { checkRank, truncate } from './lowrank';
import { rankForEnergy, svd, symmetricEigen } from './svd';
import { layerClassName } from '../models/describe';

type Layer = LayersModel['layers'][number];

/** Rank chosen explicitly or as the smallest keeping a fraction of Σσ². */
export type RankChoice = { rank: number } | { energy: number };

function findLayer(model: LayersModel, name: string, cls: string): Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) throw new RangeError(`model '${model.name}' has no layer '${name}'; layers: ${model.layers.map((l) => l.name).join(', ')}`);
  if (layerClassName(layer) !== cls) throw new RangeError(`layer '${name}' is ${layerClassName(layer)}, not ${cls}`);
  return layer;
}

export interface DenseFactorization {
  model: Sequential;
  rank: number;
  singularValues: Float64Array;
  /** Parameters of the original kernel and of the two factors (biases not counted). */
  paramsBefore: number;
  paramsAfter: number;
}

/**
 * Replaces Dense layer `name` (kernel [m, n]) by Dense(k, linear, no bias) named `<name>_lowrank` followed by
 * Dense(n) with the original bias and activation, keeping the original name. Fewer parameters when
 * k < m·n / (m + n).
 *
 * @example
 * const { model: small, rank } = factorizeDense(model, 'fc1', { energy: 0.9 });
 */
export function factorizeDense(model: LayersModel, name: string, choice: RankChoice): DenseFactorization {
  const layer = findLayer(model, name, 'Dense');
  const [kernel, bias] = layer.getWeights();
  const [m, n] = kernel.shape;
  const d = svd(kernel.dataSync(), m, n);
  const rank = 'rank' in choice ? choice.rank : rankForEnergy(d.s, choice.energy);
  checkRank(rank, m, n, `kernel of '${name}'`);
  const { left, right } = truncate(d, rank);
  const built = rebuildSequential(model, (l, spec) => {
    if (l !== layer) return undefined;
    const first = { className: 'Dense', config: { ...spec.config, name: `${name}_lowrank`, units: rank, useBias: false, activation: 'linear' } };
    const second = { className: 'Dense', config: { ...spec.config, units: n } };
    delete (second.config as Record<string, unknown>).batchInputShape;
    const secondWeights: tf.Tensor[] = [tf.tensor2d(right, [rank, n])];
    if (bias) secondWeights.push(bias);
    return [
      { spec: first, weights: [tf.tensor2d(left, [m, rank])] },
      { spec: second, weights: secondWeights },
    ];
  });
  return { model: built, rank, singularValues: d.s, paramsBefore: m * n, paramsAfter: rank * (m + n) };
}

export interface TuckerFactors {
  /** [cin, rIn] orthonormal columns. */
  uIn: Float64Array;
  /** [cout, rOut] orthonormal columns. */
  uOut: Float64Array;
  /** [kh, kw, rIn, rOut]. */
  core: Float64Array;
  rIn: number;
  rOut: number;
  /** Singular values of the input- and output-channel unfoldings. */
  sIn: Float64Array;
  sOut: Float64Array;
}

/** Leading eigenvectors of the Gram matrix of a mode unfolding: rows = that mode's channels. */
function modeBasis(kernel: ArrayLike<number>, shape: number[], axis: 2 | 3) {
  const [kh, kw, cin, cout] = shape;
  const c = axis === 2 ? cin : cout;
  const g = new Float64Array(c * c);
  for (let p = 0; p < kh * kw; p++) {
    for (let i = 0; i < cin; i++) {
      for (let j = 0; j < cout; j++) {
        const x = kernel[(p * cin + i) * cout + j];
        if (x === 0) continue;
        if (axis === 2) for (let i2 = 0; i2 < cin; i2++) g[i * cin + i2] += x * kernel[(p * cin + i2) * cout + j];
        else for (let j2 = 0; j2 < cout; j2++) g[j * cout + j2] += x * kernel[(p * cin + i) * cout + j2];
      }
    }
  }
  const e = symmetricEigen(g, c);
  return { vectors: e.vectors, s: e.values.map((v) => Math.sqrt(Math.max(v, 0))), c };
}

/**
 * Tucker-2 decomposition of a conv kernel [kh, kw, cin, cout]: K ≈ core ×₃ U_in ×₄ U_out, with U_in / U_out the
 * leading left singular vectors of the channel-mode unfoldings (HOSVD) and core = K ×₃ U_inᵀ ×₄ U_outᵀ.
 *
 * @example
 * const t = tucker2(kernelValues, [3, 3, 32, 64], 8, 16);
 */
export function tucker2(kernel: ArrayLike<number>, shape: number[], rIn: number, rOut: number): TuckerFactors {
  if (shape.length !== 4 || kernel.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new RangeError(`tucker2 needs a [kh, kw, cin, cout] kernel, got shape [${shape}] with ${kernel.length} values`);
  }
  const [kh, kw, cin, cout] = shape;
  checkRank(rIn, cin, kh * kw * cout, 'input-channel unfolding');
  checkRank(rOut, cout, kh * kw * cin, 'output-channel unfolding');
  const bIn = modeBasis(kernel, shape, 2);
  const bOut = modeBasis(kernel, shape, 3);
  const uIn = new Float64Array(cin * rIn);
  for (let i = 0; i < cin; i++) for (let a = 0; a < rIn; a++) uIn[i * rIn + a] = bIn.vectors[i * cin + a];
  const uOut = new Float64Array(cout * rOut);
  for (let j = 0; j < cout; j++) for (let b = 0; b < rOut; b++) uOut[j * rOut + b] = bOut.vectors[j * cout + b];
  const core = new Float64Array(kh * kw * rIn * rOut);
  const tmp = new Float64Array(rIn * cout);
  for (let p = 0; p < kh * kw; p++) {
    tmp.fill(0);
    for (let i = 0; i < cin; i++) for (let j = 0; j < cout; j++) {
      const x = kernel[(p * cin + i) * cout + j];
      for (let a = 0; a < rIn; a++) tmp[a * cout + j] += x * uIn[i * rIn + a];
    }
    for (let a = 0; a < rIn; a++) for (let b = 0; b < rOut; b++) {
      let sum = 0;
      for (let j = 0; j < cout; j++) sum += tmp[a * cout + j] * uOut[j * rOut + b];
      core[(p * rIn + a) * rOut + b] = sum;
    }
  }
  return { uIn, uOut, core, rIn, rOut, sIn: bIn.s, sOut: bOut.s };
}

/**
 * The kernel a Tucker-2 decomposition represents (for checking the approximation error).
 *
 * @example
 * const approx = tuckerReconstruct(t, [3, 3, 32, 64]);
 */
export function tuckerReconstruct(t: TuckerFactors, shape: number[]): Float64Array {
  const [kh, kw, cin, cout] = shape;
  const out = new Float64Array(kh * kw * cin * cout);
  for (let p = 0; p < kh * kw; p++) for (let i = 0; i < cin; i++) for (let j = 0; j < cout; j++) {
    let sum = 0;
    for (let a = 0; a < t.rIn; a++) for (let b = 0; b < t.rOut; b++) sum += t.uIn[i * t.rIn + a] * t.core[(p * t.rIn + a) * t.rOut + b] * t.uOut[j * t.rOut + b];
    out[(p * cin + i) * cout + j] = sum;
  }
  return out;
}

export interface ConvFactorization {
  model: Sequential;
  rIn: number;
  rOut: number;
  paramsBefore: number;
  paramsAfter: number;
}

/**
 * Replaces Conv2D layer `name` by three convolutions: 1x1 (cin -> rIn, `<name>_in`), kxk with the original
 * strides and padding (rIn -> rOut, `<name>_core`), 1x1 (rOut -> cout, original name, bias and activation).
 * Ranks are explicit or chosen per mode by retained energy.
 *
 * @example
 * const { model: small } = factorizeConv(model, 'conv2', { rIn: 16, rOut: 32 });
 */
export function factorizeConv(model: LayersModel, name: string, ranks: { rIn: number; rOut: number } | { energy: number }): ConvFactorization {
  const layer = findLayer(model, name, 'Conv2D');
  const [kernel, bias] = layer.getWeights();
  const shape = kernel.shape;
  const [kh, kw, cin, cout] = shape;
  const values = kernel.dataSync();
  let rIn: number;
  let rOut: number;
  if ('energy' in ranks) {
    rIn = rankForEnergy(modeBasis(values, shape, 2).s, ranks.energy);
    rOut = rankForEnergy(modeBasis(values, shape, 3).s, ranks.energy);
  } else {
    ({ rIn, rOut } = ranks);
  }
  const t = tucker2(values, shape, rIn, rOut);
  const built = rebuildSequential(model, (l, spec) => {
    if (l !== layer) return undefined;
    const base = { ...spec.config };
    delete base.batchInputShape;
    const uOutT = new Float32Array(rOut * cout);
    for (let j = 0; j < cout; j++) for (let b = 0; b < rOut; b++) uOutT[b * cout + j] = t.uOut[j * rOut + b];
    const last: tf.Tensor[] = [tf.tensor4d(uOutT, [1, 1, rOut, cout])];
    if (bias) last.push(bias);
    const oneByOne = { kernelSize: [1, 1], strides: [1, 1], padding: 'valid', dilationRate: [1, 1] };
    return [
      { spec: { className: 'Conv2D', config: { ...spec.config, ...oneByOne, name: `${name}_in`, filters: rIn, useBias: false, activation: 'linear' } }, weights: [tf.tensor4d(Float32Array.from(t.uIn), [1, 1, cin, rIn])] },
      { spec: { className: 'Conv2D', config: { ...base, name: `${name}_core`, filters: rOut, useBias: false, activation: 'linear' } }, weights: [tf.tensor4d(Float32Array.from(t.core), [kh, kw, rIn, rOut])] },
      { spec: { className: 'Conv2D', config: { ...base, ...oneByOne, filters: cout } }, weights: last },
    ];
  });
  return { model: built, rIn, rOut, paramsBefore: kh * kw * cin * cout, paramsAfter: cin * rIn + kh * kw * rIn * rOut + rOut * cout };
}
