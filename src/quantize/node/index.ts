// Node-only part of the quantize module (file system). Not re-exported by the browser-safe barrel.
export * from './files';
