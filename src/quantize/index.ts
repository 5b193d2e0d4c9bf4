// Barrel of the quantize module: each file of this folder exports its public functions here.
export {};
