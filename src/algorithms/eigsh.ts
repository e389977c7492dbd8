/**
 * Eigenpairs of batched symmetric operators on the GPU: top-k, bottom-k or both ends, with error
 * bounds, a converged mask and Ritz vectors on the GPU — by block thick-restart Lanczos.
 *
 * The algorithm (src/reference/krylov.ts, shared with the float64 `eigshF64`): block steps with
 * CGS2 on the GPU (src/algorithms/krylovGpu.ts), the Rayleigh quotient H = QᵀAQ read back and
 * diagonalized in float64 on the host; convergence checked after every chunk of steps; thick
 * restarts within a memory budget instead of a step cap; invariant subspaces continued from
 * random vectors; converged sets verified from a random block; every operator scaled by a power
 * of two, so that any f32-representable scale works. Operators that have converged are not
 * applied again. See docs/accuracy.md for what the bounds and `converged` guarantee.
 * @module
 */
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readStaging, record } from '../gpu/recorder.ts';
import { krylovEigen, type KrylovKind, type KrylovRequest, type KrylovResponse } from '../reference/krylov.ts';
import { roundingFloors } from '../reference/krylovItems.ts';
import {
  eigenResultOf,
  krylovSettings,
  probeVector,
  resolveEigenOptions,
  type EigenOptions,
  type EigenResult,
  type StopReason,
  type Which,
} from '../reference/eigsh.ts';
import { createKrylovGpu, type KrylovGpuBackend, type KrylovGpuOptions } from './krylovGpu.ts';
import type { LanczosStart } from './lanczos.ts';
import { matrixOperator, type MatrixInput, type SymmetricOperator } from './operators.ts';

export type { EigenOptions, EigenResult, MatrixInput, StopReason, Which };

/** Options of {@link eigsh}: the shared {@link EigenOptions} plus GPU-specific ones. */
export interface GpuEigenOptions extends EigenOptions {
  /** Ritz vectors: none (default), copied to the host, or kept on the GPU ({@link EigenSolution.vectorBuffer}). */
  readonly vectors?: 'none' | 'host' | 'gpu';
  /**
   * Start block instead of the seeded random one, e.g. the residual: [batch][blockSize][n] (host) or
   * the same layout at `offset` (elements) of a GPU buffer (borrowed).
   */
  readonly start?: Exclude<LanczosStart, { readonly kind: 'random' }>;
}

/** Results of {@link eigsh}; owns the GPU Ritz vectors when `vectors: "gpu"`. */
export interface EigenSolution extends Disposable {
  /** Dimension of each operator. */
  readonly n: number;
  /** Eigenpairs asked for per operator. */
  readonly k: number;
  /** The end of the spectrum they were taken from. */
  readonly which: Which;
  /** Block size p used. */
  readonly blockSize: number;
  /** One result per operator of the batch. */
  readonly results: EigenResult[];
  /**
   * With `vectors: "gpu"`: [batch][k][n] f32 Ritz vectors, row v of operator b at (b·k + v)·n, in
   * the order of `results[b].eigenvalues` (rows past a result's length are zero). Owned by the
   * solution: valid until {@link dispose}.
   */
  readonly vectorBuffer: GPUBuffer | null;
  /** Releases {@link vectorBuffer}. Idempotent. */
  dispose(): void;
}

const U = 2 ** -24;

/**
 * The f32 rounding floor added to every error bound of the GPU path: (2η + 2u)·max|θ| with
 * u = 2⁻²⁴ and η the largest loss of orthogonality measured during the run (the size of CGS2's
 * second-pass coefficients relative to the first). On the hard-case catalogue η ≈ 3–6u and the
 * error beyond the Krylov bound ≤ 0.9u·max|θ| (docs/accuracy.md: "The rounding floor").
 */
export function f32BoundFloor(loss: number, scale: number): number {
  return roundingFloors('symmetric', U, loss, scale, null, 1)[0]!;
}

/**
 * The smallest tolerance the GPU path accepts: 64u ≈ 3.8e-6, four times the floor the catalogue
 * measures (≈ 12u); below it a tolerance would be met by chance, or never.
 */
export const MIN_GPU_TOLERANCE = 64 * U;

/** Default relative hole tolerance in f32: well above the residual CGS2 leaves of an exactly invariant vector (≈ u·√n). */
export function f32HoleTolerance(n: number): number {
  return 64 * U * Math.sqrt(n);
}

function isOperator(x: unknown): x is SymmetricOperator {
  return typeof x === 'object' && x !== null && typeof (x as SymmetricOperator).encodeApply === 'function';
}

/**
 * Computes k eigenpairs of every operator of the batch on the GPU.
 *
 * Two call forms: `eigsh(operator, options)` for any {@link SymmetricOperator} (a batch of dense,
 * Jacobian, sparse or user-defined operators), and `eigsh(ctx, matrix, options)` for a dense
 * host matrix ({@link MatrixInput}: `{ data, shape: [n, n] }`, a Tensor, or `{ n, data }`).
 *
 * Every operator gets k values, each with an error bound (an eigenvalue lies within it) and a
 * converged flag (bound ≤ tolerance·max|θ|); `stopReason` says why its iteration ended.
 * Throws InvalidArgumentError for bad options (k > n, a tolerance below what f32 can certify,
 * …) or when the operator produces non-finite values; DeviceLimitError when the basis cannot fit.
 *
 * @example
 * ```ts
 * using sol = await eigsh(ctx, { data: matrix, shape: [n, n] }, { k: 6 });
 * sol.results[0].eigenvalues; sol.results[0].errorBounds; sol.results[0].converged;
 * ```
 */
export async function eigsh(operator: SymmetricOperator, options: GpuEigenOptions): Promise<EigenSolution>;
export async function eigsh(ctx: GpuContext, matrix: MatrixInput, options: GpuEigenOptions): Promise<EigenSolution>;
export async function eigsh(
  first: SymmetricOperator | GpuContext,
  second: GpuEigenOptions | MatrixInput,
  third?: GpuEigenOptions,
): Promise<EigenSolution> {
  if (isOperator(first)) return solveKrylov(first, 'symmetric', second as GpuEigenOptions, (o) => createKrylovGpu(first, o));
  if (third === undefined) throw new InvalidArgumentError('options', 'eigsh(ctx, matrix, options) needs the options, e.g. { k: 6 }');
  using operator = await matrixOperator(first, second as MatrixInput);
  return await solveKrylov(operator, 'symmetric', third, (o) => createKrylovGpu(operator, o));
}

/**
 * Runs the Krylov driver (src/reference/krylov.ts) of `kind` against a GPU backend for the batch
 * described by `shape` (n: dimension of the main basis): option validation, start block, Ritz
 * vectors. Shared by {@link eigsh} and `eigshJacobian` (src/algorithms/golubKahan.ts).
 * @internal
 */
export async function solveKrylov(
  shape: { readonly ctx: GpuContext; readonly n: number; readonly batch: number },
  kind: KrylovKind,
  options: GpuEigenOptions,
  create: (options: KrylovGpuOptions) => Promise<KrylovGpuBackend>,
): Promise<EigenSolution> {
  const { ctx, n, batch } = shape;
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object, e.g. { k: 6 }');
  const o = resolveEigenOptions(options, n, MIN_GPU_TOLERANCE);
  const vectorsMode = options.vectors ?? 'none';
  if (!['none', 'host', 'gpu'].includes(vectorsMode))
    throw new InvalidArgumentError('vectors', `must be "none", "host" or "gpu", got "${vectorsMode}"`);
  const p = o.blockSize;
  let start: KrylovGpuOptions['start'];
  if (options.start?.kind === 'host') {
    if (options.start.data.length !== batch * p * n)
      throw new InvalidArgumentError(
        'start',
        `expected batch·blockSize·n = ${batch}·${p}·${n} = ${batch * p * n} values, got ${options.start.data.length}`,
      );
    for (let i = 0; i < options.start.data.length; i++)
      if (!Number.isFinite(options.start.data[i]!))
        throw new InvalidArgumentError(
          'start',
          `entry ${i % n} of start vector ${Math.floor(i / n)} is ${options.start.data[i]} (must be finite)`,
        );
    start = { kind: 'host', data: options.start.data, shared: false };
  } else if (options.start?.kind === 'gpu') {
    start = options.start;
  } else {
    const data = new Float64Array(p * n);
    for (let v = 0; v < p; v++) data.set(probeVector(o.seed, v, n), v * n);
    start = { kind: 'host', data, shared: true };
  }
  const holeTolerance = options.breakdownTolerance ?? f32HoleTolerance(n);
  using backend = await create({
    block: p,
    capacity: o.maxVectors,
    start,
    seed: o.seed,
    holeTolerance,
  });
  const settings = krylovSettings(kind, n, batch, o, vectorsMode !== 'none', U, holeTolerance);
  const driver = krylovEigen(settings);
  let step = driver.next(null as unknown as KrylovResponse);
  while (!step.done) step = driver.next(await backend.handle(step.value as KrylovRequest));
  const results = step.value.results.map(eigenResultOf);

  let vectorBuffer: GPUBuffer | null = null;
  if (vectorsMode !== 'none') {
    const buffer = backend.vectorBuffer!;
    backend.vectorBuffer = null;
    if (vectorsMode === 'gpu') vectorBuffer = buffer;
    else {
      try {
        const staging = await record(ctx, 'ritz vectors readback', (rec) => rec.stage(buffer, 0, batch * o.k * n * 4));
        const all = new Float32Array(await readStaging(ctx, staging));
        results.forEach((r, b) => {
          r.vectors = all.slice(b * o.k * n, (b * o.k + r.eigenvalues.length) * n);
        });
      } finally {
        ctx.destroyBuffer(buffer);
      }
    }
  }
  let disposed = false;
  const release = (): void => {
    disposed = true;
    ctx.destroyBuffer(vectorBuffer);
  };
  return {
    n,
    k: o.k,
    which: o.which,
    blockSize: p,
    results,
    get vectorBuffer() {
      if (disposed) throw new DisposedError('EigenSolution');
      return vectorBuffer;
    },
    dispose: release,
    [Symbol.dispose]: release,
  };
}
