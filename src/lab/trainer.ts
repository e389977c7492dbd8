/**
 * The training lab on the GPU: trains a {@link ModelConfig} on a {@link Task} with full-batch
 * gradient descent or minibatch SGD, and at chosen steps emits a {@link LabCheckpoint} with
 * everything the GRSD pipeline consumes: the probe residual e, the per-layer empirical NTKs K_l
 * and their learning-rate-weighted sum K_eff, the time scale η/N, and the backward-gain and
 * feature-update diagnostics (docs/lab.md).
 *
 * Everything runs in WGSL: matrix products on `gemm`, activations, skips, residuals, Hadamard
 * products and updates on the `elementwise` family, reductions on `batchedDot`. The pieces:
 * the buffers (./buffers.ts), the recorded passes (./passes.ts), the checkpoint with the NTK
 * (./ntkCheckpoint.ts) and the training batches (./batches.ts); this module holds the API and
 * the training loop. Float64 twin: src/reference/mlp.ts.
 * @module
 */
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { readStaging, record } from '../gpu/recorder.ts';
import { createBatchedDot } from '../kernels/batchedDot.ts';
import { createElementwise } from '../kernels/elementwise.ts';
import { createGemm } from '../kernels/gemm.ts';
import { fullBatches, shuffledBatches, type BatchSource } from './batches.ts';
import { allocateLabBuffers, labSizes, type LabSizes, type OwnedLabBuffers } from './buffers.ts';
import {
  initParameters,
  learningRateMultipliers,
  resolveModel,
  type LearningRateOptions,
  type ModelConfig,
  type ResolvedModel,
} from './models.ts';
import { takeCheckpoint, type CheckpointSource, type LabCheckpoint } from './ntkCheckpoint.ts';
import { LabPasses, type LabKernels } from './passes.ts';
import type { Task } from './tasks.ts';
import { checkLearningRate, checkStep, checkTask, divergence } from './validation.ts';

export type { LabCheckpoint } from './ntkCheckpoint.ts';

/** Options of {@link Lab.train}. */
export interface TrainOptions extends LearningRateOptions {
  /** Optimizer steps (≥ 0). Steps count from 0 in every call. */
  readonly steps: number;
  /** η > 0. */
  readonly learningRate: number;
  /** `gd`: full batch; `sgd`: minibatches of `batchSize` from a seeded per-epoch permutation. */
  readonly optimizer: 'gd' | 'sgd';
  /** SGD minibatch size, 1…N. Default min(32, N). The last batch of an epoch may be smaller. */
  readonly batchSize?: number;
  /** Seed of the SGD permutations. Default: the model's seed + 1. */
  readonly seed?: number;
  /** Steps at which to checkpoint (0…steps; 0 = before the first update). */
  readonly checkpoints: readonly number[];
  /**
   * Called at every checkpoint, and awaited. No GPU work is in flight then: it may read the
   * parameters or call other methods of the lab (not dispose it).
   */
  readonly onCheckpoint: (checkpoint: LabCheckpoint) => Promise<void> | void;
  /** Steps recorded per GPU submission (the loss is checked after each). Default 16. */
  readonly stepsPerSubmission?: number;
}

/** What {@link Lab.train} returns. */
export interface TrainSummary {
  readonly steps: number;
  /** Loss of every step before its update (the minibatch loss for SGD). */
  readonly losses: Float64Array;
  /** Full-batch training loss after the last step. */
  readonly finalLoss: number;
  /** Number of checkpoints emitted. */
  readonly checkpoints: number;
  /** Wall time of the whole call, seconds. */
  readonly seconds: number;
  /** Mean wall time of one optimizer step (GPU work and loss read-back; checkpoints excluded), seconds. */
  readonly stepSeconds: number;
  /** Mean wall time of one checkpoint (GPU work and read-back; the callback excluded), seconds. */
  readonly checkpointSeconds: number;
}

/** Options of {@link Lab.checkpoint}. */
export interface CheckpointOptions extends LearningRateOptions {
  /** η, for timeScale = η/N. */
  readonly learningRate: number;
  /** Step number to report. Default 0. */
  readonly step?: number;
}

/** A model and a task resident on the GPU. Create with {@link createLab}. */
export interface Lab extends Disposable {
  readonly model: ResolvedModel;
  readonly task: Task;
  /** Parameter tensor names, in the order of `LabCheckpoint.layers`. */
  readonly layerNames: readonly string[];
  /** Trains from the current parameters; see {@link TrainOptions}. */
  train(options: TrainOptions): Promise<TrainSummary>;
  /** A checkpoint at the current parameters (no training). */
  checkpoint(options: CheckpointOptions): Promise<LabCheckpoint>;
  /** Reads the current parameters back (row-major fan_out × fan_in per tensor). */
  parameters(): Promise<Record<string, Float32Array>>;
  /** Overwrites the current parameters (every tensor must be given, with its full length). */
  setParameters(values: Readonly<Record<string, ArrayLike<number>>>): Promise<void>;
  /** Full-batch gradients ∂L/∂W of the training loss at the current parameters. */
  gradients(): Promise<Record<string, Float32Array>>;
  /** Frees every GPU buffer of the lab. Idempotent. */
  dispose(): void;
}

/** Divergence: the loss grew by more than this factor over the first step's. */
const DIVERGENCE_FACTOR = 1e6;

/**
 * Uploads `task` and the initial parameters of `model` and compiles the kernels. Throws
 * {@link InvalidArgumentError} for an invalid model or a model that does not fit the task.
 */
export async function createLab(ctx: GpuContext, model: ModelConfig, task: Task): Promise<Lab> {
  const resolved = resolveModel(model);
  checkTask(resolved, task);
  const [gemm, dot, ew] = await Promise.all([
    createGemm(ctx),
    createBatchedDot(ctx),
    createElementwise(ctx, { activations: [resolved.activation] }),
  ]);
  const buffers = await allocateLabBuffers(ctx, resolved, task, initParameters(resolved));
  return new GpuLab(ctx, resolved, task, { gemm, dot, ew }, buffers);
}

/** The validated {@link TrainOptions}. */
interface TrainPlan {
  readonly steps: number;
  readonly learningRate: number;
  readonly optimizer: 'gd' | 'sgd';
  readonly batchSize: number;
  readonly perSubmission: number;
  /** Distinct checkpoint steps, ascending. */
  readonly checkpoints: readonly number[];
  readonly seed: number;
}

function trainPlan(options: TrainOptions, model: ResolvedModel, trainSize: number): TrainPlan {
  const { steps, learningRate, optimizer } = options;
  checkStep('steps', steps);
  checkLearningRate(learningRate);
  if (optimizer !== 'gd' && optimizer !== 'sgd') {
    throw new InvalidArgumentError('optimizer', `unknown optimizer ${JSON.stringify(optimizer)}: use 'gd' or 'sgd'`);
  }
  const N = trainSize;
  const batchSize = optimizer === 'sgd' ? (options.batchSize ?? Math.min(32, N)) : N;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > N) {
    throw new InvalidArgumentError('batchSize', `must be an integer in 1…${N} (the training set size), got ${batchSize}`);
  }
  const perSubmission = options.stepsPerSubmission ?? 16;
  if (!Number.isInteger(perSubmission) || perSubmission < 1) {
    throw new InvalidArgumentError('stepsPerSubmission', `must be a positive integer, got ${perSubmission}`);
  }
  if (!Array.isArray(options.checkpoints))
    throw new InvalidArgumentError('checkpoints', 'must be an array of step numbers (e.g. [0, 10, 100])');
  for (const s of options.checkpoints) {
    if (!Number.isInteger(s) || s < 0 || s > steps) {
      throw new InvalidArgumentError('checkpoints', `every checkpoint must be an integer step in 0…${steps}, got ${s}`);
    }
  }
  if (typeof options.onCheckpoint !== 'function') throw new InvalidArgumentError('onCheckpoint', 'must be a function');
  const seed = options.seed ?? model.config.seed + 1;
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${seed}`);
  const checkpoints = [...new Set(options.checkpoints)].sort((a, b) => a - b);
  return { steps, learningRate, optimizer, batchSize, perSubmission, checkpoints, seed };
}

class GpuLab implements Lab {
  readonly model: ResolvedModel;
  readonly task: Task;
  readonly layerNames: readonly string[];
  readonly #ctx: GpuContext;
  readonly #sizes: LabSizes;
  readonly #buffers: OwnedLabBuffers;
  readonly #passes: LabPasses;
  readonly #checkpointSource: CheckpointSource;
  #disposed = false;
  #busy = false;

  constructor(ctx: GpuContext, model: ResolvedModel, task: Task, kernels: LabKernels, buffers: OwnedLabBuffers) {
    this.#ctx = ctx;
    this.model = model;
    this.task = task;
    this.layerNames = model.tensors.map((t) => t.name);
    this.#sizes = labSizes(model, task);
    this.#buffers = buffers;
    this.#passes = new LabPasses(kernels, model, this.#sizes, buffers);
    this.#checkpointSource = {
      ctx,
      kernels,
      passes: this.#passes,
      model,
      sizes: this.#sizes,
      buffers,
      probeSize: task.probeSize,
    };
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('Lab');
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    if (this.#busy) throw new InvalidArgumentError('lab', 'is busy with another call: await it before starting the next');
    this.#busy = true;
    try {
      return await fn();
    } finally {
      this.#busy = false;
    }
  }

  #ratios(options: LearningRateOptions): number[] {
    const r = learningRateMultipliers(this.model, options);
    return this.model.tensors.map((t) => r[t.name]!);
  }

  parameters(): Promise<Record<string, Float32Array>> {
    return this.#exclusive(() => this.#readTensors(this.#buffers.W, 'lab parameters'));
  }

  async #readTensors(buffers: readonly GPUBuffer[], label: string): Promise<Record<string, Float32Array>> {
    const tensors = this.model.tensors;
    const staging = await record(this.#ctx, label, (rec) => tensors.map((t, i) => rec.stage(buffers[i]!, 0, t.rows * t.cols * 4)));
    const out: Record<string, Float32Array> = {};
    for (let i = 0; i < staging.length; i++) out[tensors[i]!.name] = new Float32Array(await readStaging(this.#ctx, staging[i]!));
    return out;
  }

  setParameters(values: Readonly<Record<string, ArrayLike<number>>>): Promise<void> {
    return this.#exclusive(async () => {
      for (const name of Object.keys(values)) {
        if (!this.layerNames.includes(name)) {
          throw new InvalidArgumentError('values', `unknown tensor "${name}": this model's tensors are ${this.layerNames.join(', ')}`);
        }
      }
      const arrays = this.model.tensors.map((t) => {
        const v = values[t.name];
        if (!v || v.length !== t.rows * t.cols) {
          throw new InvalidArgumentError(
            `values.${t.name}`,
            `must hold ${t.rows * t.cols} elements (${t.rows} × ${t.cols}), got ${v ? v.length : 'nothing'}`,
          );
        }
        return Float32Array.from(v);
      });
      arrays.forEach((a, i) => this.#ctx.device.queue.writeBuffer(this.#buffers.W[i]!, 0, a.buffer, a.byteOffset, a.byteLength));
      await this.#ctx.done();
    });
  }

  gradients(): Promise<Record<string, Float32Array>> {
    return this.#exclusive(async () => {
      const b = this.#buffers;
      await record(this.#ctx, 'lab gradients', (rec) => {
        this.#passes.gradient(rec, { buffer: b.trainX }, { buffer: b.trainY }, this.#sizes.N, b.loss, 0);
      });
      return this.#readTensors(b.G, 'lab gradients read');
    });
  }

  checkpoint(options: CheckpointOptions): Promise<LabCheckpoint> {
    return this.#exclusive(async () => {
      checkLearningRate(options.learningRate);
      const step = options.step ?? 0;
      checkStep('step', step);
      return takeCheckpoint(this.#checkpointSource, step, options.learningRate, this.#ratios(options));
    });
  }

  /** Full-batch training loss at the current parameters. */
  async #trainLoss(): Promise<number> {
    const b = this.#buffers;
    const staging = await record(this.#ctx, 'lab loss', (rec) => {
      this.#passes.loss(rec, { buffer: b.trainX }, { buffer: b.trainY }, this.#sizes.N, b.loss, 0);
      return rec.stage(b.loss, 0, 4);
    });
    return new Float32Array(await readStaging(this.#ctx, staging))[0]! / (2 * this.#sizes.N);
  }

  train(options: TrainOptions): Promise<TrainSummary> {
    return this.#exclusive(() => this.#train(options));
  }

  async #train(options: TrainOptions): Promise<TrainSummary> {
    const plan = trainPlan(options, this.model, this.#sizes.N);
    const ratios = this.#ratios(options);
    const { steps, learningRate, checkpoints } = plan;
    const start = performance.now();
    const losses = new Float64Array(steps);
    const history = await this.#ctx.createBuffer({
      label: 'lab loss history',
      size: Math.max(16, plan.perSubmission * 4),
      usage: STORAGE_USAGE,
    });
    let trainTime = 0;
    let checkpointTime = 0;
    let emitted = 0;
    let finalLoss = Number.NaN;
    try {
      using batches: BatchSource =
        plan.optimizer === 'sgd'
          ? await shuffledBatches(this.#ctx, this.task, plan.batchSize, plan.seed)
          : fullBatches(this.#buffers.trainX, this.#buffers.trainY, this.#sizes.N);
      let reference = Number.NaN;
      let next = 0;
      for (let step = 0; ;) {
        if (next < checkpoints.length && checkpoints[next] === step) {
          const t0 = performance.now();
          const cp = await takeCheckpoint(this.#checkpointSource, step, learningRate, ratios);
          checkpointTime += performance.now() - t0;
          emitted++;
          next++;
          if (step === steps) finalLoss = cp.loss;
          await this.#callOut(() => options.onCheckpoint(cp));
        }
        if (step >= steps) break;
        let end = Math.min(steps, step + plan.perSubmission);
        if (next < checkpoints.length) end = Math.min(end, checkpoints[next]!);
        end = batches.prepare(step, end);
        const t0 = performance.now();
        const first = step;
        const staging = await record(this.#ctx, 'lab train', (rec) => {
          for (let s = first; s < end; s++) {
            const { x, y, rows } = batches.batch(s);
            this.#passes.gradient(rec, x, y, rows, history, s - first);
            this.#passes.update(rec, learningRate, ratios);
          }
          return rec.stage(history, 0, (end - first) * 4);
        });
        const sq = new Float32Array(await readStaging(this.#ctx, staging));
        trainTime += performance.now() - t0;
        for (let s = first; s < end; s++) {
          const loss = sq[s - first]! / (2 * batches.batch(s).rows);
          losses[s] = loss;
          if (s === 0) reference = loss;
          const limit = DIVERGENCE_FACTOR * Math.max(reference, 1e-30);
          if (!Number.isFinite(loss) || loss > limit) throw divergence(s, loss, learningRate, `(it was ${reference} at step 0)`);
        }
        step = end;
      }
      if (Number.isNaN(finalLoss)) finalLoss = await this.#trainLoss();
      if (!Number.isFinite(finalLoss)) throw divergence(steps, finalLoss, learningRate, 'after the last step');
    } finally {
      this.#ctx.destroyBuffer(history);
    }
    return {
      steps,
      losses,
      finalLoss,
      checkpoints: emitted,
      seconds: (performance.now() - start) / 1000,
      stepSeconds: steps > 0 ? trainTime / steps / 1000 : 0,
      checkpointSeconds: emitted > 0 ? checkpointTime / emitted / 1000 : 0,
    };
  }

  /**
   * Runs a user callback while nothing is in flight: it may call parameters(), checkpoint() and
   * the like (not dispose the lab).
   */
  async #callOut(fn: () => Promise<void> | void): Promise<void> {
    this.#busy = false;
    try {
      await fn();
    } finally {
      this.#busy = true;
    }
    this.#check();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#buffers.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
