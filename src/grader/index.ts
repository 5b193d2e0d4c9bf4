// Barrel of the grader module (Node-only): each file of this folder exports its public functions here.
// Only the light parts are re-exported (the test API for lab notebooks and the notebook format); the grading
// engine (kernels, sandbox, gradebook) is imported by the CLI from its own files.
export * from './testapi';
export * from './assignment/format';
