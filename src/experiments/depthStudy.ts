/**
 * The depth study behind `grsd demo` and the browser visualizer: residual and plain networks
 * trained by gradient descent at several depths on one seeded teacher–student task, every NTK
 * checkpoint streamed through the GRSD pipeline, each run analysed (ξ, a, ε_LSI, the four
 * conditions), and the depth-threshold scan L* per architecture (spec §2 C4: does residual learning
 * produce log-shift invariance beyond a depth threshold, where plain networks do not?).
 *
 * Browser-safe: needs only a GpuContext.
 * @module
 */
import { depthScan, type DepthScan } from '../analysis/conditions.ts';
import { analyzeGrsd, type GrsdAnalysis } from '../analysis/grsdAnalysis.ts';
import { GrsdSeries, type CheckpointResult, type IntervalResult, type SeriesResult } from '../analysis/series.ts';
import type { ShellGrid } from '../analysis/shellGrid.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import {
  createLab,
  teacherStudent,
  type Activation,
  type Architecture,
  type LabCheckpoint,
  type Parametrization,
  type Task,
  type TrainSummary,
} from '../lab/index.ts';

/** Configuration of a depth study. */
export interface DepthStudyConfig {
  readonly architectures: readonly Exclude<Architecture, 'linear'>[];
  readonly depths: readonly number[];
  readonly width: number;
  readonly activation: Activation;
  readonly parametrization: Parametrization;
  /** Teacher–student task on the sphere; the probe set is the training set (full-batch GD, so ė = −M e holds on it). */
  readonly task: { readonly inputDim: number; readonly points: number; readonly spectrumDecay: number };
  readonly steps: number;
  readonly learningRate: number;
  /** Number of checkpoints, log-spaced over [0, steps] (0 included). */
  readonly checkpoints: number;
  readonly seed: number;
  /** Eigenpairs per checkpoint (default: all, n = points). */
  readonly rank?: number;
  /** LSI permutation-test size. Default 200. */
  readonly permutations?: number;
}

/** The default `grsd demo` (≈ minutes on a software adapter, seconds on a GPU). */
export const DEMO_CONFIG: DepthStudyConfig = {
  architectures: ['residual', 'plain'],
  depths: [2, 4, 8, 16],
  width: 64,
  activation: 'tanh',
  parametrization: 'depthMuP',
  task: { inputDim: 8, points: 96, spectrumDecay: 1 },
  steps: 400,
  learningRate: 0.5,
  checkpoints: 16,
  seed: 1,
  permutations: 200,
};

/** `grsd demo --quick`. */
export const DEMO_QUICK_CONFIG: DepthStudyConfig = {
  ...DEMO_CONFIG,
  depths: [2, 8],
  width: 32,
  task: { inputDim: 8, points: 48, spectrumDecay: 1 },
  steps: 120,
  checkpoints: 10,
  permutations: 100,
};

/** One trained and analysed network. */
export interface DepthRun {
  readonly architecture: Exclude<Architecture, 'linear'>;
  readonly depth: number;
  readonly series: SeriesResult;
  readonly analysis: GrsdAnalysis;
  readonly train: TrainSummary;
  readonly seconds: { readonly train: number; readonly analysis: number };
}

/** The whole study. */
export interface DepthStudy {
  readonly config: DepthStudyConfig;
  readonly runs: DepthRun[];
  /** ε_LSI against depth per architecture (L*, slope). */
  readonly scans: Record<string, DepthScan>;
}

/** Progress callbacks (all optional). */
export interface DepthStudyHooks {
  onRunStart?(run: { architecture: string; depth: number; index: number; total: number }): void;
  onCheckpoint?(
    run: { architecture: string; depth: number; grid: ShellGrid },
    checkpoint: CheckpointResult,
    interval: IntervalResult | null,
  ): void;
  onRunDone?(run: DepthRun): void;
  /**
   * Every raw lab checkpoint (kernel, per-layer kernels, residual, time scale η/N) before it is
   * analysed — e.g. to save it as a run directory (`RunWriter`). Awaited.
   */
  onLabCheckpoint?(run: { architecture: string; depth: number }, checkpoint: LabCheckpoint): void | Promise<void>;
}

/** The log-spaced checkpoint steps: 0 and `count − 1` steps geometrically spaced up to `steps` (distinct integers). */
export function checkpointSteps(steps: number, count: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new InvalidArgumentError('steps', `must be a positive integer, got ${steps}`);
  if (!Number.isInteger(count) || count < 2) throw new InvalidArgumentError('checkpoints', `must be an integer ≥ 2, got ${count}`);
  const out = new Set<number>([0]);
  for (let i = 0; i < count - 1; i++) out.add(Math.max(1, Math.round(steps ** (i / Math.max(1, count - 2)))));
  out.add(steps);
  return [...out].sort((a, b) => a - b);
}

function validate(config: DepthStudyConfig): void {
  if (config.architectures.length === 0) throw new InvalidArgumentError('architectures', 'give at least one architecture');
  if (config.depths.length === 0 || config.depths.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidArgumentError('depths', `must be positive integers, got [${config.depths.join(', ')}]`);
  }
  if (!(config.learningRate > 0)) throw new InvalidArgumentError('learningRate', `must be positive, got ${config.learningRate}`);
}

/** The study's task: the probe set is the training set. */
export function studyTask(config: DepthStudyConfig): Task {
  const base = teacherStudent({
    inputDim: config.task.inputDim,
    trainSize: config.task.points,
    probeSize: 1,
    spectrumDecay: config.task.spectrumDecay,
    seed: config.seed,
  });
  return { ...base, probeSize: base.trainSize, probeX: base.trainX, probeY: base.trainY };
}

/** Trains and analyses every (architecture, depth) of the study. */
export async function runDepthStudy(ctx: GpuContext, config: DepthStudyConfig, hooks: DepthStudyHooks = {}): Promise<DepthStudy> {
  validate(config);
  const task = studyTask(config);
  const steps = checkpointSteps(config.steps, config.checkpoints);
  const runs: DepthRun[] = [];
  const total = config.architectures.length * config.depths.length;
  for (const architecture of config.architectures) {
    for (const depth of config.depths) {
      hooks.onRunStart?.({ architecture, depth, index: runs.length, total });
      using lab = await createLab(
        ctx,
        {
          architecture,
          depth,
          width: config.width,
          inputDim: config.task.inputDim,
          activation: config.activation,
          parametrization: config.parametrization,
          seed: config.seed,
        },
        task,
      );
      using series = new GrsdSeries(ctx, {
        timeScale: config.learningRate / task.trainSize,
        seed: config.seed,
        ...(config.rank === undefined ? {} : { rank: config.rank }),
        gridOptions: { floorRelative: 1e-5, headroom: 2 },
      });
      let gains: number[] | undefined;
      let analysisSeconds = 0;
      const t0 = performance.now();
      const train = await lab.train({
        steps: config.steps,
        learningRate: config.learningRate,
        optimizer: 'gd',
        checkpoints: steps,
        onCheckpoint: async (cp) => {
          gains ??= cp.diagnostics.layerGains;
          await hooks.onLabCheckpoint?.({ architecture, depth }, cp);
          const a0 = performance.now();
          const step = await series.push({
            t: cp.step,
            kernel: cp.kernel,
            layers: cp.layers,
            residual: cp.residual,
            label: `${architecture} L=${depth} step ${cp.step}`,
          });
          analysisSeconds += (performance.now() - a0) / 1000;
          hooks.onCheckpoint?.({ architecture, depth, grid: series.grid! }, step.checkpoint, step.interval);
        },
      });
      const a0 = performance.now();
      const result = series.result();
      const analysis = analyzeGrsd(result, {
        model: gains && gains.length >= 2 ? { layerGains: gains } : {},
        lsi: { permutations: config.permutations ?? 200, seed: config.seed },
      });
      analysisSeconds += (performance.now() - a0) / 1000;
      const run: DepthRun = {
        architecture,
        depth,
        series: result,
        analysis,
        train,
        seconds: { train: (performance.now() - t0) / 1000 - analysisSeconds, analysis: analysisSeconds },
      };
      runs.push(run);
      hooks.onRunDone?.(run);
    }
  }
  const scans: Record<string, DepthScan> = {};
  for (const architecture of config.architectures) {
    scans[architecture] = depthScan(
      runs
        .filter((r) => r.architecture === architecture)
        .map((r) => ({ depth: r.depth, epsilonLSI: r.analysis.theory.lsi?.epsilon ?? null })),
    );
  }
  return { config, runs, scans };
}
