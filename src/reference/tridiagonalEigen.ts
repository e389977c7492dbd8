/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix in float64: the implicit QL
 * algorithm with Wilkinson shifts (EISPACK tql2, as in JAMA). This is the reference for the
 * Ritz values of Lanczos, Gauss quadrature nodes and weights, and the second half of the dense
 * {@link symmetricEigen}.
 * @module
 */
import { InternalError, InvalidArgumentError } from '../errors.ts';
import { checkFinite } from './linalg.ts';

/** Which eigenvector information {@link tridiagonalEigen} returns. */
export type TridiagonalVectors = 'none' | 'all' | 'ends';

/** Options of {@link tridiagonalEigen}. */
export interface TridiagonalEigenOptions {
  /**
   * `'none'` (default): eigenvalues only. `'all'`: every eigenvector. `'ends'`: only the first and
   * last component of every eigenvector (Gauss quadrature weights and Ritz error bounds), in O(m²).
   */
  readonly vectors?: TridiagonalVectors;
}

/** Result of {@link tridiagonalEigen}. */
export interface TridiagonalEigenResult {
  /** The eigenvalues λ_0 ≤ λ_1 ≤ … ≤ λ_{m−1}, ascending. */
  values: Float64Array;
  /**
   * With `vectors: 'all'`: shape [m, m], row-major; row j is the unit eigenvector of values[j],
   * signed so that its first nonzero component is positive.
   */
  vectors?: Float64Array;
  /** With `vectors: 'ends'` or `'all'`: first[j] = first component of eigenvector j (same sign convention). */
  first?: Float64Array;
  /** With `vectors: 'ends'` or `'all'`: last[j] = last component of eigenvector j (same sign convention). */
  last?: Float64Array;
}

const EPS = 2 ** -52;
const MAX_SWEEPS_PER_VALUE = 60;

/**
 * The implicit QL iteration with Wilkinson shifts (tql2) on a symmetric tridiagonal matrix, in
 * place. Used by {@link tridiagonalEigen} and {@link symmetricEigen}; exported for the references,
 * not part of the public API.
 *
 * On entry `d` (length m) is the diagonal and `e[i]` (i < m−1) the off-diagonal entry between rows
 * i and i+1; `e[m−1]` is ignored. On exit `d` holds the eigenvalues, unsorted, and `e` is destroyed.
 *
 * `maxSweeps` (default 60) bounds the QL sweeps per eigenvalue.
 *
 * `z` (shape [m, cols], row-major, or null) accumulates the rotations on its rows: row j is
 * rotated exactly as eigenvector j is. Start from the identity (cols = m) to get the eigenvectors
 * as rows; start from the rows of Qᵀ (a tridiagonalization A = Q T Qᵀ) to get those of A; or start
 * from any set of columns of the identity to follow only those components of the eigenvectors.
 *
 * @throws InternalError (a GrsdError, code GRSD_INTERNAL) when an eigenvalue does not converge in
 *   60 QL sweeps — with finite input this does not happen (implicit QL converges cubically).
 * @internal
 */
export function tql2InPlace(
  d: Float64Array,
  e: Float64Array,
  z: Float64Array | null,
  cols: number,
  maxSweeps = MAX_SWEEPS_PER_VALUE,
): void {
  const m = d.length;
  if (m === 0) return;
  e[m - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < m; l++) {
    // Find a small subdiagonal element.
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let mm = l;
    while (mm < m - 1 && Math.abs(e[mm]!) > EPS * tst1) mm++;
    // If mm == l, d[l] is already an eigenvalue; otherwise iterate.
    if (mm > l) {
      let iter = 0;
      do {
        if (++iter > maxSweeps) {
          throw new InternalError(`tridiagonal QL: eigenvalue ${l} of ${m} did not converge in ${maxSweeps} sweeps`);
        }
        // Wilkinson shift.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < m; i++) d[i]! -= h;
        f += h;
        // Implicit QL transformation.
        p = d[mm]!;
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = mm - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = e[i]!;
          const di = d[i]!;
          g = c * ei;
          h = c * p;
          r = Math.hypot(p, ei);
          e[i + 1] = s * r;
          s = ei / r;
          c = p / r;
          p = c * di - s * g;
          d[i + 1] = h + s * (c * g + s * di);
          if (z) {
            const oi = i * cols;
            const oj = oi + cols;
            for (let k = 0; k < cols; k++) {
              const zj = z[oj + k]!;
              const zi = z[oi + k]!;
              z[oj + k] = s * zi + c * zj;
              z[oi + k] = c * zi - s * zj;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/**
 * The permutation that sorts `values` ascending (stable).
 * @internal
 */
export function ascendingOrder(values: Float64Array): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[a]! - values[b]! || a - b);
  return order;
}

/**
 * Sorts eigenvalues ascending and permutes the rows of `z` (shape [m, cols]) alike. With `fixSigns`,
 * each row is negated if needed so that its first nonzero entry is positive.
 * @internal
 */
export function sortEigenpairs(
  d: Float64Array,
  z: Float64Array | null,
  cols: number,
  fixSigns: boolean,
): { values: Float64Array; rows: Float64Array | null } {
  const m = d.length;
  const order = ascendingOrder(d);
  const values = new Float64Array(m);
  for (let j = 0; j < m; j++) values[j] = d[order[j]!]!;
  if (!z) return { values, rows: null };
  const rows = new Float64Array(m * cols);
  for (let j = 0; j < m; j++) {
    const src = order[j]! * cols;
    const dst = j * cols;
    let sign = 1;
    if (fixSigns) {
      for (let k = 0; k < cols; k++) {
        const v = z[src + k]!;
        if (v !== 0) {
          sign = v < 0 ? -1 : 1;
          break;
        }
      }
    }
    for (let k = 0; k < cols; k++) rows[dst + k] = sign * z[src + k]!;
  }
  return { values, rows };
}

/** Validates the tridiagonal (alpha, beta) pair; returns m. */
function checkTridiagonal(alpha: Float64Array, beta: Float64Array): number {
  const m = alpha.length;
  if (m < 1) throw new InvalidArgumentError('alpha', 'expected at least 1 diagonal entry, got 0');
  if (beta.length !== m - 1)
    throw new InvalidArgumentError('beta', `expected ${m - 1} off-diagonal entries (alpha.length − 1), got ${beta.length}`);
  checkFinite('alpha', alpha);
  checkFinite('beta', beta);
  return m;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal m×m matrix T with diagonal `alpha` and
 * off-diagonal `beta` (T[i][i+1] = T[i+1][i] = beta[i]), by implicit QL with Wilkinson shifts in
 * float64 (EISPACK tql2). Eigenvalues are accurate to a few ε·‖T‖ in absolute terms.
 *
 * Handles m = 1, zero off-diagonals (decoupled blocks), negative and repeated eigenvalues.
 *
 * @param alpha - the diagonal, length m ≥ 1.
 * @param beta - the off-diagonal, length m − 1 (zeros allowed).
 * @param options - `vectors`: `'none'` (default), `'all'` (m×m, row j = unit eigenvector of
 *   values[j], first nonzero component positive) or `'ends'` (only `first` and `last`: the first and
 *   last component of each eigenvector, same sign convention, without forming all vectors).
 * @returns values ascending, and the requested vector information.
 * @throws InvalidArgumentError for inconsistent lengths or non-finite entries.
 * @throws InternalError when QL does not converge (does not happen with finite input).
 * @example
 * ```ts
 * const { values, vectors } = tridiagonalEigen(new Float64Array([2, 2]), new Float64Array([1]), { vectors: 'all' });
 * // values = [1, 3]; vectors = [0.7071, -0.7071, 0.7071, 0.7071]
 * ```
 */
export function tridiagonalEigen(alpha: Float64Array, beta: Float64Array, options: TridiagonalEigenOptions = {}): TridiagonalEigenResult {
  const m = checkTridiagonal(alpha, beta);
  const mode = options.vectors ?? 'none';
  if (mode !== 'none' && mode !== 'all' && mode !== 'ends') {
    throw new InvalidArgumentError('options.vectors', `expected 'none', 'all' or 'ends', got ${String(mode)}`);
  }
  const d = Float64Array.from(alpha);
  const e = new Float64Array(m);
  e.set(beta);

  if (mode === 'none') {
    tql2InPlace(d, e, null, 0);
    return { values: sortEigenpairs(d, null, 0, false).values };
  }

  if (mode === 'all') {
    const z = new Float64Array(m * m);
    for (let i = 0; i < m; i++) z[i * m + i] = 1;
    tql2InPlace(d, e, z, m);
    const { values, rows } = sortEigenpairs(d, z, m, true);
    const vectors = rows!;
    const first = new Float64Array(m);
    const last = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      first[j] = vectors[j * m]!;
      last[j] = vectors[j * m + m - 1]!;
    }
    return { values, vectors, first, last };
  }

  // 'ends': follow components 0 and m−1 of every eigenvector (the same rotations, bit for bit, as
  // in 'all'), in a m×2 array.
  const z = new Float64Array(m * 2);
  z[0] = 1;
  z[(m - 1) * 2 + 1] = 1;
  tql2InPlace(d, e, z, 2);
  const { values, rows } = sortEigenpairs(d, z, 2, false);
  const first = new Float64Array(m);
  const last = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const f0 = rows![2 * j]!;
    const l0 = rows![2 * j + 1]!;
    if (f0 === 0) {
      // The sign convention needs the first nonzero component, which is not the first one here
      // (decoupled blocks): fall back to forming all the vectors.
      const all = tridiagonalEigen(alpha, beta, { vectors: 'all' });
      return { values: all.values, first: all.first!, last: all.last! };
    }
    const sign = f0 < 0 ? -1 : 1;
    first[j] = sign * f0;
    last[j] = sign * l0;
  }
  return { values, first, last };
}
