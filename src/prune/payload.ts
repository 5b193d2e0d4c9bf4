/**
 * Builds the sparsity visualizer payload (src/viz/payloads.ts, `application/vnd.optilab.sparsity+json`) from a model's
 * kernels (zeros count as pruned) or from masks, with an optional pruning history.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { SPARSITY_VERSION, SparsityHistory, SparsityPayload } from '../viz/payloads';
import { MaskViewOptions, sparsityLayer } from '../viz/mask';
import { kernelShape, kernelValues, MaskSet, selectLayers } from './masks';
import type { SparsityLog } from './schedule';

export interface SparsityPayloadOptions extends MaskViewOptions {
  title?: string;
  layers?: string[];
  /** Use these masks instead of reading zeros from the weights. */
  masks?: MaskSet;
  /** Pruning history (e.g. the log of pruneWithSchedule). */
  history?: SparsityLog | SparsityHistory;
  /** Accuracy at each history step, in [0, 1]. */
  accuracy?: number[];
}

/**
 * The sparsity payload of a (pruned) model: per layer its kernel shape, sparsity and mask view
 * (exact bits for small kernels, a density grid for large ones), plus the optional history.
 *
 * @example
 * const { log } = await pruneWithSchedule(model, data, schedule, { train: { epochs: 2 } });
 * show(buildSparsityPayload(model, { history: log }));
 */
export function buildSparsityPayload(model: LayersModel, opts: SparsityPayloadOptions = {}): SparsityPayload {
  const names = opts.layers ?? (opts.masks ? Object.keys(opts.masks) : undefined);
  const layers = selectLayers(model, names).map((layer) => {
    const mask = opts.masks?.[layer.name];
    return sparsityLayer(layer.name, kernelShape(layer), mask ? mask.kernel : kernelValues(layer), opts);
  });
  const payload: SparsityPayload = { version: SPARSITY_VERSION, model: model.name, layers };
  if (opts.title) payload.title = opts.title;
  if (opts.history) {
    const h = opts.history;
    payload.history = { steps: [...h.steps], global: [...h.global], perLayer: Object.fromEntries(Object.entries(h.perLayer).map(([k, v]) => [k, [...v]])) };
    const accuracy = opts.accuracy ?? (h as SparsityHistory).accuracy;
    if (accuracy) {
      if (accuracy.length !== h.steps.length) throw new RangeError(`accuracy has ${accuracy.length} entries but the history has ${h.steps.length} steps`);
      payload.history.accuracy = [...accuracy];
    }
  }
  return payload;
}
