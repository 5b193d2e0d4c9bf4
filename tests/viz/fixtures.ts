/** Deterministic sample payloads for the viz, show and browser tests. */
import { activationRange, histogram, methodResult } from '../../src/viz/build';
import { sparsityLayer } from '../../src/viz/mask';
import { QUANTIZATION_VERSION, SPARSITY_VERSION, type QuantizationPayload, type SparsityPayload } from '../../src/viz/payloads';
import { mulberry32 } from '../../src/util/random';

/** A 0/1 mask with roughly `sparsity` zeros. */
export function randomMask(n: number, sparsity: number, seed = 1): Uint8Array {
  const rnd = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => (rnd() < sparsity ? 0 : 1));
}

/** Two small layers (exact bits) and one large layer (density grid), with a 4-step history. */
export function sampleSparsity(): SparsityPayload {
  return {
    version: SPARSITY_VERSION,
    model: 'lenet5',
    title: 'magnitude pruning',
    layers: [
      sparsityLayer('conv1/kernel', [5, 5, 1, 6], randomMask(150, 0.5, 1)),
      sparsityLayer('dense1/kernel', [16, 12], randomMask(192, 0.75, 2)),
      sparsityLayer('big/kernel', [600, 500], randomMask(300000, 0.9, 3), { maxBits: 100000, gridSize: 50 }),
    ],
    history: {
      steps: [0, 1, 2, 3],
      global: [0, 0.3, 0.6, 0.88],
      perLayer: { 'conv1/kernel': [0, 0.2, 0.4, 0.5], 'dense1/kernel': [0, 0.3, 0.6, 0.75], 'big/kernel': [0, 0.3, 0.6, 0.9] },
      accuracy: [0.98, 0.979, 0.975, 0.96],
    },
  };
}

function gaussian(n: number, seed: number, scale = 1): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
}

function fakeQuantize(x: Float32Array, bits: number, clip: number): Float32Array {
  const levels = 2 ** (bits - 1) - 1;
  const scale = clip / levels;
  return x.map((v) => Math.max(-levels, Math.min(levels, Math.round(v / scale))) * scale);
}

/** Two layers, each with minmax and percentile methods, activations, a QAT trace and a bit layout. */
export function sampleQuantization(): QuantizationPayload {
  const layers = ['conv1/kernel', 'dense1/kernel'].map((name, i) => {
    const w = gaussian(2000, 10 + i, 0.1);
    const maxAbs = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const acts = gaussian(4000, 20 + i, 2).map((v) => Math.abs(v));
    return {
      name,
      shape: i === 0 ? [5, 5, 1, 80] : [40, 50],
      format: { bits: 8, scheme: 'symmetric' as const, signed: true, granularity: 'tensor' as const },
      scales: [maxAbs / 127],
      zeroPoints: [0],
      methods: [methodResult('minmax', w, fakeQuantize(w, 8, maxAbs)), methodResult('percentile', w, fakeQuantize(w, 8, maxAbs * 0.6))],
      activation: activationRange(acts, 0, 4),
    };
  });
  return {
    version: QUANTIZATION_VERSION,
    model: 'lenet5',
    layers,
    qatTrace: { steps: [0, 10, 20, 30], mse: { 'conv1/kernel': [1e-4, 5e-5, 3e-5, 2e-5], 'dense1/kernel': [2e-4, 1e-4, 6e-5, 5e-5] } },
    bitLayout: [
      { value: 0.1, format: 'float32', sign: '0', exponent: '01111011', mantissa: '10011001100110011001101', stored: 0.10000000149011612 },
      { value: 0.1, format: 'float16', sign: '0', exponent: '01011', mantissa: '1001100110', stored: 0.0999755859375 },
      { value: 0.1, format: 'bfloat16', sign: '0', exponent: '01111011', mantissa: '1001101', stored: 0.10009765625 },
    ],
  };
}

export { histogram };
