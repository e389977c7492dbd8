/**
 * Golub–Kahan(–Lanczos) bidiagonalization of a rectangular operator J in float64, with full
 * reorthogonalization (CGS2) of both bases, and the singular values of a bidiagonal matrix to
 * high relative accuracy (bisection on the Golub–Kahan form, Demmel–Kahan).
 *
 * This is the reference for the Jacobian-based spectral path: the nonzero eigenvalues of the
 * empirical NTK J Jᵀ (and of the Gauss–Newton matrix JᵀJ) are the squared singular values of J,
 * and working with σ instead of λ = σ² keeps the small end of the spectrum accurate (λ from an
 * eigensolver on J Jᵀ has absolute error ε·σ_max², so λ ≈ 1e-16 · σ_max² is lost in f64; σ
 * from the bidiagonal is relatively accurate down to σ ≈ ε·σ_max).
 *
 * {@link eigshJacobianF64} is the float64 twin of the GPU `eigshJacobian`: block thick-restart
 * Golub–Kahan on the shared Krylov driver (src/reference/krylov.ts, bidiagonal decomposition).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { krylovSolveF64, MIN_F64_TOLERANCE, resolveEigenOptions, type EigenOptions, type EigenResult } from './eigsh.ts';
import type { CpuRectangularOperator } from './krylovF64.ts';
import { cgs2 } from './lanczos.ts';
import { checkCount, checkFinite, checkLength, norm2 } from './linalg.ts';
import { tridiagonalEigen } from './tridiagonalEigen.ts';

export type { CpuRectangularOperator };

/** A batch of dense Jacobians [batch][n][cols] (row-major) as a {@link CpuRectangularOperator}. */
export function denseJacobianCpuOperator(n: number, cols: number, batch: number, data: ArrayLike<number>): CpuRectangularOperator {
  if (data.length !== batch * n * cols)
    throw new InvalidArgumentError('data', `expected batch·n·cols = ${batch * n * cols} values, got ${data.length}`);
  return {
    n,
    cols,
    batch,
    applyJ(b, x, y) {
      const base = b * n * cols;
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = base + i * cols;
        for (let j = 0; j < cols; j++) s += data[o + j]! * x[j]!;
        y[i] = s;
      }
    },
    applyJt(b, x, y) {
      const base = b * n * cols;
      y.fill(0);
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        const o = base + i * cols;
        for (let j = 0; j < cols; j++) y[j] = y[j]! + data[o + j]! * xi;
      }
    },
  };
}

/**
 * Eigenpairs of K_b = J_b J_bᵀ in float64 through block thick-restart Golub–Kahan on J_b — the
 * float64 twin of the GPU `eigshJacobian`: the same options, algorithm (thick restart within
 * `maxVectors`, breakdown continuation on either side, verification, power-of-two scaling) and
 * result shape as `eigshF64`. Small eigenvalues are accurate to ≈ 2ε·√(λ_max·λ) (σ to ε·σ_max),
 * not ε·λ_max. `applies` counts applications of K (one J and one Jᵀ each); `vectors` gives the
 * eigenvectors of K (left singular vectors of J).
 */
export function eigshJacobianF64(operator: CpuRectangularOperator, options: EigenOptions & { readonly vectors?: boolean }): EigenResult[] {
  const o = resolveEigenOptions(options, operator.n, MIN_F64_TOLERANCE);
  if (o.blockSize > operator.cols)
    throw new InvalidArgumentError('blockSize', `cannot exceed the Jacobian's columns (${operator.cols}), got ${o.blockSize}`);
  return krylovSolveF64(operator, 'bidiagonal', o, options);
}

/** Options of {@link golubKahanF64}. */
export interface GolubKahanF64Options {
  /**
   * The run stops (breakdown) when an α or β is ≤ this. Default: 1e-12 × the largest α or β
   * seen so far (at least 1e-300).
   */
  readonly breakdownTolerance?: number;
}

/** Result of {@link golubKahanF64}. */
export interface GolubKahanF64Result {
  /** α_1..α_k, the diagonal of B_k, length k = `steps`. */
  alpha: Float64Array;
  /** β_2..β_{k+1}, the sub-diagonal of B_k, length k (B_k[j+1][j] = beta[j]). */
  beta: Float64Array;
  /** k, the number of right vectors v produced (≤ the requested number; fewer after a breakdown). */
  steps: number;
  /** Shape [k+1, rows], row-major: u_1..u_{k+1} (orthonormal; u_{k+1} is zeros after a β breakdown). */
  u: Float64Array;
  /** Shape [k, cols], row-major: v_1..v_k (orthonormal). */
  v: Float64Array;
  /** Whether the run stopped early because an α or β fell to the tolerance (or a basis filled its space). */
  breakdown: boolean;
  /** β_{k+1} = beta[k−1], the norm of the last u-residual J v_k − α_k u_k (0 when k = 0). */
  residualNorm: number;
}

/**
 * k steps of Golub–Kahan bidiagonalization of J (rows×cols) started from the left, in float64
 * with full reorthogonalization (CGS2) of both bases.
 *
 * With u_1 = start/‖start‖ and β_1 v_0 = 0, step j = 1..k computes
 * - α_j v_j = Jᵀ u_j − β_j v_{j−1} (then orthogonalized twice against v_1..v_{j−1}; α_j = the norm),
 * - β_{j+1} u_{j+1} = J v_j − α_j u_j (then orthogonalized twice against u_1..u_j; β_{j+1} = the norm).
 *
 * The result is the (k+1)×k **lower** bidiagonal B_k with diagonal `alpha` = (α_1..α_k) and
 * sub-diagonal `beta` = (β_2..β_{k+1}), i.e. B_k[j][j] = alpha[j], B_k[j+1][j] = beta[j], and
 *
 *   J V_kᵀ = U_{k+1}ᵀ B_k,   Jᵀ U_kᵀ = V_kᵀ L_kᵀ,
 *
 * where U_{k+1} ((k+1)×rows) and V_k (k×cols) hold the vectors as rows and L_k is the leading
 * k×k block of B_k (`alpha` and beta[0..k−2]). Hence (Lanczos on J Jᵀ from u_1):
 *   J Jᵀ U_kᵀ = U_kᵀ (L_k L_kᵀ) + α_k β_{k+1} u_{k+1} e_kᵀ,
 * so the eigenvalues of J Jᵀ restricted to the Krylov space span(u_1..u_k) (its Ritz values) are
 * the σ² of the square L_k; and (Lanczos on JᵀJ from v_1) JᵀJ V_kᵀ = V_kᵀ (B_kᵀ B_k) + α_{k+1} β_{k+1}
 * v_{k+1} e_kᵀ, so the Ritz values of JᵀJ on span(v_1..v_k) are the σ² of the rectangular B_k.
 * Compute σ with {@link bidiagonalSingularValues}(alpha, beta, 'lower') (rectangular B_k) or
 * (alpha, beta.subarray(0, k − 1), 'lower') (square L_k).
 *
 * Breakdown (no NaN is produced): if α_j ≤ tol the run stops with k = j − 1 (u_j is kept as the
 * last row of `u`); if β_{j+1} ≤ tol it stops with k = j and u_{k+1} = 0 (J span(v) = span(u):
 * the singular values of L_k are exact singular values of J). Reaching k = rows likewise ends
 * with u_{k+1} = 0, so `steps` is clamped to min(rows, cols).
 *
 * @param applyJ - y = J x, x of length cols, y of length rows (zero-filled on entry).
 * @param applyJt - y = Jᵀ x, x of length rows, y of length cols (zero-filled on entry).
 * @param start - the start vector u_1 (unnormalized), length rows, nonzero and finite.
 * @param steps - the number of steps requested, ≥ 1.
 * @throws InvalidArgumentError for a bad argument, or if an operator writes a non-finite value.
 * @example
 * ```ts
 * const j = new Float64Array([3, 0, 0, 0, 2, 0]); // 3×2, σ = {3, 2}
 * const run = golubKahanF64((x, y) => y.set(matVec(j, 3, 2, x)), (x, y) => y.set(matTVec(j, 3, 2, x)), 3, 2, new Float64Array([1, 1, 1]), 2);
 * bidiagonalSingularValues(run.alpha, run.beta, 'lower').values; // ≈ [3, 2]
 * ```
 */
export function golubKahanF64(
  applyJ: (x: Float64Array, y: Float64Array) => void,
  applyJt: (x: Float64Array, y: Float64Array) => void,
  rows: number,
  cols: number,
  start: Float64Array,
  steps: number,
  options: GolubKahanF64Options = {},
): GolubKahanF64Result {
  checkCount('rows', rows, 1);
  checkCount('cols', cols, 1);
  checkCount('steps', steps, 1);
  checkLength('start', start, rows, 'rows');
  const userTol = options.breakdownTolerance;
  if (userTol !== undefined && !(userTol >= 0)) {
    throw new InvalidArgumentError('options.breakdownTolerance', `expected a number ≥ 0, got ${userTol}`);
  }
  const startNorm = norm2(start);
  if (!Number.isFinite(startNorm)) throw new InvalidArgumentError('start', 'expected finite entries');
  if (startNorm === 0) throw new InvalidArgumentError('start', 'expected a nonzero vector');

  const kMax = Math.min(steps, rows, cols);
  const u = new Float64Array((kMax + 1) * rows);
  const v = new Float64Array(kMax * cols);
  for (let i = 0; i < rows; i++) u[i] = start[i]! / startNorm;
  const alpha = new Float64Array(kMax);
  const beta = new Float64Array(kMax);
  const wv = new Float64Array(cols);
  const wu = new Float64Array(rows);
  const coef = new Float64Array(kMax + 1);
  let seen = 0;
  let k = 0;
  let breakdown = false;
  const tolerance = (): number => userTol ?? 1e-12 * Math.max(seen, 1e-300);
  const checkOutput = (w: Float64Array, name: string, step: number): void => {
    for (let i = 0; i < w.length; i++) {
      if (!Number.isFinite(w[i]!)) throw new InvalidArgumentError(name, `wrote a non-finite value (${w[i]}) at step ${step}, entry ${i}`);
    }
  };

  for (let j = 0; j < kMax; j++) {
    // α_j v_j = Jᵀ u_j − β_j v_{j−1}
    wv.fill(0);
    applyJt(u.subarray(j * rows, (j + 1) * rows), wv);
    checkOutput(wv, 'applyJt', j + 1);
    if (j > 0) {
      const b = beta[j - 1]!;
      const o = (j - 1) * cols;
      for (let i = 0; i < cols; i++) wv[i]! -= b * v[o + i]!;
    }
    cgs2(wv, v, j, cols, coef);
    const a = norm2(wv);
    if (a <= tolerance()) {
      breakdown = true;
      break;
    }
    alpha[j] = a;
    seen = Math.max(seen, a);
    const vj = v.subarray(j * cols, (j + 1) * cols);
    for (let i = 0; i < cols; i++) vj[i] = wv[i]! / a;

    // β_{j+1} u_{j+1} = J v_j − α_j u_j
    wu.fill(0);
    applyJ(vj, wu);
    checkOutput(wu, 'applyJ', j + 1);
    const o = j * rows;
    for (let i = 0; i < rows; i++) wu[i]! -= a * u[o + i]!;
    cgs2(wu, u, j + 1, rows, coef);
    const b = norm2(wu);
    beta[j] = b;
    k = j + 1;
    if (b <= tolerance() || k === rows) {
      breakdown = true;
      break; // u_{k+1} stays zero
    }
    seen = Math.max(seen, b);
    const next = u.subarray((j + 1) * rows, (j + 2) * rows);
    for (let i = 0; i < rows; i++) next[i] = wu[i]! / b;
  }

  return {
    alpha: alpha.slice(0, k),
    beta: beta.slice(0, k),
    steps: k,
    u: u.slice(0, (k + 1) * rows),
    v: v.slice(0, k * cols),
    breakdown,
    residualNorm: k > 0 ? beta[k - 1]! : 0,
  };
}

/** Options of {@link bidiagonalSingularValues}. */
export interface BidiagonalSvdOptions {
  /** Also return the singular vectors (default false). */
  readonly vectors?: boolean;
}

/** Result of {@link bidiagonalSingularValues}. */
export interface BidiagonalSvdResult {
  /** σ_1 ≥ σ_2 ≥ … ≥ σ_p ≥ 0, p = alpha.length, descending. */
  values: Float64Array;
  /** With `vectors`: shape [p, rowsB], row-major; row i is the unit left singular vector u_i of σ_i. */
  u?: Float64Array;
  /** With `vectors`: shape [p, colsB], row-major; row i is the unit right singular vector v_i (first nonzero component positive). */
  v?: Float64Array;
}

/** Smallest singular value (relative to the largest entry) resolved by bisection; smaller ones are reported as 0. */
const FLOOR = 1e-290;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * Number of eigenvalues < x (x > 0) of the zero-diagonal symmetric tridiagonal with off-diagonal
 * `c`, by the Sturm sequence d_0 = −x, d_i = −x − c_i²/d_{i−1} (evaluated as c_i·(c_i/d_{i−1}) so
 * that tiny entries do not underflow). With a zero diagonal the floating-point recurrence is
 * exact for off-diagonals perturbed relatively by a few ulps (Demmel–Kahan), so the count, and the
 * singular values found by bisection on it, are relatively accurate.
 */
function sturmCount(c: Float64Array, x: number): number {
  let d = -x;
  let count = 1; // d_0 = −x < 0
  for (let i = 0; i < c.length; i++) {
    const ci = c[i]!;
    d = -x - ci * (ci / d);
    if (d === 0) d = -MIN_NORMAL;
    if (d < 0) count++;
  }
  return count;
}

/**
 * The singular values (descending) and optionally singular vectors of a bidiagonal matrix B, in
 * float64, to high relative accuracy.
 *
 * Shapes, with p = alpha.length ≥ 1:
 * - `'lower'`: B[j][j] = alpha[j], B[j+1][j] = beta[j]; beta of length p − 1 → B is p×p, of length
 *   p → B is (p+1)×p (the B_k of {@link golubKahanF64}).
 * - `'upper'`: B[j][j] = alpha[j], B[j][j+1] = beta[j]; beta of length p − 1 → p×p, of length p →
 *   p×(p+1).
 *
 * The singular values are the nonnegative eigenvalues of the zero-diagonal symmetric tridiagonal
 * Golub–Kahan form TGK = tridiag(alpha[0], beta[0], alpha[1], beta[1], …) (whose eigenvalues are
 * ±σ_i, plus one 0 when B is rectangular). They are computed one by one by geometric bisection with
 * TGK's Sturm count, which is accurate to a few ulps relative to each σ_i (Demmel–Kahan 1990), not
 * merely relative to σ_max; values below 1e-290·max|B| are reported as 0. Relation to
 * {@link golubKahanF64}: the eigenvalues of J Jᵀ restricted to the Krylov space are σ² of the
 * square L_k, those of JᵀJ restricted to span(v) are σ² of the rectangular B_k.
 *
 * Vectors (optional) come from the eigenvectors of TGK ({@link tridiagonalEigen}, accurate in angle
 * to ε‖B‖ / gap): B v_i = σ_i u_i, Bᵀ u_i = σ_i v_i, each of unit norm, v_i's first nonzero
 * component positive. For σ_i = 0 (or σ_i tiny with respect to ‖B‖ε) the vectors are only
 * determined up to the null spaces.
 *
 * @param alpha - the diagonal, length p ≥ 1.
 * @param beta - the off-diagonal, length p − 1 (square) or p (rectangular).
 * @param shape - `'lower'` or `'upper'` bidiagonal.
 * @example
 * ```ts
 * bidiagonalSingularValues(new Float64Array([3, 1e-9]), new Float64Array([0]), 'upper').values; // [3, 1e-9]
 * ```
 */
export function bidiagonalSingularValues(
  alpha: Float64Array,
  beta: Float64Array,
  shape: 'lower' | 'upper',
  options: BidiagonalSvdOptions = {},
): BidiagonalSvdResult {
  const p = alpha.length;
  if (p < 1) throw new InvalidArgumentError('alpha', 'expected at least 1 diagonal entry, got 0');
  if (beta.length !== p - 1 && beta.length !== p) {
    throw new InvalidArgumentError('beta', `expected ${p - 1} (square B) or ${p} (rectangular B) entries, got ${beta.length}`);
  }
  if (shape !== 'lower' && shape !== 'upper') throw new InvalidArgumentError('shape', `expected 'lower' or 'upper', got ${String(shape)}`);
  checkFinite('alpha', alpha);
  checkFinite('beta', beta);

  // The chain of TGK for the lower bidiagonal L (an upper B is Lᵀ): nodes u_0, v_0, u_1, v_1, …
  const chain = new Float64Array(p + beta.length);
  let big = 0;
  for (let j = 0; j < p; j++) {
    chain[2 * j] = alpha[j]!;
    big = Math.max(big, Math.abs(alpha[j]!));
    if (j < beta.length) {
      chain[2 * j + 1] = beta[j]!;
      big = Math.max(big, Math.abs(beta[j]!));
    }
  }
  const size = chain.length + 1;
  const values = new Float64Array(p);
  if (big > 0) {
    const scaled = new Float64Array(chain.length);
    let hi = 0;
    for (let i = 0; i < chain.length; i++) {
      scaled[i] = chain[i]! / big;
      hi = Math.max(hi, Math.abs(scaled[i]!) + (i + 1 < chain.length ? Math.abs(chain[i + 1]! / big) : 0));
    }
    hi = hi * (1 + 1e-12) + 1e-300; // Gershgorin: every σ ≤ hi (scaled)
    // #{σ < x} = #{eigenvalues of TGK < x} − (size − p) for x > 0.
    const below = (x: number): number => sturmCount(scaled, x) - (size - p);
    const nAtFloor = below(FLOOR);
    // Ascending: σ_(i), i = 0..p−1 is the smallest x with below(x) ≥ i + 1.
    for (let i = 0; i < p; i++) {
      if (nAtFloor >= i + 1) {
        values[p - 1 - i] = 0;
        continue;
      }
      let lo = FLOOR;
      let up = hi;
      // Start from the previous value when possible (values ascend).
      if (i > 0 && values[p - i]! / big > lo) lo = Math.min(values[p - i]! / big, up) * (1 - 4e-16);
      if (below(lo) >= i + 1) lo = FLOOR;
      for (let iter = 0; iter < 200; iter++) {
        const mid = up / lo > 4 ? Math.sqrt(lo) * Math.sqrt(up) : 0.5 * (lo + up);
        if (!(mid > lo && mid < up)) break;
        if (below(mid) >= i + 1) up = mid;
        else lo = mid;
      }
      values[p - 1 - i] = 0.5 * (lo + up) * big;
    }
  }
  if (options.vectors !== true) return { values };

  // Vectors: eigenvectors of TGK for its p largest eigenvalues (+σ_i).
  const eig = tridiagonalEigen(new Float64Array(size), chain, { vectors: 'all' });
  const z = eig.vectors!;
  const nu = Math.ceil(size / 2); // u-nodes of L: even positions
  const nv = Math.floor(size / 2); // v-nodes of L: odd positions
  const uL = new Float64Array(p * nu);
  const vL = new Float64Array(p * nv);
  for (let i = 0; i < p; i++) {
    const o = (size - 1 - i) * size;
    for (let t = 0; t < nu; t++) uL[i * nu + t] = z[o + 2 * t]!;
    for (let t = 0; t < nv; t++) vL[i * nv + t] = z[o + 2 * t + 1]!;
    normalizeRow(uL, i, nu);
    normalizeRow(vL, i, nv);
  }
  // L v = σ u. For an upper B = Lᵀ: B u = σ v, so B's right vectors are L's left ones.
  const [uB, vB, nB] = shape === 'lower' ? [uL, vL, nv] : [vL, uL, nu];
  for (let i = 0; i < p; i++) {
    const o = i * nB;
    let sign = 1;
    for (let t = 0; t < nB; t++) {
      if (vB[o + t] !== 0) {
        sign = vB[o + t]! < 0 ? -1 : 1;
        break;
      }
    }
    if (sign < 0) {
      for (let t = 0; t < nB; t++) vB[o + t] = -vB[o + t]!;
      const m = uB.length / p;
      for (let t = 0; t < m; t++) uB[i * m + t] = -uB[i * m + t]!;
    }
  }
  return { values, u: uB, v: vB };
}

function normalizeRow(a: Float64Array, row: number, len: number): void {
  const r = a.subarray(row * len, (row + 1) * len);
  const nrm = norm2(r);
  if (nrm > 0) for (let t = 0; t < len; t++) r[t] = r[t]! / nrm;
}
