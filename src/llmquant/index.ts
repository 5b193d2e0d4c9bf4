// Barrel of the llmquant module (LLM-style quantization on plain Float32Array matrices, row-major,
// weights [out, in]): each file of this folder exports its public functions here.
export * from './mx';
export * from './group';
export * from './gptq';
export * from './awq';
export * from './smoothquant';
export * from './w8a8';
export * from './kvcache';
