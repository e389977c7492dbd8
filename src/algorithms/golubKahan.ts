/**
 * Golub–Kahan on Jacobians on the GPU, for the small-λ accuracy of docs/accuracy.md ("Golub–Kahan"):
 * the eigenvalues of K = J Jᵀ are λ = σ², and σ from the projected J is accurate to ≈ u·σ_max
 * absolutely, so λ is accurate to ≈ 2u·√(λ_max·λ) — down to ≈ 1e-8·λ_max in f32, where Lanczos on
 * K stops at ≈ 1e-5·λ_max.
 *
 * - {@link eigshJacobian}: the eigensolver — block thick-restart Golub–Kahan on the shared Krylov
 *   driver (src/reference/krylov.ts, bidiagonal decomposition) with the GPU backend of
 *   src/algorithms/krylovGpu.ts. Float64 twin: `eigshJacobianF64` (src/reference/golubKahan.ts).
 * - {@link GolubKahanRun}: a plain (unrestarted) bidiagonalization from given start vectors, for
 *   quadrature (src/algorithms/quadrature.ts). Step j (per lane), from u_1 = start/‖start‖:
 *   α_j v_j = Jᵀu_j − β_j v_{j−1}, orthogonalized twice (CGS2) against v_1..v_{j−1};
 *   β_{j+1} u_{j+1} = J v_j − α_j u_j, orthogonalized twice against u_1..u_j. The host computes the
 *   SVD of the square lower bidiagonal L_k in float64 with relative accuracy: Lanczos on K from u_1
 *   has T_k = L_k L_kᵀ, so the quadrature nodes are σ_i² and the weights the squared first
 *   components of the left singular vectors. Every J and Jᵀ apply is multiplied by 2^−e (e per
 *   Jacobian, from the largest entry of Jᵀu_1, which step 0 then uses: Jᵀ is applied once per
 *   step), so Jacobians of any f32-representable scale work.
 *   Float64 twin: golubKahanF64 (src/reference/golubKahan.ts).
 * @module
 */
import { DeviceLimitError, DisposedError, InvalidArgumentError } from '../errors.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { readStaging } from '../gpu/recorder.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import { record, type Recorder } from '../gpu/recorder.ts';
import { createBatchedDot } from '../kernels/batchedDot.ts';
import {
  allocateLaneBuffers,
  createLanczosUpdate,
  LanczosUpdateMode,
  readLaneState,
  type KrylovLaneBuffers,
} from '../kernels/lanczosUpdate.ts';
import { createMatVec, type VectorsView } from '../kernels/matVec.ts';
import { createScaleVectors } from '../kernels/scaleVectors.ts';
import { scaleExponent } from '../reference/krylovKernels.ts';
import { solveKrylov, type EigenSolution, type GpuEigenOptions } from './eigsh.ts';
import { createGolubKahanGpu } from './krylovGpu.ts';
import { bidiagonalSingularValues } from '../reference/golubKahan.ts';
import { Random } from '../util/random.ts';
import type { RectangularOperator } from './operators.ts';

/** The bidiagonals of all lanes read back to the host. */
export interface Bidiagonals {
  /** α_1..α_k per lane (diagonal of L_k). */
  readonly alpha: Float64Array[];
  /** β_2..β_{k+1} per lane (length k; beta[k−1] = β_{k+1} is the residual factor). */
  readonly beta: Float64Array[];
  readonly steps: Int32Array;
  readonly breakdown: boolean[];
  readonly startNorm: Float64Array;
  /** Per lane: J was applied as 2^−exponent·J (α, β above are of that J; σ scales back by 2^exponent). */
  readonly exponent: Int32Array;
}

/** wu, wv: candidates; ru, rv: the applies before scaling (scaled into wu, wv); unit: 2^−e per lane. */
type GkBuffers = KrylovLaneBuffers & {
  readonly wu: GPUBuffer;
  readonly wv: GPUBuffer;
  readonly ru: GPUBuffer;
  readonly rv: GPUBuffer;
  readonly unit: GPUBuffer;
};
interface GkKernels {
  readonly mv: Awaited<ReturnType<typeof createMatVec>>;
  readonly dot: Awaited<ReturnType<typeof createBatchedDot>>;
  readonly update: Awaited<ReturnType<typeof createLanczosUpdate>>;
  readonly scale: Awaited<ReturnType<typeof createScaleVectors>>;
}

/** A batched Golub–Kahan run on a {@link RectangularOperator}; owns its GPU buffers. */
export class GolubKahanRun implements Disposable {
  readonly ctx: GpuContext;
  readonly operator: RectangularOperator;
  readonly lanes: number;
  readonly maxSteps: number;
  /** Left basis [lanes][maxSteps + 1][n]. */
  readonly u: GPUBuffer;
  /** Right basis [lanes][maxSteps][p]. */
  readonly v: GPUBuffer;
  stepsTaken = 0;
  /** Per lane: the power of two the applies are divided by (set by {@link start}). */
  readonly exponent: Int32Array;
  readonly #b: GkBuffers;
  readonly #k: GkKernels;
  readonly #tol: number;
  /** rv holds Jᵀu_1 from the scale probe of {@link start}: step 0 scales it instead of applying Jᵀ again. */
  #probeHeld = false;
  #disposed = false;

  /** @internal use {@link createGolubKahan} */
  constructor(
    operator: RectangularOperator,
    maxSteps: number,
    tol: number,
    u: GPUBuffer,
    v: GPUBuffer,
    buffers: GkBuffers,
    kernels: GkKernels,
  ) {
    this.ctx = operator.ctx;
    this.operator = operator;
    this.lanes = operator.batch;
    this.maxSteps = maxSteps;
    this.u = u;
    this.v = v;
    this.#b = buffers;
    this.#k = kernels;
    this.#tol = tol;
    this.exponent = new Int32Array(operator.batch);
  }

  /** w = 2^−exponent·raw per lane (`len`-vectors). */
  #scale(rec: Recorder, raw: GPUBuffer, w: GPUBuffer, len: number): void {
    this.#k.scale.encode(rec, {
      src: { buffer: raw, stride: len },
      dst: { buffer: w, stride: len },
      scales: { buffer: this.#b.unit },
      len,
      batch: this.lanes,
    });
  }

  get uStride(): number {
    return (this.maxSteps + 1) * this.operator.n;
  }

  get vStride(): number {
    return this.maxSteps * this.operator.p;
  }

  /** Normalizes w (length len per lane) into row `row` of `basis`, running the lane update of `mode` at step k. */
  #normalize(rec: Recorder, w: GPUBuffer, len: number, basis: GPUBuffer, stride: number, row: number, k: number, mode: number): void {
    const b = this.#b;
    this.#k.dot.encode(rec, w, w, b.norm2, { n: len, batch: this.lanes });
    this.#k.update.encode(
      rec,
      { h1: b.h1, h2: b.h2, norm2: b.norm2, alpha: b.alpha, beta: b.beta, state: b.state, scale: b.scale, inv: b.inv },
      {
        lanes: this.lanes,
        k,
        mode,
        hStride: this.maxSteps + 1,
        tStride: this.maxSteps,
        tol: this.#tol,
      },
    );
    this.#k.scale.encode(rec, {
      src: { buffer: w, stride: len },
      dst: { buffer: basis, offset: row * len, stride },
      scales: { buffer: b.inv },
      len,
      batch: this.lanes,
    });
  }

  /** CGS2 of w (len per lane) against rows [0, rows) of `basis`. */
  #orthogonalize(rec: Recorder, w: GPUBuffer, len: number, basis: GPUBuffer, basisRows: number, stride: number, rows: number): void {
    if (rows === 0) return;
    const q = { buffer: basis, rows: basisRows, cols: len, batchStride: stride };
    const wv: VectorsView = { buffer: w, batchStride: len, vectorStride: len };
    for (const h of [this.#b.h1, this.#b.h2]) {
      const hv: VectorsView = { buffer: h, batchStride: this.maxSteps + 1, vectorStride: this.maxSteps + 1 };
      this.#k.mv.encodeN(rec, { m: q, x: wv, y: hv, batch: this.lanes, vectors: 1, rowEnd: rows });
      this.#k.mv.encodeT(rec, { m: q, x: hv, y: wv, batch: this.lanes, vectors: 1, rowEnd: rows, alpha: -1, beta: 1 });
    }
  }

  /** Loads u_1 = start/‖start‖ (random Gaussian from `seed`, or host vectors [lanes][n]). */
  async start(
    source:
      | { kind: 'random'; seed: number }
      | { kind: 'host'; data: Float32Array | Float64Array }
      | { kind: 'gpu'; buffer: GPUBuffer; offset?: number },
  ): Promise<void> {
    if (this.#disposed) throw new DisposedError('GolubKahanRun');
    const { n } = this.operator;
    const w = this.#b.wu;
    if (source.kind === 'random') {
      const one = Float32Array.from(new Random(source.seed).normals(n));
      for (let l = 0; l < this.lanes; l++) this.ctx.device.queue.writeBuffer(w, l * n * 4, one.buffer, one.byteOffset, one.byteLength);
    } else if (source.kind === 'host') {
      if (source.data.length !== this.lanes * n)
        throw new InvalidArgumentError('start', `expected lanes·n = ${this.lanes * n} values, got ${source.data.length}`);
      for (let i = 0; i < source.data.length; i++)
        if (!Number.isFinite(source.data[i]!)) throw new InvalidArgumentError('start', `entry ${i} is ${source.data[i]} (must be finite)`);
      const f = source.data instanceof Float32Array ? source.data : Float32Array.from(source.data);
      this.ctx.device.queue.writeBuffer(w, 0, f.buffer, f.byteOffset, f.byteLength);
    }
    await record(this.ctx, 'golubKahan start', (rec) => {
      if (source.kind === 'gpu') rec.copy(source.buffer, (source.offset ?? 0) * 4, w, 0, this.lanes * n * 4);
      this.#normalize(rec, w, n, this.u, this.uStride, 0, 0, LanczosUpdateMode.start);
      rec.copy(this.#b.norm2, 0, this.#b.startNorm2, 0, this.lanes * 4);
    });
    // Scale: the largest entry of Jᵀu_1 per lane fixes the power of two every apply is divided by.
    const { p } = this.operator;
    const maxAbs = await this.ctx.createBuffer({ label: 'gk probe max', size: Math.max(16, this.lanes * 4), usage: STORAGE_USAGE });
    try {
      const staged = await record(this.ctx, 'golubKahan scale probe', (rec) => {
        this.operator.encodeJt(
          rec,
          { buffer: this.u, batchStride: this.uStride, vectorStride: this.uStride },
          { buffer: this.#b.rv, batchStride: p, vectorStride: p },
          1,
        );
        this.#k.dot.encode(rec, this.#b.rv, null, maxAbs, { n: p, batch: this.lanes }, 0, 'maxAbs');
        return rec.stage(maxAbs, 0, this.lanes * 4);
      });
      const max = new Float32Array(await readStaging(this.ctx, staged));
      for (let l = 0; l < this.lanes; l++) {
        if (!Number.isFinite(max[l]!))
          throw new InvalidArgumentError('operator', `Jᵀu of Jacobian ${l} is not finite: its entries or products exceed the f32 range`);
        this.exponent[l] = scaleExponent(max[l]!);
      }
      const unit = Float32Array.from(this.exponent, (e) => 2 ** -e);
      this.ctx.device.queue.writeBuffer(this.#b.unit, 0, unit.buffer, unit.byteOffset, unit.byteLength);
    } finally {
      this.ctx.destroyBuffer(maxAbs);
    }
    this.#probeHeld = true;
    this.stepsTaken = 0;
  }

  /** Records step j: v_j from Jᵀu_j (held from the scale probe at j = 0), then u_{j+1} from J v_j. */
  #step(rec: Recorder, j: number): void {
    const { n, p } = this.operator;
    const { wu, wv, ru, rv } = this.#b;
    const op = this.operator;
    if (!(j === 0 && this.#probeHeld))
      op.encodeJt(
        rec,
        { buffer: this.u, offset: j * n, batchStride: this.uStride, vectorStride: this.uStride },
        { buffer: rv, batchStride: p, vectorStride: p },
        1,
      );
    this.#scale(rec, rv, wv, p);
    this.#orthogonalize(rec, wv, p, this.v, this.maxSteps, this.vStride, j);
    this.#normalize(rec, wv, p, this.v, this.vStride, j, j, LanczosUpdateMode.storeAlpha);
    op.encodeJ(
      rec,
      { buffer: this.v, offset: j * p, batchStride: this.vStride, vectorStride: this.vStride },
      { buffer: ru, batchStride: n, vectorStride: n },
      1,
    );
    this.#scale(rec, ru, wu, n);
    this.#orthogonalize(rec, wu, n, this.u, this.maxSteps + 1, this.uStride, j + 1);
    this.#normalize(rec, wu, n, this.u, this.uStride, j + 1, j, LanczosUpdateMode.storeBeta);
  }

  /** Runs until `steps` steps have been taken. */
  async advance(steps: number): Promise<void> {
    if (this.#disposed) throw new DisposedError('GolubKahanRun');
    if (!Number.isInteger(steps) || steps > this.maxSteps)
      throw new InvalidArgumentError('steps', `must be an integer ≤ maxSteps (${this.maxSteps}), got ${steps}`);
    while (this.stepsTaken < steps) {
      const first = this.stepsTaken;
      const last = Math.min(steps, first + 8);
      await record(this.ctx, `golubKahan steps ${first}..${last - 1}`, (rec) => {
        for (let j = first; j < last; j++) this.#step(rec, j);
      });
      this.#probeHeld = false;
      this.stepsTaken = last;
    }
  }

  /** Reads the bidiagonals back. */
  async readBidiagonals(): Promise<Bidiagonals> {
    if (this.#disposed) throw new DisposedError('GolubKahanRun');
    const { lanes, maxSteps } = this;
    const { alpha, beta, state, startNorm2: norm2 } = await readLaneState(this.ctx, this.#b, lanes, maxSteps, 'golubKahan');
    const out: Bidiagonals = {
      alpha: [],
      beta: [],
      steps: new Int32Array(lanes),
      breakdown: [],
      startNorm: new Float64Array(lanes),
      exponent: Int32Array.from(this.exponent),
    };
    for (let l = 0; l < lanes; l++) {
      const k = state[2 * l + 1]!;
      out.steps[l] = k;
      out.alpha.push(Float64Array.from(alpha.subarray(l * maxSteps, l * maxSteps + k)));
      out.beta.push(Float64Array.from(beta.subarray(l * maxSteps, l * maxSteps + k)));
      out.breakdown.push(state[2 * l] === 0);
      out.startNorm[l] = Math.sqrt(Math.max(0, norm2[l]!));
    }
    return out;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.ctx.destroyBuffer(this.u);
    this.ctx.destroyBuffer(this.v);
    for (const buffer of Object.values(this.#b)) this.ctx.destroyBuffer(buffer);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Allocates a batched Golub–Kahan run (one start vector per Jacobian). */
export async function createGolubKahan(
  operator: RectangularOperator,
  options: { maxSteps: number; breakdownTolerance?: number },
): Promise<GolubKahanRun> {
  const { ctx, n, p, batch } = operator;
  const { maxSteps } = options;
  if (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > Math.min(n, p)) {
    throw new InvalidArgumentError('maxSteps', `must be an integer in [1, min(n, p)] = [1, ${Math.min(n, p)}], got ${maxSteps}`);
  }
  const uBytes = batch * (maxSteps + 1) * n * 4;
  const vBytes = batch * maxSteps * p * 4;
  for (const [what, bytes] of [
    ['left', uBytes],
    ['right', vBytes],
  ] as const) {
    if (bytes > ctx.limits.maxBufferSize)
      throw new DeviceLimitError('maxBufferSize', bytes, ctx.limits.maxBufferSize, `the ${what} Golub–Kahan basis`);
  }
  const [mv, dot, update, scale] = await Promise.all([
    createMatVec(ctx),
    createBatchedDot(ctx),
    createLanczosUpdate(ctx),
    createScaleVectors(ctx),
  ]);
  using group = new BufferGroup(ctx);
  const u = await group.storage(batch * (maxSteps + 1) * n, 'gk U');
  const v = await group.storage(batch * maxSteps * p, 'gk V');
  const buffers = {
    ...(await allocateLaneBuffers(group, batch, maxSteps, 'gk')),
    wu: await group.storage(batch * n, 'gk wu'),
    wv: await group.storage(batch * p, 'gk wv'),
    ru: await group.storage(batch * n, 'gk ru'),
    rv: await group.storage(batch * p, 'gk rv'),
    unit: await group.storage(batch, 'gk unit'),
  };
  const tol = options.breakdownTolerance ?? 8 * Math.sqrt(Math.max(n, p)) * 2 ** -24;
  const run = new GolubKahanRun(operator, maxSteps, tol, u, v, buffers, { mv, dot, update, scale });
  group.keep(u, v, ...Object.values(buffers));
  return run;
}

/** Singular-value decomposition of each lane's square L_k in float64 (λ = σ², left vectors for weights/bounds). */
export function bidiagonalEigen(bi: Bidiagonals): { lambda: Float64Array[]; left: Float64Array[]; sigmaMax: Float64Array } {
  const lambda: Float64Array[] = [];
  const left: Float64Array[] = [];
  const sigmaMax = new Float64Array(bi.steps.length);
  bi.steps.forEach((k, l) => {
    if (k === 0) {
      lambda.push(new Float64Array(0));
      left.push(new Float64Array(0));
      return;
    }
    const svd = bidiagonalSingularValues(bi.alpha[l]!, bi.beta[l]!.subarray(0, k - 1), 'lower', { vectors: true });
    // σ of the scaled J, back to J's units (a power of two: exact); ascending λ as for Lanczos.
    const unit = 2 ** (bi.exponent[l] ?? 0);
    const order = Array.from({ length: k }, (_, i) => k - 1 - i);
    lambda.push(Float64Array.from(order, (i) => (svd.values[i]! * unit) ** 2));
    const u = new Float64Array(k * k);
    order.forEach((i, r) => u.set(svd.u!.subarray(i * k, (i + 1) * k), r * k));
    left.push(u);
    sigmaMax[l] = svd.values[0]! * unit;
  });
  return { lambda, left, sigmaMax };
}

/**
 * Eigenpairs of K_b = J_b J_bᵀ for every Jacobian of the batch (largest, smallest or both ends)
 * through block thick-restart Golub–Kahan on J on the GPU: the same options, results and contract
 * as {@link eigsh} — thick restart within `maxVectors`, breakdown continuation on either side (a
 * rank-deficient J returns all k values), verification, power-of-two scaling, Ritz vectors of K
 * (left singular vectors of J) on the host or the GPU — with the driver of src/reference/krylov.ts
 * in its bidiagonal form. The Ritz values are σ² of the projected M = UᵀJV, so small eigenvalues
 * are accurate to ≈ 2u·√(λ_max·λ) instead of u·λ_max (docs/accuracy.md, "Golub–Kahan").
 * `applies` counts applications of K (one J and one Jᵀ each). Float64 twin: `eigshJacobianF64`.
 *
 * @example
 * ```ts
 * using op = await jacobianOperator(ctx, { n, p, data: jacobian });
 * using sol = await eigshJacobian(op, { k: 10, which: 'smallest' });
 * sol.results[0].eigenvalues; sol.results[0].errorBounds;
 * ```
 */
export async function eigshJacobian(operator: RectangularOperator, options: GpuEigenOptions): Promise<EigenSolution> {
  const block = options?.blockSize ?? 1;
  if (Number.isInteger(block) && block > operator.p)
    throw new InvalidArgumentError('blockSize', `cannot exceed the Jacobian's columns (p = ${operator.p}), got ${block}`);
  return solveKrylov(operator, 'bidiagonal', options, (o) => createGolubKahanGpu(operator, o));
}
