/**
 * Float64 twin of the series' per-checkpoint GPU work (`spectralCheckpoint` in
 * src/algorithms/spectralCheckpoint.ts): the top-r eigenpairs of the kernel K and the amplitudes
 * c_k = u_kᵀe of the residual in that eigenbasis (docs/math.md, "Shells"). Dense and O(n³): the
 * whole decomposition is computed once, so any number of leading pairs can be taken from it.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { checkCount, checkLength, matmul, transpose } from './linalg.ts';
import { symmetricEigen } from './symmetricEigen.ts';

/** The leading eigenpairs of a checkpoint's kernel and the residual's amplitudes on them. */
export interface SpectralCheckpointF64 {
  /** θ_k, the largest eigenvalues of K, descending. */
  readonly values: Float64Array;
  /** Eigenvectors [r][n], row k belongs to values[k]. */
  readonly vectors: Float64Array;
  /** c_k = u_kᵀ e. */
  readonly amplitudes: Float64Array;
}

/** K = J Jᵀ (n×n) from a Jacobian J (n×p, row-major), in float64. */
export function kernelFromJacobianF64(jacobian: ArrayLike<number>, n: number, p: number): Float64Array {
  checkLength('jacobian', jacobian, n * p, `n × p = ${n}×${p}`);
  const j = Float64Array.from(jacobian);
  return matmul(j, transpose(j, n, p), n, p, n);
}

/**
 * The full eigendecomposition of a symmetric K (n×n) with the residual's amplitudes, ordered by
 * descending eigenvalue; {@link leadingPairs} takes the first r of it.
 */
export function spectralDecompositionF64(kernel: ArrayLike<number>, n: number, residual: ArrayLike<number>): SpectralCheckpointF64 {
  checkCount('n', n, 1);
  checkLength('kernel', kernel, n * n, `n × n = ${n}×${n}`);
  checkLength('residual', residual, n, `n = ${n}`);
  const eig = symmetricEigen(Float64Array.from(kernel), n, { vectors: true });
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  const amplitudes = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = n - 1 - k;
    values[k] = eig.values[i]!;
    const row = eig.vectors!.subarray(i * n, (i + 1) * n);
    vectors.set(row, k * n);
    let c = 0;
    for (let m = 0; m < n; m++) c += row[m]! * residual[m]!;
    amplitudes[k] = c;
  }
  return { values, vectors, amplitudes };
}

/** The first `rank` pairs of a decomposition (views, no copy). */
export function leadingPairs(d: SpectralCheckpointF64, rank: number): SpectralCheckpointF64 {
  const n = d.values.length;
  if (!Number.isInteger(rank) || rank < 0 || rank > n)
    throw new InvalidArgumentError('rank', `must be an integer in [0, ${n}], got ${rank}`);
  return { values: d.values.subarray(0, rank), vectors: d.vectors.subarray(0, rank * n), amplitudes: d.amplitudes.subarray(0, rank) };
}

/**
 * The top `rank` eigenpairs of K and the amplitudes of `residual` — the twin of the GPU
 * `spectralCheckpoint` (which gets them by Lanczos in f32).
 */
export function spectralCheckpointF64(
  kernel: ArrayLike<number>,
  n: number,
  residual: ArrayLike<number>,
  rank: number,
): SpectralCheckpointF64 {
  return leadingPairs(spectralDecompositionF64(kernel, n, residual), rank);
}

/** n·IPR_k = n Σ_i u_ki⁴ / ‖u_k‖⁴ of each of the r rows of `vectors` (r × n): ≈ 3 for random directions, n for a basis vector. */
export function inverseParticipation(vectors: ArrayLike<number>, r: number, n: number): Float64Array {
  return Float64Array.from({ length: r }, (_, k) => {
    let s = 0;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      const v = vectors[k * n + i]!;
      s += v ** 4;
      norm += v * v;
    }
    return norm > 0 ? (n * s) / (norm * norm) : 0;
  });
}
