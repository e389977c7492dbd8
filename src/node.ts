/**
 * `grsd/node`: everything in `grsd`, plus device acquisition through Dawn (the `webgpu`
 * package, loaded when a context is first created), tensor files and run directories on disk
 * (`node:fs`), and the HTML report (Vega-Lite, loaded when a report is written).
 * @module
 */
export * from './index.ts';
export { createNodeGpuContext, NODE_BACKENDS, type NodeBackend, type NodeGpuContextOptions } from './node/dawn.ts';
export {
  readTensorFile,
  readSingleTensor,
  writeNpyFile,
  writeNpzFile,
  writeSafetensorsFile,
  writeJsonFile,
  detectTensorFormat,
  READ_LIMITS,
  type ReadLimits,
} from './node/files.ts';
export {
  readManifest,
  loadCheckpoint,
  RunWriter,
  MAX_MANIFEST_BYTES,
  type RunReadOptions,
  type RunWriterOptions,
  type RunCheckpointInput,
} from './node/run.ts';
export { renderReport, reportFigures } from './io/report.ts';
