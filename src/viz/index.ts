// Barrel of the viz module: payload contracts and pure payload -> plotly figure functions.
export * from './payloads';
export * from './figure';
export * from './theme';
export * from './mask';
export * from './validate';
export * from './sparsity';
export * from './quantization';
export * from './summary';
export * from './build';
export * from './roofline';
export * from './payload-figures';
export * from './bench-source';
