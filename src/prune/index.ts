// Barrel of the prune module: each file of this folder exports its public functions here.
export * from './masks';
export * from './structured';
export * from './schedule';
export * from './rebuild';
export * from './surgery';
export * from './storage';
export * from './payload';
export * from './lottery';
