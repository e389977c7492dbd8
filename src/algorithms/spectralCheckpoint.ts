/**
 * One checkpoint of the GRSD series on the GPU (docs/math.md, "Shells"): the top-r eigenpairs of
 * the kernel with the Ritz vectors kept on the GPU — by Lanczos ({@link eigsh}), or for a Jacobian
 * operator (K = J Jᵀ given as J, `jacobianOperator`) by Golub–Kahan on J ({@link eigshJacobian}:
 * λ = σ² accurate to ≈ 2u·√(λ_max·λ) instead of u·λ_max, docs/accuracy.md) — and the amplitudes
 * c = U e of the residual in that eigenbasis (matVecN). The eigenvectors and the residual stay
 * resident for the next interval's transport ({@link intervalTransport}); eigenvalues and
 * amplitudes come back to the host. Shell assignment is the caller's, in float64 on the host
 * (`assignShell`), so that no f32 rounding of λ = timeScale·θ can move an eigenvalue between shells.
 *
 * Float64 twin: `spectralCheckpointF64` in src/reference/spectralCheckpoint.ts. Accuracy: the
 * eigenvalues carry eigsh's error bounds (docs/accuracy.md); each amplitude is the f32 dot product
 * of a Ritz vector with e (error ≤ γ_{n+2} Σ_i |u_ki e_i|), tested against the twin in
 * test/gpu/spectralCheckpoint.gpu.test.ts.
 * @module
 */
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readStaging, record } from '../gpu/recorder.ts';
import { createMatVec } from '../kernels/matVec.ts';
import type { StopReason } from '../reference/krylov.ts';
import { checkFinite } from '../reference/linalg.ts';
import { eigsh } from './eigsh.ts';
import { eigshJacobian } from './golubKahan.ts';
import type { RectangularOperator, SymmetricOperator } from './operators.ts';

/** Options of {@link spectralCheckpoint}. */
export interface SpectralCheckpointOptions {
  /** Eigenpairs wanted (1 … n). */
  readonly rank: number;
  /** Lanczos steps (raised to `rank` if smaller); default adaptive (see eigsh). */
  readonly steps?: number;
  /** Seed of the Lanczos start vector. Default 0. */
  readonly seed?: number;
  /** Also copy the Ritz vectors to the host ({@link GpuSpectralCheckpoint.hostVectors}). */
  readonly readVectors?: boolean;
  /** Prefix of GPU buffer labels (e.g. the checkpoint's file). */
  readonly label?: string;
}

/** The eigensolver's diagnostics for one checkpoint (Lanczos, or Golub–Kahan for a Jacobian). */
export interface LanczosDiagnostics {
  /** `"lanczos"` (eigsh on K) or `"golubKahan"` (eigshJacobian on J). */
  readonly method: 'lanczos' | 'golubKahan';
  /** Block steps taken. */
  readonly steps: number;
  /** An invariant subspace was met and continued from (the pairs past it are still returned). */
  readonly breakdown: boolean;
  /** Returned pairs whose error bound meets the tolerance. */
  readonly converged: number;
  /** Why the iteration stopped (docs/accuracy.md): converged, exhausted, maxApplies, steps or floor. */
  readonly stopReason: StopReason;
}

/**
 * A checkpoint's spectrum on the GPU. Owns `vectors` and `residual` until {@link dispose}.
 * `values.length` (the pairs returned) equals the rank asked for unless the eigensolver stopped
 * early (`lanczos.stopReason`: maxApplies or fixed steps); an invariant subspace does not end it
 * (breakdown continuation, docs/accuracy.md).
 */
export class GpuSpectralCheckpoint implements Disposable {
  /** The context the buffers live on. */
  readonly ctx: GpuContext;
  /** Dimension n of the kernel and the residual. */
  readonly n: number;
  /** Pairs asked for. */
  readonly requested: number;
  /** θ_k, descending (length = pairs returned). */
  readonly values: Float64Array;
  /** eigsh's error bound of each θ_k. */
  readonly errorBounds: Float64Array;
  /** c_k = u_kᵀ e (f32 on the GPU, widened). */
  readonly amplitudes: Float64Array;
  /** The eigensolver's diagnostics. */
  readonly lanczos: LanczosDiagnostics;
  /** The Ritz vectors copied to the host ([r][n]) when `readVectors`, else null. */
  readonly hostVectors: Float32Array | null;
  readonly #vectors: GPUBuffer;
  readonly #residual: GPUBuffer;
  #disposed = false;

  /** @internal Use {@link spectralCheckpoint}. */
  constructor(fields: {
    ctx: GpuContext;
    n: number;
    requested: number;
    values: Float64Array;
    errorBounds: Float64Array;
    amplitudes: Float64Array;
    lanczos: LanczosDiagnostics;
    hostVectors: Float32Array | null;
    vectors: GPUBuffer;
    residual: GPUBuffer;
  }) {
    this.ctx = fields.ctx;
    this.n = fields.n;
    this.requested = fields.requested;
    this.values = fields.values;
    this.errorBounds = fields.errorBounds;
    this.amplitudes = fields.amplitudes;
    this.lanczos = fields.lanczos;
    this.hostVectors = fields.hostVectors;
    this.#vectors = fields.vectors;
    this.#residual = fields.residual;
  }

  /** Pairs returned. */
  get rank(): number {
    return this.values.length;
  }

  /** The Ritz vectors, [rank][n] f32 row-major (owned). */
  get vectors(): GPUBuffer {
    if (this.#disposed) throw new DisposedError('GpuSpectralCheckpoint');
    return this.#vectors;
  }

  /** The residual e, [n] f32 (owned). */
  get residual(): GPUBuffer {
    if (this.#disposed) throw new DisposedError('GpuSpectralCheckpoint');
    return this.#residual;
  }

  /** Releases the GPU buffers. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.ctx.destroyBuffer(this.#vectors);
    this.ctx.destroyBuffer(this.#residual);
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Whether `operator` gives J and Jᵀ separately (a Jacobian): then Golub–Kahan applies. */
function isRectangular(operator: SymmetricOperator): operator is SymmetricOperator & RectangularOperator {
  const o = operator as Partial<RectangularOperator>;
  return typeof o.encodeJ === 'function' && typeof o.encodeJt === 'function' && typeof o.p === 'number';
}

/**
 * The top `rank` eigenpairs of `operator` (batch 1) and the amplitudes of `residual` on them, with
 * the Ritz vectors and the residual left on the GPU (see the module documentation). An operator
 * that is also a {@link RectangularOperator} (a `jacobianOperator`) is solved by Golub–Kahan on J.
 *
 * @example
 * ```ts
 * using op = await denseOperator(ctx, { n, data: kernel });
 * using cp = await spectralCheckpoint(op, residual, { rank: 64 });
 * cp.values; cp.amplitudes; cp.vectors; // θ desc, c = U e, [64][n] on the GPU
 * ```
 */
export async function spectralCheckpoint(
  operator: SymmetricOperator,
  residual: ArrayLike<number>,
  options: SpectralCheckpointOptions,
): Promise<GpuSpectralCheckpoint> {
  const { ctx, n } = operator;
  if (operator.batch !== 1) throw new InvalidArgumentError('operator', `must hold one operator, got a batch of ${operator.batch}`);
  if (residual.length !== n) throw new InvalidArgumentError('residual', `has ${residual.length} values; the operator has n = ${n}`);
  checkFinite('residual', residual);
  const { rank } = options;
  if (!(Number.isInteger(rank) && rank >= 1 && rank <= n))
    throw new InvalidArgumentError('rank', `must be an integer in [1, n = ${n}], got ${rank}`);
  const label = options.label ?? 'checkpoint';
  const eigenOptions = {
    k: rank,
    which: 'largest' as const,
    vectors: 'gpu' as const,
    seed: options.seed ?? 0,
    ...(options.steps === undefined ? {} : { steps: Math.max(options.steps, rank) }),
  };
  const method = isRectangular(operator) ? 'golubKahan' : 'lanczos';
  using sol = isRectangular(operator) ? await eigshJacobian(operator, eigenOptions) : await eigsh(operator, eigenOptions);
  const er = sol.results[0]!;
  const r = er.eigenvalues.length;
  using group = new BufferGroup(ctx);
  const vectors = await group.storage(r * n, `${label} eigenvectors`);
  const resident = await group.storage(n, `${label} residual`);
  const amplitudes = await group.storage(r, `${label} amplitudes`);
  ctx.device.queue.writeBuffer(resident, 0, Float32Array.from(residual));
  const mv = await createMatVec(ctx);
  const staged = await record(ctx, `${label}: amplitudes`, (rec) => {
    if (r === 0) return [];
    rec.copy(sol.vectorBuffer!, 0, vectors, 0, r * n * 4);
    mv.encodeN(rec, {
      m: { buffer: vectors, rows: r, cols: n },
      x: { buffer: resident, batchStride: n, vectorStride: n },
      y: { buffer: amplitudes, batchStride: r, vectorStride: r },
      batch: 1,
      vectors: 1,
    });
    return [rec.stage(amplitudes, 0, r * 4), ...(options.readVectors ? [rec.stage(vectors, 0, r * n * 4)] : [])];
  });
  const [cRaw, vRaw] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
  group.keep(vectors, resident);
  return new GpuSpectralCheckpoint({
    ctx,
    n,
    requested: rank,
    values: Float64Array.from(er.eigenvalues),
    errorBounds: Float64Array.from(er.errorBounds),
    amplitudes: cRaw ? Float64Array.from(new Float32Array(cRaw)) : new Float64Array(0),
    lanczos: {
      method,
      steps: er.steps,
      breakdown: er.breakdown,
      converged: er.converged.filter(Boolean).length,
      stopReason: er.stopReason,
    },
    hostVectors: options.readVectors ? (vRaw ? new Float32Array(vRaw) : new Float32Array(0)) : null,
    vectors,
    residual: resident,
  });
}
