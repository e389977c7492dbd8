/**
 * The visualizer's CPU path, for browsers without WebGPU: the same study (task, model, log-spaced
 * checkpoints, per-layer learning rates) trained in float64 by grsd's reference network
 * (`reference.mlpGdStep`, `reference.mlpNtk`, the lab's twin) and analysed by the float64 `cpu`
 * backend of the series pipeline. Slower than the GPU: meant for small networks.
 */
import {
  checkpointSteps,
  GrsdSeries,
  initParameters,
  learningRateMultipliers,
  reference,
  resolveModel,
  studyTask,
  type CheckpointResult,
  type DepthStudyConfig,
  type IntervalResult,
  type SeriesResult,
} from 'grsd';

/** Progress callbacks of {@link runOnCpu}. */
export interface CpuRunHooks {
  onCheckpoint(series: SeriesResult, checkpoint: CheckpointResult, interval: IntervalResult | null, step: number): void | Promise<void>;
  /** Checked between steps: true stops the run. */
  stopped(): boolean;
}

/** Trains the config's first architecture and depth on the CPU; returns the series so far (all of it unless stopped). */
export async function runOnCpu(
  config: DepthStudyConfig,
  hooks: CpuRunHooks,
): Promise<{ series: SeriesResult; finalLoss: number; steps: number }> {
  const task = studyTask(config);
  const model = resolveModel({
    architecture: config.architectures[0]!,
    depth: config.depths[0]!,
    width: config.width,
    inputDim: config.task.inputDim,
    activation: config.activation,
    parametrization: config.parametrization,
    seed: config.seed,
  });
  const ratios = learningRateMultipliers(model);
  const at = new Set(checkpointSteps(config.steps, config.checkpoints));
  const rows = task.trainSize;
  using series = new GrsdSeries('cpu', {
    timeScale: config.learningRate / rows,
    seed: config.seed,
    gridOptions: { floorRelative: 1e-5, headroom: 2 },
  });
  let params: reference.MlpParameters = Object.fromEntries(
    Object.entries(initParameters(model)).map(([k, v]) => [k, Float64Array.from(v)]),
  );
  let loss = Number.NaN;
  let step = 0;
  let yielded = performance.now();
  for (; step <= config.steps && !hooks.stopped(); step++) {
    if (at.has(step)) {
      const f = reference.mlpForward(model, params, task.trainX, rows).outputs;
      const residual = Float64Array.from(f, (v, i) => v - task.trainY[i]!);
      const ntk = reference.mlpNtk(model, params, task.trainX, rows, ratios);
      const { checkpoint, interval } = await series.push({ t: step, kernel: ntk.kernel, layers: ntk.layers, residual });
      loss = checkpoint.loss;
      await hooks.onCheckpoint(series.result(), checkpoint, interval, step);
    }
    if (step < config.steps) params = reference.mlpGdStep(model, params, task.trainX, task.trainY, rows, config.learningRate, ratios);
    // Let the page draw and the Stop button act (about 30 times a second).
    if (performance.now() - yielded > 33) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      yielded = performance.now();
    }
  }
  return { series: series.result(), finalLoss: loss, steps: Math.min(step, config.steps) };
}
