// Barrel of the prune module: each file of this folder exports its public functions here.
export {};
