/**
 * The depth study behind `grsd demo` and the browser visualizer: residual and plain networks
 * trained by gradient descent at several depths and several seeds, every checkpoint analysed by
 * the GRSD pipeline (ξ, a, ε_LSI, the four conditions), and the results over seeds summarized as
 * statistics (./depthSummary.ts): does residual learning produce log-shift invariance beyond a
 * depth threshold, where plain networks do not (docs/lab.md, "The depth study")?
 *
 * The seeds of one (architecture, depth) are trained together as the replicas of one lab batch
 * (one GPU submission per group of steps for all of them); seed s draws its own task sample and
 * its own initialization, and both architectures see the same task at a seed.
 *
 * Browser-safe: needs only a GpuContext.
 * @module
 */
import { DEFAULT_THRESHOLDS } from '../analysis/conditions.ts';
import { analyzeGrsd, type GrsdAnalysis } from '../analysis/grsdAnalysis.ts';
import {
  analyzeSeries,
  type CheckpointData,
  type CheckpointResult,
  type IntervalResult,
  type SeriesOptions,
  type SeriesResult,
} from '../analysis/series.ts';
import type { ShellGrid } from '../analysis/shellGrid.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import {
  createLabBatch,
  teacherStudent,
  type Activation,
  type Architecture,
  type LabCheckpoint,
  type ModelConfig,
  type Parametrization,
  type Task,
  type TrainSummary,
} from '../lab/index.ts';
import { summarizeDepthStudy, type DepthStudySummary, type RunOutcome } from './depthSummary.ts';

/** Configuration of a depth study. */
export interface DepthStudyConfig {
  /** Architectures compared (e.g. `residual` and `plain`). */
  readonly architectures: readonly Exclude<Architecture, 'linear'>[];
  /** Depths L trained for every architecture (distinct positive integers). */
  readonly depths: readonly number[];
  /** Hidden width w. */
  readonly width: number;
  /** Activation φ of every network. */
  readonly activation: Activation;
  /** Parametrization of every network (docs/lab.md). */
  readonly parametrization: Parametrization;
  /**
   * Teacher–student task on the sphere. The probe set is the training set (full-batch GD, so
   * ė = −M e holds on it): `points` is both the training-set size and the probe-set size n.
   */
  readonly task: {
    /** Input dimension d (inputs on the sphere S^{d−1}). */
    readonly inputDim: number;
    /** Training- and probe-set size N (= n, one output). */
    readonly points: number;
    /** s ≥ 0: the teacher's coefficients decay as k^{−s}. */
    readonly spectrumDecay: number;
  };
  /** Full-batch gradient-descent steps per network. */
  readonly steps: number;
  /** Learning rate η (> 0); timeScale = η/N. */
  readonly learningRate: number;
  /** At most this many steps between checkpoints (step 0 and the last step are checkpoints). */
  readonly checkpointEvery: number;
  /**
   * Growth of the checkpoint spacing: Δt ≈ (growth − 1)·t, from 1 step up to `checkpointEvery`
   * ({@link checkpointSchedule}). Default 1 (uniform).
   */
  readonly checkpointGrowth?: number;
  /** Seeds per (architecture, depth), ≥ 1 (≥ 2 for standard errors). */
  readonly seeds: number;
  /** The first seed: the study uses seed, seed + 1, …, seed + seeds − 1. */
  readonly seed: number;
  /** Eigenpairs per checkpoint (default: the series' default). */
  readonly rank?: number;
  /** LSI permutation-test size. Default 200. */
  readonly permutations?: number;
  /**
   * Where the GRSD analysis of the checkpoints runs: `cpu` (float64 on the host, the reference
   * path; default) or `gpu` (the context's device, f32).
   */
  readonly analysisBackend?: 'cpu' | 'gpu';
  /** Bootstrap resamples for the interval of L*. Default 2000. */
  readonly bootstrapReplicates?: number;
}

/** The default `grsd demo` (docs/lab.md, "The depth study", says how it was chosen from measurements). */
export const DEMO_CONFIG: DepthStudyConfig = {
  architectures: ['residual', 'plain'],
  depths: [2, 4, 8, 16],
  width: 64,
  activation: 'tanh',
  parametrization: 'depthMuP',
  task: { inputDim: 8, points: 192, spectrumDecay: 1 },
  steps: 200,
  learningRate: 0.2,
  checkpointEvery: 10,
  checkpointGrowth: 1.25,
  seeds: 3,
  seed: 1,
  permutations: 200,
};

/** `grsd demo --quick`. */
export const DEMO_QUICK_CONFIG: DepthStudyConfig = {
  ...DEMO_CONFIG,
  depths: [2, 8],
  width: 32,
  task: { inputDim: 8, points: 64, spectrumDecay: 1 },
  steps: 100,
  checkpointEvery: 10,
  seeds: 2,
  permutations: 100,
};

/** One trained and analysed network (one seed of one architecture and depth). */
export interface DepthRun {
  /** Architecture of the network. */
  readonly architecture: Exclude<Architecture, 'linear'>;
  /** Depth L of the network. */
  readonly depth: number;
  /** Seed of its initial parameters and task. */
  readonly seed: number;
  /** Its series result (every checkpoint and interval). */
  readonly series: SeriesResult;
  /** Its analysis (fits, theory, conditions). */
  readonly analysis: GrsdAnalysis;
  /** What its training did (losses, checkpoints, timings). */
  readonly train: TrainSummary;
  /**
   * The lab's per-layer diagnostics (docs/lab.md, "Diagnostics"): the backward gains at step 0
   * (they feed C1) and the feature-update ratios r = ‖ΔW z‖/‖W(0) z‖ per block at the last step.
   */
  readonly diagnostics: {
    /** Backward gains G_ℓ at step 0, ℓ = 0…L (they feed C1a). */
    readonly layerGains: readonly number[];
    /** Feature-update ratios at the last step, per block and internal layer. */
    readonly featureUpdates: readonly {
      /** Block ℓ (1…L). */
      block: number;
      /** Internal layer of the block. */
      internal: 1 | 2;
      /** r = ‖ΔW z‖_F/‖W(0) z‖_F (dimensionless). */
      ratio: number;
    }[];
  };
  /** `train`: the wall time of the batch that trained all seeds of this architecture and depth; `analysis`: this run's. */
  readonly seconds: {
    /** Wall time of the batch that trained every seed of this architecture and depth, seconds. */
    readonly train: number;
    /** Wall time of this run's analysis, seconds. */
    readonly analysis: number;
  };
}

/** The whole study. */
export interface DepthStudy {
  /** The configuration the study ran with. */
  readonly config: DepthStudyConfig;
  /** The seeds used (seed … seed + seeds − 1). */
  readonly seeds: readonly number[];
  /** Every network: architecture × depth × seed. */
  readonly runs: DepthRun[];
  /** The statistics over seeds and the finding. */
  readonly summary: DepthStudySummary;
  /** Wall time of the study, seconds. */
  readonly seconds: number;
}

/** Progress of a study. */
export interface DepthStudyProgress {
  /** Fraction of the predicted work done, 0…1. */
  readonly fraction: number;
  /** Wall time since the study started, seconds. */
  readonly elapsedSeconds: number;
  /** Predicted seconds left (null until there is a basis for it). */
  readonly etaSeconds: number | null;
  /** What is running. */
  readonly label: string;
}

/** Identifies one network of the study. */
export interface DepthRunKey {
  /** Architecture of the network. */
  readonly architecture: string;
  /** Depth L. */
  readonly depth: number;
  /** Seed. */
  readonly seed: number;
}

/** Progress callbacks (all optional). */
export interface DepthStudyHooks {
  /**
   * The predicted wall time of the whole study, from a short timing probe on this adapter (a few
   * steps and a checkpoint of the deepest network) taken before the study starts. Giving this
   * hook or `onProgress` turns the probe on.
   */
  onEstimate?(seconds: number): void;
  /** Progress with an ETA, after every checkpoint of every batch and every analysed run. */
  onProgress?(progress: DepthStudyProgress): void;
  /** A batch (every seed of one architecture and depth) starts training. */
  onRunStart?(run: { architecture: string; depth: number; seeds: readonly number[]; index: number; total: number }): void;
  /** Every analysed checkpoint of every run, in time order, with the interval ending at it (null for the first). */
  onCheckpoint?(run: DepthRunKey & { grid: ShellGrid }, checkpoint: CheckpointResult, interval: IntervalResult | null): void;
  /** A run (one seed) has been analysed. */
  onRunDone?(run: DepthRun): void;
  /**
   * Every raw lab checkpoint (kernel, per-layer kernels, residual, time scale η/N) before it is
   * analysed, e.g. to save it as a run directory (`RunWriter`). Awaited.
   */
  onLabCheckpoint?(run: DepthRunKey, checkpoint: LabCheckpoint): void | Promise<void>;
}

/**
 * The checkpoint steps: from 0, each next checkpoint Δt = clamp(round((growth − 1)·t), 1, every)
 * steps after the last (`growth` = 1: every `every` steps), and `steps` itself. With growth > 1 the
 * spacing grows geometrically from one step to `every` steps: dense where the kernel moves fastest
 * (the start of training), uniform afterwards. A last interval r shorter than half the one before
 * it, d (the remainder of `steps`, e.g. 199 → 200 after every 10 steps), is split evenly with that
 * one: the penultimate checkpoint moves so that the last two intervals are ⌊(d + r)/2⌋ and
 * ⌈(d + r)/2⌉ steps (…, 189, 194, 200). So every interval stays at most `every` steps and the last
 * is at least half the one before it. Distinct integers, ascending.
 */
export function checkpointSchedule(steps: number, every: number, growth = 1): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new InvalidArgumentError('steps', `must be a positive integer, got ${steps}`);
  if (!Number.isInteger(every) || every < 1 || every > steps) {
    throw new InvalidArgumentError('checkpointEvery', `must be an integer in 1…${steps} (the steps), got ${every}`);
  }
  if (!(Number.isFinite(growth) && growth >= 1)) {
    throw new InvalidArgumentError('checkpointGrowth', `must be a finite number ≥ 1, got ${growth}`);
  }
  const out = [0];
  for (let t = 0; t < steps;) {
    const dt = growth > 1 ? Math.min(every, Math.max(1, Math.round((growth - 1) * t))) : every;
    t = Math.min(steps, t + dt);
    out.push(t);
  }
  const [before, previous, last] = out.slice(-3);
  if (before !== undefined && 2 * (last! - previous!) < previous! - before) out[out.length - 2] = before + Math.floor((last! - before) / 2);
  return out;
}

/** The study's checkpoint schedule in words, e.g. "29 checkpoints, spaced ×1.25 from 1 step up to every 12 steps". */
export function describeCheckpointSchedule(config: Pick<DepthStudyConfig, 'steps' | 'checkpointEvery' | 'checkpointGrowth'>): string {
  const count = checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth).length;
  const growth = config.checkpointGrowth ?? 1;
  return growth > 1
    ? `${count} checkpoints, spaced ×${growth} from 1 step up to every ${config.checkpointEvery} steps`
    : `${count} checkpoints, one every ${config.checkpointEvery} steps`;
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

/** The seeds of a study: seed, seed + 1, …, seed + seeds − 1. */
export function studySeeds(config: DepthStudyConfig): number[] {
  return Array.from({ length: config.seeds }, (_, i) => config.seed + i);
}

function validate(config: DepthStudyConfig): void {
  if (config.architectures.length === 0) throw new InvalidArgumentError('architectures', 'give at least one architecture');
  if (config.depths.length === 0 || config.depths.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidArgumentError('depths', `must be positive integers, got [${config.depths.join(', ')}]`);
  }
  if (new Set(config.depths).size !== config.depths.length) {
    throw new InvalidArgumentError('depths', `must be distinct, got [${config.depths.join(', ')}]`);
  }
  if (!(config.learningRate > 0)) throw new InvalidArgumentError('learningRate', `must be positive, got ${config.learningRate}`);
  if (!Number.isInteger(config.seeds) || config.seeds < 1) {
    throw new InvalidArgumentError('seeds', `must be a positive integer (≥ 2 for standard errors), got ${config.seeds}`);
  }
  if (!Number.isInteger(config.seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${config.seed}`);
  if (!Number.isInteger(config.task.points) || config.task.points < 2) {
    throw new InvalidArgumentError('task.points', `must be an integer ≥ 2 (the probe points), got ${config.task.points}`);
  }
  checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth);
}

/** The study's task at `seed`: the probe set is the training set. */
export function studyTask(config: DepthStudyConfig, seed: number = config.seed): Task {
  const base = teacherStudent({
    inputDim: config.task.inputDim,
    trainSize: config.task.points,
    probeSize: 1,
    spectrumDecay: config.task.spectrumDecay,
    seed,
  });
  return { ...base, probeSize: base.trainSize, probeX: base.trainX, probeY: base.trainY };
}

/** The model of `architecture` at `depth` and `seed`. */
function studyModel(config: DepthStudyConfig, architecture: Exclude<Architecture, 'linear'>, depth: number, seed: number): ModelConfig {
  return {
    architecture,
    depth,
    width: config.width,
    inputDim: config.task.inputDim,
    activation: config.activation,
    parametrization: config.parametrization,
    seed,
  };
}

/**
 * The series options of a study run: the whole-run grid and the library's defaults (the lab's
 * kernels are Float32Array, so the series takes the f32 floor even on the float64 backend).
 */
function seriesOptions(config: DepthStudyConfig, seed?: number): SeriesOptions {
  return {
    timeScale: config.learningRate / config.task.points,
    ...(seed === undefined ? {} : { seed }),
    ...(config.rank === undefined ? {} : { rank: config.rank }),
  };
}

/** Predicted seconds per unit of each kind of work, from the timing probe. */
interface CostModel {
  /** One optimizer step of all seeds, per parameter tensor. */
  readonly stepPerTensor: number;
  /** One lab checkpoint of all seeds, per parameter tensor. */
  readonly checkpointPerTensor: number;
  /** The series analysis of one checkpoint of one seed. */
  readonly analysisPerCheckpoint: number;
}

/** Parameter tensors of a network: W_in, the L blocks, W_out. */
const tensorsOf = (depth: number): number => depth + 2;

/** Trains and analyses every (architecture, depth, seed) of the study and summarizes it. */
export async function runDepthStudy(ctx: GpuContext, config: DepthStudyConfig, hooks: DepthStudyHooks = {}): Promise<DepthStudy> {
  validate(config);
  const start = performance.now();
  const seeds = studySeeds(config);
  const tasks = seeds.map((s) => studyTask(config, s));
  const steps = checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth);
  const batches = config.architectures.flatMap((architecture) => config.depths.map((depth) => ({ architecture, depth })));
  const wantTiming = hooks.onEstimate !== undefined || hooks.onProgress !== undefined;
  const eta = new StudyEta(
    wantTiming ? await probeCosts(ctx, config, tasks) : null,
    config,
    steps.length,
    batches.map((b) => b.depth),
    hooks,
  );
  const runs: DepthRun[] = [];
  for (const [index, { architecture, depth }] of batches.entries()) {
    hooks.onRunStart?.({ architecture, depth, seeds, index, total: batches.length });
    const label = `${architecture} L=${depth}`;
    const trained = await trainSeeds(ctx, config, { architecture, depth, seeds, tasks, steps }, hooks, (emitted) =>
      eta.training(depth, emitted, `${label}: training, checkpoint ${emitted}/${steps.length}`),
    );
    eta.trained(depth);
    for (const [r, seed] of seeds.entries()) {
      const run = await analyseSeed(ctx, config, { architecture, depth, seed }, trained, r, hooks);
      runs.push(run);
      hooks.onRunDone?.(run);
      eta.analysed(`${label}: analysed seed ${seed}`);
    }
  }
  const summary = summarizeDepthStudy(runs.map(runOutcome), {
    architectures: config.architectures,
    depths: config.depths,
    seeds,
    threshold: DEFAULT_THRESHOLDS.c4EpsilonPass,
    bootstrapReplicates: config.bootstrapReplicates ?? 2000,
    seed: config.seed,
  });
  return { config, seeds, runs, summary, seconds: (performance.now() - start) / 1000 };
}

/** What training the seeds of one (architecture, depth) leaves for their analysis, per seed. */
interface TrainedSeeds {
  readonly checkpoints: CheckpointData[][];
  readonly diagnostics: DepthRun['diagnostics'][];
  readonly train: TrainSummary[];
}

/** Trains every seed of one architecture and depth as one lab batch, keeping K_eff and e of every checkpoint. */
async function trainSeeds(
  ctx: GpuContext,
  config: DepthStudyConfig,
  job: {
    architecture: Exclude<Architecture, 'linear'>;
    depth: number;
    seeds: readonly number[];
    tasks: readonly Task[];
    steps: readonly number[];
  },
  hooks: DepthStudyHooks,
  onCheckpoint: (emitted: number) => void,
): Promise<TrainedSeeds> {
  const { architecture, depth, seeds, steps } = job;
  const checkpoints: CheckpointData[][] = seeds.map(() => []);
  const diagnostics: DepthRun['diagnostics'][] = seeds.map(() => ({ layerGains: [], featureUpdates: [] }));
  let emitted = 0;
  using lab = await createLabBatch(
    ctx,
    seeds.map((s) => studyModel(config, architecture, depth, s)),
    job.tasks,
  );
  const train = await lab.train({
    steps: config.steps,
    learningRate: config.learningRate,
    optimizer: 'gd',
    checkpoints: steps,
    // The analysis needs K_eff only; the per-layer kernels go to onLabCheckpoint (e.g. saved runs).
    layerKernels: hooks.onLabCheckpoint !== undefined,
    onCheckpoint: async (cps) => {
      for (const [r, cp] of cps.entries()) {
        await hooks.onLabCheckpoint?.({ architecture, depth, seed: seeds[r]! }, cp);
        checkpoints[r]!.push({
          t: cp.step,
          kernel: cp.kernel,
          residual: cp.residual,
          label: `${architecture} L=${depth} seed ${seeds[r]} step ${cp.step}`,
        });
        // The gains at step 0 (they feed C1), the feature updates of the latest checkpoint.
        const gains = emitted === 0 ? cp.diagnostics.layerGains : diagnostics[r]!.layerGains;
        diagnostics[r] = { layerGains: gains, featureUpdates: cp.diagnostics.featureUpdates };
      }
      onCheckpoint(++emitted);
    },
  });
  return { checkpoints, diagnostics, train };
}

/** Analyses seed r of a trained batch (and frees its checkpoints). */
async function analyseSeed(
  ctx: GpuContext,
  config: DepthStudyConfig,
  key: { architecture: Exclude<Architecture, 'linear'>; depth: number; seed: number },
  trained: TrainedSeeds,
  r: number,
  hooks: DepthStudyHooks,
): Promise<DepthRun> {
  const a0 = performance.now();
  const series = await analyzeSeries(
    config.analysisBackend === 'gpu' ? ctx : 'cpu',
    trained.checkpoints[r]!,
    seriesOptions(config, key.seed),
  );
  trained.checkpoints[r] = []; // the kernels are no longer needed
  const gains = trained.diagnostics[r]!.layerGains;
  const analysis = analyzeGrsd(series, {
    model: gains.length >= 2 ? { layerGains: gains } : {},
    lsi: { permutations: config.permutations ?? 200, seed: key.seed },
  });
  if (hooks.onCheckpoint) {
    series.checkpoints.forEach((c, i) => hooks.onCheckpoint!({ ...key, grid: series.grid }, c, i > 0 ? series.intervals[i - 1]! : null));
  }
  return {
    ...key,
    series,
    analysis,
    train: trained.train[r]!,
    diagnostics: trained.diagnostics[r]!,
    seconds: { train: trained.train[r]!.seconds, analysis: (performance.now() - a0) / 1000 },
  };
}

/**
 * The expected time and the ETA: the timing probe's cost model predicts every batch's training and
 * analysis; the remaining prediction is scaled by how the prediction has fared so far.
 */
class StudyEta {
  readonly #cost: CostModel | null;
  readonly #config: DepthStudyConfig;
  readonly #checkpoints: number;
  readonly #hooks: DepthStudyHooks;
  readonly #start = performance.now();
  readonly #total: number;
  #done = 0;

  constructor(cost: CostModel | null, config: DepthStudyConfig, checkpoints: number, depths: readonly number[], hooks: DepthStudyHooks) {
    this.#cost = cost;
    this.#config = config;
    this.#checkpoints = checkpoints;
    this.#hooks = hooks;
    this.#total = depths.reduce((s, d) => s + this.#train(d) + this.#analysis(), 0);
    if (cost) hooks.onEstimate?.(this.#total);
  }

  /** Predicted seconds to train one batch at `depth`. */
  #train(depth: number): number {
    const c = this.#cost;
    return c ? tensorsOf(depth) * (this.#config.steps * c.stepPerTensor + this.#checkpoints * c.checkpointPerTensor) : 0;
  }

  /** Predicted seconds to analyse one batch (all seeds). */
  #analysis(): number {
    return this.#cost ? this.#checkpoints * this.#config.seeds * this.#cost.analysisPerCheckpoint : 0;
  }

  /** `emitted` of the batch's checkpoints are done. */
  training(depth: number, emitted: number, label: string): void {
    this.#report((this.#train(depth) * emitted) / this.#checkpoints, label);
  }

  trained(depth: number): void {
    this.#done += this.#train(depth);
  }

  /** One seed of a batch at `depth` is analysed. */
  analysed(label: string): void {
    this.#done += this.#analysis() / this.#config.seeds;
    this.#report(0, label);
  }

  #report(partial: number, label: string): void {
    if (!this.#hooks.onProgress) return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const done = this.#done + partial;
    const ratio = done > 0 ? elapsed / done : 1;
    this.#hooks.onProgress({
      fraction: this.#total > 0 ? Math.min(1, done / this.#total) : 0,
      elapsedSeconds: elapsed,
      etaSeconds: this.#cost ? Math.max(0, (this.#total - done) * ratio) : null,
      label,
    });
  }
}

/** What a run contributes to the summary. */
export function runOutcome(run: DepthRun): RunOutcome {
  const a = run.analysis;
  const c = a.conditions;
  return {
    architecture: run.architecture,
    depth: run.depth,
    seed: run.seed,
    epsilonLSI: a.theory.lsi?.epsilon ?? null,
    xi: a.fits.lossExponent.ok ? a.fits.lossExponent.xi : null,
    velocityExponent: a.fits.rigidity.ok ? a.fits.rigidity.aMean : null,
    finalLoss: run.train.finalLoss,
    sharpness: run.series.checkpoints.reduce<number | null>(
      (m, c) => (c.eigenvalues.length ? Math.max(m ?? 0, c.eigenvalues[0]!) : m),
      null,
    ),
    verdicts: { C1: c.C1.verdict, C2: c.C2.verdict, C3: c.C3.verdict, C4: c.C4.verdict },
    ...(a.theory.lsi ? {} : { lsiReason: a.theory.reason ?? 'not computable' }),
  };
}

/**
 * Times a few steps and one checkpoint of the deepest network (all seeds, first architecture) and
 * the analysis of two checkpoints, after a warm-up checkpoint: the basis of the estimate and the ETA.
 */
async function probeCosts(ctx: GpuContext, config: DepthStudyConfig, tasks: readonly Task[]): Promise<CostModel> {
  const depth = Math.max(...config.depths);
  const architecture = config.architectures[0]!;
  const seeds = studySeeds(config);
  using lab = await createLabBatch(
    ctx,
    seeds.map((s) => studyModel(config, architecture, depth, s)),
    tasks,
  );
  await lab.checkpoint({ learningRate: config.learningRate, layerKernels: false }); // warm-up (pipelines, allocation)
  const k = Math.min(16, config.steps);
  const probe: CheckpointData[] = [];
  const [summary] = await lab.train({
    steps: k,
    learningRate: config.learningRate,
    optimizer: 'gd',
    checkpoints: [0, k],
    stepsPerSubmission: k,
    layerKernels: false,
    onCheckpoint: (cps) => void probe.push({ t: cps[0]!.step, kernel: cps[0]!.kernel, residual: cps[0]!.residual }),
  });
  // Twice: the first pass also compiles the analysis code (JIT), which the study pays only once.
  let analysis = 0;
  for (let pass = 0; pass < 2; pass++) {
    const a0 = performance.now();
    await analyzeSeries(config.analysisBackend === 'gpu' ? ctx : 'cpu', probe, seriesOptions(config));
    analysis = (performance.now() - a0) / 1000 / probe.length;
  }
  return {
    stepPerTensor: summary!.stepSeconds / tensorsOf(depth),
    checkpointPerTensor: summary!.checkpointSeconds / tensorsOf(depth),
    analysisPerCheckpoint: analysis,
  };
}
