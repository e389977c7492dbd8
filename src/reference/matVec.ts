/**
 * Float64 twins of the matVecT / matVecN kernels (shaders/linalg/matVecT.wgsl, matVecN.wgsl,
 * finished by splitSum.wgsl), with the same strided batched layout.
 * @module
 */

/** Layout of the batched product, in elements (mirrors `MatVecArgs` of src/kernels/matVec.ts). */
export interface MatVecLayout {
  /** Rows of each matrix M[b]. */
  readonly rows: number;
  /** Columns of each matrix. */
  readonly cols: number;
  /** Row stride (leading dimension) of M. Default cols. */
  readonly ld?: number;
  /** Element offset of M[0]. Default 0. */
  readonly mOffset?: number;
  /** Elements between consecutive matrices. Default rows·ld. */
  readonly mStride?: number;
  /** Element offset of x. Default 0. */
  readonly xOffset?: number;
  /** Elements between consecutive batch items of x. */
  readonly xStride: number;
  /** Elements between consecutive vectors of x. */
  readonly xVecStride: number;
  /** Element offset of y. Default 0. */
  readonly yOffset?: number;
  /** Elements between consecutive batch items of y. */
  readonly yStride: number;
  /** Elements between consecutive vectors of y. */
  readonly yVecStride: number;
  /** Number of (matrix, vector set) pairs. */
  readonly batch: number;
  /** Vectors per pair. */
  readonly vectors: number;
  /** α. Default 1. */
  readonly alpha?: number;
  /** β (0: y is write-only). Default 0. */
  readonly beta?: number;
  /** First row used (reduced over by matVecT, written by matVecN). Default 0. */
  readonly rowBegin?: number;
  /** End of the row range (exclusive). Default rows. */
  readonly rowEnd?: number;
}

function unpack(l: MatVecLayout) {
  const ld = l.ld ?? l.cols;
  return {
    ld,
    mOff: l.mOffset ?? 0,
    mStride: l.mStride ?? l.rows * ld,
    xOff: l.xOffset ?? 0,
    yOff: l.yOffset ?? 0,
    alpha: l.alpha ?? 1,
    beta: l.beta ?? 0,
    r0: l.rowBegin ?? 0,
    r1: l.rowEnd ?? l.rows,
  };
}

/**
 * `y[b][v][c] = α Σ_{k∈[rowBegin,rowEnd)} M[b][k][c] x[b][v][k] + β y[b][v][c]` in float64, in place on `y`.
 * With β = 0, y is write-only.
 */
export function matVecT(m: ArrayLike<number>, x: ArrayLike<number>, y: Float64Array, l: MatVecLayout): Float64Array {
  const u = unpack(l);
  for (let b = 0; b < l.batch; b++) {
    for (let v = 0; v < l.vectors; v++) {
      const xb = u.xOff + b * l.xStride + v * l.xVecStride;
      const yb = u.yOff + b * l.yStride + v * l.yVecStride;
      for (let c = 0; c < l.cols; c++) {
        let sum = 0;
        for (let k = u.r0; k < u.r1; k++) sum += m[u.mOff + b * u.mStride + k * u.ld + c]! * x[xb + k]!;
        y[yb + c] = u.alpha * sum + (u.beta === 0 ? 0 : u.beta * y[yb + c]!);
      }
    }
  }
  return y;
}

/**
 * `y[b][v][r] = α Σ_{c<cols} M[b][r][c] x[b][v][c] + β y[b][v][r]` for r ∈ [rowBegin, rowEnd), in
 * float64, in place on `y`. With β = 0, y is write-only.
 */
export function matVecN(m: ArrayLike<number>, x: ArrayLike<number>, y: Float64Array, l: MatVecLayout): Float64Array {
  const u = unpack(l);
  for (let b = 0; b < l.batch; b++) {
    for (let v = 0; v < l.vectors; v++) {
      const xb = u.xOff + b * l.xStride + v * l.xVecStride;
      const yb = u.yOff + b * l.yStride + v * l.yVecStride;
      for (let r = u.r0; r < u.r1; r++) {
        let sum = 0;
        const row = u.mOff + b * u.mStride + r * u.ld;
        for (let c = 0; c < l.cols; c++) sum += m[row + c]! * x[xb + c]!;
        y[yb + r] = u.alpha * sum + (u.beta === 0 ? 0 : u.beta * y[yb + r]!);
      }
    }
  }
  return y;
}

/**
 * Entrywise forward-error bound of the f32 kernels for the same layout: γ_K·(|α| Σ|M||x|) + u·|β y|
 * + u·|result| (the final scaling), with γ_K = K u/(1 − K u), u = 2⁻²⁴, K the reduction length.
 * `transposed` selects matVecT (reduction over rows) or matVecN (over columns).
 */
export function matVecErrorBound(
  m: ArrayLike<number>,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  l: MatVecLayout,
  transposed: boolean,
): Float64Array {
  const u = unpack(l);
  const absM = Float64Array.from({ length: m.length }, (_, i) => Math.abs(m[i]!));
  const absX = Float64Array.from({ length: x.length }, (_, i) => Math.abs(x[i]!));
  const out = Float64Array.from({ length: y.length }, (_, i) => Math.abs(y[i]!));
  const K = transposed ? u.r1 - u.r0 : l.cols;
  const unit = 2 ** -24;
  const gamma = ((K + 2) * unit) / (1 - (K + 2) * unit);
  const layout = { ...l, alpha: Math.abs(u.alpha), beta: Math.abs(u.beta) };
  const mag = transposed ? matVecT(absM, absX, out, layout) : matVecN(absM, absX, out, layout);
  for (let i = 0; i < mag.length; i++) mag[i] = gamma * mag[i]!;
  return mag;
}

/** Layout of {@link splitSumF64}, in elements (mirrors `struct Params` of splitSum.wgsl). */
export interface SplitSumLayout {
  /** Entries per output vector. */
  readonly len: number;
  /** Vectors per batch item. */
  readonly vectors: number;
  /** Number of batch items. */
  readonly batch: number;
  /** Number of partial sums per entry (0: an empty reduction, y = β·y). */
  readonly splits: number;
  /** Partial s of entry (b, v, i) is p[pOffset + s·partialStride + (b·vectors + v)·len + i]. */
  readonly partialStride: number;
  /** Element offset of the partials. Default 0. */
  readonly pOffset?: number;
  /** Entry (b, v, i) of y is y[yOffset + b·yStride + v·yVecStride + i]. */
  readonly yStride: number;
  /** Elements between consecutive vectors of y. */
  readonly yVecStride: number;
  /** Element offset of y. Default 0. */
  readonly yOffset?: number;
  /** α. Default 1. */
  readonly alpha?: number;
  /** β (0: y is write-only). Default 0. */
  readonly beta?: number;
}

/**
 * Finishes a split reduction: `y[b][v][i] = α · Σ_{s < splits} p[s][b][v][i] + β · y[b][v][i]`,
 * summing the partials in split order, in float64, in place on `y`. With β = 0, y is write-only
 * (a NaN there does not propagate). Returns `y`.
 *
 * Float64 twin of shaders/linalg/splitSum.wgsl (the f32 kernel's error is at most
 * γ_{splits+2}·(|α| Σ_s |p_s| + |β y|) per entry).
 *
 * @example
 * ```ts
 * // Two splits of one entry: y = 2·(1 + 3) + 0·y.
 * splitSumF64(new Float64Array([1, 3]), new Float64Array([Number.NaN]), {
 *   len: 1, vectors: 1, batch: 1, splits: 2, partialStride: 1, yStride: 1, yVecStride: 1, alpha: 2,
 * }); // Float64Array [8]
 * ```
 */
export function splitSumF64(p: ArrayLike<number>, y: Float64Array, l: SplitSumLayout): Float64Array {
  const alpha = l.alpha ?? 1;
  const beta = l.beta ?? 0;
  const pOff = l.pOffset ?? 0;
  const yOff = l.yOffset ?? 0;
  for (let b = 0; b < l.batch; b++) {
    for (let v = 0; v < l.vectors; v++) {
      for (let i = 0; i < l.len; i++) {
        const e = (b * l.vectors + v) * l.len + i;
        let sum = 0;
        for (let s = 0; s < l.splits; s++) sum += p[pOff + s * l.partialStride + e]!;
        const yi = yOff + b * l.yStride + v * l.yVecStride + i;
        y[yi] = beta === 0 ? alpha * sum : alpha * sum + beta * y[yi]!;
      }
    }
  }
  return y;
}
