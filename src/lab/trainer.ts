/**
 * The training lab on the GPU: trains a {@link ModelConfig} on a {@link Task} with full-batch
 * gradient descent or minibatch SGD, and at chosen steps emits a {@link LabCheckpoint} with
 * everything the GRSD pipeline consumes: the probe residual e, the per-layer empirical NTKs K_l
 * and their learning-rate-weighted sum K_eff, the time scale η/N, and the backward-gain and
 * feature-update diagnostics.
 *
 * Everything runs in WGSL: matrix products on `gemm`, activations, skips, residuals, Hadamard
 * products and updates on the `elementwise` family, reductions on `batchedDot`. Activations are
 * kept per layer (rows × width), so memory is O((#layers)·max(N, P·C)·width + (#tensors)·(P·C)²).
 *
 * The empirical NTK is never formed through J: for a dense layer out = m·z Wᵀ with per-sample
 * inputs z_i and backward signals g_i = ∂f_i/∂out, J_l J_lᵀ = m²·(G Gᵀ)∘(Z Zᵀ). With C outputs
 * the probe forward pass is run on every probe point replicated C times (row i·C + c) and the
 * backward pass is seeded with the one-hot rows e_c, so the NTK index of (i, c) is i·C + c.
 *
 * Float64 twin: src/reference/mlp.ts.
 * @module
 */
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { createBatchedDot, type BatchedDot } from '../kernels/batchedDot.ts';
import { createElementwise, type Elementwise, type ElementwiseArgs } from '../kernels/elementwise.ts';
import { createGemm, type Gemm, type GemmShapeArgs } from '../kernels/gemm.ts';
import { Random } from '../util/random.ts';
import {
  initParameters,
  learningRateMultipliers,
  resolveModel,
  type LearningRateOptions,
  type ModelConfig,
  type ResolvedModel,
  type TensorParametrization,
} from './models.ts';
import type { Task } from './tasks.ts';

/** One checkpoint of a training run (see the module documentation). */
export interface LabCheckpoint {
  /** Optimizer steps taken before this checkpoint. */
  readonly step: number;
  /** Full-batch training loss ‖f(X) − Y‖²/(2N). */
  readonly loss: number;
  /** Probe loss ‖e‖²/(2P). */
  readonly probeLoss: number;
  /** Probe residual e = f(X_P) − Y_P, n = P·C entries, index i·C + c. */
  readonly residual: Float32Array;
  /** n × n effective NTK K_eff = Σ_l (η_l/η)·K_l on the probe set (row-major). */
  readonly kernel: Float32Array;
  /** The terms (η_l/η)·K_l, one n × n matrix per parameter tensor; they sum to `kernel`. */
  readonly layers: Float32Array[];
  /** Tensor names of `layers`. */
  readonly layerNames: string[];
  /** η/N: M = timeScale·K is the per-step GD operator, with t = step. */
  readonly timeScale: number;
  readonly diagnostics: {
    /** G_ℓ = mean over probe points of ‖∂f/∂h^ℓ‖_F, ℓ = 0…L (h⁰ the embedding; pre-activations for `plain`; empty for `linear`). */
    readonly layerGains: number[];
    /** r = ‖ΔW z‖_F/‖W(0) z‖_F on the probe set per block and internal layer (W(0): the lab's initial parameters). */
    readonly featureUpdates: { block: number; internal: 1 | 2; ratio: number }[];
  };
}

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

/** A matrix operand: buffer and element offset. */
interface View {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
}

/** Called by the backward pass for every tensor with its output signal and input. */
type LayerVisitor = (rec: Recorder, tensor: number, signal: GPUBuffer, signalScale: number, input: View) => void;

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
  const lab = new GpuLab(ctx, resolved, task, gemm, dot, ew);
  try {
    await lab.init();
  } catch (error) {
    lab.dispose();
    throw error;
  }
  return lab;
}

function checkTask(model: ResolvedModel, task: Task): void {
  if (typeof task !== 'object' || task === null) throw new InvalidArgumentError('task', 'must be a Task object');
  const { trainSize: N, probeSize: P, inputDim: d, outputs: C } = task;
  for (const [name, v] of [
    ['task.trainSize', N],
    ['task.probeSize', P],
    ['task.inputDim', d],
    ['task.outputs', C],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(name, `must be a positive integer, got ${v}`);
  }
  if (model.inputDim !== d)
    throw new InvalidArgumentError('model.inputDim', `must equal the task's input dimension ${d}, got ${model.inputDim}`);
  if (model.outputs !== C) throw new InvalidArgumentError('model.outputs', `must equal the task's outputs ${C}, got ${model.outputs}`);
  for (const [name, a, len] of [
    ['task.trainX', task.trainX, N * d],
    ['task.trainY', task.trainY, N * C],
    ['task.probeX', task.probeX, P * d],
    ['task.probeY', task.probeY, P * C],
  ] as const) {
    if (!(a instanceof Float32Array) || a.length !== len) {
      throw new InvalidArgumentError(
        name,
        `must be a Float32Array of ${len} elements, got ${a instanceof Float32Array ? a.length : typeof a}`,
      );
    }
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i]!)) throw new InvalidArgumentError(name, `element ${i} is ${a[i]}: the data must be finite`);
  }
}

class GpuLab implements Lab {
  readonly model: ResolvedModel;
  readonly task: Task;
  readonly layerNames: readonly string[];
  readonly #ctx: GpuContext;
  readonly #gemm: Gemm;
  readonly #dot: BatchedDot;
  readonly #ew: Elementwise;
  readonly #tensors: readonly TensorParametrization[];
  readonly #owned: GPUBuffer[] = [];
  #disposed = false;
  #busy = false;

  // Sizes.
  readonly #N: number;
  readonly #C: number;
  /** Probe rows (P·C: every probe point once per output). */
  readonly #n: number;
  /** Rows of the activation buffers: max(N, n). */
  readonly #R: number;
  readonly #w: number;
  readonly #L: number;

  // Buffers (assigned in init).
  #trainX!: GPUBuffer;
  #trainY!: GPUBuffer;
  #probeX!: GPUBuffer;
  #probeY!: GPUBuffer;
  #seeds!: GPUBuffer;
  #W: GPUBuffer[] = [];
  #W0: GPUBuffer[] = [];
  #G: GPUBuffer[] = [];
  #H: GPUBuffer[] = [];
  #A: GPUBuffer[] = [];
  #U: GPUBuffer[] = [];
  #B: GPUBuffer[] = [];
  #dH: GPUBuffer[] = [];
  #dU: GPUBuffer[] = [];
  #F!: GPUBuffer;
  #E!: GPUBuffer;
  #probeE!: GPUBuffer;
  #Sg!: GPUBuffer;
  #Sz!: GPUBuffer;
  #K!: GPUBuffer;
  #layerK: GPUBuffer[] = [];
  #gains!: GPUBuffer;
  #fu!: GPUBuffer;
  #scalar!: GPUBuffer;
  #D!: GPUBuffer;
  #T1!: GPUBuffer;

  constructor(ctx: GpuContext, model: ResolvedModel, task: Task, gemm: Gemm, dot: BatchedDot, ew: Elementwise) {
    this.#ctx = ctx;
    this.model = model;
    this.task = task;
    this.#gemm = gemm;
    this.#dot = dot;
    this.#ew = ew;
    this.#tensors = model.tensors;
    this.layerNames = model.tensors.map((t) => t.name);
    this.#N = task.trainSize;
    this.#C = task.outputs;
    this.#n = task.probeSize * task.outputs;
    this.#R = Math.max(this.#N, this.#n);
    this.#w = model.width;
    this.#L = model.depth;
  }

  async #alloc(label: string, floats: number, data?: Float32Array): Promise<GPUBuffer> {
    const buffer = data
      ? await this.#ctx.uploadF32(data, `lab ${label}`)
      : await this.#ctx.createBuffer({ label: `lab ${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage: STORAGE_USAGE });
    this.#owned.push(buffer);
    return buffer;
  }

  /** @internal Allocates and uploads everything. */
  async init(): Promise<void> {
    const { task } = this;
    const C = this.#C;
    const n = this.#n;
    const d = task.inputDim;
    const R = this.#R;
    const w = this.#w;
    const L = this.#L;
    this.#trainX = await this.#alloc('trainX', 0, task.trainX);
    this.#trainY = await this.#alloc('trainY', 0, task.trainY);
    const probeRep = new Float32Array(n * d);
    const seeds = new Float32Array(n * C);
    for (let i = 0; i < task.probeSize; i++) {
      for (let c = 0; c < C; c++) {
        probeRep.set(task.probeX.subarray(i * d, (i + 1) * d), (i * C + c) * d);
        seeds[(i * C + c) * C + c] = 1;
      }
    }
    this.#probeX = await this.#alloc('probeX', 0, probeRep);
    this.#probeY = await this.#alloc('probeY', 0, task.probeY);
    this.#seeds = await this.#alloc('seeds', 0, seeds);
    const init = initParameters(this.model);
    for (const t of this.#tensors) {
      this.#W.push(await this.#alloc(`${t.name}`, 0, init[t.name]!));
      this.#W0.push(await this.#alloc(`${t.name}(0)`, 0, init[t.name]!));
      this.#G.push(await this.#alloc(`∂L/∂${t.name}`, t.rows * t.cols));
    }
    const arch = this.model.architecture;
    if (arch !== 'linear') {
      for (let l = 0; l <= L; l++) {
        this.#H.push(await this.#alloc(`h${l}`, R * w));
        this.#A.push(await this.#alloc(`φ(h${l})`, R * w));
        this.#dH.push(await this.#alloc(`∂h${l}`, R * w));
        if (arch === 'residual2' && l >= 1) {
          this.#U.push(await this.#alloc(`u${l}`, R * w));
          this.#B.push(await this.#alloc(`φ(u${l})`, R * w));
          this.#dU.push(await this.#alloc(`∂u${l}`, R * w));
        }
      }
    }
    this.#F = await this.#alloc('f', R * C);
    this.#E = await this.#alloc('e', R * C);
    this.#probeE = await this.#alloc('probe e', n);
    this.#Sg = await this.#alloc('GGᵀ', n * n);
    this.#Sz = await this.#alloc('ZZᵀ', n * n);
    this.#K = await this.#alloc('K', n * n);
    for (const t of this.#tensors) this.#layerK.push(await this.#alloc(`K ${t.name}`, n * n));
    this.#gains = await this.#alloc('gains', (L + 1) * n);
    this.#fu = await this.#alloc('feature updates', 2 * this.#tensors.length);
    this.#scalar = await this.#alloc('loss', 4);
    const maxSize = Math.max(...this.#tensors.map((t) => t.rows * t.cols));
    const maxFanOut = Math.max(...this.#tensors.map((t) => t.rows));
    this.#D = await this.#alloc('ΔW', maxSize);
    this.#T1 = await this.#alloc('Wz', R * maxFanOut);
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

  // ---- recording helpers --------------------------------------------------------------------

  #mm(rec: Recorder, a: View, b: View, c: GPUBuffer, shape: GemmShapeArgs): void {
    this.#gemm.encode(rec, {
      ...shape,
      a: { buffer: a.buffer, offset: a.offset ?? 0 },
      b: { buffer: b.buffer, offset: b.offset ?? 0 },
      c: { buffer: c },
    });
  }

  #el(rec: Recorder, args: ElementwiseArgs): void {
    this.#ew.encode(rec, args);
  }

  /** Forward pass of `rows` samples from `x`: fills H, A, U, B and F. */
  #forward(rec: Recorder, x: View, rows: number): void {
    const T = this.#tensors;
    const W = this.#W;
    const act = this.model.activation;
    const w = this.#w;
    const C = this.#C;
    const len = rows * w;
    const last = T.length - 1;
    if (this.model.architecture === 'linear') {
      this.#mm(rec, x, { buffer: W[0]! }, this.#F, { m: rows, n: C, k: T[0]!.cols, transB: true, alpha: T[0]!.multiplier });
      return;
    }
    const H = this.#H;
    const A = this.#A;
    this.#mm(rec, x, { buffer: W[0]! }, H[0]!, { m: rows, n: w, k: T[0]!.cols, transB: true, alpha: T[0]!.multiplier });
    this.#el(rec, { op: 'act', activation: act, len, x: { buffer: H[0]! }, out: { buffer: A[0]! } });
    let t = 1;
    for (let l = 1; l <= this.#L; l++) {
      const arch = this.model.architecture;
      if (arch === 'residual2') {
        const U = this.#U[l - 1]!;
        const B = this.#B[l - 1]!;
        this.#mm(rec, { buffer: A[l - 1]! }, { buffer: W[t]! }, U, { m: rows, n: w, k: w, transB: true, alpha: T[t]!.multiplier });
        this.#el(rec, { op: 'act', activation: act, len, x: { buffer: U }, out: { buffer: B } });
        this.#mm(rec, { buffer: B }, { buffer: W[t + 1]! }, H[l]!, { m: rows, n: w, k: w, transB: true, alpha: T[t + 1]!.multiplier });
        t += 2;
      } else {
        this.#mm(rec, { buffer: A[l - 1]! }, { buffer: W[t]! }, H[l]!, { m: rows, n: w, k: w, transB: true, alpha: T[t]!.multiplier });
        t += 1;
      }
      if (arch !== 'plain') this.#el(rec, { op: 'axpy', len, x: { buffer: H[l - 1]! }, out: { buffer: H[l]! }, alpha: 1 });
      this.#el(rec, { op: 'act', activation: act, len, x: { buffer: H[l]! }, out: { buffer: A[l]! } });
    }
    this.#mm(rec, { buffer: A[this.#L]! }, { buffer: W[last]! }, this.#F, {
      m: rows,
      n: C,
      k: w,
      transB: true,
      alpha: T[last]!.multiplier,
    });
  }

  /**
   * Backward pass of `rows` samples from the signal `seed`·`scale` at the outputs (rows × C),
   * after {@link #forward} on the same rows with input `x`. Calls `visit` for every tensor with
   * its output signal (times `signalScale`) and its input.
   */
  #backward(rec: Recorder, x: View, seed: GPUBuffer, scale: number, rows: number, visit: LayerVisitor): void {
    const T = this.#tensors;
    const W = this.#W;
    const act = this.model.activation;
    const arch = this.model.architecture;
    const w = this.#w;
    const C = this.#C;
    const L = this.#L;
    const len = rows * w;
    const last = T.length - 1;
    if (arch === 'linear') {
      visit(rec, 0, seed, scale, x);
      return;
    }
    const H = this.#H;
    const A = this.#A;
    const dH = this.#dH;
    visit(rec, last, seed, scale, { buffer: A[L]! });
    this.#mm(rec, { buffer: seed }, { buffer: W[last]! }, dH[L]!, { m: rows, n: w, k: C, alpha: scale * T[last]!.multiplier });
    this.#el(rec, { op: 'actGradMul', activation: act, len, x: { buffer: H[L]! }, out: { buffer: dH[L]! } });
    let t = last - 1;
    for (let l = L; l >= 1; l--) {
      if (arch === 'residual2') {
        const dU = this.#dU[l - 1]!;
        visit(rec, t, dH[l]!, 1, { buffer: this.#B[l - 1]! });
        this.#mm(rec, { buffer: dH[l]! }, { buffer: W[t]! }, dU, { m: rows, n: w, k: w, alpha: T[t]!.multiplier });
        this.#el(rec, { op: 'actGradMul', activation: act, len, x: { buffer: this.#U[l - 1]! }, out: { buffer: dU } });
        t--;
        visit(rec, t, dU, 1, { buffer: A[l - 1]! });
        this.#mm(rec, { buffer: dU }, { buffer: W[t]! }, dH[l - 1]!, { m: rows, n: w, k: w, alpha: T[t]!.multiplier });
        t--;
      } else {
        visit(rec, t, dH[l]!, 1, { buffer: A[l - 1]! });
        this.#mm(rec, { buffer: dH[l]! }, { buffer: W[t]! }, dH[l - 1]!, { m: rows, n: w, k: w, alpha: T[t]!.multiplier });
        t--;
      }
      if (arch === 'plain')
        this.#el(rec, { op: 'actGradMul', activation: act, len, x: { buffer: H[l - 1]! }, out: { buffer: dH[l - 1]! } });
      else
        this.#el(rec, {
          op: 'actGradFma',
          activation: act,
          len,
          x: { buffer: H[l - 1]! },
          y: { buffer: dH[l]! },
          out: { buffer: dH[l - 1]! },
        });
    }
    visit(rec, 0, dH[0]!, 1, x);
  }

  /** Visitor writing ∂L/∂W into G (rows samples). */
  #gradientVisitor(rows: number): LayerVisitor {
    return (rec, t, signal, signalScale, input) => {
      const ts = this.#tensors[t]!;
      this.#mm(rec, { buffer: signal }, input, this.#G[t]!, {
        m: ts.rows,
        n: ts.cols,
        k: rows,
        transA: true,
        alpha: signalScale * ts.multiplier,
      });
    };
  }

  /** Records forward, residual, loss (‖e‖² into `lossOut[lossIndex]`) and gradients on rows of x/y. */
  #encodeGradient(rec: Recorder, x: View, y: View, rows: number, lossOut: GPUBuffer, lossIndex: number): void {
    const C = this.#C;
    this.#forward(rec, x, rows);
    this.#el(rec, { op: 'axpby', len: rows * C, x: { buffer: this.#F }, y, out: { buffer: this.#E }, alpha: 1, beta: -1 });
    this.#dot.encode(rec, this.#E, this.#E, lossOut, { n: rows * C, batch: 1 }, lossIndex);
    this.#backward(rec, x, this.#E, 1 / rows, rows, this.#gradientVisitor(rows));
  }

  #encodeUpdate(rec: Recorder, learningRate: number, ratios: readonly number[]): void {
    this.#tensors.forEach((t, i) => {
      const step = learningRate * ratios[i]!;
      if (step === 0) return;
      this.#el(rec, { op: 'axpy', len: t.rows * t.cols, x: { buffer: this.#G[i]! }, out: { buffer: this.#W[i]! }, alpha: -step });
    });
  }

  // ---- public API ---------------------------------------------------------------------------

  parameters(): Promise<Record<string, Float32Array>> {
    return this.#exclusive(() => this.#readTensors(this.#W, 'lab parameters'));
  }

  async #readTensors(buffers: GPUBuffer[], label: string): Promise<Record<string, Float32Array>> {
    const staging = await record(this.#ctx, label, (rec) => this.#tensors.map((t, i) => rec.stage(buffers[i]!, 0, t.rows * t.cols * 4)));
    const out: Record<string, Float32Array> = {};
    for (let i = 0; i < staging.length; i++) out[this.#tensors[i]!.name] = new Float32Array(await readStaging(this.#ctx, staging[i]!));
    return out;
  }

  setParameters(values: Readonly<Record<string, ArrayLike<number>>>): Promise<void> {
    return this.#exclusive(async () => {
      for (const name of Object.keys(values)) {
        if (!this.layerNames.includes(name)) {
          throw new InvalidArgumentError('values', `unknown tensor "${name}": this model's tensors are ${this.layerNames.join(', ')}`);
        }
      }
      const arrays = this.#tensors.map((t) => {
        const v = values[t.name];
        if (!v || v.length !== t.rows * t.cols) {
          throw new InvalidArgumentError(
            `values.${t.name}`,
            `must hold ${t.rows * t.cols} elements (${t.rows} × ${t.cols}), got ${v ? v.length : 'nothing'}`,
          );
        }
        return Float32Array.from(v);
      });
      arrays.forEach((a, i) => this.#ctx.device.queue.writeBuffer(this.#W[i]!, 0, a.buffer, a.byteOffset, a.byteLength));
      await this.#ctx.done();
    });
  }

  gradients(): Promise<Record<string, Float32Array>> {
    return this.#exclusive(async () => {
      await record(this.#ctx, 'lab gradients', (rec) => {
        this.#encodeGradient(rec, { buffer: this.#trainX }, { buffer: this.#trainY }, this.#N, this.#scalar, 0);
      });
      return this.#readTensors(this.#G, 'lab gradients read');
    });
  }

  checkpoint(options: CheckpointOptions): Promise<LabCheckpoint> {
    return this.#exclusive(async () => {
      checkLearningRate(options.learningRate);
      const step = options.step ?? 0;
      if (!Number.isInteger(step) || step < 0) throw new InvalidArgumentError('step', `must be an integer ≥ 0, got ${step}`);
      const ratios = this.#ratios(options);
      return this.#checkpoint(step, options.learningRate, ratios);
    });
  }

  #ratios(options: LearningRateOptions): number[] {
    const r = learningRateMultipliers(this.model, options);
    return this.#tensors.map((t) => r[t.name]!);
  }

  /** Records and reads one checkpoint at the current parameters. */
  async #checkpoint(step: number, learningRate: number, ratios: readonly number[]): Promise<LabCheckpoint> {
    const ctx = this.#ctx;
    const T = this.#tensors;
    const n = this.#n;
    const C = this.#C;
    const L = this.#L;
    const w = this.#w;
    const linear = this.model.architecture === 'linear';
    const blockTensors = T.map((t, i) => ({ t, i })).filter(({ t }) => t.role.kind === 'block');
    const staged = await record(ctx, 'lab checkpoint', (rec) => {
      // Training loss (full batch).
      this.#forward(rec, { buffer: this.#trainX }, this.#N);
      this.#el(rec, {
        op: 'axpby',
        len: this.#N * C,
        x: { buffer: this.#F },
        y: { buffer: this.#trainY },
        out: { buffer: this.#E },
        alpha: 1,
        beta: -1,
      });
      this.#dot.encode(rec, this.#E, this.#E, this.#scalar, { n: this.#N * C, batch: 1 }, 0);
      // Probe forward (each point replicated C times) and residual.
      const px = { buffer: this.#probeX };
      this.#forward(rec, px, n);
      this.#el(rec, {
        op: 'residual',
        len: n,
        group: C,
        x: { buffer: this.#F },
        y: { buffer: this.#probeY },
        out: { buffer: this.#probeE },
        alpha: 1,
      });
      // Backward from one-hot seeds: per-layer NTKs (GGᵀ)∘(ZZᵀ), weighted, and their sum.
      let first = true;
      this.#backward(rec, px, this.#seeds, 1, n, (r, t, signal, signalScale, input) => {
        const ts = T[t]!;
        this.#mm(r, { buffer: signal }, { buffer: signal }, this.#Sg, { m: n, n, k: ts.rows, transB: true });
        this.#mm(r, input, input, this.#Sz, { m: n, n, k: ts.cols, transB: true });
        const alpha = ratios[t]! * (ts.multiplier * signalScale) ** 2;
        this.#el(r, {
          op: 'hadamard',
          len: n * n,
          x: { buffer: this.#Sg },
          y: { buffer: this.#Sz },
          out: { buffer: this.#layerK[t]! },
          alpha,
        });
        this.#el(r, { op: first ? 'scale' : 'axpy', len: n * n, x: { buffer: this.#layerK[t]! }, out: { buffer: this.#K }, alpha: 1 });
        first = false;
      });
      if (!linear) {
        // Backward gains: ‖∂f_c/∂h^ℓ‖² per replicated probe row.
        for (let l = 0; l <= L; l++) this.#dot.encode(rec, this.#dH[l]!, this.#dH[l]!, this.#gains, { n: w, batch: n }, l * n);
        // Own-weight feature updates ‖ΔW z‖² and ‖W(0) z‖² (the multiplier cancels in the ratio).
        blockTensors.forEach(({ t, i }, q) => {
          const l = t.role.block;
          const z = t.role.internal === 2 ? this.#B[l - 1]! : this.#A[l - 1]!;
          const size = t.rows * t.cols;
          this.#el(rec, {
            op: 'axpby',
            len: size,
            x: { buffer: this.#W[i]! },
            y: { buffer: this.#W0[i]! },
            out: { buffer: this.#D },
            alpha: 1,
            beta: -1,
          });
          this.#mm(rec, { buffer: z }, { buffer: this.#D }, this.#T1, { m: n, n: t.rows, k: t.cols, transB: true });
          this.#dot.encode(rec, this.#T1, this.#T1, this.#fu, { n: n * t.rows, batch: 1 }, 2 * q);
          this.#mm(rec, { buffer: z }, { buffer: this.#W0[i]! }, this.#T1, { m: n, n: t.rows, k: t.cols, transB: true });
          this.#dot.encode(rec, this.#T1, this.#T1, this.#fu, { n: n * t.rows, batch: 1 }, 2 * q + 1);
        });
      }
      return {
        loss: rec.stage(this.#scalar, 0, 4),
        residual: rec.stage(this.#probeE, 0, n * 4),
        kernel: rec.stage(this.#K, 0, n * n * 4),
        layers: this.#layerK.map((b) => rec.stage(b, 0, n * n * 4)),
        gains: linear ? null : rec.stage(this.#gains, 0, (L + 1) * n * 4),
        fu: blockTensors.length ? rec.stage(this.#fu, 0, 2 * blockTensors.length * 4) : null,
      };
    });
    const read = async (s: GPUBuffer): Promise<Float32Array> => new Float32Array(await readStaging(ctx, s));
    const lossSq = (await read(staged.loss))[0]!;
    const residual = await read(staged.residual);
    const kernel = await read(staged.kernel);
    const layers: Float32Array[] = [];
    for (const s of staged.layers) layers.push(await read(s));
    const gainsRaw = staged.gains ? await read(staged.gains) : null;
    const fuRaw = staged.fu ? await read(staged.fu) : null;
    const loss = lossSq / (2 * this.#N);
    if (!Number.isFinite(loss) || !kernel.every(Number.isFinite)) {
      throw divergence(step, loss, learningRate, 'at this checkpoint');
    }
    let probeSq = 0;
    for (const v of residual) probeSq += v * v;
    const P = this.task.probeSize;
    const layerGains: number[] = [];
    if (gainsRaw) {
      for (let l = 0; l <= L; l++) {
        let s = 0;
        for (let i = 0; i < P; i++) {
          let sq = 0;
          for (let c = 0; c < C; c++) sq += gainsRaw[l * n + i * C + c]!;
          s += Math.sqrt(sq);
        }
        layerGains.push(s / P);
      }
    }
    const featureUpdates = blockTensors.map(({ t }, q) => ({
      block: t.role.block,
      internal: t.role.internal as 1 | 2,
      ratio: Math.sqrt(fuRaw![2 * q]! / fuRaw![2 * q + 1]!),
    }));
    return {
      step,
      loss,
      probeLoss: probeSq / (2 * P),
      residual,
      kernel,
      layers,
      layerNames: [...this.layerNames],
      timeScale: learningRate / this.#N,
      diagnostics: { layerGains, featureUpdates },
    };
  }

  /** Full-batch training loss at the current parameters. */
  async #trainLoss(): Promise<number> {
    const staging = await record(this.#ctx, 'lab loss', (rec) => {
      this.#forward(rec, { buffer: this.#trainX }, this.#N);
      this.#el(rec, {
        op: 'axpby',
        len: this.#N * this.#C,
        x: { buffer: this.#F },
        y: { buffer: this.#trainY },
        out: { buffer: this.#E },
        alpha: 1,
        beta: -1,
      });
      this.#dot.encode(rec, this.#E, this.#E, this.#scalar, { n: this.#N * this.#C, batch: 1 }, 0);
      return rec.stage(this.#scalar, 0, 4);
    });
    return new Float32Array(await readStaging(this.#ctx, staging))[0]! / (2 * this.#N);
  }

  train(options: TrainOptions): Promise<TrainSummary> {
    return this.#exclusive(() => this.#train(options));
  }

  async #train(options: TrainOptions): Promise<TrainSummary> {
    const { steps, learningRate, optimizer } = options;
    if (!Number.isInteger(steps) || steps < 0) throw new InvalidArgumentError('steps', `must be an integer ≥ 0, got ${steps}`);
    checkLearningRate(learningRate);
    if (optimizer !== 'gd' && optimizer !== 'sgd') {
      throw new InvalidArgumentError('optimizer', `unknown optimizer ${JSON.stringify(optimizer)}: use 'gd' or 'sgd'`);
    }
    const N = this.#N;
    const C = this.#C;
    const d = this.task.inputDim;
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
    const checkpoints = [...new Set(options.checkpoints)].sort((a, b) => a - b);
    const ratios = this.#ratios(options);
    const seed = options.seed ?? this.model.config.seed + 1;
    if (!Number.isInteger(seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${seed}`);

    const start = performance.now();
    const losses = new Float64Array(steps);
    const batchesPerEpoch = Math.ceil(N / batchSize);
    const rowsOf = (s: number): number => (optimizer === 'gd' ? N : Math.min(batchSize, N - (s % batchesPerEpoch) * batchSize));
    const history = await this.#ctx.createBuffer({
      label: 'lab loss history',
      size: Math.max(16, perSubmission * 4),
      usage: STORAGE_USAGE,
    });
    let permX: GPUBuffer | null = null;
    let permY: GPUBuffer | null = null;
    let trainTime = 0;
    let checkpointTime = 0;
    let emitted = 0;
    let finalLoss = Number.NaN;
    try {
      const rng = new Random(seed);
      const order = Uint32Array.from({ length: N }, (_, i) => i);
      const hostX = new Float32Array(N * d);
      const hostY = new Float32Array(N * C);
      if (optimizer === 'sgd') {
        permX = await this.#ctx.createBuffer({
          label: 'lab permuted X',
          size: Math.max(16, Math.ceil((N * d) / 4) * 16),
          usage: STORAGE_USAGE,
        });
        permY = await this.#ctx.createBuffer({
          label: 'lab permuted Y',
          size: Math.max(16, Math.ceil((N * C) / 4) * 16),
          usage: STORAGE_USAGE,
        });
      }
      let reference = Number.NaN;
      let next = 0;
      for (let step = 0; ;) {
        if (next < checkpoints.length && checkpoints[next] === step) {
          const t0 = performance.now();
          const cp = await this.#checkpoint(step, learningRate, ratios);
          checkpointTime += performance.now() - t0;
          emitted++;
          next++;
          if (step === steps) finalLoss = cp.loss;
          // Nothing is in flight: the callback may call parameters(), checkpoint() and the like.
          this.#busy = false;
          try {
            await options.onCheckpoint(cp);
          } finally {
            this.#busy = true;
          }
          this.#check();
        }
        if (step >= steps) break;
        let end = Math.min(steps, step + perSubmission);
        if (next < checkpoints.length) end = Math.min(end, checkpoints[next]!);
        if (permX && permY) {
          const epochStart = step - (step % batchesPerEpoch);
          end = Math.min(end, epochStart + batchesPerEpoch);
          if (step === epochStart) {
            // A new epoch: upload a freshly permuted copy of the training set.
            rng.shuffle(order);
            for (let r = 0; r < N; r++) {
              const src = order[r]!;
              hostX.set(this.task.trainX.subarray(src * d, (src + 1) * d), r * d);
              hostY.set(this.task.trainY.subarray(src * C, (src + 1) * C), r * C);
            }
            this.#ctx.device.queue.writeBuffer(permX, 0, hostX.buffer, hostX.byteOffset, hostX.byteLength);
            this.#ctx.device.queue.writeBuffer(permY, 0, hostY.buffer, hostY.byteOffset, hostY.byteLength);
          }
        }
        const t0 = performance.now();
        const first = step;
        const staging = await record(this.#ctx, 'lab train', (rec) => {
          for (let s = first; s < end; s++) {
            const rows = rowsOf(s);
            if (permX && permY) {
              const row0 = (s % batchesPerEpoch) * batchSize;
              this.#encodeGradient(rec, { buffer: permX, offset: row0 * d }, { buffer: permY, offset: row0 * C }, rows, history, s - first);
            } else {
              this.#encodeGradient(rec, { buffer: this.#trainX }, { buffer: this.#trainY }, rows, history, s - first);
            }
            this.#encodeUpdate(rec, learningRate, ratios);
          }
          return rec.stage(history, 0, (end - first) * 4);
        });
        const sq = new Float32Array(await readStaging(this.#ctx, staging));
        trainTime += performance.now() - t0;
        for (let s = first; s < end; s++) {
          const loss = sq[s - first]! / (2 * rowsOf(s));
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
      this.#ctx.destroyBuffer(permX);
      this.#ctx.destroyBuffer(permY);
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

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const b of this.#owned) this.#ctx.destroyBuffer(b);
    this.#owned.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function checkLearningRate(learningRate: number): void {
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
    throw new InvalidArgumentError('learningRate', `must be a finite number > 0, got ${String(learningRate)}`);
  }
}

function divergence(step: number, loss: number, learningRate: number, context: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'learningRate',
    `training diverged at step ${step}: the loss is ${loss} ${context}. Lower learningRate (now ${learningRate}), e.g. to ${learningRate / 10}.`,
  );
}
