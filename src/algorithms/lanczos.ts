/**
 * Batched Lanczos on the GPU with full reorthogonalization done twice (CGS2), as block products.
 *
 * A run advances `lanes = operator.batch × vectorsPerOperator` Krylov sequences together: every
 * step is one operator apply for all lanes, two Gram–Schmidt passes against all previous basis
 * vectors (h = Q w by matVecN, w −= Qᵀh by matVecT, over all lanes at once), a batched norm, and
 * the per-lane update kernel that stores α, β, detects breakdown and scales the next vector. No
 * step waits for the host; the host reads the tridiagonals when asked.
 *
 * Breakdown (β ≤ tol·‖T‖: an invariant subspace, e.g. the identity after one step or I + uuᵀ after
 * two) stops that lane: its later vectors are exactly zero and its tridiagonal ends there — no NaN,
 * no ghost directions. Other lanes go on.
 *
 * Memory: the basis is [lanes][maxSteps + 1][n] f32 in one buffer (≤ maxBufferSize); bindings
 * larger than the binding limit are split by the kernels.
 *
 * Float64 twin: src/reference/lanczos.ts (lanczosF64).
 * @module
 */
import { DeviceLimitError, DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { record, type Recorder } from '../gpu/recorder.ts';
import { createBatchedDot, type BatchedDot } from '../kernels/batchedDot.ts';
import {
  allocateLaneBuffers,
  createLanczosUpdate,
  LanczosUpdateMode,
  readLaneState,
  type LanczosLaneBuffers,
  type LanczosUpdate,
} from '../kernels/lanczosUpdate.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import { createMatVec, type MatVec, type VectorsView } from '../kernels/matVec.ts';
import { createScaleVectors, type ScaleVectors } from '../kernels/scaleVectors.ts';
import { probeVector } from '../reference/eigsh.ts';
import type { SymmetricOperator } from './operators.ts';

/** Where the start vectors come from. */
export type LanczosStart =
  /** Gaussian vectors from `seed`; vector j of every operator is the same (so a batch equals its members run alone). */
  | {
      /** Seeded Gaussian start vectors. */
      readonly kind: 'random';
      /** The generator's seed. */
      readonly seed: number;
    }
  /** Host vectors, [lanes][n] (lane = operator·vectorsPerOperator + j); need not be normalized. */
  | {
      /** Start vectors given on the host. */
      readonly kind: 'host';
      /** [lanes][n] values, rounded to f32 on upload. */
      readonly data: Float32Array | Float64Array;
    }
  /** GPU vectors, [lanes][n] contiguous f32 at `offset` (elements) of `buffer` (borrowed). */
  | {
      /** Start vectors already on the GPU. */
      readonly kind: 'gpu';
      /** The buffer holding them (borrowed: not released by the solver). */
      readonly buffer: GPUBuffer;
      /** Offset of the first vector, in f32 elements (default 0). */
      readonly offset?: number;
    };

/** Options of {@link createLanczos}. */
export interface LanczosOptions {
  /** Largest number of steps the run can take (the basis holds maxSteps + 1 vectors). */
  readonly maxSteps: number;
  /** Start vectors per operator. Default 1. */
  readonly vectorsPerOperator?: number;
  /**
   * Relative breakdown tolerance: a lane stops when β ≤ tol·‖T‖. Default 8·√n·2⁻²⁴, the f32
   * rounding level of a reorthogonalized residual.
   */
  readonly breakdownTolerance?: number;
  /** Steps recorded per command buffer. Default 8. */
  readonly stepsPerSubmit?: number;
}

/** The tridiagonals of all lanes, read back to the host (float64 copies of the f32 values). */
export interface LanczosTridiagonals {
  /** Diagonal of T per lane (length steps[l]). */
  readonly alpha: Float64Array[];
  /** Off-diagonal of T per lane (length steps[l] − 1). */
  readonly beta: Float64Array[];
  /** Steps completed per lane. */
  readonly steps: Int32Array;
  /** β after the last step per lane: ‖A q_m − …‖, the factor of the Ritz error bounds. */
  readonly residualNorm: Float64Array;
  /** Whether the lane stopped on breakdown (or a zero start vector). */
  readonly breakdown: boolean[];
  /** ‖start vector‖ per lane (the quadrature's total mass is its square). */
  readonly startNorm: Float64Array;
  /** Running ‖T‖ estimate per lane. */
  readonly scale: Float64Array;
}

interface LanczosKernels {
  readonly mv: MatVec;
  readonly dot: BatchedDot;
  readonly update: LanczosUpdate;
  readonly scale: ScaleVectors;
}

/**
 * A batched Lanczos run on one operator. Create with {@link createLanczos}, call {@link start}
 * then {@link advance}; read with {@link readTridiagonals}. Owns its GPU buffers: dispose it.
 */
export class LanczosRun implements Disposable {
  readonly ctx: GpuContext;
  readonly operator: SymmetricOperator;
  readonly n: number;
  readonly lanes: number;
  readonly vectorsPerOperator: number;
  readonly maxSteps: number;
  readonly breakdownTolerance: number;
  /** Basis [lanes][maxSteps + 1][n] f32. Row k of lane l is q_{k+1}. Owned by the run. */
  readonly basis: GPUBuffer;
  /** Lane buffers (α, β, state, ...), see {@link LanczosLaneBuffers}. Owned by the run. */
  readonly buffers: LanczosLaneBuffers & { readonly w: GPUBuffer; readonly startNorm2: GPUBuffer };
  /** Steps recorded so far (the same for all lanes; lanes that broke down stopped earlier). */
  stepsTaken = 0;
  readonly #kernels: LanczosKernels;
  readonly #stepsPerSubmit: number;
  #started = false;
  #disposed = false;

  /** @internal */
  constructor(
    ctx: GpuContext,
    operator: SymmetricOperator,
    options: LanczosOptions & { vectorsPerOperator: number },
    basis: GPUBuffer,
    buffers: LanczosRun['buffers'],
    kernels: LanczosKernels,
  ) {
    this.ctx = ctx;
    this.operator = operator;
    this.n = operator.n;
    this.vectorsPerOperator = options.vectorsPerOperator;
    this.lanes = operator.batch * options.vectorsPerOperator;
    this.maxSteps = options.maxSteps;
    this.breakdownTolerance = options.breakdownTolerance ?? 8 * Math.sqrt(operator.n) * 2 ** -24;
    this.basis = basis;
    this.buffers = buffers;
    this.#kernels = kernels;
    this.#stepsPerSubmit = options.stepsPerSubmit ?? 8;
  }

  /** Elements between consecutive lanes in {@link basis}. */
  get laneStride(): number {
    return (this.maxSteps + 1) * this.n;
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('LanczosRun');
  }

  /** Loads and normalizes the start vectors (q_1 of every lane). */
  async start(source: LanczosStart): Promise<void> {
    this.#check();
    const { ctx, n, lanes } = this;
    const { w } = this.buffers;
    if (source.kind === 'random') {
      if (!Number.isInteger(source.seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${source.seed}`);
      const data = new Float32Array(lanes * n);
      for (let j = 0; j < this.vectorsPerOperator; j++) {
        const v = probeVector(source.seed, j, n);
        for (let b = 0; b < this.operator.batch; b++) data.set(v, (b * this.vectorsPerOperator + j) * n);
      }
      ctx.device.queue.writeBuffer(w, 0, data.buffer, data.byteOffset, data.byteLength);
    } else if (source.kind === 'host') {
      if (source.data.length !== lanes * n)
        throw new InvalidArgumentError('start', `expected lanes·n = ${lanes}·${n} = ${lanes * n} values, got ${source.data.length}`);
      for (let i = 0; i < source.data.length; i++) {
        if (!Number.isFinite(source.data[i]!))
          throw new InvalidArgumentError(
            'start',
            `entry ${i % n} of start vector ${Math.floor(i / n)} is ${source.data[i]} (must be finite)`,
          );
      }
      const data = source.data instanceof Float32Array ? source.data : Float32Array.from(source.data);
      ctx.device.queue.writeBuffer(w, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    await record(ctx, 'lanczos start', (rec) => {
      if (source.kind === 'gpu') rec.copy(source.buffer, (source.offset ?? 0) * 4, w, 0, lanes * n * 4);
      this.#encodeNormalize(rec, 0, LanczosUpdateMode.start);
      rec.copy(this.buffers.norm2, 0, this.buffers.startNorm2, 0, lanes * 4);
    });
    this.stepsTaken = 0;
    this.#started = true;
  }

  /** Records norm2 = ‖w‖², the lane update of `mode` at step k, and q_{k+1} = w · inv. */
  #encodeNormalize(rec: Recorder, k: number, mode: number): void {
    const { n, lanes } = this;
    this.#kernels.dot.encode(rec, this.buffers.w, this.buffers.w, this.buffers.norm2, { n, batch: lanes });
    this.#kernels.update.encode(rec, this.buffers, {
      lanes,
      k,
      mode,
      hStride: this.maxSteps + 1,
      tStride: this.maxSteps,
      tol: this.breakdownTolerance,
    });
    const row = mode === LanczosUpdateMode.start ? 0 : k + 1;
    this.#kernels.scale.encode(rec, {
      src: { buffer: this.buffers.w, stride: n },
      dst: { buffer: this.basis, offset: row * n, stride: this.laneStride },
      scales: { buffer: this.buffers.inv },
      len: n,
      batch: lanes,
    });
  }

  /** Records one Lanczos step k (0-based): w = A q_k, CGS2 against q_0..q_k, α_k, β_k, q_{k+1}. */
  #encodeStep(rec: Recorder, k: number): void {
    const { n, lanes, vectorsPerOperator: s } = this;
    const { mv } = this.#kernels;
    const stride = this.laneStride;
    const x: VectorsView = { buffer: this.basis, offset: k * n, batchStride: s * stride, vectorStride: stride };
    const w: VectorsView = { buffer: this.buffers.w, batchStride: s * n, vectorStride: n };
    this.operator.encodeApply(rec, x, w, s);
    const q = { buffer: this.basis, rows: this.maxSteps + 1, cols: n, batchStride: stride };
    const wLanes: VectorsView = { buffer: this.buffers.w, batchStride: n, vectorStride: n };
    const hStride = this.maxSteps + 1;
    for (const h of [this.buffers.h1, this.buffers.h2]) {
      const hv: VectorsView = { buffer: h, batchStride: hStride, vectorStride: hStride };
      mv.encodeN(rec, { m: q, x: wLanes, y: hv, batch: lanes, vectors: 1, rowEnd: k + 1 });
      mv.encodeT(rec, { m: q, x: hv, y: wLanes, batch: lanes, vectors: 1, rowEnd: k + 1, alpha: -1, beta: 1 });
    }
    this.#encodeNormalize(rec, k, LanczosUpdateMode.lanczosStep);
  }

  /** Runs steps until `steps` steps have been taken (lanes that broke down stay stopped). */
  async advance(steps: number): Promise<void> {
    this.#check();
    if (!this.#started) throw new InvalidArgumentError('start', 'call start() before advance()');
    if (!Number.isInteger(steps) || steps > this.maxSteps)
      throw new InvalidArgumentError('steps', `must be an integer ≤ maxSteps (${this.maxSteps}), got ${steps}`);
    while (this.stepsTaken < steps) {
      const first = this.stepsTaken;
      const last = Math.min(steps, first + this.#stepsPerSubmit);
      await record(this.ctx, `lanczos steps ${first}..${last - 1}`, (rec) => {
        for (let k = first; k < last; k++) this.#encodeStep(rec, k);
      });
      this.stepsTaken = last;
    }
  }

  /** Reads α, β, steps and breakdown flags of every lane back to the host. */
  async readTridiagonals(): Promise<LanczosTridiagonals> {
    this.#check();
    const { lanes, maxSteps } = this;
    const {
      alpha: alphaAll,
      beta: betaAll,
      state,
      startNorm2: norm2,
      scale,
    } = await readLaneState(this.ctx, this.buffers, lanes, maxSteps, 'lanczos');
    const steps = new Int32Array(lanes);
    const out: LanczosTridiagonals = {
      alpha: [],
      beta: [],
      steps,
      residualNorm: new Float64Array(lanes),
      breakdown: [],
      startNorm: new Float64Array(lanes),
      scale: Float64Array.from(scale),
    };
    for (let l = 0; l < lanes; l++) {
      const m = state[2 * l + 1]!;
      steps[l] = m;
      out.alpha.push(Float64Array.from(alphaAll.subarray(l * maxSteps, l * maxSteps + m)));
      out.beta.push(Float64Array.from(betaAll.subarray(l * maxSteps, l * maxSteps + Math.max(0, m - 1))));
      out.residualNorm[l] = m > 0 ? betaAll[l * maxSteps + m - 1]! : 0;
      out.breakdown.push(state[2 * l] === 0);
      out.startNorm[l] = Math.sqrt(Math.max(0, norm2[l]!));
    }
    return out;
  }

  /** Releases the run's GPU buffers (not the operator). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.ctx.destroyBuffer(this.basis);
    for (const buffer of Object.values(this.buffers)) this.ctx.destroyBuffer(buffer);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Allocates a batched Lanczos run for `operator` and compiles its kernels.
 * Throws DeviceLimitError when the basis cannot fit one buffer (reduce maxSteps or the batch).
 */
export async function createLanczos(operator: SymmetricOperator, options: LanczosOptions): Promise<LanczosRun> {
  const ctx = operator.ctx;
  const vectorsPerOperator = options.vectorsPerOperator ?? 1;
  const { maxSteps } = options;
  if (!Number.isInteger(vectorsPerOperator) || vectorsPerOperator < 1)
    throw new InvalidArgumentError('vectorsPerOperator', `must be a positive integer, got ${vectorsPerOperator}`);
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new InvalidArgumentError('maxSteps', `must be a positive integer, got ${maxSteps}`);
  if (maxSteps > operator.n)
    throw new InvalidArgumentError(
      'maxSteps',
      `cannot exceed n = ${operator.n} (a Krylov space has at most n dimensions), got ${maxSteps}`,
    );
  const tol = options.breakdownTolerance;
  if (tol !== undefined && !(tol >= 0 && tol < 1)) throw new InvalidArgumentError('breakdownTolerance', `must be in [0, 1), got ${tol}`);
  const n = operator.n;
  const lanes = operator.batch * vectorsPerOperator;
  const basisBytes = lanes * (maxSteps + 1) * n * 4;
  if (basisBytes > ctx.limits.maxBufferSize) {
    throw new DeviceLimitError(
      'maxBufferSize',
      basisBytes,
      ctx.limits.maxBufferSize,
      `a Lanczos basis of ${lanes} lanes × ${maxSteps + 1} vectors × n = ${n}`,
    );
  }
  const [mv, dot, update, scale] = await Promise.all([
    createMatVec(ctx),
    createBatchedDot(ctx),
    createLanczosUpdate(ctx),
    createScaleVectors(ctx),
  ]);
  using group = new BufferGroup(ctx);
  const basis = await group.storage(lanes * (maxSteps + 1) * n, 'lanczos basis');
  const buffers = { ...(await allocateLaneBuffers(group, lanes, maxSteps, 'lanczos')), w: await group.storage(lanes * n, 'lanczos w') };
  const run = new LanczosRun(ctx, operator, { ...options, vectorsPerOperator }, basis, buffers, { mv, dot, update, scale });
  group.keep(basis, ...Object.values(buffers));
  return run;
}
