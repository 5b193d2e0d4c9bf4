// Barrel of the edge module: each file of this folder exports its public functions here.
export * from './wasm-depthwise-grad';
export * from './models';
export * from './latency';
