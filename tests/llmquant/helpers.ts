import { mulberry32 } from '../../src/util/random';

/** Seeded standard normal samples (Box-Muller). */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
}

/** Activations [n, cols] whose listed channels are `factor` times larger for every token (LLM outliers). */
export function withOutlierChannels(x: Float32Array, cols: number, channels: number[], factor: number): Float32Array {
  const y = Float32Array.from(x);
  for (let t = 0; t < x.length / cols; t++) for (const c of channels) y[t * cols + c] *= factor;
  return y;
}
