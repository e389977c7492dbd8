/**
 * `grsd`: the platform-neutral entry. Works in browsers (with `navigator.gpu`, a caller's
 * `GPUDevice` or a TypeGPU root) and in Node with a device from any source. Imports no Node
 * built-ins; Node-only helpers (Dawn acquisition, file reading) live in `grsd/node`.
 * @module
 */
export * from './errors.ts';
export { GRSD_VERSION } from './version.ts';

export { GpuContext, type AdapterDescription, type GpuContextCommonOptions, type GpuMode } from './gpu/context.ts';
export { createGpuContext, type CreateGpuContextOptions } from './gpu/acquire.ts';
export { LIMIT_NAMES, WORKGROUP_SIZE_CAP, type EffectiveLimits } from './gpu/limits.ts';
export { BufferUsage, MapMode } from './gpu/flags.ts';

export { batchedDotGpu, createBatchedDot, type BatchedDot, type BatchedDotShape } from './kernels/batchedDot.ts';
export { createGemm, gemmGpu, type Gemm, type GemmArgs, type GemmHostArgs, type GemmOperand } from './kernels/gemm.ts';
export { record, readStaging, Recorder } from './gpu/recorder.ts';

export { runSelfTest, type SelfTestCheck, type SelfTestResult } from './diagnostics/selfTest.ts';
export { doctorReport, DOCTOR_SCHEMA_VERSION, type DoctorReport } from './diagnostics/doctor.ts';

export * from './io/index.ts';

export * as reference from './reference/index.ts';
export { Random } from './util/random.ts';
