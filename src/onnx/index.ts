// Barrel of the onnx module (Node-only): each file of this folder exports its public functions here.
export * from './proto';
export * from './export';
export * from './session-run';
export * from './runtime';
export * from './measure';
export * from './check';
export * from './import-model';
export * from './import';
export * from './deploy';
export * from './inspect-model';
export * from './inspect';
export * from './export-gpt';
