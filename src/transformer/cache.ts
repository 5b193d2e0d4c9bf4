/**
 * Trained tinyGpt models kept on disk (Node), like trainCached for the zoo's convnets: a preset trained once on
 * a corpus is stored under `<cache>/models/tinygpt-<config hash>-<build hash>/` (weights.bin, float32 values of
 * every parameter in weightNames() order, and model.json: config, names, shapes, training result), so notebook
 * 09, the transformer bench and the tests reuse one run. The config hash covers the preset, the seed and the
 * corpus (its name, vocabulary and a checksum of its training tokens); the build hash is trainCached's.
 * A damaged entry is trained again.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { TextCorpus } from '../data/text-corpus';
import { buildHash, cacheRoot, currentBuild } from '../train/cache';
import { tinyGpt, TinyGpt } from './model';
import { GptTrainingPreset, GptTrainProgress, GptTrainResult, gptTrainingPreset, trainTinyGpt } from './train';

/** Options of {@link trainTinyGptCached}. */
export interface GptCacheOptions {
  /** The preset (default: GPT_TRAINING_QUICK when `quick`, else GPT_TRAINING_FULL). */
  preset?: Readonly<GptTrainingPreset>;
  /** Quick preset; default process.env.OPTILAB_QUICK === '1'. */
  quick?: boolean;
  /** Seed of the initial weights and of the window sampler; default 1. */
  seed?: number;
  onProgress?: (p: GptTrainProgress) => void;
}

/** A trained tinyGpt from {@link trainTinyGptCached}. */
export interface CachedGpt {
  model: TinyGpt;
  /** The training run (stored with the weights, so also when loaded). */
  result: GptTrainResult;
  cached: boolean;
  dir: string;
  key: string;
}

/** FNV-1a of token ids: a checksum of the corpus the model is trained on. */
function tokenChecksum(tokens: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < tokens.length; i++) h = Math.imul(h ^ tokens[i], 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * The cache key of a preset, seed and corpus for this build: `tinygpt-<config hash>-<build hash>`.
 *
 * @example
 * await gptCacheKey(GPT_TRAINING_QUICK, 1, corpus); // 'tinygpt-1a2b3c4d5e6f-7a1b2c3d'
 */
export async function gptCacheKey(preset: Readonly<GptTrainingPreset>, seed: number, corpus: TextCorpus): Promise<string> {
  const config = { preset, seed, corpus: { name: corpus.name, chars: corpus.vocabulary.chars, tokens: corpus.train.length, checksum: tokenChecksum(corpus.train) } };
  const hash = createHash('sha256').update(`optilab-tinygpt-v1 ${JSON.stringify(config)}`).digest('hex').slice(0, 12);
  return `tinygpt-${hash}-${buildHash(await currentBuild())}`;
}

function load(dir: string, vocabSize: number): { model: TinyGpt; result: GptTrainResult } | null {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { config: TinyGpt['config']; names: string[]; sizes: number[]; result: GptTrainResult };
    const bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
    const total = meta.sizes.reduce((a, b) => a + b, 0);
    if (bytes.length !== total * 4 || meta.config.vocabSize !== vocabSize) return null;
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const model = new TinyGpt(meta.config);
    const weights: Record<string, Float32Array> = {};
    let at = 0;
    meta.names.forEach((name, i) => {
      weights[name] = values.subarray(at, at + meta.sizes[i]);
      at += meta.sizes[i];
    });
    model.setWeights(weights);
    return { model, result: meta.result };
  } catch {
    return null;
  }
}

function save(dir: string, model: TinyGpt, result: GptTrainResult): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  const weights = model.getWeights();
  const names = model.weightNames();
  const sizes = names.map((n) => weights[n].length);
  const all = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const n of names) {
    all.set(weights[n], at);
    at += weights[n].length;
  }
  fs.writeFileSync(path.join(tmp, 'weights.bin'), new Uint8Array(all.buffer));
  fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify({ config: model.config, names, sizes, result }, null, 1) + '\n');
  // written aside then renamed: a crash never leaves a half entry under the key
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/**
 * A tinyGpt trained with a preset on a corpus: loaded from the cache when this build trained it before,
 * else trained (with progress) and stored. Every call returns a fresh model.
 *
 * @example
 * const corpus = loadKjv();
 * const { model, result, cached } = await trainTinyGptCached(corpus, { quick: true });
 * console.log(cached ? 'loaded' : `trained in ${result.seconds.toFixed(0)} s`, model.bitsPerChar(corpus.validation));
 */
export async function trainTinyGptCached(corpus: TextCorpus, opts: GptCacheOptions = {}): Promise<CachedGpt> {
  const preset = opts.preset ?? gptTrainingPreset(opts.quick ?? process.env.OPTILAB_QUICK === '1');
  const seed = opts.seed ?? 1;
  const key = await gptCacheKey(preset, seed, corpus);
  const dir = path.join(cacheRoot(), 'models', key);
  const hit = load(dir, corpus.vocabulary.size);
  if (hit) return { ...hit, cached: true, dir, key };
  const model = tinyGpt({ vocabSize: corpus.vocabulary.size, seed }, preset.shape);
  const result = await trainTinyGpt(model, corpus, { steps: preset.steps, batchSize: preset.batchSize, lr: preset.lr, evalEvery: preset.evalEvery, seed, onProgress: opts.onProgress });
  save(dir, model, result);
  return { model, result, cached: false, dir, key };
}
