/**
 * `grsd/lab`: the training lab and the depth study behind `grsd demo` and the visualizer. Small
 * networks (residual, plain, linear) trained on synthetic tasks entirely on the GPU, emitting
 * checkpoints with the probe residual and the per-layer empirical NTK (docs/lab.md); and the
 * study that trains them at several depths and analyses every run.
 *
 * Browser-safe like `grsd`: it runs on any `GpuContext` (`createGpuContext()` in a browser,
 * `createNodeGpuContext()` from `grsd/node` in Node) and imports no Node built-in.
 * @module
 */
export {
  createLab,
  createLabBatch,
  initParameters,
  learningRateMultipliers,
  resolveModel,
  kernelRegression,
  teacherStudent,
  type Activation,
  type Architecture,
  type BatchTrainOptions,
  type CheckpointOptions,
  type DepthCorrection,
  type KernelRegressionOptions,
  type KernelRegressionTask,
  type Lab,
  type LabBatch,
  type LabCheckpoint,
  type LearningRateOptions,
  type ModelConfig,
  type Parametrization,
  type ResolvedModel,
  type Task,
  type TeacherStudentOptions,
  type TensorParametrization,
  type TrainOptions,
  type TrainRunOptions,
  type TrainSummary,
} from './lab/index.ts';
// The depth study, its summary over seeds and the statistics it uses (src/experiments/index.ts).
export * from './experiments/index.ts';
