/**
 * Float64 twin of the gemm kernel (shaders/linalg/gemm.wgsl, src/kernels/gemm.ts), with the same
 * batched, strided, row-major layout, and the kernel's entrywise error bound.
 * @module
 */

/** Storage layout of one operand, in f32 elements (mirrors `GemmOperandLayout` of src/kernels/gemm.ts). */
export interface GemmOperandLayout {
  /** Element offset of the first matrix. Default 0. */
  readonly offset?: number;
  /** Row stride of the stored matrix. Default: the stored row length. */
  readonly ld?: number;
  /** Elements between consecutive matrices of the batch; 0 broadcasts one matrix. Default `rows · ld`. */
  readonly batchStride?: number;
}

/** Shape, transposes, scalars and layouts of a batched product (mirrors `GemmHostArgs` of src/kernels/gemm.ts). */
export interface GemmLayout {
  /** Rows of C and of op(A). */
  readonly m: number;
  /** Columns of C and of op(B). */
  readonly n: number;
  /** Inner dimension. */
  readonly k: number;
  /** Default 1. */
  readonly batch?: number;
  /** A is stored K × M and used transposed. Default false (stored M × K). */
  readonly transA?: boolean;
  /** B is stored N × K and used transposed. Default false (stored K × N). */
  readonly transB?: boolean;
  /** Default 1. */
  readonly alpha?: number;
  /** Default 0: C is write-only. */
  readonly beta?: number;
  readonly a?: GemmOperandLayout;
  readonly b?: GemmOperandLayout;
  readonly c?: GemmOperandLayout;
}

interface Indexer {
  /** Element index of stored entry (row, col) of batch item b. */
  at(b: number, row: number, col: number): number;
}

function indexer(layout: GemmOperandLayout | undefined, rows: number, rowLen: number): Indexer {
  const offset = layout?.offset ?? 0;
  const ld = layout?.ld ?? Math.max(1, rowLen);
  const stride = layout?.batchStride ?? rows * ld;
  return { at: (b, row, col) => offset + b * stride + row * ld + col };
}

/** Element indices of op(A)[m][k], op(B)[k][n] and C[m][n] for the layout. */
function indexers(l: GemmLayout) {
  const { m: M, n: N, k: K } = l;
  const ia = l.transA ? indexer(l.a, K, M) : indexer(l.a, M, K);
  const ib = l.transB ? indexer(l.b, N, K) : indexer(l.b, K, N);
  const ic = indexer(l.c, M, N);
  return {
    a: l.transA ? (b: number, m: number, k: number) => ia.at(b, k, m) : (b: number, m: number, k: number) => ia.at(b, m, k),
    b: l.transB ? (b: number, k: number, n: number) => ib.at(b, n, k) : (b: number, k: number, n: number) => ib.at(b, k, n),
    c: (b: number, m: number, n: number) => ic.at(b, m, n),
  };
}

/**
 * `C[b] = α·op(A[b])·op(B[b]) + β·C[b]` for b < batch, in float64, in place on `c` (returned).
 * With β = 0, C is write-only. Entries of `c` outside the product are left unchanged.
 *
 * @example
 * ```ts
 * // [1 2; 3 4] · [5; 6] = [17; 39]
 * gemm([1, 2, 3, 4], [5, 6], new Float64Array(2), { m: 2, n: 1, k: 2 }); // Float64Array [17, 39]
 * ```
 */
export function gemm(a: ArrayLike<number>, b: ArrayLike<number>, c: Float64Array, l: GemmLayout): Float64Array {
  const idx = indexers(l);
  const alpha = l.alpha ?? 1;
  const beta = l.beta ?? 0;
  const batch = l.batch ?? 1;
  for (let bi = 0; bi < batch; bi++) {
    for (let m = 0; m < l.m; m++) {
      for (let n = 0; n < l.n; n++) {
        let sum = 0;
        for (let k = 0; k < l.k; k++) sum += a[idx.a(bi, m, k)]! * b[idx.b(bi, k, n)]!;
        const ci = idx.c(bi, m, n);
        c[ci] = alpha * sum + (beta === 0 ? 0 : beta * c[ci]!);
      }
    }
  }
  return c;
}

/**
 * Entrywise forward-error bound of the f32 kernel for the same layout:
 * `γ_{K+2}·|α|·(|op(A)|·|op(B)|) + γ_2·|β C|`, with γ_j = j·u/(1 − j·u) and u = 2⁻²⁴ (the two extra
 * units cover the final scaling by α and the addition of β C; with β = 0 the second term is 0).
 * The result has the shape of `c`; entries outside the product get bound 0 (they must be unchanged).
 */
export function gemmErrorBound(a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>, l: GemmLayout): Float64Array {
  const unit = 2 ** -24;
  const gamma = (j: number): number => (j * unit) / (1 - j * unit);
  const gK = gamma(l.k + 2);
  const g2 = gamma(2);
  const alpha = Math.abs(l.alpha ?? 1);
  const beta = Math.abs(l.beta ?? 0);
  const batch = l.batch ?? 1;
  const idx = indexers(l);
  const out = new Float64Array(c.length);
  for (let bi = 0; bi < batch; bi++) {
    for (let m = 0; m < l.m; m++) {
      for (let n = 0; n < l.n; n++) {
        let sum = 0;
        for (let k = 0; k < l.k; k++) sum += Math.abs(a[idx.a(bi, m, k)]! * b[idx.b(bi, k, n)]!);
        const ci = idx.c(bi, m, n);
        out[ci] = gK * alpha * sum + (beta === 0 ? 0 : g2 * beta * Math.abs(c[ci]!));
      }
    }
  }
  return out;
}
