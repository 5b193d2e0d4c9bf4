/**
 * optilab/core: the isomorphic library (Node and browser). No file system, no child processes, no native
 * modules: the course site bundles this entry point.
 */
export * from './backend/wasm-conv-grad';
export * from './data/idx';
export * from './data/dataset';
export * from './data/preview';
export * from './models/zoo';
export * from './models/summary';
export * from './models/io';
export * from './train/train';
export * from './util/random';
export * from './numerics';
export * from './quantize';
export * from './prune';
export * from './distill';
export * from './factorize';
export * from './edge';
export * from './hardware';
export * from './viz';
export * as tf from '@tensorflow/tfjs-core';
export * as tfl from '@tensorflow/tfjs-layers';
