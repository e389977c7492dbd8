/**
 * The training lab: small networks (residual, two-layer-block residual, plain, linear) trained on
 * synthetic tasks entirely on the GPU, emitting checkpoints with the probe residual and the
 * per-layer empirical NTK that the GRSD pipeline consumes. See docs/lab.md.
 * @module
 */
export {
  initParameters,
  learningRateMultipliers,
  resolveModel,
  type Activation,
  type Architecture,
  type DepthCorrection,
  type LearningRateOptions,
  type ModelConfig,
  type Parametrization,
  type ResolvedModel,
  type TensorParametrization,
} from './models.ts';
export {
  kernelRegression,
  teacherStudent,
  type KernelRegressionOptions,
  type KernelRegressionTask,
  type Task,
  type TeacherStudentOptions,
} from './tasks.ts';
export {
  createLab,
  createLabBatch,
  type BatchTrainOptions,
  type CheckpointOptions,
  type Lab,
  type LabBatch,
  type LabCheckpoint,
  type TrainOptions,
  type TrainRunOptions,
  type TrainSummary,
} from './trainer.ts';
