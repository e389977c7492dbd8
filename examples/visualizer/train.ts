/**
 * The visualizer's run: one network of a depth-study configuration trained by full-batch gradient
 * descent and streamed checkpoint by checkpoint through a GrsdSeries — on the page's WebGPU device
 * with the grsd lab, or, for browsers without WebGPU, in float64 on the CPU with grsd's reference
 * network (`reference.mlpGdStep`, `reference.mlpNtk`: the lab's twin) and the float64 `cpu`
 * series backend (slower: meant for small networks). Both use the same task, model, uniform
 * checkpoints and per-layer learning rates as `grsd demo`.
 */
import { GrsdSeries, type CheckpointResult, type GpuContext, type IntervalResult, type SeriesResult } from 'grsd';
import {
  checkpointSchedule,
  createLab,
  initParameters,
  learningRateMultipliers,
  resolveModel,
  studyTask,
  type DepthStudyConfig,
  type ModelConfig,
} from 'grsd/lab';
import * as reference from 'grsd/reference';

/** Callbacks of a run. */
export interface RunHooks {
  /** After every checkpoint, with the series so far. Throwing stops the run. */
  onCheckpoint(series: SeriesResult, checkpoint: CheckpointResult, interval: IntervalResult | null): void | Promise<void>;
  /** Checked between CPU steps (and at every checkpoint): true stops the run there. */
  stopped(): boolean;
}

/** What a run produced (all of it, or up to where it was stopped). */
export interface RunOutcome {
  readonly series: SeriesResult | null;
  readonly finalLoss: number;
  readonly steps: number;
  /** Backward gains of the first checkpoint (model diagnostics for C1), when available. */
  readonly layerGains: number[] | null;
  readonly stopped: boolean;
}

class Stop extends Error {}

function model(config: DepthStudyConfig): ModelConfig {
  return {
    architecture: config.architectures[0]!,
    depth: config.depths[0]!,
    width: config.width,
    inputDim: config.task.inputDim,
    activation: config.activation,
    parametrization: config.parametrization,
    seed: config.seed,
  };
}

/**
 * The series of a run. The grid is built from the first checkpoint (a live run cannot know its
 * largest eigenvalue ahead): four shells (one decade) of headroom hold a growing λ_max; the
 * eigenvalue figure and the analysis's coverage say when eigenvalues were clamped above it.
 */
function newSeries(backend: GpuContext | 'cpu', config: DepthStudyConfig): GrsdSeries {
  return new GrsdSeries(backend, {
    timeScale: config.learningRate / config.task.points,
    seed: config.seed,
    gridOptions: { floorRelative: 1e-5, headroom: 4 },
  });
}

/** Trains on the GPU with the grsd lab. */
export async function runOnGpu(ctx: GpuContext, config: DepthStudyConfig, hooks: RunHooks): Promise<RunOutcome> {
  using lab = await createLab(ctx, model(config), studyTask(config));
  using series = newSeries(ctx, config);
  let gains: number[] | null = null;
  try {
    const train = await lab.train({
      steps: config.steps,
      learningRate: config.learningRate,
      optimizer: 'gd',
      checkpoints: checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth),
      onCheckpoint: async (cp) => {
        if (hooks.stopped()) throw new Stop();
        gains ??= cp.diagnostics.layerGains;
        const step = await series.push({ t: cp.step, kernel: cp.kernel, layers: cp.layers, residual: cp.residual });
        await hooks.onCheckpoint(series.result(), step.checkpoint, step.interval);
      },
    });
    return { series: series.result(), finalLoss: train.finalLoss, steps: train.steps, layerGains: gains, stopped: false };
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const result = series.checkpoints.length ? series.result() : null;
    return {
      series: result,
      finalLoss: result?.checkpoints.at(-1)?.loss ?? Number.NaN,
      steps: result?.checkpoints.at(-1)?.t ?? 0,
      layerGains: gains,
      stopped: true,
    };
  }
}

/** Trains in float64 on the CPU with the reference network. */
export async function runOnCpu(config: DepthStudyConfig, hooks: RunHooks): Promise<RunOutcome> {
  const task = studyTask(config);
  const m = resolveModel(model(config));
  const ratios = learningRateMultipliers(m);
  const at = new Set(checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth));
  const rows = task.trainSize;
  using series = newSeries('cpu', config);
  let params: reference.MlpParameters = Object.fromEntries(Object.entries(initParameters(m)).map(([k, v]) => [k, Float64Array.from(v)]));
  let yielded = performance.now();
  let step = 0;
  for (; step <= config.steps; step++) {
    if (hooks.stopped()) break;
    if (at.has(step)) {
      const f = reference.mlpForward(m, params, task.trainX, rows).outputs;
      const residual = Float64Array.from(f, (v, i) => v - task.trainY[i]!);
      const ntk = reference.mlpNtk(m, params, task.trainX, rows, ratios);
      const { checkpoint, interval } = await series.push({ t: step, kernel: ntk.kernel, layers: ntk.layers, residual });
      await hooks.onCheckpoint(series.result(), checkpoint, interval);
    }
    if (step < config.steps) params = reference.mlpGdStep(m, params, task.trainX, task.trainY, rows, config.learningRate, ratios);
    // Let the page draw and the Stop button act (about 30 times a second).
    if (performance.now() - yielded > 33) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      yielded = performance.now();
    }
  }
  const result = series.checkpoints.length ? series.result() : null;
  const stopped = step <= config.steps;
  return {
    series: result,
    finalLoss: result?.checkpoints.at(-1)?.loss ?? Number.NaN,
    steps: Math.min(step, config.steps),
    layerGains: null,
    stopped,
  };
}
