/**
 * optilab/lite: the part of the isomorphic core (src/core.ts) that needs no tfjs: number formats, scalar affine
 * quantization, the seeded random generator and the exercise format. Every file exported here is exported by
 * core too (tests/architecture.test.ts checks it, and that nothing reachable from here imports tfjs or Node):
 * this is not a second library, only the tensor-free door to the same one.
 *
 * Why a door of its own: the course site's chapter pages draw their figures and check exercises on the page's
 * main thread, and core compiles to CommonJS, which the site's bundler cannot tree-shake; one figure importing
 * core put tfjs-core and tfjs-layers into every chapter page (first-load JS 661 -> 845 KB gzipped, over the
 * 800 KB budget of tests/browser/site.test.ts).
 */
export * from './numerics';
export * from './quantize/scalar';
export * from './quantize/qparams';
export * from './quantize/ranges';
export * from './quantize/affine';
export * from './util/random';
export * from './exercises';
