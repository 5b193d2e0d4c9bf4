// Barrel of the factorize module: each file of this folder exports its public functions here.
export {};
