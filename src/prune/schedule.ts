/**
 * Pruning schedules: one-shot (prune, then fine-tune with the mask held), iterative (prune a fraction,
 * fine-tune, repeat) and the polynomial-decay sparsity schedule of TF Model Optimization (sparsity rises
 * from initial to final between begin and end step, updated every `frequency` steps, with a cubic ease-out).
 * Masks stay applied during fine-tuning: they are re-applied after every optimizer step.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset';
import { train, TrainOptions, TrainResult } from '../train/train';
import { applyMasks, checkSparsity, magnitudeMasks, MaskSet, measureSparsity } from './masks';

export interface PolynomialSchedule {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  /** Steps between mask updates; default 100. */
  frequency?: number;
  /** Exponent of the decay; default 3 (as TF-MOT). */
  power?: number;
}

function checkSchedule(s: PolynomialSchedule): void {
  checkSparsity(s.initialSparsity, 'initialSparsity');
  checkSparsity(s.finalSparsity, 'finalSparsity');
  if (!(Number.isInteger(s.beginStep) && Number.isInteger(s.endStep) && s.beginStep >= 0 && s.endStep > s.beginStep)) {
    throw new RangeError(`schedule needs whole steps 0 <= beginStep < endStep, got ${s.beginStep}..${s.endStep}`);
  }
  const f = s.frequency ?? 100;
  if (!(Number.isInteger(f) && f >= 1)) throw new RangeError(`frequency must be a positive whole number of steps, got ${f}`);
}

/**
 * Target sparsity at `step`: s_f + (s_i - s_f) * (1 - (t - t0) / (t1 - t0))^power, clamped to [t0, t1].
 *
 * @example
 * polynomialSparsity(0, { initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000 }); // 0
 * polynomialSparsity(1000, { initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000 }); // 0.9
 */
export function polynomialSparsity(step: number, s: PolynomialSchedule): number {
  checkSchedule(s);
  const t = Math.min(Math.max(step, s.beginStep), s.endStep);
  const progress = (t - s.beginStep) / (s.endStep - s.beginStep);
  return s.finalSparsity + (s.initialSparsity - s.finalSparsity) * Math.pow(1 - progress, s.power ?? 3);
}

/**
 * Whether the masks are recomputed at `step` (TF-MOT: between begin and end, every `frequency` steps).
 *
 * @example
 * isUpdateStep(200, { initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000, frequency: 100 }); // true
 */
export function isUpdateStep(step: number, s: PolynomialSchedule): boolean {
  return step >= s.beginStep && step <= s.endStep && (step - s.beginStep) % (s.frequency ?? 100) === 0;
}

/** Sparsity over pruning steps: global and per layer (the payload's history). */
export interface SparsityLog {
  steps: number[];
  global: number[];
  perLayer: Record<string, number[]>;
  /** Target sparsity of the schedule at each logged step. */
  target: number[];
}

function emptyLog(): SparsityLog {
  return { steps: [], global: [], perLayer: {}, target: [] };
}

function record(log: SparsityLog, model: LayersModel, step: number, target: number, layers?: string[]): void {
  const s = measureSparsity(model, layers);
  log.steps.push(step);
  log.global.push(s.global);
  log.target.push(target);
  for (const [name, v] of Object.entries(s.perLayer)) (log.perLayer[name] ??= []).push(v);
}

export interface PruneTrainOptions {
  /** Training options for fine-tuning (epochs, learning rate, seed...). */
  train: TrainOptions;
  /** 'layer' or 'global' magnitude ranking; default 'layer'. */
  scope?: 'layer' | 'global';
  /** Layers to prune (default: every prunable layer). */
  layers?: string[];
}

export interface PruneResult {
  masks: MaskSet;
  log: SparsityLog;
  training: TrainResult[];
}

/**
 * Trains while sparsity follows the polynomial schedule: at each update step the magnitude masks are
 * recomputed at the scheduled sparsity (pruned weights are zero, so they stay pruned), and after every
 * step the masks are re-applied. Logs sparsity at each update.
 *
 * @example
 * const steps = Math.ceil(train.count / 64) * 2;
 * const { log } = await pruneWithSchedule(model, trainSet, {
 *   initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: Math.floor(steps * 0.7), frequency: 50,
 * }, { train: { epochs: 2, seed: 1 } });
 */
export async function pruneWithSchedule(model: LayersModel, data: Dataset, schedule: PolynomialSchedule, opts: PruneTrainOptions): Promise<PruneResult> {
  checkSchedule(schedule);
  const log = emptyLog();
  let masks: MaskSet = {};
  const update = (step: number) => {
    const target = polynomialSparsity(step, schedule);
    masks = magnitudeMasks(model, target, { scope: opts.scope, layers: opts.layers });
    applyMasks(model, masks);
    record(log, model, step, target, opts.layers);
  };
  if (isUpdateStep(0, schedule)) update(0);
  const userAfter = opts.train.afterStep;
  const result = await train(model, data, {
    ...opts.train,
    afterStep: (step) => {
      if (isUpdateStep(step, schedule)) update(step);
      else applyMasks(model, masks);
      userAfter?.(step);
    },
  });
  return { masks, log, training: [result] };
}

/**
 * Fine-tunes with `masks` held: they are applied first and re-applied after every optimizer step.
 *
 * @example
 * await fineTuneMasked(model, trainSet, masks, { epochs: 1, seed: 1 });
 */
export async function fineTuneMasked(model: LayersModel, data: Dataset, masks: MaskSet, opts: TrainOptions): Promise<TrainResult> {
  applyMasks(model, masks);
  const userAfter = opts.afterStep;
  return train(model, data, { ...opts, afterStep: (step) => { applyMasks(model, masks); userAfter?.(step); } });
}

/**
 * One-shot pruning: magnitude masks at `sparsity`, then (optionally) fine-tuning with the masks held.
 *
 * @example
 * const { masks } = await oneShotPrune(model, trainSet, 0.9, { train: { epochs: 2, seed: 1 } });
 */
export async function oneShotPrune(model: LayersModel, data: Dataset | null, sparsity: number, opts: Partial<PruneTrainOptions> = {}): Promise<PruneResult> {
  const log = emptyLog();
  const masks = magnitudeMasks(model, sparsity, { scope: opts.scope, layers: opts.layers });
  applyMasks(model, masks);
  record(log, model, 0, sparsity, opts.layers);
  const training: TrainResult[] = [];
  if (data && opts.train) training.push(await fineTuneMasked(model, data, masks, opts.train));
  return { masks, log, training };
}

/**
 * Iterative pruning: for each target sparsity in turn, prune by magnitude to that target (previously pruned
 * weights stay pruned) and fine-tune with the masks held. The log has one entry per round (step = round).
 *
 * @example
 * await iterativePrune(model, trainSet, [0.5, 0.75, 0.9], { train: { epochs: 1, seed: 1 } });
 */
export async function iterativePrune(model: LayersModel, data: Dataset, targets: number[], opts: PruneTrainOptions): Promise<PruneResult> {
  if (targets.length === 0) throw new RangeError('iterativePrune needs at least one target sparsity, e.g. [0.5, 0.75, 0.9]');
  targets.forEach((t, i) => {
    checkSparsity(t, `target ${i}`);
    if (i > 0 && t < targets[i - 1]) throw new RangeError(`targets must not decrease: ${targets[i - 1]} then ${t}`);
  });
  const log = emptyLog();
  const training: TrainResult[] = [];
  let masks: MaskSet = {};
  for (let round = 0; round < targets.length; round++) {
    masks = magnitudeMasks(model, targets[round], { scope: opts.scope, layers: opts.layers });
    training.push(await fineTuneMasked(model, data, masks, { ...opts.train, seed: (opts.train.seed ?? 0) + round }));
    record(log, model, round + 1, targets[round], opts.layers);
  }
  return { masks, log, training };
}

/**
 * Geometric targets for `rounds` iterative steps that each remove the same fraction of the remaining weights.
 *
 * @example
 * iterativeTargets(0.875, 3); // [0.5, 0.75, 0.875]
 */
export function iterativeTargets(finalSparsity: number, rounds: number): number[] {
  checkSparsity(finalSparsity, 'finalSparsity');
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new RangeError(`rounds must be a positive whole number, got ${rounds}`);
  const keepPerRound = Math.pow(1 - finalSparsity, 1 / rounds);
  return Array.from({ length: rounds }, (_, i) => (i === rounds - 1 ? finalSparsity : 1 - Math.pow(keepPerRound, i + 1)));
}
