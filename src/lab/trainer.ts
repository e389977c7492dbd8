/**
 * The training lab on the GPU: trains a {@link ModelConfig} on a {@link Task} with full-batch
 * gradient descent or minibatch SGD, and at chosen steps emits a {@link LabCheckpoint} with
 * everything the GRSD pipeline consumes: the probe residual e, the per-layer empirical NTKs K_l
 * and their learning-rate-weighted sum K_eff, the time scale η/N, and the backward-gain and
 * feature-update diagnostics (docs/lab.md).
 *
 * {@link createLabBatch} trains several replicas (networks of one shape, each with its own
 * initialization and task, e.g. the seeds of a study) in lockstep: every product is one gemm
 * batched over the replicas and every elementwise operation one dispatch over all of them, so a
 * batch of S costs far less than S labs where dispatch overhead dominates (software adapters,
 * small networks). {@link createLab} is a batch of one.
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
import { takeCheckpoints, type CheckpointSource, type LabCheckpoint } from './ntkCheckpoint.ts';
import { LabPasses, type LabKernels } from './passes.ts';
import type { Task } from './tasks.ts';
import { checkLearningRate, checkStep, checkTask, divergence } from './validation.ts';

export type { LabCheckpoint } from './ntkCheckpoint.ts';

/** Options of {@link Lab.train} and {@link LabBatch.train}, without the callback. */
export interface TrainRunOptions extends LearningRateOptions {
  /** Optimizer steps (≥ 0). Steps count from 0 in every call. */
  readonly steps: number;
  /** η > 0. */
  readonly learningRate: number;
  /** `gd`: full batch; `sgd`: minibatches of `batchSize` from a seeded per-epoch permutation. */
  readonly optimizer: 'gd' | 'sgd';
  /** SGD minibatch size, 1…N. Default min(32, N). The last batch of an epoch may be smaller. */
  readonly batchSize?: number;
  /**
   * Seed of the SGD permutations. Default: the model's seed + 1. In a batch, replica r uses
   * `seed + r` (default: its own model's seed + 1).
   */
  readonly seed?: number;
  /** Steps at which to checkpoint (0…steps; 0 = before the first update). */
  readonly checkpoints: readonly number[];
  /** Steps recorded per GPU submission (the loss is checked after each). Default 16. */
  readonly stepsPerSubmission?: number;
  /**
   * Read the per-layer kernels back into `LabCheckpoint.layers` (default true). False saves the
   * read-back of #tensors n × n matrices per checkpoint when only K_eff is needed.
   */
  readonly layerKernels?: boolean;
}

/** Options of {@link Lab.train}. */
export interface TrainOptions extends TrainRunOptions {
  /**
   * Called at every checkpoint, and awaited. No GPU work is in flight then: it may read the
   * parameters or call other methods of the lab (not dispose it).
   */
  readonly onCheckpoint: (checkpoint: LabCheckpoint) => Promise<void> | void;
}

/** Options of {@link LabBatch.train}. */
export interface BatchTrainOptions extends TrainRunOptions {
  /** Called at every checkpoint with one checkpoint per replica, and awaited (as {@link TrainOptions.onCheckpoint}). */
  readonly onCheckpoint: (checkpoints: LabCheckpoint[]) => Promise<void> | void;
}

/** What {@link Lab.train} returns (per replica for {@link LabBatch.train}; the timings are shared). */
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
  /** Read the per-layer kernels back (default true); see {@link TrainRunOptions.layerKernels}. */
  readonly layerKernels?: boolean;
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

/**
 * Replicas of one model shape resident on the GPU and trained in lockstep. Create with
 * {@link createLabBatch}. Every method works on all replicas; arrays are indexed by replica.
 */
export interface LabBatch extends Disposable {
  /** Replica r's model (they differ only in their seed). */
  readonly models: readonly ResolvedModel[];
  readonly tasks: readonly Task[];
  /** Parameter tensor names, in the order of `LabCheckpoint.layers`. */
  readonly layerNames: readonly string[];
  train(options: BatchTrainOptions): Promise<TrainSummary[]>;
  checkpoint(options: CheckpointOptions): Promise<LabCheckpoint[]>;
  parameters(): Promise<Record<string, Float32Array>[]>;
  setParameters(values: readonly Readonly<Record<string, ArrayLike<number>>>[]): Promise<void>;
  gradients(): Promise<Record<string, Float32Array>[]>;
  dispose(): void;
}

/** Divergence: the loss grew by more than this factor over the first step's. */
const DIVERGENCE_FACTOR = 1e6;

/**
 * Uploads `task` and the initial parameters of `model` and compiles the kernels. Throws
 * {@link InvalidArgumentError} for an invalid model or a model that does not fit the task.
 */
export async function createLab(ctx: GpuContext, model: ModelConfig, task: Task): Promise<Lab> {
  return new SingleLab(await createLabBatch(ctx, [model], [task]));
}

/**
 * A batch of replicas: replica r is `models[r]` on `tasks[r]`. The models must differ only in
 * their seed, and the tasks must have the same sizes. Throws {@link InvalidArgumentError}
 * otherwise, and for anything {@link createLab} rejects.
 */
export async function createLabBatch(ctx: GpuContext, models: readonly ModelConfig[], tasks: readonly Task[]): Promise<LabBatch> {
  if (!Array.isArray(models) || models.length === 0) throw new InvalidArgumentError('models', 'give at least one model');
  if (!Array.isArray(tasks) || tasks.length !== models.length) {
    throw new InvalidArgumentError(
      'tasks',
      `must hold one task per model (${models.length}), got ${Array.isArray(tasks) ? tasks.length : typeof tasks}`,
    );
  }
  const resolved = models.map((m) => resolveModel(m));
  resolved.forEach((m, r) => {
    checkTask(m, tasks[r]!);
    if (r === 0) return;
    const shape = (x: ResolvedModel) => JSON.stringify({ ...x, config: { ...x.config, seed: 0 } });
    if (shape(m) !== shape(resolved[0]!)) {
      throw new InvalidArgumentError(`models[${r}]`, 'must equal models[0] except for its seed (the replicas of a batch share one shape)');
    }
    for (const key of ['trainSize', 'probeSize', 'inputDim', 'outputs'] as const) {
      if (tasks[r]![key] !== tasks[0]![key]) {
        throw new InvalidArgumentError(`tasks[${r}].${key}`, `must equal tasks[0].${key} = ${tasks[0]![key]}, got ${tasks[r]![key]}`);
      }
    }
  });
  const [gemm, dot, ew] = await Promise.all([
    createGemm(ctx),
    createBatchedDot(ctx),
    createElementwise(ctx, { activations: [resolved[0]!.activation] }),
  ]);
  const buffers = await allocateLabBuffers(
    ctx,
    resolved[0]!,
    tasks,
    resolved.map((m) => initParameters(m)),
  );
  return new GpuLabBatch(ctx, resolved, tasks, { gemm, dot, ew }, buffers);
}

/** The validated {@link TrainRunOptions}. */
interface TrainPlan {
  readonly steps: number;
  readonly learningRate: number;
  readonly optimizer: 'gd' | 'sgd';
  readonly batchSize: number;
  readonly perSubmission: number;
  /** Distinct checkpoint steps, ascending. */
  readonly checkpoints: readonly number[];
  /** SGD seed per replica. */
  readonly seeds: readonly number[];
}

function trainPlan(options: BatchTrainOptions | TrainOptions, models: readonly ResolvedModel[], trainSize: number): TrainPlan {
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
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new InvalidArgumentError('seed', `must be an integer, got ${options.seed}`);
  }
  const seeds = models.map((m, r) => (options.seed === undefined ? m.config.seed + 1 : options.seed + r));
  const checkpoints = [...new Set(options.checkpoints)].sort((a, b) => a - b);
  return { steps, learningRate, optimizer, batchSize, perSubmission, checkpoints, seeds };
}

class GpuLabBatch implements LabBatch {
  readonly models: readonly ResolvedModel[];
  readonly tasks: readonly Task[];
  readonly layerNames: readonly string[];
  readonly #ctx: GpuContext;
  readonly #model: ResolvedModel;
  readonly #sizes: LabSizes;
  readonly #buffers: OwnedLabBuffers;
  readonly #passes: LabPasses;
  readonly #checkpointSource: CheckpointSource;
  #disposed = false;
  #busy = false;

  constructor(ctx: GpuContext, models: readonly ResolvedModel[], tasks: readonly Task[], kernels: LabKernels, buffers: OwnedLabBuffers) {
    this.#ctx = ctx;
    this.models = models;
    this.tasks = tasks;
    this.#model = models[0]!;
    this.layerNames = this.#model.tensors.map((t) => t.name);
    this.#sizes = labSizes(this.#model, tasks[0]!, models.length);
    this.#buffers = buffers;
    this.#passes = new LabPasses(kernels, this.#model, this.#sizes, buffers);
    this.#checkpointSource = {
      ctx,
      kernels,
      passes: this.#passes,
      model: this.#model,
      sizes: this.#sizes,
      buffers,
      probeSize: tasks[0]!.probeSize,
      replicaName: (r) => this.#replicaName(r),
    };
  }

  /** How replica r is named in errors ('' for a lone network). */
  #replicaName(r: number): string {
    return this.models.length === 1 ? '' : ` in replica ${r} (model seed ${this.models[r]!.config.seed})`;
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
    const r = learningRateMultipliers(this.#model, options);
    return this.#model.tensors.map((t) => r[t.name]!);
  }

  parameters(): Promise<Record<string, Float32Array>[]> {
    return this.#exclusive(() => this.#readTensors(this.#buffers.W, 'lab parameters'));
  }

  /** Reads one buffer per tensor (S replica blocks each) and splits it by replica. */
  async #readTensors(buffers: readonly GPUBuffer[], label: string): Promise<Record<string, Float32Array>[]> {
    const { S } = this.#sizes;
    const tensors = this.#model.tensors;
    const staging = await record(this.#ctx, label, (rec) => tensors.map((t, i) => rec.stage(buffers[i]!, 0, S * t.rows * t.cols * 4)));
    const out: Record<string, Float32Array>[] = Array.from({ length: S }, () => ({}));
    for (let i = 0; i < staging.length; i++) {
      const all = new Float32Array(await readStaging(this.#ctx, staging[i]!));
      const size = tensors[i]!.rows * tensors[i]!.cols;
      out.forEach((o, r) => (o[tensors[i]!.name] = all.slice(r * size, (r + 1) * size)));
    }
    return out;
  }

  setParameters(values: readonly Readonly<Record<string, ArrayLike<number>>>[]): Promise<void> {
    return this.#exclusive(async () => {
      const { S } = this.#sizes;
      if (!Array.isArray(values) || values.length !== S) {
        throw new InvalidArgumentError(
          'values',
          `must hold one record per replica (${S}), got ${Array.isArray(values) ? values.length : typeof values}`,
        );
      }
      const prefix = (r: number) => (S === 1 ? 'values' : `values[${r}]`);
      values.forEach((v, r) => {
        for (const name of Object.keys(v)) {
          if (!this.layerNames.includes(name)) {
            throw new InvalidArgumentError(prefix(r), `unknown tensor "${name}": this model's tensors are ${this.layerNames.join(', ')}`);
          }
        }
      });
      const arrays = this.#model.tensors.map((t) => {
        const size = t.rows * t.cols;
        const all = new Float32Array(S * size);
        values.forEach((vr, r) => {
          const v = vr[t.name];
          if (!v || v.length !== size) {
            throw new InvalidArgumentError(
              `${prefix(r)}.${t.name}`,
              `must hold ${size} elements (${t.rows} × ${t.cols}), got ${v ? v.length : 'nothing'}`,
            );
          }
          all.set(Float32Array.from(v), r * size);
        });
        return all;
      });
      arrays.forEach((a, i) => this.#ctx.device.queue.writeBuffer(this.#buffers.W[i]!, 0, a.buffer, a.byteOffset, a.byteLength));
      await this.#ctx.done();
    });
  }

  gradients(): Promise<Record<string, Float32Array>[]> {
    return this.#exclusive(async () => {
      const b = this.#buffers;
      await record(this.#ctx, 'lab gradients', (rec) => {
        this.#passes.gradient(rec, { buffer: b.trainX }, { buffer: b.trainY }, this.#sizes.N, b.loss, 0);
      });
      return this.#readTensors(b.G, 'lab gradients read');
    });
  }

  checkpoint(options: CheckpointOptions): Promise<LabCheckpoint[]> {
    return this.#exclusive(async () => {
      checkLearningRate(options.learningRate);
      const step = options.step ?? 0;
      checkStep('step', step);
      return takeCheckpoints(this.#checkpointSource, step, options.learningRate, this.#ratios(options), options.layerKernels ?? true);
    });
  }

  /** Full-batch training loss of every replica at the current parameters. */
  async #trainLoss(): Promise<number[]> {
    const b = this.#buffers;
    const { S, N } = this.#sizes;
    const staging = await record(this.#ctx, 'lab loss', (rec) => {
      this.#passes.loss(rec, { buffer: b.trainX }, { buffer: b.trainY }, N, b.loss, 0);
      return rec.stage(b.loss, 0, S * 4);
    });
    return Array.from(new Float32Array(await readStaging(this.#ctx, staging)), (sq) => sq / (2 * N));
  }

  train(options: BatchTrainOptions): Promise<TrainSummary[]> {
    return this.#exclusive(() => this.#train(options));
  }

  async #train(options: BatchTrainOptions): Promise<TrainSummary[]> {
    const plan = trainPlan(options, this.models, this.#sizes.N);
    const ratios = this.#ratios(options);
    const { S } = this.#sizes;
    const { steps, learningRate, checkpoints } = plan;
    const start = performance.now();
    const losses = Array.from({ length: S }, () => new Float64Array(steps));
    const history = await this.#ctx.createBuffer({
      label: 'lab loss history',
      size: Math.max(16, plan.perSubmission * S * 4),
      usage: STORAGE_USAGE,
    });
    let trainTime = 0;
    let checkpointTime = 0;
    let emitted = 0;
    let finalLoss: number[] | null = null;
    try {
      using batches: BatchSource =
        plan.optimizer === 'sgd'
          ? await shuffledBatches(this.#ctx, this.tasks, plan.batchSize, plan.seeds)
          : fullBatches(this.#buffers.trainX, this.#buffers.trainY, this.#sizes.N);
      const reference = new Float64Array(S).fill(Number.NaN);
      let next = 0;
      for (let step = 0; ;) {
        if (next < checkpoints.length && checkpoints[next] === step) {
          const t0 = performance.now();
          const cps = await takeCheckpoints(this.#checkpointSource, step, learningRate, ratios, options.layerKernels ?? true);
          checkpointTime += performance.now() - t0;
          emitted++;
          next++;
          if (step === steps) finalLoss = cps.map((cp) => cp.loss);
          await this.#callOut(() => options.onCheckpoint(cps));
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
            this.#passes.gradient(rec, x, y, rows, history, (s - first) * S);
            this.#passes.update(rec, learningRate, ratios);
          }
          return rec.stage(history, 0, (end - first) * S * 4);
        });
        const sq = new Float32Array(await readStaging(this.#ctx, staging));
        trainTime += performance.now() - t0;
        for (let s = first; s < end; s++) {
          const rows = batches.batch(s).rows;
          for (let r = 0; r < S; r++) {
            const loss = sq[(s - first) * S + r]! / (2 * rows);
            losses[r]![s] = loss;
            if (s === 0) reference[r] = loss;
            const limit = DIVERGENCE_FACTOR * Math.max(reference[r]!, 1e-30);
            if (!Number.isFinite(loss) || loss > limit) {
              throw divergence(s, loss, learningRate, `(it was ${reference[r]} at step 0)${this.#replicaName(r)}`);
            }
          }
        }
        step = end;
      }
      finalLoss ??= await this.#trainLoss();
      finalLoss.forEach((loss, r) => {
        if (!Number.isFinite(loss)) throw divergence(steps, loss, learningRate, `after the last step${this.#replicaName(r)}`);
      });
    } finally {
      this.#ctx.destroyBuffer(history);
    }
    const seconds = (performance.now() - start) / 1000;
    return losses.map((l, r) => ({
      steps,
      losses: l,
      finalLoss: finalLoss![r]!,
      checkpoints: emitted,
      seconds,
      stepSeconds: steps > 0 ? trainTime / steps / 1000 : 0,
      checkpointSeconds: emitted > 0 ? checkpointTime / emitted / 1000 : 0,
    }));
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

/** A {@link Lab}: a batch of one. */
class SingleLab implements Lab {
  readonly #batch: LabBatch;

  constructor(batch: LabBatch) {
    this.#batch = batch;
  }

  get model(): ResolvedModel {
    return this.#batch.models[0]!;
  }

  get task(): Task {
    return this.#batch.tasks[0]!;
  }

  get layerNames(): readonly string[] {
    return this.#batch.layerNames;
  }

  async train(options: TrainOptions): Promise<TrainSummary> {
    const onCheckpoint = options?.onCheckpoint;
    if (typeof onCheckpoint !== 'function') {
      // Validated here too: the batch sees the wrapper below.
      return (await this.#batch.train(options as unknown as BatchTrainOptions))[0]!;
    }
    const [summary] = await this.#batch.train({ ...options, onCheckpoint: (cps) => onCheckpoint(cps[0]!) });
    return summary!;
  }

  async checkpoint(options: CheckpointOptions): Promise<LabCheckpoint> {
    return (await this.#batch.checkpoint(options))[0]!;
  }

  async parameters(): Promise<Record<string, Float32Array>> {
    return (await this.#batch.parameters())[0]!;
  }

  setParameters(values: Readonly<Record<string, ArrayLike<number>>>): Promise<void> {
    return this.#batch.setParameters([values]);
  }

  async gradients(): Promise<Record<string, Float32Array>> {
    return (await this.#batch.gradients())[0]!;
  }

  dispose(): void {
    this.#batch.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
