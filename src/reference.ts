/**
 * `grsd/reference`: the float64 CPU reference backend (no WebGPU needed).
 * @module
 */
export * from './reference/index.ts';
