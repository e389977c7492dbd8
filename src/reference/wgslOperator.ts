/**
 * Float64 twin of the matrix-free operator kernel (shaders/operators/wgslOperator.wgsl): the
 * user's WGSL `operatorEntry(b, i, j)` is mirrored by a float64 entry function.
 * @module
 */
import { checkCount } from './linalg.ts';

/** Entry (i, j) of operator b, in float64 (the twin of the user's WGSL `operatorEntry`). */
export type OperatorEntryF64 = (b: number, i: number, j: number) => number;

/** Strided layout of {@link wgslOperatorF64}, in elements (mirrors the `VectorsView`s of src/kernels/wgslOperator.ts). */
export interface WgslOperatorLayout {
  /** Dimension n. */
  readonly n: number;
  /** Number of operators. */
  readonly batch: number;
  /** Vectors per operator. */
  readonly vectors: number;
  /** Vector v of operator b in `x` starts at xOffset + b·xStride + v·xVecStride. */
  readonly xStride: number;
  /** Elements between consecutive vectors of x. */
  readonly xVecStride: number;
  /** Element offset of x. Default 0. */
  readonly xOffset?: number;
  /** Vector v of operator b in `y` starts at yOffset + b·yStride + v·yVecStride. */
  readonly yStride: number;
  /** Elements between consecutive vectors of y. */
  readonly yVecStride: number;
  /** Element offset of y. Default 0. */
  readonly yOffset?: number;
}

/** The identity: the template's default `operatorEntry`, used when no user code is supplied. */
export const identityEntryF64: OperatorEntryF64 = (_b, i, j) => (i === j ? 1 : 0);

/**
 * `y[b][v][i] = Σ_{j<n} entry(b, i, j) · x[b][v][j]`, summed in column order j = 0…n−1, in
 * float64, in place on `y` (every other element of `y` is left as it is). Returns `y`.
 *
 * Float64 twin of shaders/operators/wgslOperator.wgsl: the f32 kernel's error is at most
 * γ_n Σ_j |a_ij x_j| per entry, plus the error of the user's f32 entry function.
 *
 * @example
 * ```ts
 * // The 2×2 all-ones matrix applied to [1, 2].
 * wgslOperatorF64(() => 1, new Float64Array([1, 2]), new Float64Array(2), {
 *   n: 2, batch: 1, vectors: 1, xStride: 2, xVecStride: 2, yStride: 2, yVecStride: 2,
 * }); // Float64Array [3, 3]
 * ```
 */
export function wgslOperatorF64(entry: OperatorEntryF64, x: ArrayLike<number>, y: Float64Array, l: WgslOperatorLayout): Float64Array {
  checkCount('n', l.n, 1);
  checkCount('batch', l.batch, 1);
  checkCount('vectors', l.vectors, 1);
  const xo = l.xOffset ?? 0;
  const yo = l.yOffset ?? 0;
  for (let b = 0; b < l.batch; b++) {
    for (let v = 0; v < l.vectors; v++) {
      const xb = xo + b * l.xStride + v * l.xVecStride;
      const yb = yo + b * l.yStride + v * l.yVecStride;
      for (let i = 0; i < l.n; i++) {
        let sum = 0;
        for (let j = 0; j < l.n; j++) sum += entry(b, i, j) * x[xb + j]!;
        y[yb + i] = sum;
      }
    }
  }
  return y;
}
