/**
 * The Kato-form transport estimator (spec §1.7, end) on the host from the projected kernel change
 * G = U (ΔM/Δt) Uᵀ (r × r, computed on the GPU):
 *
 *   T_{στ} = 2 Σ_{k∈σ, j∈τ} c_k c_j G_kj (λ_k − λ_j) / ((λ_k − λ_j)² + δ²),
 *
 * with c, λ, U of the interval's first checkpoint. It is linear in ΔM, so per-layer kernels give
 * an exact split T = Σ_l T^{(l)} (spec §4.3).
 * @module
 */

/**
 * T^K over the computed shells (window + ∅; `shells` = count + 1), embedded in a (shells+1)² matrix
 * whose ⊥ row and column are zero. `g` is r×r row-major with g[k][j] = u_kᵀ (ΔM/Δt) u_j.
 */
export function katoTransport(
  g: ArrayLike<number>,
  c: ArrayLike<number>,
  lambda: ArrayLike<number>,
  index: ArrayLike<number>,
  shells: number,
  delta: number,
): Float64Array {
  const r = c.length;
  const s = shells + 1;
  const out = new Float64Array(s * s);
  const d2 = delta * delta;
  for (let k = 0; k < r; k++) {
    const sk = index[k]!;
    for (let j = 0; j < r; j++) {
      if (j === k) continue;
      const diff = lambda[k]! - lambda[j]!;
      const w = diff / (diff * diff + d2);
      out[sk * s + index[j]!]! += 2 * c[k]! * c[j]! * g[k * r + j]! * w;
    }
  }
  return out;
}

/** Frobenius norm of a matrix. */
export function frobenius(m: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]! ** 2;
  return Math.sqrt(s);
}
