/**
 * The shape of a tinyGpt (src/transformer/model.ts): a decoder-only, pre-LayerNorm transformer over characters
 * (isomorphic, no tensors). Two presets: TINY_GPT_DEFAULT (4 layers, 4 heads, width 128, context 128) and the
 * smaller TINY_GPT_QUICK for lab cells and tests that must train in seconds.
 */

/** The MLP's nonlinearity: GELU (exact, with erf; GPT-2's) or ReLU. */
export type GptActivation = 'gelu' | 'relu';

/** Every hyperparameter of a tinyGpt. */
export interface TinyGptConfig {
  /** Tokens of the vocabulary (63 for the KJV characters). */
  vocabSize: number;
  /** Longest input sequence (the learned position embedding has this many rows). */
  contextLength: number;
  /** Width of the residual stream. */
  dModel: number;
  nLayers: number;
  /** Attention heads per layer; dModel must be a multiple. */
  nHeads: number;
  /** MLP hidden width as a multiple of dModel (4 in GPT-2). */
  mlpRatio: number;
  activation: GptActivation;
  /** Seed of the initial weights. */
  seed: number;
}

/** The hyperparameters a preset fixes (everything but the vocabulary and the seed). */
export type GptShape = Omit<TinyGptConfig, 'vocabSize' | 'seed'>;

/**
 * The default tinyGpt: 4 layers, 4 heads, width 128, context 128, ReLU MLP of width 512 (825,919 parameters at
 * 63 tokens). ReLU rather than GELU: on the wasm backend with the native kernels ReLU is fused into the matrix
 * product and has a one-kernel gradient, while exact GELU adds an erf and an exp per hidden unit, a training
 * step about 30% slower at this size; `activation: 'gelu'` gives GPT-2's.
 */
export const TINY_GPT_DEFAULT: Readonly<GptShape> = Object.freeze({ contextLength: 128, dModel: 128, nLayers: 4, nHeads: 4, mlpRatio: 4, activation: 'relu' });

/** The quick tinyGpt: 2 layers, 4 heads, width 64, context 64, ReLU MLP of width 256 (112,319 parameters at 63 tokens). */
export const TINY_GPT_QUICK: Readonly<GptShape> = Object.freeze({ contextLength: 64, dModel: 64, nLayers: 2, nHeads: 4, mlpRatio: 4, activation: 'relu' });

const positive = (name: string, v: number) => {
  if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`tinyGpt: ${name} must be a positive whole number, got ${v}`);
};

/**
 * A complete, checked config: the preset (default TINY_GPT_DEFAULT) with `overrides` on top. Throws a
 * RangeError naming the first bad value (e.g. a width the heads do not divide).
 *
 * @example
 * const config = gptConfig({ vocabSize: 63 }); // the default shape
 * const quick = gptConfig({ vocabSize: 63, seed: 1 }, TINY_GPT_QUICK);
 */
export function gptConfig(overrides: Partial<TinyGptConfig> & { vocabSize: number }, preset: Readonly<GptShape> = TINY_GPT_DEFAULT): TinyGptConfig {
  const c: TinyGptConfig = { seed: 0, ...preset, ...overrides };
  for (const k of ['vocabSize', 'contextLength', 'dModel', 'nLayers', 'nHeads', 'mlpRatio'] as const) positive(k, c[k]);
  if (c.dModel % c.nHeads !== 0) throw new RangeError(`tinyGpt: dModel ${c.dModel} is not a multiple of nHeads ${c.nHeads}`);
  if (c.activation !== 'gelu' && c.activation !== 'relu') throw new RangeError(`tinyGpt: activation must be 'gelu' or 'relu', got ${String(c.activation)}`);
  if (!Number.isInteger(c.seed)) throw new RangeError(`tinyGpt: seed must be a whole number, got ${c.seed}`);
  return c;
}

/** One parameter of a tinyGpt: its name, shape and initial standard deviation (0: zeros, NaN: ones). */
export interface GptParameterShape {
  name: string;
  shape: number[];
  std: number;
}

/**
 * The names and shapes of a config's parameters, in creation order (what TinyGpt creates, and what gptSummary counts).
 *
 * @example
 * gptParameterShapes(gptConfig({ vocabSize: 63 }))[0]; // { name: 'embed.token', shape: [63, 128], std: 0.02 }
 */
export function gptParameterShapes(c: TinyGptConfig): GptParameterShape[] {
  const d = c.dModel;
  const h = c.mlpRatio * d;
  const resid = 0.02 / Math.sqrt(2 * c.nLayers);
  const out: GptParameterShape[] = [
    { name: 'embed.token', shape: [c.vocabSize, d], std: 0.02 },
    { name: 'embed.position', shape: [c.contextLength, d], std: 0.02 },
  ];
  const ln = (p: string) => out.push({ name: `${p}.gamma`, shape: [d], std: NaN }, { name: `${p}.beta`, shape: [d], std: 0 });
  const lin = (p: string, rows: number, cols: number, std: number) => out.push({ name: p, shape: [rows, cols], std }, { name: `${p}.bias`, shape: [rows], std: 0 });
  for (let i = 0; i < c.nLayers; i++) {
    ln(`block${i}.ln1`);
    lin(`block${i}.attn.qkv`, 3 * d, d, 0.02);
    lin(`block${i}.attn.proj`, d, d, resid);
    ln(`block${i}.ln2`);
    lin(`block${i}.mlp.fc1`, h, d, 0.02);
    lin(`block${i}.mlp.fc2`, d, h, resid);
  }
  ln('lnf');
  lin('head', c.vocabSize, d, 0.02);
  return out;
}
