/**
 * The float64 reference backend: plain TypeScript twins of every GPU kernel and algorithm, with
 * the same signatures. They are the oracle of every GPU test and the `backend: 'cpu'` path where
 * no adapter exists. Imports nothing from the GPU layers.
 * @module
 */
export { batchedDot, batchedDotErrorBound } from './batchedDot.ts';
export {
  axpy,
  dot,
  matmul,
  matrixWithSpectrum,
  matTVec,
  matVec,
  norm2,
  orthonormalityError,
  randomOrthogonal,
  scale,
  scaleVectorsF64,
  gatherRowsF64,
  symmetrize,
  transpose,
  type GatherRowsLayout,
  type ScaleVectorsLayout,
} from './linalg.ts';
export { tridiagonalEigen } from './tridiagonalEigen.ts';
export type { TridiagonalEigenOptions, TridiagonalEigenResult, TridiagonalVectors } from './tridiagonalEigen.ts';
export { isSymmetric, symmetricEigen } from './symmetricEigen.ts';
export type { SymmetricEigenOptions, SymmetricEigenResult } from './symmetricEigen.ts';
export { denseApply, lanczosF64, lanczosUpdateF64 } from './lanczos.ts';
export type { ApplyF64, LanczosF64Options, LanczosF64Result, LanczosLaneStateF64, LanczosUpdateArgs } from './lanczos.ts';
export { bidiagonalSingularValues, golubKahanF64 } from './golubKahan.ts';
export type { BidiagonalSvdOptions, BidiagonalSvdResult, GolubKahanF64Options, GolubKahanF64Result } from './golubKahan.ts';
export { cumulativeBrackets, gaussQuadrature, spectralDensity } from './quadrature.ts';
export type { CumulativeBrackets, GaussQuadrature } from './quadrature.ts';
export { gemm, gemmErrorBound } from './gemm.ts';
export { copy } from './copy.ts';
export { matVecN, matVecT, matVecErrorBound, splitSumF64, type MatVecLayout, type SplitSumLayout } from './matVec.ts';
export { csrMatVec, csrToDense, type Csr } from './sparse.ts';
export { identityEntryF64, wgslOperatorF64, type OperatorEntryF64, type WgslOperatorLayout } from './wgslOperator.ts';
export {
  eigshF64,
  defaultMaxVectors,
  f64BoundFloor,
  denseCpuOperator,
  quadratureF64,
  probeVector,
  resolveEigenOptions,
  ritzSelection,
  type CpuOperator,
  type EigenOptions,
  type EigenResult,
  type Which,
} from './eigsh.ts';
export {
  assignShell,
  binShells,
  shellReduceF64,
  floorShell,
  complementShell,
  computedShellCount,
  shellArrayLength,
  type ShellBinning,
  type ShellReduceLayout,
  type ShellSums,
} from './shells.ts';
export { shellFlowRows, shellFlowReduce, completeFlow, flowMatrixF64, type FlowParts } from './transport.ts';
export {
  spectralCheckpointF64,
  spectralDecompositionF64,
  leadingPairs,
  kernelFromJacobianF64,
  inverseParticipation,
  type SpectralCheckpointF64,
} from './spectralCheckpoint.ts';
export { intervalTransportF64, katoProjectionF64, type IntervalTransport, type IntervalTransportF64Input } from './intervalTransport.ts';
export {
  activation,
  activationDerivative,
  elementwise,
  mlpBackward,
  mlpDiagnostics,
  mlpForward,
  mlpGdStep,
  mlpGradients,
  mlpJacobians,
  mlpLoss,
  mlpNtk,
  mlpRoles,
  type ElementwiseOpName,
  type ElementwiseReferenceArgs,
  type MlpActivation,
  type MlpArchitecture,
  type MlpBackward,
  type MlpDiagnostics,
  type MlpForward,
  type MlpGradients,
  type MlpNtk,
  type MlpParameters,
  type MlpSpec,
  type MlpTensor,
  type MlpTensorRole,
} from './mlp.ts';
export {
  powerLawScan,
  powerLawCandidates,
  powerLawAt,
  powerLawKs,
  sortPositiveData,
  upperIncompleteGamma,
  logUpperIncompleteGamma,
  DEFAULT_MIN_TAIL,
} from './powerLawTail.ts';
