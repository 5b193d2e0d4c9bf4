/**
 * The isomorphic part of the tinyGpt cache (src/transformer/cache.ts keeps entries on disk in Node; the course
 * site's notebook runner keeps them in IndexedDB): the text whose sha256 is the config hash of the cache key,
 * the weights packed as one float32 array in weightNames() order (and unpacked, checked), and the training run
 * of a preset. Both caches use these, so a key, an entry's layout and a training run are the same in both.
 */
import type { TextCorpus } from '../data/text-corpus';
import { tinyGpt, TinyGpt } from './model';
import { GptTrainingPreset, GptTrainProgress, GptTrainResult, trainTinyGpt } from './train';

/** FNV-1a (32 bits, hex) of token ids: a checksum of the corpus the model is trained on. */
export function gptTokenChecksum(tokens: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < tokens.length; i++) h = Math.imul(h ^ tokens[i], 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * The text whose sha256 (first 12 hex digits) is the config hash of a tinyGpt cache key: the preset, the seed
 * and the corpus (name, vocabulary, length and checksum of its training tokens).
 *
 * @example
 * gptCacheConfigText(GPT_TRAINING_QUICK, 1, corpus); // 'optilab-tinygpt-v1 {"preset":{...},"seed":1,"corpus":{...}}'
 */
export function gptCacheConfigText(preset: Readonly<GptTrainingPreset>, seed: number, corpus: TextCorpus): string {
  const config = { preset, seed, corpus: { name: corpus.name, chars: corpus.vocabulary.chars, tokens: corpus.train.length, checksum: gptTokenChecksum(corpus.train) } };
  return `optilab-tinygpt-v1 ${JSON.stringify(config)}`;
}

/** What a cache entry stores besides the weights (model.json in Node, the entry's metadata in IndexedDB). */
export interface GptCacheMeta {
  config: TinyGpt['config'];
  names: string[];
  sizes: number[];
  result: GptTrainResult;
}

/**
 * Every parameter of a tinyGpt as one float32 array (weightNames() order) and the entry's metadata.
 *
 * @example
 * const { meta, values } = packGptWeights(model, result); // values.length === sum of meta.sizes
 */
export function packGptWeights(model: TinyGpt, result: GptTrainResult): { meta: GptCacheMeta; values: Float32Array } {
  const weights = model.getWeights();
  const names = model.weightNames();
  const sizes = names.map((n) => weights[n].length);
  const values = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const n of names) {
    values.set(weights[n], at);
    at += weights[n].length;
  }
  return { meta: { config: model.config, names, sizes, result }, values };
}

/**
 * A tinyGpt from a packed entry, or null when it does not fit (sizes vs values, another vocabulary, a name or
 * shape the model does not have): a damaged entry is trained again.
 *
 * @example
 * const model = unpackGptWeights(meta, values, corpus.vocabulary.size);
 */
export function unpackGptWeights(meta: GptCacheMeta, values: Float32Array, vocabSize: number): TinyGpt | null {
  try {
    const total = meta.sizes.reduce((a, b) => a + b, 0);
    if (values.length !== total || meta.config.vocabSize !== vocabSize || meta.names.length !== meta.sizes.length) return null;
    const model = new TinyGpt(meta.config);
    const weights: Record<string, Float32Array> = {};
    let at = 0;
    meta.names.forEach((name, i) => {
      weights[name] = values.subarray(at, at + meta.sizes[i]);
      at += meta.sizes[i];
    });
    model.setWeights(weights);
    return model;
  } catch {
    return null;
  }
}

/**
 * Builds a tinyGpt of the preset's shape for the corpus's vocabulary and trains it with the preset (the run of
 * a cache miss).
 *
 * @example
 * const { model, result } = await trainGptPreset(corpus, GPT_TRAINING_QUICK, 1);
 */
export async function trainGptPreset(corpus: TextCorpus, preset: Readonly<GptTrainingPreset>, seed: number, onProgress?: (p: GptTrainProgress) => void): Promise<{ model: TinyGpt; result: GptTrainResult }> {
  const model = tinyGpt({ vocabSize: corpus.vocabulary.size, seed }, preset.shape);
  const result = await trainTinyGpt(model, corpus, { steps: preset.steps, batchSize: preset.batchSize, lr: preset.lr, evalEvery: preset.evalEvery, seed, onProgress });
  return { model, result };
}
