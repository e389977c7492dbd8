/**
 * Experiments built on the training lab: the depth study behind `grsd demo` (training, analysis,
 * statistics over seeds, the finding) and the statistics it uses. See docs/lab.md, "The depth study".
 * @module
 */
export {
  checkpointSchedule,
  describeCheckpointSchedule,
  checkpointSteps,
  DEMO_CONFIG,
  DEMO_QUICK_CONFIG,
  runDepthStudy,
  runOutcome,
  studySeeds,
  studyTask,
  type DepthRun,
  type DepthRunKey,
  type DepthStudy,
  type DepthStudyConfig,
  type DepthStudyHooks,
  type DepthStudyProgress,
} from './depthStudy.ts';
export {
  CONDITIONS,
  summarizeDepthStudy,
  type ArchitectureScan,
  type ConditionName,
  type DepthCell,
  type DepthComparison,
  type DepthStudySummary,
  type Finding,
  type RunOutcome,
  type SummaryOptions,
  type VerdictShares,
} from './depthSummary.ts';
export {
  bootstrapInterval,
  criticalDepth,
  logLogSlope,
  twoSamplePermutationTest,
  regularizedBeta,
  seedSummary,
  studentTUpperTail,
  welchTest,
  type BootstrapInterval,
  type TwoSamplePermutationTest,
  type SeedSummary,
  type WelchTest,
} from './statistics.ts';
