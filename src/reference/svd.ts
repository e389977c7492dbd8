/**
 * Singular values and left singular vectors of a small dense matrix in float64, for the Rayleigh–Ritz
 * step of Golub–Kahan (src/reference/krylovItems.ts): the Ritz values of K = J Jᵀ on span(U) are
 * the σ² of M = Uᵀ J V, and σ must be accurate to ε·‖M‖ *absolutely* (then λ = σ² is accurate to
 * 2ε·σ_max·σ, which is why Golub–Kahan exists), not merely λ to ε·‖M‖² as an eigensolver on M Mᵀ
 * would give.
 *
 * Method: the eigenvectors S of M Mᵀ (tred2 + QL, fast) as a preconditioner, then one-sided Jacobi
 * (Hestenes) on the rows of G = S·M: rotations of pairs of rows until every pair is orthogonal to
 * working precision, applied to S alike. The rows of S are then left singular vectors and σ_t =
 * ‖g_t‖ is computed from M itself, accurate to a few ε·‖M‖ absolutely. The eigenvectors of M Mᵀ
 * are already accurate except inside clusters of singular values narrower than ≈ ε‖M‖²/σ, so
 * Jacobi usually needs one sweep to confirm, and a few rotations inside such clusters.
 * @module
 */
import { InternalError } from '../errors.ts';
import { symmetricEigen } from './symmetricEigen.ts';

/** Result of {@link leftSingularDecomposition}. */
export interface LeftSingularDecomposition {
  /** σ ascending, length rows (rows > cols: the smallest rows − cols are null directions, σ ≈ 0). */
  readonly sigma: Float64Array;
  /** [rows][rows]: row t is the unit left singular vector s_t of sigma[t]. */
  readonly left: Float64Array;
  /** [rows][cols]: row t is g_t = s_tᵀ M = σ_t·t_t (t_t the right singular vector). */
  readonly g: Float64Array;
}

const EPS = 2 ** -53;
const MAX_SWEEPS = 30;

/**
 * Rows g_t with ‖g_t‖ ≤ nullThreshold(cols)·max‖g‖ are at the rounding level of the product S·M:
 * numerically zero singular values, whose right singular direction is noise.
 */
export function nullThreshold(cols: number): number {
  return 8 * Math.max(cols, 1) * EPS;
}

/**
 * The singular values (ascending) with a full basis of left singular vectors of the rows×cols
 * matrix `m` (row-major), and the rows g_t = s_tᵀ M (see the module documentation).
 */
export function leftSingularDecomposition(m: Float64Array, rows: number, cols: number): LeftSingularDecomposition {
  if (rows === 0) return { sigma: new Float64Array(0), left: new Float64Array(0), g: new Float64Array(0) };
  // H = M Mᵀ.
  const h = new Float64Array(rows * rows);
  for (let a = 0; a < rows; a++) {
    const ra = a * cols;
    for (let b = a; b < rows; b++) {
      const rb = b * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += m[ra + j]! * m[rb + j]!;
      h[a * rows + b] = s;
      h[b * rows + a] = s;
    }
  }
  const s = symmetricEigen(h, rows, { vectors: true }).vectors!;
  // G = S M.
  const g = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    const gt = t * cols;
    const st = t * rows;
    for (let a = 0; a < rows; a++) {
      const c = s[st + a]!;
      if (c === 0) continue;
      const ra = a * cols;
      for (let j = 0; j < cols; j++) g[gt + j] = g[gt + j]! + c * m[ra + j]!;
    }
  }
  jacobiRows(g, s, rows, cols);
  const norms = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let q = 0;
    for (let j = 0; j < cols; j++) q += g[t * cols + j]! ** 2;
    norms[t] = Math.sqrt(q);
  }
  const order = Int32Array.from({ length: rows }, (_, i) => i).sort((a, b) => norms[a]! - norms[b]! || a - b);
  const sigma = new Float64Array(rows);
  const left = new Float64Array(rows * rows);
  const gOut = new Float64Array(rows * cols);
  order.forEach((src, t) => {
    sigma[t] = norms[src]!;
    left.set(s.subarray(src * rows, (src + 1) * rows), t * rows);
    gOut.set(g.subarray(src * cols, (src + 1) * cols), t * cols);
  });
  return { sigma, left, g: gOut };
}

/**
 * One-sided Jacobi on the rows of g ([rows][cols]): rotates pairs of rows until |g_i·g_j| ≤
 * tol·‖g_i‖‖g_j‖ for every pair, applying each rotation to the rows of s ([rows][rows]) too.
 */
function jacobiRows(g: Float64Array, s: Float64Array, rows: number, cols: number): void {
  const tol = Math.max(cols, 1) * EPS;
  const norm2 = new Float64Array(rows);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let big = 0;
    for (let t = 0; t < rows; t++) {
      let q = 0;
      for (let j = 0; j < cols; j++) q += g[t * cols + j]! ** 2;
      norm2[t] = q;
      big = Math.max(big, q);
    }
    // Rows at the rounding level of the largest are numerically zero: their direction is noise.
    const zero = nullThreshold(cols) ** 2 * big;
    let rotated = false;
    for (let i = 0; i < rows; i++) {
      const gi = i * cols;
      for (let k = i + 1; k < rows; k++) {
        const a = norm2[i]!;
        const b = norm2[k]!;
        if (a <= zero || b <= zero) continue;
        const gk = k * cols;
        let c = 0;
        for (let j = 0; j < cols; j++) c += g[gi + j]! * g[gk + j]!;
        if (!(Math.abs(c) > tol * Math.sqrt(a * b))) continue;
        rotated = true;
        // Rotation that zeroes the inner product (Hestenes): tan θ = t.
        const zeta = (b - a) / (2 * c);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let j = 0; j < cols; j++) {
          const x = g[gi + j]!;
          const y = g[gk + j]!;
          g[gi + j] = cs * x - sn * y;
          g[gk + j] = sn * x + cs * y;
        }
        const si = i * rows;
        const sk = k * rows;
        for (let j = 0; j < rows; j++) {
          const x = s[si + j]!;
          const y = s[sk + j]!;
          s[si + j] = cs * x - sn * y;
          s[sk + j] = sn * x + cs * y;
        }
        norm2[i] = a - t * c;
        norm2[k] = b + t * c;
      }
    }
    if (!rotated) return;
  }
  throw new InternalError(`one-sided Jacobi did not converge in ${MAX_SWEEPS} sweeps (${rows}×${cols})`);
}
