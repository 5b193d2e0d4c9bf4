// Barrel of the quantize module: each file of this folder exports its public functions here.
export * from './scalar';
export * from './qparams';
export * from './ranges';
export * from './affine';
export * from './observers';
export * from './nonuniform';
export * from './stochastic';
export * from './model';
export * from './integer';
export * from './serialize';
export * from './qat';
export * from './analysis';
