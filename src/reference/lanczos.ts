/**
 * The Lanczos process in float64 with full reorthogonalization (classical Gram–Schmidt applied
 * twice, CGS2, against every previous basis vector): the reference for the GPU Lanczos and the
 * `backend: 'cpu'` path. With full reorthogonalization the basis stays orthonormal to working
 * precision, so there are no ghost Ritz values and the tridiagonal is that of exact arithmetic up
 * to rounding.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { checkCount, checkLength, norm2 } from './linalg.ts';

/** A symmetric operator: writes y = A x (A symmetric n×n). `y` is zero-filled on entry and must not alias `x`. */
export type ApplyF64 = (x: Float64Array, y: Float64Array) => void;

/** Options of {@link lanczosF64}. */
export interface LanczosF64Options {
  /**
   * The run stops (breakdown) when a residual norm β is ≤ this. Default: 1e-12 × the largest
   * |α| or |β| seen so far (at least 1e-300).
   */
  readonly breakdownTolerance?: number;
}

/** Result of {@link lanczosF64}. */
export interface LanczosF64Result {
  /** The diagonal α_1..α_k of the tridiagonal T_k, length k = `steps`. */
  alpha: Float64Array;
  /** The off-diagonal β_1..β_{k−1} of T_k, length k − 1. */
  beta: Float64Array;
  /** k, the number of steps completed (≤ the requested number; fewer after a breakdown). */
  steps: number;
  /**
   * Shape [k+1, n], row-major: rows q_1..q_k (orthonormal) and q_{k+1}, the normalized residual
   * direction, or zeros after a breakdown. A Q_kᵀ = Q_kᵀ T_k + residualNorm · q_{k+1} e_kᵀ.
   */
  basis: Float64Array;
  /** Whether the run stopped because the Krylov space became invariant (residual ≤ tolerance, or k = n). */
  breakdown: boolean;
  /**
   * β_k, the norm of the residual after the last step (the computed value, tiny after a
   * breakdown). The error bound of Ritz pair (θ_i, y_i) is residualNorm · |last component of y_i|.
   */
  residualNorm: number;
}

/**
 * y = A x for a dense n×n matrix (row-major), as an {@link ApplyF64}.
 *
 * @param a - shape [n, n], row-major.
 * @example
 * ```ts
 * const apply = denseApply(new Float64Array([2, 1, 1, 2]), 2);
 * const y = new Float64Array(2);
 * apply(new Float64Array([1, 0]), y); // y = [2, 1]
 * ```
 */
export function denseApply(a: Float64Array, n: number): ApplyF64 {
  checkCount('n', n, 1);
  checkLength('a', a, n * n, 'n × n');
  return (x, y) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * n;
      for (let j = 0; j < n; j++) s += a[o + j]! * x[j]!;
      y[i] = s;
    }
  };
}

/**
 * Orthogonalizes `w` against rows 0..count−1 of `basis` (row length n) by classical Gram–Schmidt
 * applied twice (CGS2). Returns the summed coefficient on row `count − 1`.
 * @internal
 */
export function cgs2(w: Float64Array, basis: Float64Array, count: number, n: number, coef: Float64Array): number {
  let last = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < count; i++) {
      let s = 0;
      const o = i * n;
      for (let t = 0; t < n; t++) s += basis[o + t]! * w[t]!;
      coef[i] = s;
    }
    for (let i = 0; i < count; i++) {
      const c = coef[i]!;
      const o = i * n;
      for (let t = 0; t < n; t++) w[t]! -= c * basis[o + t]!;
    }
    if (count > 0) last += coef[count - 1]!;
  }
  return last;
}

/**
 * k steps of the Lanczos process on a symmetric operator A in float64, with full
 * reorthogonalization (CGS2) of every new vector against all previous ones.
 *
 * Starting from q_1 = start/‖start‖, step j computes w = A q_j − β_{j−1} q_{j−1}, orthogonalizes w
 * twice against q_1..q_j (α_j = the total coefficient on q_j), β_j = ‖w‖ and q_{j+1} = w/β_j.
 * The Ritz values are the eigenvalues of T_k = tridiag(beta, alpha, beta) (see
 * {@link tridiagonalEigen}); the Gauss quadrature of q_1's spectral measure is its
 * {@link gaussQuadrature}.
 *
 * Breakdown: when β_j ≤ `breakdownTolerance` (default 1e-12 · max(|α|, |β| seen so far, 1e-300))
 * the Krylov space is invariant; the run stops after step j with `breakdown: true`, k = j and a zero
 * row q_{k+1}. Reaching k = n also counts as a breakdown (q_{n+1} cannot exist), so
 * `steps > n` is clamped to n. No NaN is produced.
 *
 * @param apply - y = A x, A symmetric n×n.
 * @param n - the dimension, ≥ 1.
 * @param start - the start vector, length n, nonzero and finite (need not be normalized).
 * @param steps - the number of steps requested, ≥ 1.
 * @throws InvalidArgumentError for a bad argument, or if `apply` writes a non-finite value.
 * @example
 * ```ts
 * const a = new Float64Array([2, 1, 0, 1, 2, 1, 0, 1, 2]);
 * const run = lanczosF64(denseApply(a, 3), 3, new Float64Array([1, 0, 0]), 3);
 * tridiagonalEigen(run.alpha, run.beta).values; // ≈ [2 − √2, 2, 2 + √2]
 * ```
 */
export function lanczosF64(
  apply: ApplyF64,
  n: number,
  start: Float64Array,
  steps: number,
  options: LanczosF64Options = {},
): LanczosF64Result {
  checkCount('n', n, 1);
  checkCount('steps', steps, 1);
  checkLength('start', start, n, 'n');
  const userTol = options.breakdownTolerance;
  if (userTol !== undefined && !(userTol >= 0)) {
    throw new InvalidArgumentError('options.breakdownTolerance', `expected a number ≥ 0, got ${userTol}`);
  }
  const startNorm = norm2(start);
  if (!Number.isFinite(startNorm)) throw new InvalidArgumentError('start', 'expected finite entries');
  if (startNorm === 0) throw new InvalidArgumentError('start', 'expected a nonzero vector');

  const kMax = Math.min(steps, n);
  const basis = new Float64Array((kMax + 1) * n);
  for (let i = 0; i < n; i++) basis[i] = start[i]! / startNorm;
  const alpha = new Float64Array(kMax);
  const betas = new Float64Array(kMax); // betas[j] = β after step j+1
  const w = new Float64Array(n);
  const coef = new Float64Array(kMax);
  let seen = 0;
  let k = 0;
  let breakdown = false;

  for (let j = 0; j < kMax; j++) {
    const q = basis.subarray(j * n, (j + 1) * n);
    w.fill(0);
    apply(q, w);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(w[i]!))
        throw new InvalidArgumentError('apply', `wrote a non-finite value (${w[i]}) at step ${j + 1}, entry ${i}`);
    }
    if (j > 0) {
      const b = betas[j - 1]!;
      const o = (j - 1) * n;
      for (let i = 0; i < n; i++) w[i]! -= b * basis[o + i]!;
    }
    const a = cgs2(w, basis, j + 1, n, coef);
    alpha[j] = a;
    seen = Math.max(seen, Math.abs(a), j > 0 ? betas[j - 1]! : 0);
    const b = norm2(w);
    betas[j] = b;
    k = j + 1;
    const tol = userTol ?? 1e-12 * Math.max(seen, 1e-300);
    if (b <= tol || k === n) {
      breakdown = true;
      break; // q_{k+1} stays zero
    }
    const next = basis.subarray((j + 1) * n, (j + 2) * n);
    for (let i = 0; i < n; i++) next[i] = w[i]! / b;
  }

  return {
    alpha: alpha.slice(0, k),
    beta: betas.slice(0, k - 1),
    steps: k,
    basis: k === kMax ? basis : basis.slice(0, (k + 1) * n),
    breakdown,
    residualNorm: betas[k - 1]!,
  };
}
