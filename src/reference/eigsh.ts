/**
 * The Lanczos eigensolver's options, results and float64 backend. The GPU `eigsh`
 * (src/algorithms/eigsh.ts) and {@link eigshF64} share option validation, the result shape and
 * the algorithm itself: block thick-restart Lanczos, driven by src/reference/krylov.ts.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { Random } from '../util/random.ts';
import {
  ritzOrder,
  runKrylovSync,
  type KrylovItemResult,
  type KrylovKind,
  type KrylovSettings,
  type StopReason,
  type Which,
} from './krylov.ts';
import { F64_HOLE_TOLERANCE, KrylovF64Backend, type CpuOperator, type CpuRectangularOperator } from './krylovF64.ts';
import { roundingFloors } from './krylovItems.ts';
import { lanczosF64 } from './lanczos.ts';
import { gaussQuadrature } from './quadrature.ts';

export type { CpuOperator, StopReason, Which };

/** Options of the Lanczos eigensolvers (GPU `eigsh` and CPU `eigshF64`). */
export interface EigenOptions {
  /** Number of eigenpairs per operator. */
  readonly k: number;
  /** Default `"largest"`. */
  readonly which?: Which;
  /**
   * Fixed mode: exactly this many block steps (`steps · blockSize` basis vectors, steps ≥ ⌈k / blockSize⌉),
   * no restart and no verification. Omitted (default): adaptive thick-restart Lanczos until every
   * wanted pair converges.
   */
  readonly steps?: number;
  /**
   * Memory budget of the adaptive mode: basis vectors per operator (thick restart keeps it; the
   * basis is allocated as it grows). Default {@link defaultMaxVectors}.
   */
  readonly maxVectors?: number;
  /**
   * Block size p: vectors per operator applied together. Multiplicities up to p at the wanted end
   * are found deterministically (larger ones by verification). Default 1.
   */
  readonly blockSize?: number;
  /** A pair is converged when its error bound ≤ tolerance·max|θ|. Default 1e-4 (docs/accuracy.md). */
  readonly tolerance?: number;
  /** Seed of the random start block and restart vectors (the same for every operator of a batch). Default 0. */
  readonly seed?: number;
  /**
   * After convergence, continue from a fresh random block for a few steps and accept only if no
   * other eigenvalue enters the wanted range (finds copies of multiple eigenvalues the Krylov
   * space missed). Default true (adaptive mode only).
   */
  readonly verify?: boolean;
  /** Operator applications (vectors) per operator before giving up. Default max(1000, 20·n)·p. */
  readonly maxApplies?: number;
  /**
   * Relative hole tolerance: a new direction is dropped (an invariant subspace) when its norm
   * after orthogonalization is ≤ this times its norm before. Default: the backend's rounding level.
   */
  readonly breakdownTolerance?: number;
}

/** One operator's eigenpairs. */
export interface EigenResult {
  /** Ritz values from the requested end: descending for `largest`, ascending for `smallest`; for `both`, the largest block (descending) then the smallest (ascending). */
  readonly eigenvalues: Float64Array;
  /**
   * Error bound per value: an eigenvalue of the operator lies within this distance. It is the
   * Ritz residual bound plus the rounding floor of the backend (docs/accuracy.md).
   */
  readonly errorBounds: Float64Array;
  /** errorBounds[i] ≤ tolerance·max|θ|. */
  readonly converged: boolean[];
  /** Block steps taken (each applies the operator to `blockSize` vectors). */
  readonly steps: number;
  /** Operator applications (vectors). */
  readonly applies: number;
  /** Thick restarts. */
  readonly restarts: number;
  /** An invariant subspace was met at least once (and continued from with a random vector). */
  readonly breakdown: boolean;
  /** Why the iteration stopped. */
  readonly stopReason: StopReason;
  /**
   * Verification rounds run (0 with `verify: false` or fixed `steps`). Each round that accepted
   * the set fails with probability ≤ 1e-3; over all rounds, ≤ verifications·1e-3
   * (docs/accuracy.md, "What converged guarantees").
   */
  readonly verifications: number;
  /**
   * The last verification round ended on its certificate: with probability ≥ 1 − 1e-3 over its
   * random block, no wanted eigenvalue was missed beyond the tolerance (multiplicities included).
   * false when it ended on its step count (16 vectors: the guarantee is then that of 16 Lanczos
   * steps from a random block), when verification was off, or when the set did not converge.
   */
  readonly certified: boolean;
  /** Ritz vectors, [count][n] row-major, when requested on the host. */
  vectors?: Float32Array | Float64Array;
}

/** Validated, defaulted options. */
export interface ResolvedEigenOptions {
  readonly k: number;
  readonly which: Which;
  readonly fixedSteps: number | undefined;
  readonly blockSize: number;
  readonly maxVectors: number;
  readonly tolerance: number;
  readonly seed: number;
  readonly verify: boolean;
  readonly maxApplies: number;
}

/**
 * The default memory budget: min(max(2k + 20 + p, 128), n + 2p) basis vectors per operator (p the
 * block size), and at least k + 2p: 2k + 20 + p is ARPACK's 2k + 1 plus room for the thick
 * restart's locked vectors; up to 128 vectors are always allowed (small problems fit whole, hard
 * ends converge without restarts); more than n + 2p is never useful (the space has n dimensions).
 */
export function defaultMaxVectors(n: number, k: number, p: number): number {
  return Math.max(k + 2 * p, Math.min(Math.max(2 * k + 20 + p, 128), n + 2 * p));
}

const positiveInteger = (name: string, v: number): void => {
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(name, `must be a positive integer, got ${v}`);
};

/**
 * Validates options against the dimension n (typed errors naming the argument). `minTolerance`
 * is the smallest tolerance the backend can certify (see docs/accuracy.md).
 */
export function resolveEigenOptions(options: EigenOptions, n: number, minTolerance = 0): ResolvedEigenOptions {
  const { k } = options;
  positiveInteger('k', k);
  if (k > n) throw new InvalidArgumentError('k', `cannot exceed n = ${n}, got ${k}`);
  const which = options.which ?? 'largest';
  if (!['largest', 'smallest', 'both'].includes(which))
    throw new InvalidArgumentError('which', `must be "largest", "smallest" or "both", got "${which}"`);
  const tolerance = options.tolerance ?? 1e-4;
  if (!(tolerance > 0 && tolerance < 1)) throw new InvalidArgumentError('tolerance', `must be in (0, 1), got ${tolerance}`);
  if (tolerance < minTolerance)
    throw new InvalidArgumentError(
      'tolerance',
      `${tolerance} is below what this backend can certify (${minTolerance.toExponential(1)}: four times its rounding floor relative to max|λ|, docs/accuracy.md); use a larger tolerance${minTolerance > 1e-10 ? ' or the float64 cpu backend' : ''}`,
    );
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${seed}`);
  const p = options.blockSize ?? 1;
  positiveInteger('blockSize', p);
  if (p > n) throw new InvalidArgumentError('blockSize', `cannot exceed n = ${n}, got ${p}`);
  const verify = options.verify ?? true;
  if (typeof verify !== 'boolean') throw new InvalidArgumentError('verify', `must be a boolean, got ${String(verify)}`);
  const maxApplies = options.maxApplies ?? Math.max(1000, 20 * n) * p;
  positiveInteger('maxApplies', maxApplies);
  if (options.breakdownTolerance !== undefined && !(options.breakdownTolerance >= 0 && options.breakdownTolerance < 1))
    throw new InvalidArgumentError('breakdownTolerance', `must be in [0, 1), got ${options.breakdownTolerance}`);
  if (options.steps !== undefined) {
    const m = options.steps;
    positiveInteger('steps', m);
    if (m * p < k)
      throw new InvalidArgumentError(
        'steps',
        `must be ≥ k = ${k} (steps · blockSize ≥ k, blockSize ${p}) to produce k Ritz values, got ${m}`,
      );
    if (m * p > n) throw new InvalidArgumentError('steps', `cannot exceed n = ${n} (steps · blockSize ≤ n, blockSize ${p}), got ${m}`);
    return { k, which, fixedSteps: m, blockSize: p, maxVectors: p * (m + 1), tolerance, seed, verify: false, maxApplies };
  }
  const maxVectors = options.maxVectors ?? defaultMaxVectors(n, k, p);
  if (!Number.isInteger(maxVectors) || maxVectors < k + 2 * p)
    throw new InvalidArgumentError('maxVectors', `must be an integer ≥ k + 2·blockSize = ${k + 2 * p}, got ${maxVectors}`);
  return { k, which, fixedSteps: undefined, blockSize: p, maxVectors, tolerance, seed, verify, maxApplies };
}

/** Positions (into m ascending Ritz values) of the wanted values, in output order. */
export function ritzSelection(m: number, k: number, which: Which): number[] {
  return ritzOrder(m, k, which);
}

/** The shared result shape from a driver item result. */
export function eigenResultOf(r: KrylovItemResult): EigenResult {
  return {
    eigenvalues: r.eigenvalues,
    errorBounds: r.errorBounds,
    converged: r.converged,
    steps: r.steps,
    applies: r.applies,
    restarts: r.restarts,
    breakdown: r.breakdowns > 0,
    stopReason: r.stopReason,
    verifications: r.verifications,
    certified: r.certified,
  };
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
 * the same results as its members run one by one). Probes 0..p−1 are the eigensolvers' start block.
 */
export function probeVector(seed: number, j: number, n: number): Float64Array {
  return new Random(seed + 0x632be5ab * j).normals(n);
}

/** The start vector the eigensolvers use for `seed` (probe 0). */
export function eigenStartVector(seed: number, n: number): Float64Array {
  return probeVector(seed, 0, n);
}

/** The float64 unit roundoff ε = 2⁻⁵³: the float64 backend's rounding floors are made of it (src/reference/krylovItems.ts). */
export const F64_ROUNDOFF = 2 ** -53;

/**
 * The float64 rounding floor added to every error bound of `eigshF64`: (2η + 2ε)·max|θ|, η the
 * largest loss of orthogonality measured during the run (src/reference/krylovItems.ts,
 * `roundingFloors`; docs/accuracy.md, "Eigenvalues: what errorBounds guarantee").
 */
export function f64BoundFloor(loss: number, scale: number): number {
  return roundingFloors('symmetric', F64_ROUNDOFF, loss, scale, null, 1)[0]!;
}

/** The smallest tolerance the float64 backend accepts: 64ε ≈ 7e-15. */
export const MIN_F64_TOLERANCE = 64 * F64_ROUNDOFF;

/**
 * The float64 CPU backend of the eigensolver: the same options, algorithm (block thick-restart
 * Lanczos with breakdown continuation, verification and power-of-two scaling) and result shape
 * as the GPU `eigsh`, in float64 on the host. Rounding floor (2η + 2ε)·max|θ| (docs/accuracy.md).
 */
export function eigshF64(operator: CpuOperator, options: EigenOptions & { readonly vectors?: boolean }): EigenResult[] {
  return krylovSolveF64(operator, 'symmetric', resolveEigenOptions(options, operator.n, MIN_F64_TOLERANCE), options);
}

/** The Krylov driver's settings for resolved eigensolver options (shared by the GPU and float64 paths). */
export function krylovSettings(
  kind: KrylovKind,
  n: number,
  items: number,
  o: ResolvedEigenOptions,
  vectors: boolean,
  roundoff: number,
  holeTolerance: number,
): KrylovSettings {
  return {
    kind,
    n,
    items,
    block: o.blockSize,
    k: o.k,
    which: o.which,
    tolerance: o.tolerance,
    capacity: o.maxVectors,
    ...(o.fixedSteps === undefined ? {} : { fixedSteps: o.fixedSteps }),
    verify: o.verify,
    maxApplies: o.maxApplies,
    vectors,
    roundoff,
    holeTolerance,
  };
}

/**
 * The float64 solve behind {@link eigshF64} (`symmetric`: Lanczos on A) and `eigshJacobianF64`
 * (`bidiagonal`: Golub–Kahan on J): the shared Krylov driver on the float64 backend.
 */
export function krylovSolveF64(
  operator: CpuOperator | CpuRectangularOperator,
  kind: KrylovKind,
  o: ResolvedEigenOptions,
  options: { readonly breakdownTolerance?: number; readonly vectors?: boolean },
): EigenResult[] {
  const { n } = operator;
  const holeTolerance = options.breakdownTolerance ?? F64_HOLE_TOLERANCE;
  const backend = new KrylovF64Backend(operator, {
    block: o.blockSize,
    capacity: o.maxVectors,
    startVector: (v) => probeVector(o.seed, v, n),
    seed: o.seed,
    holeTolerance,
  });
  const outcome = runKrylovSync(krylovSettings(kind, n, operator.batch, o, options.vectors === true, F64_ROUNDOFF, holeTolerance), backend);
  return outcome.results.map((r, b) => {
    const result = eigenResultOf(r);
    if (options.vectors) result.vectors = backend.vectors[b]!;
    return result;
  });
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
): {
  /** Ascending nodes (Ritz values). */
  nodes: Float64Array;
  /** Weights (sum 1): squared first components of the tridiagonal's eigenvectors. */
  weights: Float64Array;
  /** ‖probe‖²: multiply the weights by it for the probe's energy per node. */
  norm2: number;
  /** Lanczos steps taken (fewer than asked after a breakdown). */
  steps: number;
  /** True when Lanczos met an invariant subspace before the steps asked for. */
  breakdown: boolean;
}[][] {
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
