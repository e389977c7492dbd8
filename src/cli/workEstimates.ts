/**
 * Cheap measurements of the work a command is about to do, for the backend choice in
 * src/cli/backend.ts: a few real Lanczos steps on the real operator (GPU and float64 CPU), or a
 * small dense eigensolve scaled by n³, extrapolated to the whole work by its step count. They
 * are estimates for choosing between backends that differ by factors, not benchmarks.
 * @module
 */
import { denseOperator, jacobianOperator, type SymmetricOperator } from '../algorithms/operators.ts';
import { lanczosQuadrature } from '../algorithms/quadrature.ts';
import type { GpuContext } from '../gpu/context.ts';
import { denseCpuOperator, quadratureF64 } from '../reference/eigsh.ts';
import { matmul } from '../reference/linalg.ts';
import { symmetricEigen } from '../reference/symmetricEigen.ts';
import { tridiagonalEigen } from '../reference/tridiagonalEigen.ts';
import { Random } from '../util/random.ts';
import type { WorkEstimate } from './backend.ts';

/** Lanczos steps of the shorter timed run (the longer has 4×), after one warm-up step that compiles the pipelines. */
const PROBE_STEPS = 4;

const seconds = (start: number): number => (performance.now() - start) / 1000;

/**
 * The shortest of `runs` timings of `fn`: on a busy machine the other processes only ever add
 * time, so the minimum is the least disturbed measurement.
 */
async function fastest(runs: number, fn: () => Promise<number> | number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, await fn());
  return best;
}

function fastestSync(runs: number, fn: () => number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, fn());
  return best;
}

/**
 * A model of the GPU's Lanczos time, t(m) = a·m + b·m² for m steps (the matrix products cost the
 * same every step; the reorthogonalization grows with the step), fitted to two short runs on the
 * real operator after one warm-up step that compiles the pipelines.
 */
async function gpuLanczosModel(
  ctx: GpuContext,
  n: number,
  batch: number,
  data: Float32Array,
  lanes: number,
): Promise<(m: number) => number> {
  using op = await denseOperator(ctx, { n, batch, data });
  // Awaited here: `using` disposes the operator when this function returns.
  return await operatorLanczosModel(op, n, lanes);
}

/** {@link gpuLanczosModel} on an operator already on the GPU. */
async function operatorLanczosModel(op: SymmetricOperator, n: number, lanes: number): Promise<(m: number) => number> {
  await lanczosQuadrature(op, { steps: 1, probes: lanes });
  const time = async (steps: number): Promise<number> => {
    const start = performance.now();
    await lanczosQuadrature(op, { steps, probes: lanes });
    return seconds(start);
  };
  const m1 = Math.min(PROBE_STEPS, n);
  const m2 = Math.min(4 * PROBE_STEPS, n);
  const t1 = await fastest(2, () => time(m1));
  if (m2 === m1) return (m) => (t1 / m1) * m;
  const t2 = await fastest(2, () => time(m2));
  // Solve t = a·m + b·m² through both points; a negative b (noise) falls back to linear.
  const b = Math.max(0, (t2 / m2 - t1 / m1) / (m2 - m1));
  const a = Math.max(0, t1 / m1 - b * m1);
  return (m) => a * m + b * m * m;
}

/** Seconds per Lanczos step and vector (all operators) on the float64 cpu backend. */
function cpuSecondsPerStep(n: number, batch: number, data: Float32Array): number {
  const steps = Math.min(PROBE_STEPS, n);
  const op = denseCpuOperator(n, batch, data);
  return (
    fastestSync(3, () => {
      const start = performance.now();
      quadratureF64(op, steps, 1, 0);
      return seconds(start);
    }) / steps
  );
}

/**
 * Lanczos work on a batch of dense matrices: `steps` steps with `lanes` vectors per matrix
 * (eig: one vector; density: one per probe, which the GPU advances together).
 */
export function lanczosWork(options: {
  readonly description: string;
  readonly n: number;
  readonly batch: number;
  readonly data: Float32Array;
  readonly steps: number;
  readonly lanes: number;
}): WorkEstimate {
  const { n, batch, data, steps, lanes } = options;
  return {
    description: options.description,
    gpuSeconds: async (ctx) => (await gpuLanczosModel(ctx, n, batch, data, lanes))(steps),
    cpuSeconds: () => cpuSecondsPerStep(n, batch, data) * steps * lanes,
  };
}

/** A random symmetric n×n matrix (f32 values), for measurements that need one. */
function randomSymmetric(n: number, seed: number): Float32Array {
  const g = new Random(seed);
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = g.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  return a;
}

/** The largest matrix the cpu measurement of a dense eigensolve uses (then scaled by n³), and its warm-up size. */
const EIGEN_PROBE_N = 192;
const EIGEN_WARMUP_N = 48;

/** Seconds of the host's m×m tridiagonal eigensolve with vectors (measured at ≤ 128, scaled by m³). */
function tridiagonalSeconds(m: number): number {
  const probe = (size: number): number => {
    const g = new Random(size);
    const alpha = Float64Array.from({ length: size }, () => g.normal());
    const beta = Float64Array.from({ length: size - 1 }, () => Math.abs(g.normal()));
    const start = performance.now();
    tridiagonalEigen(alpha, beta, { vectors: 'all' });
    return seconds(start);
  };
  probe(16);
  const size = Math.min(m, 128);
  return fastestSync(3, () => probe(size)) * (m / size) ** 3;
}

/** The largest sizes of the cpu measurement of forming K = J Jᵀ (then scaled by n²·p). */
const PRODUCT_PROBE_N = 96;
const PRODUCT_PROBE_P = 384;

/** Seconds of the float64 product J Jᵀ (n×p by p×n), measured at ≤ 96 × 384 and scaled by n²·p. */
function kernelProductSeconds(n: number, p: number): number {
  const m = Math.min(n, PRODUCT_PROBE_N);
  const q = Math.min(p, PRODUCT_PROBE_P);
  const a = Float64Array.from(new Random(3).normals(m * q));
  const b = Float64Array.from(new Random(4).normals(q * m));
  matmul(a, b, m, q, m);
  const once = (): number => {
    const start = performance.now();
    matmul(a, b, m, q, m);
    return seconds(start);
  };
  return fastestSync(3, once) * ((n * n * p) / (m * m * q));
}

/**
 * The series pipeline (`grsd analyze`) over `checkpoints` checkpoints of n×n kernels with
 * `rank` eigenpairs each: on the GPU a Lanczos eigensolve (about max(2r + 20, 30) steps, capped
 * at n, plus 30 for λ_max) whose tridiagonal is diagonalized on the host; on the cpu backend a
 * dense symmetric eigensolve, O(n³). For checkpoints given as a Jacobian J (n×p) the GPU runs
 * Golub–Kahan on J, measured as Lanczos on J(Jᵀx) on the real J (the same applications of J and
 * Jᵀ per step and the same n-long reorthogonalization; one-sided Golub–Kahan adds O(p) per step:
 * docs/benchmarks.md, "eigsh-jacobian"), and the cpu backend first forms K = J Jᵀ, O(n²p).
 */
export function seriesWork(options: {
  readonly n: number;
  readonly rank: number;
  readonly checkpoints: number;
  readonly kernel?: ArrayLike<number>;
  readonly jacobian?: { readonly p: number; readonly data?: ArrayLike<number> };
}): WorkEstimate {
  const { n, rank, checkpoints, jacobian } = options;
  const steps = Math.min(n, Math.max(2 * rank + 20, 30));
  const lambdaMaxSteps = Math.min(n, 30);
  return {
    description: `${checkpoints} checkpoints of n = ${n}${jacobian ? ` (Jacobians, p = ${jacobian.p})` : ''}, rank ${rank}`,
    gpuSeconds: async (ctx) => {
      let model: (m: number) => number;
      if (jacobian) {
        const data = jacobian.data ? Float32Array.from(jacobian.data) : Float32Array.from(new Random(1).normals(n * jacobian.p));
        using op = await jacobianOperator(ctx, { n, p: jacobian.p, data });
        model = await operatorLanczosModel(op, n, 1);
      } else {
        const data = options.kernel ? Float32Array.from(options.kernel) : randomSymmetric(n, 1);
        model = await gpuLanczosModel(ctx, n, 1, data, 1);
      }
      return (model(steps) + model(lambdaMaxSteps) + tridiagonalSeconds(steps)) * checkpoints;
    },
    cpuSeconds: () => {
      symmetricEigen(Float64Array.from(randomSymmetric(EIGEN_WARMUP_N, 2)), EIGEN_WARMUP_N, { vectors: true });
      const m = Math.min(n, EIGEN_PROBE_N);
      const a = Float64Array.from(randomSymmetric(m, 2));
      const once = (): number => {
        const start = performance.now();
        symmetricEigen(a, m, { vectors: true });
        return seconds(start);
      };
      const product = jacobian ? kernelProductSeconds(n, jacobian.p) : 0;
      return (fastestSync(3, once) * (n / m) ** 3 + product) * checkpoints;
    },
  };
}
