/**
 * `grsd`: the platform-neutral core. Works in browsers (with `navigator.gpu`, a caller's
 * `GPUDevice` or a TypeGPU root) and in Node with a device from any source. Imports no Node
 * built-ins. Beside it: `grsd/node` (Dawn acquisition, files, run directories, the HTML report),
 * `grsd/lab` (the training lab and the depth study) and `grsd/reference` (the float64 reference
 * backend).
 *
 * Every export is listed by name: the surface is recorded in test/package/api-surface.txt and a
 * change to it is deliberate.
 * @module
 */
export {
  GrsdError,
  NoAdapterError,
  GpuValidationError,
  GpuOutOfMemoryError,
  DeviceLostError,
  DeviceLimitError,
  InvalidArgumentError,
  FileFormatError,
  FileReadError,
  PathOutsideRootError,
  DisposedError,
  InternalError,
  MissingDependencyError,
  DependencyLoadError,
  type GrsdErrorCode,
  type AdapterAttempt,
} from './errors.ts';
export { GRSD_VERSION } from './version.ts';

// GPU runtime.
export { GpuContext, type AdapterDescription, type GpuContextCommonOptions, type GpuMode } from './gpu/context.ts';
export { createGpuContext, type CreateGpuContextOptions } from './gpu/acquire.ts';
export type { EffectiveLimits } from './gpu/limits.ts';
// Opaque to users: the recorder that an operator's `encodeApply` receives from grsd's algorithms.
export { Recorder } from './gpu/recorder.ts';

// Kernels, one call each (upload, run, read back).
export { batchedDotGpu, type BatchedDotShape } from './kernels/batchedDot.ts';
export { gemmGpu, type GemmHostArgs, type GemmShapeArgs, type GemmOperandLayout } from './kernels/gemm.ts';
export type { VectorsView } from './kernels/matVec.ts';

// Algorithms: operators, eigenpairs (Lanczos, Golub–Kahan on J), quadrature, the transport matrix.
export {
  denseOperator,
  jacobianOperator,
  csrOperator,
  wgslOperator,
  matrixOperator,
  type MatrixInput,
  type SymmetricOperator,
  type RectangularOperator,
  type DenseOperatorOptions,
  type JacobianOperatorOptions,
  type CsrOperatorOptions,
  type WgslOperatorOptions,
  type HostMatrixData,
} from './algorithms/operators.ts';
export {
  eigsh,
  MIN_GPU_TOLERANCE,
  type EigenSolution,
  type GpuEigenOptions,
  type EigenOptions,
  type EigenResult,
  type StopReason,
  type Which,
} from './algorithms/eigsh.ts';
export { eigshJacobian } from './algorithms/golubKahan.ts';
export { flowMatrixGpu, type FlowMatrixInput } from './algorithms/flowEstimator.ts';
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
  type DensityOptions,
  type QuadratureRule,
  type QuadratureOptions,
  type SpectralDensityEstimate,
} from './algorithms/quadrature.ts';

// Analysis: shells, the series pipeline, streaming, transport, fits, LSI, conditions, summaries.
export { ShellGrid, DEFAULT_WIDTH, type ShellGridOptions } from './analysis/shellGrid.ts';
export type { ShellBinning } from './reference/shells.ts';
export {
  GrsdSeries,
  analyzeSeries,
  runLambdaMaxBound,
  seriesCoverage,
  defaultFloorRelative,
  COMPLEMENT_WARNING_SHARE,
  type CheckpointCapture,
  type CheckpointData,
  type FlatCheckpointData,
  type KernelInput,
  type JacobianInput,
  type ShapedMatrix,
  type CheckpointResult,
  type IntervalResult,
  type SeriesCoverage,
  type SeriesOptions,
  type SeriesResult,
  type SeriesStep,
} from './analysis/series.ts';
export { largestEigenvalueBound } from './analysis/lambdaMax.ts';
export { transportResolution, RESOLVED_FACTOR, type TransportResolution } from './analysis/resolution.ts';
export type { KatoResult } from './analysis/kato.ts';
export { streamAnalysis, type GpuStepBuffers, type StreamedStep, type StreamOptions } from './analysis/stream.ts';
export {
  intervalQuantities,
  fluxFromTransport,
  velocityFromFlux,
  type IntervalOptions,
  type IntervalQuantities,
} from './analysis/transport.ts';
export { spectralChecks, stepSize, type Check, type CheckStatus, type StepSize } from './analysis/checks.ts';
export {
  fitVelocity,
  fluxResolution,
  rigidity,
  interiorBoundaries,
  fitSpectrumExponent,
  fitTauberian,
  fitFrontier,
  frontier,
  lazyFrontier,
  fitProfilePeak,
  profilePeak,
  lazyLossPrediction,
  type FitFailure,
  type VelocityFit,
  type VelocityFitOptions,
  type InteriorBoundaries,
  type Rigidity,
  type SpectrumExponentFit,
  type SpectrumExponentOptions,
  type TauberianFit,
  type FrontierFit,
  type ProfilePeakFit,
  type LazyPredictionPoint,
} from './analysis/fits.ts';
export { fitLossExponent, type LossPoint, type LossExponentOptions, type LossExponentFit } from './analysis/lossExponent.ts';
export { fitScaleFreeDrift, type DriftWindow, type ScaleFreeDrift } from './analysis/drift.ts';
export { renormalizabilityRemainder, type RenormalizabilityRemainder } from './analysis/renormalizability.ts';
export {
  renormalizedCouplings,
  inertialWindow,
  lsiStatistic,
  lsiProjection,
  lsiPermutationTest,
  type RenormalizedCouplings,
  type LsiStatistic,
  type LsiProjection,
  type PermutationTest,
} from './analysis/lsi.ts';
export {
  assessC1,
  assessC2,
  assessC3,
  assessC4,
  depthScan,
  nfdDiagnostics,
  DEFAULT_THRESHOLDS,
  type Verdict,
  type ConditionResult,
  type ModelDiagnostics,
  type ConditionThresholds,
  type C4Inputs,
  type DepthScan,
  type NfdDiagnostics,
} from './analysis/conditions.ts';
export { analyzeGrsd, type GrsdAnalysis, type GrsdAnalysisOptions, type FitsSection, type TheorySection } from './analysis/grsdAnalysis.ts';
export {
  summary,
  checkpointSummary,
  SUMMARY_COLUMNS,
  type SummaryCell,
  type AnalysisSummaryRow,
  type RunSummaryRow,
  type StudySummaryRow,
  type CheckpointSummaryRow,
  type StudyCheckpointSummaryRow,
  type StudyRunKey,
  type AnalyzedRun,
  type AnalyzedStudy,
} from './analysis/summary.ts';
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

// Diagnostics.
export { runSelfTest, type SelfTestCheck, type SelfTestResult } from './diagnostics/selfTest.ts';
export { doctorReport, DOCTOR_SCHEMA_VERSION, type DoctorReport } from './diagnostics/doctor.ts';

// Formats: tensors in memory (files are in grsd/node), the run manifest, the analysis JSON.
export {
  type DType,
  type TensorData,
  type Tensor,
  DTYPES,
  isDType,
  elementCount,
  checkTensor,
  tensorToFloat64,
  tensorToFloat32,
} from './io/tensor.ts';
export { parseNpy, encodeNpy } from './io/npy.ts';
export { parseNpz, encodeNpz, NPZ_LIMITS, type EncodeNpzOptions, type NpzLimits } from './io/npz.ts';
export { parseSafetensors, parseSafetensorsMetadata, encodeSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from './io/safetensors.ts';
export { MAX_TENSOR_BYTES } from './io/binary.ts';
export { toJsonText } from './io/json.ts';
export { parseManifest, type RunManifest, type ManifestCheckpoint } from './io/manifest.ts';
export { analysisJson, checkpointJson, intervalJson, shellLabels, ANALYSIS_SCHEMA_VERSION } from './io/analysisJson.ts';

// Figures (Vega-Lite specs shared by the report, grsd serve and the visualizer; vega loads on first render) and the HTML report.
export {
  analysisFigures,
  couplingsFigure,
  depthFigure,
  eigenvaluesFigure,
  energyFigure,
  fluxFigure,
  layerFigure,
  lossFigure,
  remainderFigure,
  residualShareFigure,
  velocityFigure,
  RESIDUAL_SHARE_WARNING,
  figureSource,
  runFacts,
  formatTime,
  intervalLabel,
  perTime,
  timeTitle,
  toCsv,
  compileSpec,
  loadVega,
  renderSvg,
  type Cell,
  type DepthPoint,
  type Figure,
  type FailedFit,
  type FigureCheckpoint,
  type FigureCondition,
  type FigureFits,
  type FigureGrid,
  type FigureInterval,
  type FigureLayerShares,
  type FigureLossFit,
  type FigureRemainder,
  type FigureSource,
  type FigureTheory,
  type FigureVelocityFit,
  type RunFacts,
} from './io/figures/index.ts';
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

// Utilities.
export { Random } from './util/random.ts';
