/**
 * Small dense float64 helpers used by the reference algorithms and by tests: products,
 * transposes, BLAS-1 operations, orthonormality checks and random test matrices.
 *
 * Matrices are `Float64Array` in row-major order. Sets of k vectors of length n are stored as the
 * rows of a k×n array (vector j = row j, contiguous).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Random } from '../util/random.ts';

/** Throws unless `value` is an integer ≥ `min`. @internal */
export function checkCount(argument: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(argument, `expected an integer ≥ ${min}, got ${value}`);
}

/** Throws unless `array.length === expected`. @internal */
export function checkLength(argument: string, array: ArrayLike<number>, expected: number, shape: string): void {
  if (array.length !== expected) throw new InvalidArgumentError(argument, `expected ${expected} elements (${shape}), got ${array.length}`);
}

/** Throws unless every element of `array` is finite. @internal */
export function checkFinite(argument: string, array: ArrayLike<number>): void {
  for (let i = 0; i < array.length; i++) {
    if (!Number.isFinite(array[i]!)) throw new InvalidArgumentError(argument, `element ${i} is ${array[i]}, expected a finite number`);
  }
}

/**
 * The matrix product C = A·B.
 *
 * @param a - shape [m, k], row-major.
 * @param b - shape [k, n], row-major.
 * @returns C, shape [m, n], row-major.
 * @example
 * ```ts
 * matmul(new Float64Array([1, 2]), new Float64Array([3, 4]), 1, 2, 1); // Float64Array [11]
 * ```
 */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  checkCount('m', m, 0);
  checkCount('k', k, 0);
  checkCount('n', n, 0);
  checkLength('a', a, m * k, 'm × k');
  checkLength('b', b, k * n, 'k × n');
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aip * b[bp + j]!;
    }
  }
  return c;
}

/**
 * The transpose of a rows×cols matrix.
 *
 * @param a - shape [rows, cols], row-major.
 * @returns Aᵀ, shape [cols, rows], row-major.
 * @example
 * ```ts
 * transpose(new Float64Array([1, 2, 3, 4, 5, 6]), 2, 3); // Float64Array [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  checkCount('rows', rows, 0);
  checkCount('cols', cols, 0);
  checkLength('a', a, rows * cols, 'rows × cols');
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/**
 * The symmetric part (A + Aᵀ)/2 of a square matrix, as a new array (exactly symmetric).
 *
 * @param a - shape [n, n], row-major.
 * @example
 * ```ts
 * symmetrize(new Float64Array([1, 2, 4, 3]), 2); // Float64Array [1, 3, 3, 3]
 * ```
 */
export function symmetrize(a: Float64Array, n: number): Float64Array {
  checkCount('n', n, 0);
  checkLength('a', a, n * n, 'n × n');
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    s[i * n + i] = a[i * n + i]!;
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      s[i * n + j] = v;
      s[j * n + i] = v;
    }
  }
  return s;
}

/**
 * The dot product xᵀy (plain float64 summation).
 *
 * @example
 * ```ts
 * dot(new Float64Array([1, 2]), new Float64Array([3, 4])); // 11
 * ```
 */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new InvalidArgumentError('y', `expected ${x.length} elements (the length of x), got ${y.length}`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * The Euclidean norm ‖x‖₂, scaled so that it neither overflows nor underflows prematurely.
 *
 * @example
 * ```ts
 * norm2(new Float64Array([3, 4])); // 5
 * ```
 */
export function norm2(x: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]!);
    if (v > big || Number.isNaN(v)) big = v;
  }
  if (big === 0 || !Number.isFinite(big)) return big;
  // Plain sum of squares when it is safe; scaled otherwise.
  if (big > 1e-150 && big < 1e150) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return Math.sqrt(s);
  }
  const inv = 1 / big;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * inv;
    s += v * v;
  }
  return big * Math.sqrt(s);
}

/**
 * y ← y + alpha·x, in place (BLAS axpy). Returns `y`.
 *
 * @example
 * ```ts
 * axpy(2, new Float64Array([1, 1]), new Float64Array([1, 2])); // Float64Array [3, 4]
 * ```
 */
export function axpy(alpha: number, x: ArrayLike<number>, y: Float64Array): Float64Array {
  if (x.length !== y.length) throw new InvalidArgumentError('y', `expected ${x.length} elements (the length of x), got ${y.length}`);
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
  return y;
}

/**
 * x ← alpha·x, in place (BLAS scal). Returns `x`.
 *
 * @example
 * ```ts
 * scale(0.5, new Float64Array([2, 4])); // Float64Array [1, 2]
 * ```
 */
export function scale(alpha: number, x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i]! *= alpha;
  return x;
}

/**
 * y = A·x for a rows×cols matrix A.
 *
 * @param a - shape [rows, cols], row-major.
 * @param x - length cols.
 * @returns y, length rows.
 * @example
 * ```ts
 * matVec(new Float64Array([1, 2, 3, 4]), 2, 2, new Float64Array([1, 1])); // Float64Array [3, 7]
 * ```
 */
export function matVec(a: Float64Array, rows: number, cols: number, x: ArrayLike<number>): Float64Array {
  checkCount('rows', rows, 0);
  checkCount('cols', cols, 0);
  checkLength('a', a, rows * cols, 'rows × cols');
  checkLength('x', x, cols, 'cols');
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += a[o + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/**
 * y = Aᵀ·x for a rows×cols matrix A.
 *
 * @param a - shape [rows, cols], row-major.
 * @param x - length rows.
 * @returns y, length cols.
 * @example
 * ```ts
 * matTVec(new Float64Array([1, 2, 3, 4]), 2, 2, new Float64Array([1, 1])); // Float64Array [4, 6]
 * ```
 */
export function matTVec(a: Float64Array, rows: number, cols: number, x: ArrayLike<number>): Float64Array {
  checkCount('rows', rows, 0);
  checkCount('cols', cols, 0);
  checkLength('a', a, rows * cols, 'rows × cols');
  checkLength('x', x, rows, 'rows');
  const y = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const o = i * cols;
    for (let j = 0; j < cols; j++) y[j]! += a[o + j]! * xi;
  }
  return y;
}

/**
 * ‖Q Qᵀ − I‖_max for k vectors of length n stored as the rows of Q: the largest deviation of a
 * pairwise dot product from the identity (0 for an orthonormal set).
 *
 * @param q - shape [k, n], row-major, vector j = row j.
 * @example
 * ```ts
 * orthonormalityError(new Float64Array([1, 0, 0, 1]), 2, 2); // 0
 * ```
 */
export function orthonormalityError(q: Float64Array, k: number, n: number): number {
  checkCount('k', k, 0);
  checkCount('n', n, 0);
  checkLength('q', q, k * n, 'k × n');
  let worst = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += q[i * n + t]! * q[j * n + t]!;
      const err = Math.abs(s - (i === j ? 1 : 0));
      if (err > worst || Number.isNaN(err)) worst = err;
    }
  }
  return worst;
}

/**
 * A Haar-distributed random orthogonal n×n matrix: the Q factor of the QR factorization of a
 * Gaussian matrix, with the sign fix that makes R's diagonal positive (without it Q is not
 * Haar-distributed). The factorization is Gram–Schmidt applied twice (CGS2) to the rows, which is
 * orthogonal to working precision.
 *
 * @returns Q, shape [n, n], row-major; its rows (and columns) are orthonormal.
 * @example
 * ```ts
 * const q = randomOrthogonal(4, new Random(1));
 * orthonormalityError(q, 4, 4); // ~1e-16
 * ```
 */
export function randomOrthogonal(n: number, rng: Random): Float64Array {
  checkCount('n', n, 1);
  for (;;) {
    const q = rng.normals(n * n);
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const row = q.subarray(j * n, (j + 1) * n);
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < j; i++) {
          const prev = q.subarray(i * n, (i + 1) * n);
          axpy(-dot(prev, row), prev, row);
        }
      }
      // Gram–Schmidt makes R's diagonal (the norms) positive: exactly the Haar sign fix.
      const nrm = norm2(row);
      if (!(nrm > 1e-8))
        ok = false; // (probability zero) a numerically dependent draw: redraw
      else scale(1 / nrm, row);
    }
    if (ok) return q;
  }
}

/**
 * A random symmetric matrix A = Q diag(values) Qᵀ with a Haar-distributed orthogonal Q, so that
 * its eigenvalues are exactly `values` up to rounding (‖ΔA‖ ≈ n·ε·max|values|). The result is
 * exactly symmetric.
 *
 * @param values - the eigenvalues, length n ≥ 1.
 * @returns A, shape [n, n], row-major.
 * @example
 * ```ts
 * const a = matrixWithSpectrum(new Float64Array([1, 2, 3]), new Random(7));
 * symmetricEigen(a, 3).values; // ≈ [1, 2, 3]
 * ```
 */
export function matrixWithSpectrum(values: ArrayLike<number>, rng: Random): Float64Array {
  const n = values.length;
  checkCount('values.length', n, 1);
  checkFinite('values', values);
  const q = randomOrthogonal(n, rng); // rows q_k: A = Σ_k values[k] q_k q_kᵀ
  const a = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const v = values[k]!;
    if (v === 0) continue;
    const o = k * n;
    for (let i = 0; i < n; i++) {
      const vi = v * q[o + i]!;
      const ai = i * n;
      for (let j = i; j < n; j++) a[ai + j]! += vi * q[o + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[j * n + i] = a[i * n + j]!;
  return a;
}

/** Layout of {@link scaleVectorsF64}, in elements (mirrors `ScaleVectorsArgs` of src/kernels/scaleVectors.ts). */
export interface ScaleVectorsLayout {
  /** Elements per row. */
  readonly len: number;
  /** Number of rows (one scale each). */
  readonly batch: number;
  /** Row b of `src` starts at srcOffset + b·srcStride. */
  readonly srcStride: number;
  /** Element offset of row 0 of `src`. Default 0. */
  readonly srcOffset?: number;
  /** Row b of `dst` starts at dstOffset + b·dstStride. */
  readonly dstStride: number;
  /** Element offset of row 0 of `dst`. Default 0. */
  readonly dstOffset?: number;
  /** The scale of row b is s[sOffset + b·sStride] (sStride default 1). */
  readonly sOffset?: number;
  /** Elements between consecutive scales in `s`. Default 1. */
  readonly sStride?: number;
}

/**
 * Strided row scaling `dst[b][i] = src[b][i] · s[b]` for b < batch, i < len, in float64, in place
 * on `dst` (every other element of `dst` is left as it is). Returns `dst`.
 *
 * Float64 twin of shaders/linalg/scaleVectors.wgsl. For f32 inputs the f32 kernel's result is
 * exactly `Math.fround` of this one (one correctly rounded multiply; the float64 product of two
 * f32 values is exact).
 *
 * @example
 * ```ts
 * scaleVectorsF64(new Float64Array([1, 2, 3, 4]), new Float64Array([2, 0.5]), new Float64Array(4), {
 *   len: 2, batch: 2, srcStride: 2, dstStride: 2,
 * }); // Float64Array [2, 4, 1.5, 2]
 * ```
 */
export function scaleVectorsF64(src: ArrayLike<number>, s: ArrayLike<number>, dst: Float64Array, l: ScaleVectorsLayout): Float64Array {
  checkCount('len', l.len, 0);
  checkCount('batch', l.batch, 0);
  const so = l.srcOffset ?? 0;
  const dO = l.dstOffset ?? 0;
  const sc = l.sOffset ?? 0;
  const ss = l.sStride ?? 1;
  for (let b = 0; b < l.batch; b++) {
    const f = s[sc + b * ss]!;
    for (let i = 0; i < l.len; i++) dst[dO + b * l.dstStride + i] = src[so + b * l.srcStride + i]! * f;
  }
  return dst;
}

/** Layout of {@link gatherRowsF64}, in elements (mirrors `GatherRowsArgs` of src/kernels/gatherRows.ts). */
export interface GatherRowsLayout {
  /** Number of batch items. */
  readonly batch: number;
  /** Rows gathered per batch item. */
  readonly count: number;
  /** Elements per gathered row. */
  readonly len: number;
  /** Batch item b of `src` starts at b·srcBatchStride; its row r at + r·srcRowStride. */
  readonly srcBatchStride: number;
  /** Elements between consecutive rows of a batch item in `src`. */
  readonly srcRowStride: number;
  /** The valid length of batch item b is limit[b·limitStride + limitOffset]. */
  readonly limitStride: number;
  /** Offset of the limits in `limit` (see `limitStride`). */
  readonly limitOffset: number;
}

/**
 * Per-batch row gather with zero fill: `dst[b][v][j] = src[b][index[b·count + v]][j]` for
 * j < limit[b] and 0 for limit[b] ≤ j < len; `dst` is compact [batch][count][len].
 *
 * Float64 twin of shaders/linalg/gatherRows.wgsl (exact copies, so the f32 kernel must match it
 * bit for bit on f32 input).
 *
 * @example
 * ```ts
 * // One batch item, rows [1, 2] and [3, 4]; gather row 1 then row 0 with valid length 1.
 * gatherRowsF64(new Float64Array([1, 2, 3, 4]), [1, 0], [1], {
 *   batch: 1, count: 2, len: 2, srcBatchStride: 4, srcRowStride: 2, limitStride: 1, limitOffset: 0,
 * }); // Float64Array [3, 0, 1, 0]
 * ```
 */
export function gatherRowsF64(
  src: ArrayLike<number>,
  index: ArrayLike<number>,
  limit: ArrayLike<number>,
  l: GatherRowsLayout,
): Float64Array {
  checkCount('batch', l.batch, 0);
  checkCount('count', l.count, 0);
  checkCount('len', l.len, 0);
  const dst = new Float64Array(l.batch * l.count * l.len);
  for (let b = 0; b < l.batch; b++) {
    const valid = limit[b * l.limitStride + l.limitOffset]!;
    for (let v = 0; v < l.count; v++) {
      const row = b * l.srcBatchStride + index[b * l.count + v]! * l.srcRowStride;
      const out = (b * l.count + v) * l.len;
      for (let j = 0; j < l.len && j < valid; j++) dst[out + j] = src[row + j]!;
    }
  }
  return dst;
}
