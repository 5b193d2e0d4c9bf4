// Barrel of the tflite module: export of zoo / trained models to TensorFlow Lite, reading files back,
// the tensor-arena plan and microcontroller C arrays with a budget report.
export * from './export';
export * from './inspect';
export * from './arena';
export * from './carray';
export * from './footprint';
