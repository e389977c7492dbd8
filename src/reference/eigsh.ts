/**
 * The Lanczos eigensolver's host-side logic, shared by the GPU path (src/algorithms/eigsh.ts) and
 * the float64 CPU backend {@link eigshF64}: option validation, the Ritz-pair selection for
 * `which`, error bounds and the converged mask. Results have the same shape on both backends.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { Random } from '../util/random.ts';
import { lanczosF64, type ApplyF64 } from './lanczos.ts';
import { gaussQuadrature } from './quadrature.ts';
import { tridiagonalEigen } from './tridiagonalEigen.ts';

/** Which end of the spectrum to compute. `"both"`: ⌈k/2⌉ largest and ⌊k/2⌋ smallest. */
export type Which = 'largest' | 'smallest' | 'both';

/** Options of the Lanczos eigensolvers (GPU `eigsh` and CPU `eigshF64`). */
export interface EigenOptions {
  /** Number of eigenpairs per operator. */
  readonly k: number;
  /** Default `"largest"`. */
  readonly which?: Which;
  /**
   * Lanczos steps. Given: exactly that many (m ≥ k). Omitted: adaptive — start at
   * min(n, max(2k + 20, 30)) and grow until the k wanted pairs converge or `maxSteps`.
   */
  readonly steps?: number;
  /** Cap of the adaptive mode. Default min(n, max(4k + 40, 160)). */
  readonly maxSteps?: number;
  /** A pair is converged when its error bound ≤ tolerance·max|θ|. Default 1e-4 (spec §6). */
  readonly tolerance?: number;
  /** Seed of the random start vector (the same vector for every operator of a batch). Default 0. */
  readonly seed?: number;
  /** Relative breakdown tolerance (see LanczosOptions). */
  readonly breakdownTolerance?: number;
}

/** One operator's eigenpairs. */
export interface EigenResult {
  /** Ritz values from the requested end: descending for `largest`, ascending for `smallest`; for `both`, the largest block (descending) then the smallest (ascending). */
  readonly eigenvalues: Float64Array;
  /**
   * Error bound per value: an eigenvalue of the operator lies within this distance. It is
   * β_m·|s_mi| (the Ritz residual) plus the rounding floor of the backend (docs/accuracy.md).
   */
  readonly errorBounds: Float64Array;
  /** errorBounds[i] ≤ tolerance·max|θ|. */
  readonly converged: boolean[];
  /** Lanczos steps taken. */
  readonly steps: number;
  /** The Krylov space became invariant (fewer than k values may then exist). */
  readonly breakdown: boolean;
  /** Ritz vectors, [count][n] row-major, when requested on the host. */
  vectors?: Float32Array | Float64Array;
}

/** Validated, defaulted options. */
export interface ResolvedEigenOptions {
  readonly k: number;
  readonly which: Which;
  readonly fixedSteps: number | undefined;
  readonly initialSteps: number;
  readonly maxSteps: number;
  readonly tolerance: number;
  readonly seed: number;
}

/** Validates options against the dimension n (typed errors naming the argument). */
export function resolveEigenOptions(options: EigenOptions, n: number): ResolvedEigenOptions {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError('k', `must be a positive integer, got ${k}`);
  if (k > n) throw new InvalidArgumentError('k', `cannot exceed n = ${n}, got ${k}`);
  const which = options.which ?? 'largest';
  if (!['largest', 'smallest', 'both'].includes(which))
    throw new InvalidArgumentError('which', `must be "largest", "smallest" or "both", got "${which}"`);
  const tolerance = options.tolerance ?? 1e-4;
  if (!(tolerance > 0 && tolerance < 1)) throw new InvalidArgumentError('tolerance', `must be in (0, 1), got ${tolerance}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${seed}`);
  if (options.steps !== undefined) {
    const m = options.steps;
    if (!Number.isInteger(m) || m < 1) throw new InvalidArgumentError('steps', `must be a positive integer, got ${m}`);
    if (m < k) throw new InvalidArgumentError('steps', `must be ≥ k (${k}) to produce k Ritz values, got ${m}`);
    if (m > n) throw new InvalidArgumentError('steps', `cannot exceed n = ${n}, got ${m}`);
    return { k, which, fixedSteps: m, initialSteps: m, maxSteps: m, tolerance, seed };
  }
  const maxSteps = options.maxSteps ?? Math.min(n, Math.max(4 * k + 40, 160));
  if (!Number.isInteger(maxSteps) || maxSteps < k || maxSteps > n)
    throw new InvalidArgumentError('maxSteps', `must be an integer in [k, n] = [${k}, ${n}], got ${maxSteps}`);
  return { k, which, fixedSteps: undefined, initialSteps: Math.min(maxSteps, Math.max(2 * k + 20, 30)), maxSteps, tolerance, seed };
}

/** Positions (into ascending Ritz values of length m) of the wanted values, in output order. */
export function ritzSelection(m: number, k: number, which: Which): number[] {
  const count = Math.min(k, m);
  const top = (c: number) => Array.from({ length: c }, (_, i) => m - 1 - i);
  const bottom = (c: number) => Array.from({ length: c }, (_, i) => i);
  if (which === 'largest') return top(count);
  if (which === 'smallest') return bottom(count);
  const upper = Math.ceil(count / 2);
  return [...top(upper), ...bottom(count - upper)];
}

/**
 * Builds one operator's result from its Ritz values (ascending), the last components of their
 * eigenvectors, the residual norm and the rounding floor of the backend.
 */
export function ritzResult(
  values: ArrayLike<number>,
  last: ArrayLike<number>,
  residualNorm: number,
  floor: number,
  options: ResolvedEigenOptions,
  steps: number,
  breakdown: boolean,
): { result: EigenResult; indices: number[] } {
  const indices = ritzSelection(steps, options.k, options.which);
  let scale = 0;
  for (let i = 0; i < steps; i++) scale = Math.max(scale, Math.abs(values[i]!));
  const eigenvalues = Float64Array.from(indices, (i) => values[i]!);
  const errorBounds = Float64Array.from(indices, (i) => Math.abs(residualNorm * last[i]!) + floor);
  const converged = Array.from(errorBounds, (b) => b <= options.tolerance * scale);
  return { result: { eigenvalues, errorBounds, converged, steps, breakdown }, indices };
}

/** Whether every wanted pair of every lane has converged or its lane cannot improve. */
export function allDone(results: readonly EigenResult[], k: number): boolean {
  return results.every((r) => r.breakdown || (r.converged.length >= k && r.converged.every(Boolean)));
}

/** A batch of symmetric operators on the host, applied in float64. */
export interface CpuOperator {
  readonly n: number;
  readonly batch: number;
  /** y = A_b x (y zero-filled on entry). */
  apply(b: number, x: Float64Array, y: Float64Array): void;
}

/** A batch of dense symmetric matrices [batch][n][n] as a {@link CpuOperator}. */
export function denseCpuOperator(n: number, batch: number, data: ArrayLike<number>): CpuOperator {
  if (data.length !== batch * n * n)
    throw new InvalidArgumentError('data', `expected batch·n·n = ${batch * n * n} values, got ${data.length}`);
  return {
    n,
    batch,
    apply(b, x, y) {
      const base = b * n * n;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += data[base + i * n + j]! * x[j]!;
        y[i] = s;
      }
    },
  };
}

/**
 * Random probe j for `seed`: Gaussian, the same for every operator of a batch (so a batch gives
 * the same results as its members run one by one). Probe 0 is the eigensolvers' start vector.
 */
export function probeVector(seed: number, j: number, n: number): Float64Array {
  return new Random(seed + 0x632be5ab * j).normals(n);
}

/** The start vector the eigensolvers use for `seed` (probe 0). */
export function eigenStartVector(seed: number, n: number): Float64Array {
  return probeVector(seed, 0, n);
}

/**
 * The float64 CPU backend of the Lanczos eigensolver: the same options and result shape as the
 * GPU `eigsh`, computed with {@link lanczosF64} (CGS2) and {@link tridiagonalEigen}. Rounding floor
 * 16·n·2⁻⁵³·‖T‖.
 */
export function eigshF64(operator: CpuOperator, options: EigenOptions & { readonly vectors?: boolean }): EigenResult[] {
  const o = resolveEigenOptions(options, operator.n);
  const { n } = operator;
  const start = eigenStartVector(o.seed, n);
  const results: EigenResult[] = [];
  for (let b = 0; b < operator.batch; b++) {
    const apply: ApplyF64 = (x, y) => operator.apply(b, x, y);
    let m = o.initialSteps;
    for (;;) {
      const run = lanczosF64(
        apply,
        n,
        start,
        m,
        options.breakdownTolerance === undefined ? {} : { breakdownTolerance: options.breakdownTolerance },
      );
      const eig = tridiagonalEigen(run.alpha, run.beta, { vectors: options.vectors ? 'all' : 'ends' });
      let scale = 0;
      for (const v of run.alpha) scale = Math.max(scale, Math.abs(v));
      for (const v of run.beta) scale = Math.max(scale, Math.abs(v));
      const floor = 16 * n * 2 ** -53 * scale;
      const { result, indices } = ritzResult(eig.values, eig.last!, run.residualNorm, floor, o, run.steps, run.breakdown);
      if (o.fixedSteps !== undefined || m >= o.maxSteps || allDone([result], o.k)) {
        if (options.vectors) {
          const vecs = new Float64Array(indices.length * n);
          indices.forEach((idx, v) => {
            for (let k = 0; k < run.steps; k++) {
              const s = eig.vectors![idx * run.steps + k]!;
              for (let i = 0; i < n; i++) vecs[v * n + i] = vecs[v * n + i]! + s * run.basis[k * n + i]!;
            }
          });
          result.vectors = vecs;
        }
        results.push(result);
        break;
      }
      m = Math.min(o.maxSteps, Math.ceil(m * 1.5) + 10);
    }
  }
  return results;
}

/**
 * Float64 twin of `lanczosQuadrature`: for each operator and probe j (probeVector(seed, j, n)),
 * the Gauss rule of `steps` Lanczos steps: `result[b][j]`.
 */
export function quadratureF64(
  operator: CpuOperator,
  steps: number,
  probes: number,
  seed: number,
): { nodes: Float64Array; weights: Float64Array; norm2: number; steps: number; breakdown: boolean }[][] {
  if (!Number.isInteger(steps) || steps < 1 || steps > operator.n)
    throw new InvalidArgumentError('steps', `must be an integer in [1, n = ${operator.n}], got ${steps}`);
  if (!Number.isInteger(probes) || probes < 1) throw new InvalidArgumentError('probes', `must be a positive integer, got ${probes}`);
  const out = [];
  for (let b = 0; b < operator.batch; b++) {
    const rules = [];
    for (let j = 0; j < probes; j++) {
      const start = probeVector(seed, j, operator.n);
      const run = lanczosF64((x, y) => operator.apply(b, x, y), operator.n, start, steps);
      const q = gaussQuadrature(run.alpha, run.beta);
      rules.push({
        nodes: q.nodes,
        weights: q.weights,
        norm2: start.reduce((s, v) => s + v * v, 0),
        steps: run.steps,
        breakdown: run.breakdown,
      });
    }
    out.push(rules);
  }
  return out;
}
