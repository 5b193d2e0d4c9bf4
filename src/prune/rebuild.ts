/**
 * Rebuilds a tfjs-layers Sequential model layer by layer from its serialized config, letting a caller
 * replace any layer by zero or more new layers with given weights. Used by structured surgery (smaller
 * layers) and low-rank factorization (one dense layer -> two).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A serialized layer: its class name and config (as Sequential.getConfig() lists them). */
export interface LayerSpec {
  className: string;
  config: Record<string, unknown>;
}

/** A new layer and the weights to load into it (null: keep its fresh initial weights, e.g. no weights). */
export interface RebuiltLayer {
  spec: LayerSpec;
  weights: tf.Tensor[] | null;
}

type Layer = tfl.LayersModel['layers'][number];

/**
 * Returns a new Sequential model: `edit` receives each original layer and its spec and returns the layers
 * that replace it (return undefined to copy the layer unchanged with its weights).
 *
 * @example
 * const copy = rebuildSequential(model, () => undefined); // same function, new variables
 */
export function rebuildSequential(model: tfl.LayersModel, edit: (layer: Layer, spec: LayerSpec, index: number) => RebuiltLayer[] | undefined): tfl.Sequential {
  if (!(model instanceof tfl.Sequential)) {
    throw new TypeError(`model '${model.name}' is not a Sequential model; surgery and factorization rebuild Sequential models only`);
  }
  const config = model.getConfig() as unknown as { name: string; layers: LayerSpec[] };
  const outSpecs: LayerSpec[] = [];
  const outWeights: (tf.Tensor[] | null)[] = [];
  model.layers.forEach((layer, i) => {
    const spec = JSON.parse(JSON.stringify(config.layers[i])) as LayerSpec;
    const replaced = edit(layer, spec, i);
    if (replaced === undefined) {
      outSpecs.push(spec);
      outWeights.push(layer.getWeights());
    } else {
      for (const r of replaced) {
        outSpecs.push(r.spec);
        outWeights.push(r.weights);
      }
    }
  });
  // The input shape lives on the first layer's config; keep it there when the first layer was replaced.
  const first = config.layers[0].config.batchInputShape;
  if (first && outSpecs.length && !outSpecs[0].config.batchInputShape) outSpecs[0].config.batchInputShape = first;
  const names = new Set<string>();
  for (const s of outSpecs) {
    const name = String(s.config.name);
    if (names.has(name)) throw new Error(`rebuilt model would have two layers named '${name}'`);
    names.add(name);
  }
  const rebuilt = tfl.Sequential.fromConfig(tfl.Sequential, { name: config.name, layers: outSpecs } as never) as tfl.Sequential;
  rebuilt.layers.forEach((layer, i) => {
    const w = outWeights[i];
    if (w && w.length) layer.setWeights(w);
  });
  return rebuilt;
}
