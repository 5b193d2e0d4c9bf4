// Barrel of the distill module: each file of this folder exports its public functions here.
export * from './loss';
export * from './trainer';
