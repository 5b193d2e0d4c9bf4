// Barrel of the show module (Node only: notebook display helpers). Re-exported by src/index.ts, not core.
export * from './bundle';
export * from './emit';
export * from './show';
