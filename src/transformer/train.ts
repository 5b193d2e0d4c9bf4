/**
 * Training a tinyGpt on a token array (isomorphic): random windows of contextLength + 1 tokens (seeded), Adam
 * (src/train/adam.ts: the fused one-kernel update where the native addon runs, else exactly tf.train.adam) on
 * the mean cross-entropy, gradients clipped to a global norm, linear warmup then cosine decay of the learning
 * rate, and the validation bits per character measured every `evalEvery` steps and at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../util/random';
import { adam } from '../train/adam';
import type { TinyGpt } from './model';
import { GptShape, TINY_GPT_DEFAULT, TINY_GPT_QUICK } from './config';

/** A model shape and the run that trains it: what quick mode and the full run use. */
export interface GptTrainingPreset {
  shape: Readonly<GptShape>;
  steps: number;
  batchSize: number;
  lr: number;
  evalEvery: number;
}

/**
 * Quick mode (OPTILAB_QUICK=1, tests, lab cells): TINY_GPT_QUICK for 1,500 steps of 32 windows. Measured on the
 * 2-core machine (wasm + native kernels): 51 s, validation 1.88 bits per character on the full KJV.
 */
export const GPT_TRAINING_QUICK: Readonly<GptTrainingPreset> = Object.freeze({ shape: TINY_GPT_QUICK, steps: 1500, batchSize: 32, lr: 3e-3, evalEvery: 500 });

/**
 * The full run: TINY_GPT_DEFAULT (4 layers, 4 heads, width 128, context 128) for 2,000 steps of 32 windows
 * (8.2 M tokens, about two passes over the KJV's training text); about 0.49 s a step on the 2-core machine,
 * so roughly 17 minutes.
 */
export const GPT_TRAINING_FULL: Readonly<GptTrainingPreset> = Object.freeze({ shape: TINY_GPT_DEFAULT, steps: 2000, batchSize: 32, lr: 2e-3, evalEvery: 500 });

/**
 * The quick or the full preset.
 *
 * @example
 * const p = gptTrainingPreset(process.env.OPTILAB_QUICK === '1');
 * const model = tinyGpt({ vocabSize: 63 }, p.shape);
 * await trainTinyGpt(model, kjv, { steps: p.steps, batchSize: p.batchSize, lr: p.lr, evalEvery: p.evalEvery });
 */
export function gptTrainingPreset(quick: boolean): Readonly<GptTrainingPreset> {
  return quick ? GPT_TRAINING_QUICK : GPT_TRAINING_FULL;
}

/** What {@link trainTinyGpt} trains on (a TextCorpus fits). */
export interface GptTrainData {
  train: ArrayLike<number>;
  /** Measured every evalEvery steps when given. */
  validation?: ArrayLike<number>;
}

/** One progress report. */
export interface GptTrainProgress {
  step: number;
  steps: number;
  /** step / steps. */
  fraction: number;
  /** Mean training loss (nats per token) over the steps since the last report. */
  loss: number;
  learningRate: number;
  /** Validation bits per character, when it was measured at this step. */
  validationBpc?: number;
  stepsPerSecond: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

/** Options of {@link trainTinyGpt}. */
export interface GptTrainOptions {
  steps: number;
  /** Sequences per step; default 32. */
  batchSize?: number;
  /** Peak learning rate; default 2e-3. */
  lr?: number;
  /** Steps of linear warmup; default min(100, steps / 10). */
  warmupSteps?: number;
  /** The cosine decay ends at lr * minLrFraction; default 0.1. */
  minLrFraction?: number;
  /** Largest global gradient norm (larger gradients are scaled down to it); default 1. 0 turns clipping off. */
  clipNorm?: number;
  /** Seed of the window sampler; default 0. */
  seed?: number;
  /** Validation every this many steps (and at the end); default 0: at the end only. */
  evalEvery?: number;
  /** Validation on the first this many tokens (default 32768; 0: all). */
  evalTokens?: number;
  /** Called every progressEvery steps, at each validation and at the end. */
  onProgress?: (p: GptTrainProgress) => void;
  /** Default 10. */
  progressEvery?: number;
  /**
   * The loss minimized in place of model.loss(inputs, targets) (e.g. distillation's, src/transformer/distill.ts),
   * given the step's int32 [batchSize, contextLength] inputs and targets; called inside the gradient tape, and
   * only the trained model's variables get gradients. The reported training losses are its values.
   */
  loss?: (inputs: tf.Tensor2D, targets: tf.Tensor2D) => tf.Scalar;
}

/** A validation measurement. */
export interface GptEvalRecord {
  step: number;
  /** Mean training loss since the previous record. */
  trainLoss: number;
  validationBpc: number;
}

/** What a run did. */
export interface GptTrainResult {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  tokensPerSecond: number;
  /** Mean training loss of the last 10% of the steps. */
  finalLoss: number;
  /** Validation bits per character at the end (NaN without validation data). */
  validationBpc: number;
  history: GptEvalRecord[];
}

/**
 * The learning rate at `step` (0-based) of `steps`: linear warmup to `lr`, then cosine decay to lr * minFraction.
 *
 * @example
 * gptLearningRate(0, 1000, 1e-3, 100); // 1e-5
 * gptLearningRate(1000, 1000, 1e-3, 100); // 1e-4
 */
export function gptLearningRate(step: number, steps: number, lr: number, warmup: number, minFraction = 0.1): number {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
  return lr * (minFraction + (1 - minFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * A batch of `batchSize` windows at seeded random offsets: inputs tokens[o .. o + t), targets tokens[o + 1 .. o + t].
 *
 * @example
 * const { inputs, targets } = sampleWindows(corpus.train, 32, 128, mulberry32(0)); // Int32Array [32 * 128] each
 */
export function sampleWindows(tokens: ArrayLike<number>, batchSize: number, t: number, random: () => number): { inputs: Int32Array; targets: Int32Array } {
  if (tokens.length < t + 1) throw new RangeError(`sampleWindows: ${tokens.length} tokens are fewer than a window of ${t} + 1`);
  const inputs = new Int32Array(batchSize * t);
  const targets = new Int32Array(batchSize * t);
  for (let k = 0; k < batchSize; k++) {
    const o = Math.floor(random() * (tokens.length - t));
    for (let j = 0; j < t; j++) {
      inputs[k * t + j] = tokens[o + j];
      targets[k * t + j] = tokens[o + j + 1];
    }
  }
  return { inputs, targets };
}

/**
 * Trains `model` in place for `steps` steps and returns its speed, final loss and validation bits per character.
 *
 * @example
 * const kjv = loadKjv();
 * const model = tinyGpt({ vocabSize: kjv.vocabulary.size }, TINY_GPT_QUICK);
 * const r = await trainTinyGpt(model, kjv, { steps: 300, onProgress: (p) => console.log(p.step, p.loss) });
 * r.validationBpc; // bits per character on kjv.validation
 */
export async function trainTinyGpt(model: TinyGpt, data: GptTrainData, opts: GptTrainOptions): Promise<GptTrainResult> {
  const { steps } = opts;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`trainTinyGpt: steps must be a positive whole number, got ${steps}`);
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`trainTinyGpt: batchSize must be a positive whole number, got ${batchSize}`);
  const lr = opts.lr ?? 2e-3;
  if (!(lr > 0)) throw new RangeError(`trainTinyGpt: lr must be positive, got ${lr}`);
  const warmup = opts.warmupSteps ?? Math.min(100, Math.floor(steps / 10));
  const clipNorm = opts.clipNorm ?? 1;
  const evalEvery = opts.evalEvery ?? 0;
  const evalTokens = opts.evalTokens ?? 32768;
  const progressEvery = opts.progressEvery ?? 10;
  const t = model.config.contextLength;
  const random = mulberry32(opts.seed ?? 0);
  const optimizer = adam(lr);
  const variables = model.variables();
  const history: GptEvalRecord[] = [];
  const losses: number[] = [];
  let sinceReport = 0;
  let sinceReportSum = 0;
  let sinceEvalSum = 0;
  let sinceEval = 0;
  const start = performance.now();
  const validate = () => (data.validation && data.validation.length > 1 ? model.bitsPerChar(data.validation, { maxTokens: evalTokens || undefined }) : NaN);
  let trainSeconds = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const stepStart = performance.now();
      const rate = gptLearningRate(step, steps, lr, warmup, opts.minLrFraction ?? 0.1);
      (optimizer as unknown as { learningRate: number }).learningRate = rate;
      const { inputs, targets } = sampleWindows(data.train, batchSize, t, random);
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(inputs, [batchSize, t], 'int32');
        const y = tf.tensor2d(targets, [batchSize, t], 'int32');
        const { value, grads } = tf.variableGrads(() => (opts.loss ? opts.loss(x, y) : model.loss(x, y)), variables);
        let applied = grads;
        if (clipNorm > 0) {
          const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
          const scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6)));
          applied = Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, scale)]));
        }
        optimizer.applyGradients(applied as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
        return value;
      });
      const value = (await loss.data())[0];
      loss.dispose();
      trainSeconds += (performance.now() - stepStart) / 1000;
      losses.push(value);
      sinceReportSum += value;
      sinceReport++;
      sinceEvalSum += value;
      sinceEval++;
      const done = step + 1;
      const evaluate = done === steps || (evalEvery > 0 && done % evalEvery === 0);
      let validationBpc: number | undefined;
      if (evaluate) {
        validationBpc = validate();
        history.push({ step: done, trainLoss: sinceEvalSum / sinceEval, validationBpc });
        sinceEvalSum = 0;
        sinceEval = 0;
      }
      if (opts.onProgress && (evaluate || done % progressEvery === 0)) {
        const elapsed = (performance.now() - start) / 1000;
        opts.onProgress({
          step: done,
          steps,
          fraction: done / steps,
          loss: sinceReportSum / sinceReport,
          learningRate: rate,
          validationBpc,
          stepsPerSecond: done / trainSeconds,
          tokensPerSecond: (done * batchSize * t) / trainSeconds,
          elapsedSeconds: elapsed,
        });
        sinceReportSum = 0;
        sinceReport = 0;
      }
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  const tail = losses.slice(-Math.max(1, Math.floor(steps / 10)));
  return {
    steps,
    seconds,
    stepsPerSecond: steps / trainSeconds,
    tokensPerSecond: (steps * batchSize * t) / trainSeconds,
    finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    validationBpc: history.length ? history[history.length - 1].validationBpc : NaN,
    history,
  };
}
