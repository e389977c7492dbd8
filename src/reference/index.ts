/**
 * The float64 reference backend: plain TypeScript twins of every GPU kernel and algorithm, with
 * the same signatures. They are the oracle of every GPU test and the `backend: 'cpu'` path where
 * no adapter exists. Imports nothing from the GPU layers.
 * @module
 */
export { batchedDot, batchedDotErrorBound } from './batchedDot.ts';
