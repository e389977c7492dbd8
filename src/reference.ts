/**
 * `grsd/reference`: the float64 CPU reference backend (no WebGPU needed): plain TypeScript twins
 * of every GPU kernel and algorithm, with the same signatures. The list of names is the curated
 * barrel src/reference/index.ts.
 * @module
 */
export * from './reference/index.ts';
