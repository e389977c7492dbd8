/**
 * `grsd/node`: everything in `grsd`, plus device acquisition through Dawn (the `webgpu`
 * package) and file helpers that use `node:fs`.
 * @module
 */
export * from './index.ts';
export {
  createNodeGpuContext,
  NODE_BACKENDS,
  SWIFTSHADER_ICD_PATHS,
  LINUX_HINT,
  type NodeBackend,
  type NodeGpuContextOptions,
} from './node/dawn.ts';
export {
  readTensorFile,
  readSingleTensor,
  writeNpyFile,
  writeNpzFile,
  writeSafetensorsFile,
  writeJsonFile,
  writeFileAtomic,
  detectTensorFormat,
  READ_LIMITS,
  type ReadLimits,
} from './node/files.ts';
export { readManifest, loadCheckpoint, RunWriter, type RunWriterOptions, type RunCheckpointInput } from './node/run.ts';
export { renderReport, reportFigures } from './io/report.ts';
