/**
 * optilab: the whole library for Node (notebooks, CLI, tests): the isomorphic core plus backend selection,
 * dataset and model files, and the trained-model cache.
 */
export * from './core';
export * from './backend';
export * from './data/files';
export * from './models/files';
export * from './train/cache';
export * from './train/parallel';
export * from './show';
export * from './onnx';
export * from './tflite';
export * from './grader';
