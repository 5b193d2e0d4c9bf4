/**
 * Saving and loading tfjs-layers models in the tfjs format (model.json + weights.bin), without tfjs-node.
 * The byte-level conversion is isomorphic; the file functions are Node-only (see ./files.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ModelFiles {
  /** The model.json contents (topology + weights manifest pointing at weights.bin). */
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
}

/**
 * Serialises a model to the tfjs format in memory.
 *
 * @example
 * const { modelJson, weights } = await modelToFiles(lenet5());
 */
export async function modelToFiles(model: tfl.LayersModel): Promise<ModelFiles> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('model.save produced no artifacts');
  const data = artifacts.weightData;
  const weights = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data as ArrayBuffer[]));
  const modelJson: Record<string, unknown> = {
    format: 'layers-model',
    generatedBy: `optilab (tfjs ${tf.version_core})`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  return { modelJson, weights };
}

/**
 * Rebuilds a model from tfjs-format bytes.
 *
 * @example
 * const model = await modelFromFiles(files);
 */
export async function modelFromFiles(files: ModelFiles): Promise<tfl.LayersModel> {
  const manifest = files.modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[] | undefined;
  if (!files.modelJson.modelTopology || !manifest?.[0]?.weights) {
    throw new Error('model.json has no modelTopology or weightsManifest: not a tfjs layers model');
  }
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const expected = weightSpecs.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (files.weights.byteLength !== expected) {
    throw new Error(`weights.bin is ${files.weights.byteLength} bytes but model.json describes ${expected}: the file is truncated or belongs to another model`);
  }
  const copy = files.weights.slice().buffer;
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: files.modelJson.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs, weightData: copy }),
  );
}
