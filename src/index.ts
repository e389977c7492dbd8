/**
 * `grsd`: the platform-neutral entry. Works in browsers (with `navigator.gpu`, a caller's
 * `GPUDevice` or a TypeGPU root) and in Node with a device from any source. Imports no Node
 * built-ins; Node-only helpers (Dawn acquisition, file reading, the HTML report) live in
 * `grsd/node`, and the float64 reference backend in `grsd/reference`.
 * @module
 */
export * from './errors.ts';
export { GRSD_VERSION } from './version.ts';

// GPU runtime.
export { GpuContext, type AdapterDescription, type GpuContextCommonOptions, type GpuMode } from './gpu/context.ts';
export { createGpuContext, type CreateGpuContextOptions } from './gpu/acquire.ts';
export { LIMIT_NAMES, WORKGROUP_SIZE_CAP, type EffectiveLimits } from './gpu/limits.ts';
export { BufferUsage, MapMode } from './gpu/flags.ts';
export { record, readStaging, Recorder } from './gpu/recorder.ts';

// Kernels (for people composing their own GPU pipelines).
export { batchedDotGpu, createBatchedDot, type BatchedDot, type BatchedDotShape } from './kernels/batchedDot.ts';
export { createGemm, gemmGpu, type Gemm, type GemmArgs, type GemmHostArgs, type GemmOperand } from './kernels/gemm.ts';
export { createMatVec, type MatVec, type MatVecArgs, type MatrixView, type VectorsView } from './kernels/matVec.ts';

// Algorithms: operators, Lanczos, eigenpairs, Golub–Kahan, quadrature.
export {
  denseOperator,
  jacobianOperator,
  csrOperator,
  wgslOperator,
  type SymmetricOperator,
  type RectangularOperator,
  type DenseOperatorOptions,
  type JacobianOperatorOptions,
  type CsrOperatorOptions,
  type WgslOperatorOptions,
  type HostMatrixData,
} from './algorithms/operators.ts';
export { createLanczos, LanczosRun, type LanczosOptions, type LanczosStart, type LanczosTridiagonals } from './algorithms/lanczos.ts';
export {
  eigsh,
  f32BoundFloor,
  type EigenSolution,
  type GpuEigenOptions,
  type EigenOptions,
  type EigenResult,
  type Which,
} from './algorithms/eigsh.ts';
export { createGolubKahan, GolubKahanRun, eigshJacobian, type Bidiagonals } from './algorithms/golubKahan.ts';
export {
  createFlowEstimator,
  estimateFlow,
  flowMatrixGpu,
  uploadFlowInput,
  validateFlowInput,
  type FlowEstimateShape,
  type FlowEstimator,
  type FlowEstimatorBuffers,
  type FlowMatrixInput,
} from './algorithms/flowEstimator.ts';
export {
  spectralCheckpoint,
  GpuSpectralCheckpoint,
  type SpectralCheckpointOptions,
  type LanczosDiagnostics,
} from './algorithms/spectralCheckpoint.ts';
export {
  intervalTransport,
  type IntervalTransport,
  type IntervalTransportInput,
  type TransportBasis,
} from './algorithms/intervalTransport.ts';
export {
  lanczosQuadrature,
  golubKahanQuadrature,
  slqDensity,
  type QuadratureRule,
  type QuadratureOptions,
  type SpectralDensityEstimate,
} from './algorithms/quadrature.ts';

// Analysis: shells, transport, the series pipeline, streaming, fits, LSI, conditions.
export { ShellGrid, DEFAULT_WIDTH, type ShellGridOptions } from './analysis/shellGrid.ts';
export {
  GrsdSeries,
  analyzeSeries,
  runLambdaMaxBound,
  seriesCoverage,
  COMPLEMENT_WARNING_SHARE,
  type CheckpointCapture,
  type CheckpointData,
  type CheckpointResult,
  type IntervalResult,
  type SeriesCoverage,
  type SeriesOptions,
  type SeriesResult,
  type SeriesStep,
} from './analysis/series.ts';
export { transportResolution, RESOLVED_FACTOR, type TransportResolution } from './analysis/resolution.ts';
export type { KatoResult } from './analysis/kato.ts';
export { streamAnalysis, uploadStep, type GpuStepBuffers, type StreamedStep, type StreamOptions } from './analysis/stream.ts';
export { intervalQuantities, fluxFromTransport, velocityFromFlux, type Check, type IntervalQuantities } from './analysis/transport.ts';
export * from './analysis/fits.ts';
export * from './analysis/lsi.ts';
export * from './analysis/conditions.ts';
export * from './analysis/drift.ts';
export * from './analysis/renormalizability.ts';
export { spectralChecks, stepSize, type CheckStatus, type StepSize } from './analysis/checks.ts';
export { analyzeGrsd, type GrsdAnalysis, type GrsdAnalysisOptions, type FitsSection, type TheorySection } from './analysis/grsdAnalysis.ts';

// Diagnostics.
export { runSelfTest, type SelfTestCheck, type SelfTestResult } from './diagnostics/selfTest.ts';
export { doctorReport, DOCTOR_SCHEMA_VERSION, type DoctorReport } from './diagnostics/doctor.ts';

// Formats.
export * from './io/index.ts';
export { parseManifest, type RunManifest, type ManifestCheckpoint } from './io/manifest.ts';
export { analysisJson, checkpointJson, intervalJson, shellLabels, ANALYSIS_SCHEMA_VERSION } from './io/analysisJson.ts';

// Figures (Vega-Lite specs shared by the report, grsd serve and the visualizer; vega loads on first render) and the HTML report.
export * from './io/figures/index.ts';
export {
  analysisReportBody,
  analysisSummaryHtml,
  backendProse,
  failedChecks,
  renderAnalysisReport,
  REPORT_STYLE,
  type FailedCheck,
  type ReportOptions,
} from './io/report.ts';

export * as reference from './reference/index.ts';
export { Random } from './util/random.ts';
export type { LanczosLaneBuffers } from './kernels/lanczosUpdate.ts';
export type { ShellBinning } from './reference/shells.ts';
export {
  fitPowerLawTail,
  fitPowerLawTailCpu,
  type PowerLawTailOptions,
  type PowerLawTailResult,
  type PowerLawTailFit,
  type PowerLawTailFailure,
  type PowerLawComparisons,
  type PowerLawBootstrap,
} from './analysis/powerLawTail.ts';
export type { CandidateOptions, LognormalFit, PowerLawScan, TruncatedPowerLawFit, VuongTest } from './reference/powerLawTail.ts';

// The training lab and the depth study (grsd demo, the visualizer).
export * from './lab/index.ts';
export * from './experiments/index.ts';
