/**
 * optilab/core: the isomorphic library (Node and browser). No file system, no child processes, no native
 * modules: the course site bundles this entry point (its notebook runner, in a Web Worker). Two tfjs-free
 * parts have doors of their own for the site's pages: ./viz (optilab/viz) and ./lite (optilab/lite); both are
 * exported here too.
 */
export * from './backend/wasm-conv-grad';
export * from './backend/wasm-fast-kernels';
// Types only (erased at run time): what the site's browser stand-in for the native addon loader implements.
export type { NativeAddon, NativeStatus } from './backend/native';
export * from './data/idx';
export * from './data/dataset';
export * from './data/preview';
export * from './data/text-corpus';
// The KJV corpus's decoding, parsing and split (loadKjv, which reads the file, is Node's: ./data/kjv).
export * from './data/kjv-text';
export * from './models/zoo';
export * from './models/summary';
export * from './models/io';
export * from './train/train';
export * from './train/forward-plan';
export * from './util/random';
export * from './numerics';
export * from './quantize';
export * from './prune';
export * from './distill';
export * from './factorize';
export * from './llmquant';
export * from './transformer';
// The tinyGpt cache's key text, packed weights and training run (the Node cache on disk is ./transformer/cache).
export * from './transformer/cache-format';
export * from './edge';
export * from './hardware';
export * from './viz';
export * from './exercises';
// The test API of a graded lab's visible checks (the grader's own check/expect), for the site's lab pages.
export * from './grader/lab-checks';
export * from './show/bundle';
// The pure-TypeScript parts of onnx and tflite (no ONNX Runtime, no Python, no zlib, no files): export, import
// and inspection of decoded models, and running / timing a session the caller opened (onnxruntime-web on the site).
export * from './onnx/proto';
export * from './onnx/export';
// tinyGpt's ONNX export and its perplexity over a session the caller opened (createGptSession is Node's: ./onnx/export-gpt).
export * from './onnx/gpt-onnx';
export * from './onnx/session-run';
export * from './onnx/measure';
export * from './onnx/import-model';
export * from './onnx/inspect-model';
export * from './tflite/export';
export * from './tflite/inspect';
export * from './tflite/arena';
export * from './tflite/carray';
export * as tf from '@tensorflow/tfjs-core';
export * as tfl from '@tensorflow/tfjs-layers';
