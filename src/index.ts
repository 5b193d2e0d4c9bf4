/**
 * optilab: the whole library for Node (notebooks, CLI, tests): the isomorphic core plus backend selection,
 * dataset and model files, the trained-model cache and the architecture search's result file.
 */
export * from './core';
export * from './backend';
export * from './data/files';
export * from './data/kjv';
export * from './transformer/cache';
export * from './models/files';
export * from './train/cache';
export * from './train/parallel';
export * from './hardware/search-cache-file';
export * from './show';
export * from './onnx';
export * from './tflite';
export * from './grader';
// Both the lab notebooks' test API (grader) and the exercise format (in core) name a CheckResult: here, as
// before core carried the exercises, it is the grader's (a lab notebook's `check`); the exercise one is in optilab/core.
export type { CheckResult } from './grader';
