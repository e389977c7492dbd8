/**
 * Eigen-decomposition of a dense symmetric matrix in float64: Householder tridiagonalization
 * (EISPACK tred2) followed by implicit QL with Wilkinson shifts (tql2, shared with
 * {@link tridiagonalEigen}). O(n³); the oracle for small dense problems.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { checkCount, checkFinite, checkLength } from './linalg.ts';
import { sortEigenpairs, tql2InPlace } from './tridiagonalEigen.ts';

/** Options of {@link symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Also return the eigenvectors (default false). */
  readonly vectors?: boolean;
}

/** Result of {@link symmetricEigen}. */
export interface SymmetricEigenResult {
  /** The eigenvalues, ascending. */
  values: Float64Array;
  /**
   * With `vectors: true`: shape [n, n], row-major; row j is the unit eigenvector of values[j],
   * signed so that its first nonzero component is positive.
   */
  vectors?: Float64Array;
}

/**
 * Whether the n×n matrix `a` is symmetric: |a_ij − a_ji| ≤ relTol · max|a| for all i, j.
 *
 * @param a - shape [n, n], row-major.
 * @param relTol - tolerance relative to the largest entry in magnitude (0 = exact symmetry).
 * @example
 * ```ts
 * isSymmetric(new Float64Array([1, 2, 2, 1]), 2, 0); // true
 * ```
 */
export function isSymmetric(a: Float64Array, n: number, relTol = 0): boolean {
  checkCount('n', n, 1);
  checkLength('a', a, n * n, 'n × n');
  if (!(relTol >= 0)) throw new InvalidArgumentError('relTol', `expected a number ≥ 0, got ${relTol}`);
  let big = 0;
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i]!));
  const tol = relTol * big;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (!(Math.abs(a[i * n + j]! - a[j * n + i]!) <= tol)) return false;
    }
  }
  return true;
}

/**
 * Householder reduction of the symmetric matrix in `v` (shape [n, n]; only its upper triangle is
 * read) to tridiagonal form T = Qᵀ A Q (EISPACK tred2). On exit `d` is T's diagonal, `e[i]`
 * (i ≥ 1) the entry T[i][i−1] and e[0] = 0; with `accumulate`, `v` holds Qᵀ (row j of v is column
 * j of Q), otherwise `v` is destroyed. This is EISPACK's column-oriented tred2 run on the transpose
 * (the same matrix, A being symmetric), so that every inner loop walks contiguous memory.
 */
function tred2(v: Float64Array, n: number, d: Float64Array, e: Float64Array, accumulate: boolean): void {
  for (let j = 0; j < n; j++) d[j] = v[j * n + n - 1]!;

  for (let i = n - 1; i > 0; i--) {
    // Scale to avoid under/overflow.
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[j * n + i - 1]!;
        v[j * n + i] = 0;
        v[i * n + j] = 0;
      }
    } else {
      // Generate the Householder vector.
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;

      // Apply the similarity transformation to the remaining columns.
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[i * n + j] = f;
        g = e[j]! + v[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = v[j * n + k]!;
          g += vkj * d[k]!;
          e[k]! += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[j * n + k]! -= f * e[k]! + g * d[k]!;
        d[j] = v[j * n + i - 1]!;
        v[j * n + i] = 0;
      }
    }
    d[i] = h;
  }

  if (!accumulate) {
    for (let j = 0; j < n; j++) d[j] = v[j * n + j]!;
    e[0] = 0;
    return;
  }

  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    v[i * n + n - 1] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[(i + 1) * n + k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[(i + 1) * n + k]! * v[j * n + k]!;
        for (let k = 0; k <= i; k++) v[j * n + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[j * n + n - 1]!;
    v[j * n + n - 1] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Eigenvalues (and optionally eigenvectors) of a dense symmetric n×n matrix in float64, by
 * Householder tridiagonalization and implicit QL (tred2 + tql2). The symmetric part (A + Aᵀ)/2 is
 * used, so a matrix that is symmetric up to rounding is fine. Eigenvalues are accurate to a few
 * n·ε·‖A‖ in absolute terms; eigenvectors are orthonormal to a few n·ε.
 *
 * @param a - shape [n, n], row-major.
 * @param n - the order, ≥ 1.
 * @param options - `vectors: true` to also return the eigenvectors.
 * @returns values ascending; with `vectors`, shape [n, n] with row j the unit eigenvector of
 *   values[j] (first nonzero component positive).
 * @throws InvalidArgumentError for a bad length or non-finite entries.
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2, { vectors: true });
 * // values = [1, 3]; vectors = [0.7071, -0.7071, 0.7071, 0.7071]
 * ```
 */
export function symmetricEigen(a: Float64Array, n: number, options: SymmetricEigenOptions = {}): SymmetricEigenResult {
  checkCount('n', n, 1);
  checkLength('a', a, n * n, 'n × n');
  checkFinite('a', a);
  const wantVectors = options.vectors === true;
  // Working copy: the symmetric part of A (tred2 reads the upper triangle).
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    v[i * n + i] = a[i * n + i]!;
    for (let j = 0; j < i; j++) v[j * n + i] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(v, n, d, e, wantVectors);
  // tql2InPlace wants e[i] = T[i+1][i].
  for (let i = 0; i < n - 1; i++) e[i] = e[i + 1]!;
  e[n - 1] = 0;
  if (!wantVectors) {
    tql2InPlace(d, e, null, 0);
    return { values: sortEigenpairs(d, null, 0, false).values };
  }
  // Rows of v = columns of Q; QL rotates them into the eigenvectors of A.
  tql2InPlace(d, e, v, n);
  const z = v;
  const { values, rows } = sortEigenpairs(d, z, n, true);
  return { values, vectors: rows! };
}
