/**
 * optilab/lite: the part of the isomorphic core (src/core.ts) that needs no tfjs: number formats, scalar affine
 * quantization, the seeded random generator, the exercise format, and the hardware chapter's pure figure and
 * byte-model functions (what the site's hardware page draws from bench/results/hardware.json). Every file
 * exported here is exported by core too (tests/architecture.test.ts checks it, and that nothing reachable from here imports tfjs or Node):
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
// The hardware chapter's figures from bench results: byte model, roofline payload, Pareto front, figure specs.
export * from './hardware/conv-shape';
export * from './hardware/intensity';
export * from './hardware/roofline-payload';
export * from './hardware/pareto';
export * from './hardware/svg-plot';
export * from './hardware/sparse-figure';
export * from './hardware/search-figure';
export * from './hardware/cim-figure';
