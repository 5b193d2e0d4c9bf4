/**
 * The lottery-ticket procedure (Frankle & Carbin): train, prune by magnitude, rewind the surviving weights to
 * their initial values (or to their values after a few steps: late rewinding), retrain with the mask held;
 * repeat for iterative rounds. The comparison is the same
 * mask trained from a random re-initialisation (`fineTuneMasked` on a model built with another seed).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset';
import { train, TrainOptions, TrainResult } from '../train/train';
import { magnitudeMasks, MaskSet, measureSparsity } from './masks';
import { fineTuneMasked, iterativeTargets, SparsityLog } from './schedule';

/** A copy of every weight of a model (for rewinding). */
export function snapshotWeights(model: LayersModel): tf.Tensor[] {
  return model.getWeights().map((w) => tf.clone(w));
}

/**
 * Loads a snapshot taken by {@link snapshotWeights} back into the model.
 *
 * @example
 * const init = snapshotWeights(model);
 * await train(model, data, { epochs: 1 });
 * rewindWeights(model, init);
 */
export function rewindWeights(model: LayersModel, snapshot: tf.Tensor[]): void {
  const current = model.getWeights();
  if (current.length !== snapshot.length || current.some((w, i) => w.shape.join() !== snapshot[i].shape.join())) {
    throw new RangeError(`the snapshot (${snapshot.length} tensors) does not match model '${model.name}' (${current.length} weights)`);
  }
  model.setWeights(snapshot);
}

export interface LotteryOptions {
  /** Final sparsity of the ticket, in [0, 1). */
  sparsity: number;
  /** Prune-rewind-retrain rounds (each removes the same fraction of the remaining weights); default 1. */
  rounds?: number;
  /**
   * Rewind to the weights after this many optimizer steps of the dense training ("late rewinding", which
   * keeps tickets stable for deeper or briefly trained networks); default 0, the initial weights.
   */
  rewindStep?: number;
  train: TrainOptions;
  /** Overrides of `train` for the retraining rounds (e.g. fewer epochs after late rewinding); default none. */
  retrain?: Partial<TrainOptions>;
  scope?: 'layer' | 'global';
  layers?: string[];
}

export interface LotteryResult {
  masks: MaskSet;
  /** Sparsity after each round. */
  log: SparsityLog;
  /** The dense training, then one retraining per round. */
  training: TrainResult[];
}

/**
 * Finds a winning ticket for a freshly initialised `model`: its initial weights are kept, it is trained dense,
 * then each round prunes by magnitude, rewinds the survivors to the initial values and retrains with the mask.
 *
 * @example
 * const model = lenet5({ seed: 1 });
 * const { masks } = await lotteryTicket(model, trainSet, { sparsity: 0.8, train: { epochs: 2, seed: 1 } });
 */
export async function lotteryTicket(model: LayersModel, data: Dataset, opts: LotteryOptions): Promise<LotteryResult> {
  const targets = iterativeTargets(opts.sparsity, opts.rounds ?? 1);
  const rewindStep = opts.rewindStep ?? 0;
  if (!Number.isInteger(rewindStep) || rewindStep < 0) throw new RangeError(`lotteryTicket: rewindStep must be a whole number of steps >= 0, got ${rewindStep}`);
  let init = rewindStep === 0 ? snapshotWeights(model) : null;
  const userAfter = opts.train.afterStep;
  let steps = 0;
  const dense = await train(model, data, {
    ...opts.train,
    afterStep: (step) => {
      steps = step; // the number of optimizer steps completed
      if (step === rewindStep && !init) init = snapshotWeights(model);
      userAfter?.(step);
    },
  });
  if (!init) throw new RangeError(`lotteryTicket: rewindStep ${rewindStep} is past the end of the dense training (${steps} steps)`);
  const rewindTo: tf.Tensor[] = init;
  const training: TrainResult[] = [dense];
  const log: SparsityLog = { steps: [], global: [], perLayer: {}, target: [] };
  let masks: MaskSet = {};
  try {
    for (let round = 0; round < targets.length; round++) {
      masks = magnitudeMasks(model, targets[round], { scope: opts.scope, layers: opts.layers });
      rewindWeights(model, rewindTo);
      training.push(await fineTuneMasked(model, data, masks, { ...opts.train, ...opts.retrain }));
      const s = measureSparsity(model, opts.layers);
      log.steps.push(round + 1);
      log.global.push(s.global);
      log.target.push(targets[round]);
      for (const [k, v] of Object.entries(s.perLayer)) (log.perLayer[k] ??= []).push(v);
    }
  } finally {
    rewindTo.forEach((t) => t.dispose());
  }
  return { masks, log, training };
}
