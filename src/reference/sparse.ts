/**
 * Float64 twin of the csrMatVec kernel (shaders/operators/csrMatVec.wgsl).
 * @module
 */

/** A CSR matrix: row i's nonzeros are values[rowPtr[i]..rowPtr[i+1]) in columns colIdx[...]. */
export interface Csr {
  /** Dimension n (n × n). */
  readonly n: number;
  /** Row pointers (n + 1 entries): row i's nonzeros are rowPtr[i] … rowPtr[i+1] − 1. */
  readonly rowPtr: ArrayLike<number>;
  /** Column index of each nonzero. */
  readonly colIdx: ArrayLike<number>;
  /** Value of each nonzero. */
  readonly values: ArrayLike<number>;
}

/**
 * `y = A x` for a CSR matrix, in float64, each row summed in nonzero order.
 *
 * Float64 twin of shaders/operators/csrMatVec.wgsl (one matrix and one vector; the kernel does a
 * batch of matrices times a block of vectors). The f32 kernel's error is at most
 * γ_nnz(row) Σ|a_ij x_j| per entry.
 */
export function csrMatVec(a: Csr, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) {
    let sum = 0;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) sum += a.values[p]! * x[a.colIdx[p]!]!;
    y[i] = sum;
  }
  return y;
}

/** The dense n×n row-major form of a CSR matrix (duplicates are summed). */
export function csrToDense(a: Csr): Float64Array {
  const out = new Float64Array(a.n * a.n);
  for (let i = 0; i < a.n; i++) {
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) out[i * a.n + a.colIdx[p]!]! += a.values[p]!;
  }
  return out;
}
