// Barrel of the factorize module: each file of this folder exports its public functions here.
export * from './svd';
export * from './lowrank';
export * from './layers';
