// Barrel of the numerics module: each file of this folder exports its public functions here.
export * from './floats';
export * from './truncate';
export * from './bit-layout';
