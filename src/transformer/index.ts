// Barrel of the transformer track (tinyGpt: a decoder-only character transformer on tfjs-core ops): its
// config, building blocks, model, summary, training loop and quantization hooks.
export * from './config';
export * from './layers';
export * from './model';
export * from './summary';
export * from './train';
export * from './quantize';
export * from './quantize-llm';
export * from './llm-sweep';
export * from './prune';
export * from './distill';
