/**
 * From an Architecture (src/hardware/search-space.ts) to its layers: `candidatePlan` lists them as plain data
 * (names, operations, sizes), and `buildCandidate` turns the same plan into a seeded tfjs-layers Sequential, so
 * the memory model (src/hardware/mcu-memory.ts), which reads the plan without building anything, and the model
 * that is trained and timed cannot drift apart. Like the zoo, the model takes [n, 28, 28, 1] pixels in [0, 1],
 * normalises them in its first layer and outputs logits from a layer named 'logits'. Isomorphic.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { registerWasmDepthwiseGradients } from '../edge/wasm-depthwise-grad';
import { MNIST_MEAN, MNIST_STD } from '../models/zoo';
import { checkArchitecture, type Architecture } from './search-space';

/** One layer of a candidate, as data. */
export type LayerPlan =
  | { name: string; op: 'rescaling' }
  | { name: string; op: 'conv2d'; filters: number; kernelSize: number; relu: boolean }
  | { name: string; op: 'depthwise'; kernelSize: number; relu: boolean }
  | { name: string; op: 'maxpool' }
  | { name: string; op: 'flatten' }
  | { name: string; op: 'dense'; units: number; relu: boolean };

/**
 * The layers of a candidate, in order: normalize, per block `b<i>_conv` (or `b<i>_dw` + `b<i>_pw`) and
 * `b<i>_pool`, then flatten, `fc` (when dense > 0) and `logits`.
 *
 * @example
 * candidatePlan({ blocks: [{ kind: 'separable', filters: 16, kernelSize: 3 }], dense: 0 }).map((l) => l.name);
 * // ['normalize', 'b1_dw', 'b1_pw', 'b1_pool', 'flatten', 'logits']
 */
export function candidatePlan(arch: Architecture, numClasses = 10): LayerPlan[] {
  checkArchitecture(arch);
  const plan: LayerPlan[] = [{ name: 'normalize', op: 'rescaling' }];
  arch.blocks.forEach((b, i) => {
    const p = `b${i + 1}`;
    if (b.kind === 'standard') plan.push({ name: `${p}_conv`, op: 'conv2d', filters: b.filters, kernelSize: b.kernelSize, relu: true });
    else {
      plan.push({ name: `${p}_dw`, op: 'depthwise', kernelSize: b.kernelSize, relu: true });
      plan.push({ name: `${p}_pw`, op: 'conv2d', filters: b.filters, kernelSize: 1, relu: true });
    }
    plan.push({ name: `${p}_pool`, op: 'maxpool' });
  });
  plan.push({ name: 'flatten', op: 'flatten' });
  if (arch.dense > 0) plan.push({ name: 'fc', op: 'dense', units: arch.dense, relu: true });
  plan.push({ name: 'logits', op: 'dense', units: numClasses, relu: false });
  return plan;
}

export interface CandidateOptions {
  /** Seed of every initialiser (default 0). */
  seed?: number;
  inputShape?: [number, number, number];
  numClasses?: number;
}

/**
 * The seeded tfjs-layers model of an architecture (untrained). Registers the wasm depthwise gradient kernels, so
 * separable candidates train on every backend.
 *
 * @example
 * const model = buildCandidate({ blocks: [{ kind: 'standard', filters: 16, kernelSize: 5 }], dense: 32 }, { seed: 1 });
 * model.countParams(); // 101130
 */
export function buildCandidate(arch: Architecture, opts: CandidateOptions = {}): tfl.Sequential {
  registerWasmDepthwiseGradients();
  const seed = (opts.seed ?? 0) * 1000;
  const inputShape = opts.inputShape ?? [28, 28, 1];
  const model = tfl.sequential({ name: 'candidate' });
  candidatePlan(arch, opts.numClasses ?? 10).forEach((l, i) => {
    const init = () => tfl.initializers.heNormal({ seed: seed + i });
    switch (l.op) {
      case 'rescaling':
        model.add(tfl.layers.rescaling({ inputShape, scale: 1 / MNIST_STD, offset: -MNIST_MEAN / MNIST_STD, name: l.name }));
        break;
      case 'conv2d':
        model.add(tfl.layers.conv2d({ name: l.name, filters: l.filters, kernelSize: l.kernelSize, padding: 'same', activation: l.relu ? 'relu' : 'linear', kernelInitializer: init() }));
        break;
      case 'depthwise':
        // He initialisation with a depthwise filter's true fan-in, k² (as src/edge/models.ts explains).
        model.add(tfl.layers.depthwiseConv2d({
          name: l.name, kernelSize: l.kernelSize, padding: 'same', depthMultiplier: 1, activation: l.relu ? 'relu' : 'linear',
          depthwiseInitializer: tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: seed + i }),
        }));
        break;
      case 'maxpool':
        model.add(tfl.layers.maxPooling2d({ name: l.name, poolSize: 2, padding: 'same' }));
        break;
      case 'flatten':
        model.add(tfl.layers.flatten({ name: l.name }));
        break;
      case 'dense':
        model.add(tfl.layers.dense({ name: l.name, units: l.units, activation: l.relu ? 'relu' : 'linear', kernelInitializer: l.relu ? init() : tfl.initializers.glorotUniform({ seed: seed + i }) }));
        break;
    }
  });
  return model;
}
