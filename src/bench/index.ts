/**
 * The benchmark suite (issue 8; Lanczos: issue 3). Node only (Python peers run as subprocesses).
 * Imported by the CLI (`grsd bench`) and the scripts in bench/; nothing else in src/ imports it.
 * See docs/benchmarks.md.
 * @module
 */
export { fromSamples, measure, timingMethodFor, type Measurement, type MeasureOptions, type TimingMethod } from './harness.ts';
export { fitPowerLaw, quantileSorted, summarize, type PowerLawFit, type SampleStats } from './stats.ts';
export { copyBufferBytes, measureRoofline, type CopyRoofline, type GemmPoint, type Roofline, type RooflineOptions } from './roofline.ts';
export {
  describePeer,
  f64EigshPeer,
  f64SlqPeer,
  mlMatrixPeer,
  PEER_SCRIPT,
  PYTHON_PRELUDE,
  hostPeer,
  pythonScriptPeer,
  runPythonScript,
  pythonFor,
  pythonPeer,
  runPythonPeer,
  skippedPeer,
  withRatios,
  type PeerId,
  type PeerOptions,
  type PeerOutcome,
  type PeerTiming,
  type PythonPeerResult,
  type PythonPeerSpec,
} from './peers.ts';
export { BATCH_SHIFT, batchBytes, benchMatrix, benchSpectrum, uploadBatch } from './problems.ts';
export { BUILTIN_BENCH_GROUPS, benchGroups, registerBenchGroup, selectBenchGroups, unregisterBenchGroup } from './registry.ts';
export { FULL_SCALE, QUICK_SCALE } from './scales.ts';
export {
  describeMachine,
  evaluateGoals,
  resolveScale,
  runBenchmarks,
  scalingFits,
  type BenchOptions,
  type BenchProgress,
} from './suite.ts';
export { formatNumber, renderMarkdown } from './report.ts';
export { lanczosWork } from './groups/lanczos.ts';
export { topKError } from './groups/eigsh.ts';
export {
  BENCH_SCHEMA_VERSION,
  type BenchCase,
  type BenchEnv,
  type BenchGroup,
  type BenchReport,
  type BenchScale,
  type FailedCase,
  type Figure,
  type GoalResult,
  type GroupResult,
  type ScalingFit,
  type SkippedCase,
} from './types.ts';
