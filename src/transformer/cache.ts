/**
 * Trained tinyGpt models kept on disk (Node), like trainCached for the zoo's convnets: a preset trained once on
 * a corpus is stored under `<cache>/models/tinygpt-<config hash>-<build hash>/` (weights.bin, float32 values of
 * every parameter in weightNames() order, and model.json: config, names, shapes, training result), so notebook
 * 09, the transformer bench and the tests reuse one run. The config hash covers the preset, the seed and the
 * corpus (its name, vocabulary and a checksum of its training tokens); the build hash is trainCached's.
 * A damaged entry is trained again. The key text, the packed weights and the training run are isomorphic
 * (./cache-format.ts): the course site's notebook runner keeps the same entries in IndexedDB under the same key.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { TextCorpus } from '../data/text-corpus';
import { buildHash, cacheRoot, currentBuild } from '../train/cache';
import type { TinyGpt } from './model';
import { GptTrainingPreset, GptTrainProgress, GptTrainResult, gptTrainingPreset } from './train';
import { gptCacheConfigText, GptCacheMeta, packGptWeights, trainGptPreset, unpackGptWeights } from './cache-format';

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

/**
 * The cache key of a preset, seed and corpus for this build: `tinygpt-<config hash>-<build hash>`.
 *
 * @example
 * await gptCacheKey(GPT_TRAINING_QUICK, 1, corpus); // 'tinygpt-1a2b3c4d5e6f-7a1b2c3d'
 */
export async function gptCacheKey(preset: Readonly<GptTrainingPreset>, seed: number, corpus: TextCorpus): Promise<string> {
  const hash = createHash('sha256').update(gptCacheConfigText(preset, seed, corpus)).digest('hex').slice(0, 12);
  return `tinygpt-${hash}-${buildHash(await currentBuild())}`;
}

function load(dir: string, vocabSize: number): { model: TinyGpt; result: GptTrainResult } | null {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as GptCacheMeta;
    const bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
    if (bytes.length % 4 !== 0) return null;
    const model = unpackGptWeights(meta, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), vocabSize);
    return model ? { model, result: meta.result } : null;
  } catch {
    return null;
  }
}

function save(dir: string, model: TinyGpt, result: GptTrainResult): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  const { meta, values } = packGptWeights(model, result);
  fs.writeFileSync(path.join(tmp, 'weights.bin'), new Uint8Array(values.buffer));
  fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(meta, null, 1) + '\n');
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
  const { model, result } = await trainGptPreset(corpus, preset, seed, opts.onProgress);
  save(dir, model, result);
  return { model, result, cached: false, dir, key };
}
