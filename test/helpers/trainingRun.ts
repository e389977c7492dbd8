/**
 * A small real training run without a GPU: a residual tanh MLP trained by full-batch gradient
 * descent in float64 (src/reference/mlp.ts, the lab's twin) on a seeded teacher–student task,
 * with its empirical NTK, per-layer kernels and residual at log-spaced steps — the checkpoints a
 * user's training script would save. Used by the figure, report and `grsd serve` tests.
 */
import { checkpointSteps } from '../../src/experiments/depthStudy.ts';
import { initParameters, resolveModel } from '../../src/lab/models.ts';
import { teacherStudent } from '../../src/lab/tasks.ts';
import { mlpForward, mlpGdStep, mlpNtk, type MlpParameters } from '../../src/reference/mlp.ts';

export interface TrainingCheckpoint {
  readonly t: number;
  readonly kernel: Float64Array;
  readonly residual: Float64Array;
  readonly layers: Float64Array[];
}

export interface TrainingRunOptions {
  readonly depth?: number;
  readonly width?: number;
  readonly points?: number;
  readonly steps?: number;
  readonly checkpoints?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  /** Keep the per-layer kernels (default true). */
  readonly layers?: boolean;
}

/** The run: time scale η/N (t in optimizer steps) and a generator of its checkpoints. */
export function trainingRun(options: TrainingRunOptions = {}): {
  timeScale: number;
  probePoints: number;
  checkpoints: () => Generator<TrainingCheckpoint>;
} {
  const { depth = 2, width = 12, points = 20, steps = 60, checkpoints = 6, learningRate = 0.5, seed = 3, layers = true } = options;
  const task = teacherStudent({ inputDim: 4, trainSize: points, probeSize: 4, spectrumDecay: 1, seed });
  const model = resolveModel({ architecture: 'residual', depth, width, inputDim: 4, activation: 'tanh', parametrization: 'muP', seed });
  const at = new Set(checkpointSteps(steps, checkpoints));
  return {
    timeScale: learningRate / points,
    probePoints: points,
    *checkpoints() {
      let p: MlpParameters = Object.fromEntries(Object.entries(initParameters(model)).map(([k, v]) => [k, Float64Array.from(v)]));
      for (let s = 0; s <= steps; s++) {
        if (at.has(s)) {
          const f = mlpForward(model, p, task.trainX, points).outputs;
          const ntk = mlpNtk(model, p, task.trainX, points);
          yield {
            t: s,
            kernel: ntk.kernel,
            residual: Float64Array.from(f, (v, i) => v - task.trainY[i]!),
            layers: layers ? ntk.layers : [],
          };
        }
        if (s < steps) p = mlpGdStep(model, p, task.trainX, task.trainY, points, learningRate);
      }
    },
  };
}
