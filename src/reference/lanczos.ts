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

/** Per-lane state of the GPU Krylov bookkeeping (mirrors `LanczosLaneBuffers` of src/kernels/lanczosUpdate.ts), updated in place. */
export interface LanczosLaneStateF64 {
  /** Tridiagonal (or bidiagonal) diagonal entries, [lanes][tStride]. */
  readonly alpha: Float64Array;
  /** Off-diagonal entries, [lanes][tStride]. */
  readonly beta: Float64Array;
  /** [lanes][2]: active flag (1 = active), steps completed. */
  readonly state: Uint32Array;
  /** Running ‖T‖ estimate per lane. */
  readonly scale: Float64Array;
  /** Reciprocal norm that scales the lane's next basis vector (0 for inactive lanes). */
  readonly inv: Float64Array;
}

/** Arguments of {@link lanczosUpdateF64} (the uniform parameters of lanczosUpdate.wgsl). */
export interface LanczosUpdateArgs {
  /** Number of lanes (independent recurrences). */
  readonly lanes: number;
  /** The step (column of alpha/beta) being written. */
  readonly k: number;
  /** 0 start, 1 Lanczos step, 2 store the norm as alpha (Golub–Kahan), 3 store it as beta. */
  readonly mode: number;
  /** Row stride of h1/h2. */
  readonly hStride: number;
  /** Row stride of alpha/beta. */
  readonly tStride: number;
  /** Relative breakdown tolerance: a lane stops when ‖w‖ ≤ tol·scale. */
  readonly tol: number;
}

/**
 * One per-lane bookkeeping update of batched Lanczos / Golub–Kahan, in float64, in place on `s`:
 *
 * - mode 0 (start): inv = 1/‖w‖, active = (‖w‖ finite and > 0), steps = 0, scale = 0.
 * - mode 1 (step k) on an active lane: alpha[k] = h1[k] + h2[k] (0 if not finite),
 *   beta[k] = ‖w‖ (0 if not finite), steps = k + 1, scale = max(scale, ‖w‖, |alpha|).
 * - mode 2 / 3 on an active lane: ‖w‖ stored as alpha[k] (2, also steps = k + 1) or beta[k] (3);
 *   scale = max(scale, ‖w‖).
 * - in modes 1–3, breakdown (active = 0, inv = 0) when ‖w‖ or the new scale is not finite or
 *   ‖w‖ ≤ tol·scale; otherwise inv = 1/‖w‖. A non-finite scale is stored as 0. Inactive lanes
 *   only get inv = 0.
 *
 * with ‖w‖ = √max(norm2[l], 0). Float64 twin of shaders/lanczos/lanczosUpdate.wgsl; the f32
 * kernel differs only by the rounding of the sum, the square root and the reciprocal (a few ulps),
 * so decisions agree except when ‖w‖ is within a few ulps of tol·scale.
 *
 * @param h1 - first-pass Gram–Schmidt coefficients, [lanes][hStride].
 * @param h2 - second-pass coefficients, [lanes][hStride].
 * @param norm2 - ‖w_l‖² per lane.
 * @example
 * ```ts
 * const s = { alpha: new Float64Array(2), beta: new Float64Array(2), state: new Uint32Array(2),
 *   scale: new Float64Array(1), inv: new Float64Array(1) };
 * const args = { lanes: 1, k: 0, hStride: 2, tStride: 2, tol: 1e-6 };
 * lanczosUpdateF64([], [], [4], s, { ...args, mode: 0 }); // inv = [0.5], state = [1, 0]
 * lanczosUpdateF64([1, 0], [0.5, 0], [9], s, { ...args, mode: 1 }); // alpha[0] = 1.5, beta[0] = 3, inv = [1/3]
 * ```
 */
export function lanczosUpdateF64(
  h1: ArrayLike<number>,
  h2: ArrayLike<number>,
  norm2: ArrayLike<number>,
  s: LanczosLaneStateF64,
  args: LanczosUpdateArgs,
): LanczosLaneStateF64 {
  const { lanes, k, mode, hStride, tStride, tol } = args;
  checkCount('lanes', lanes, 0);
  if (![0, 1, 2, 3].includes(mode)) throw new InvalidArgumentError('mode', `must be 0, 1, 2 or 3, got ${mode}`);
  for (let l = 0; l < lanes; l++) {
    const nrm = Math.sqrt(Math.max(norm2[l]!, 0));
    if (mode === 0) {
      const ok = Number.isFinite(nrm) && nrm > 0;
      s.state[2 * l] = ok ? 1 : 0;
      s.state[2 * l + 1] = 0;
      s.scale[l] = 0;
      s.inv[l] = ok ? 1 / nrm : 0;
      continue;
    }
    if (s.state[2 * l] === 0) {
      s.inv[l] = 0;
      continue;
    }
    const t = l * tStride + k;
    const norm = Number.isFinite(nrm) ? nrm : 0;
    let sc = Math.max(s.scale[l]!, norm);
    if (mode === 1) {
      const a = h1[l * hStride + k]! + h2[l * hStride + k]!;
      s.alpha[t] = Number.isFinite(a) ? a : 0;
      s.beta[t] = norm;
      sc = Math.max(sc, Math.abs(a));
    } else if (mode === 2) {
      s.alpha[t] = norm;
    } else {
      s.beta[t] = norm;
    }
    if (mode !== 3) s.state[2 * l + 1] = k + 1;
    s.scale[l] = Number.isFinite(sc) ? sc : 0;
    if (!Number.isFinite(nrm) || !Number.isFinite(sc) || nrm <= tol * sc) {
      s.state[2 * l] = 0;
      s.inv[l] = 0;
    } else {
      s.inv[l] = 1 / nrm;
    }
  }
  return s;
}
