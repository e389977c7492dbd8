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
 * The Kato transport and the phase coherence of its terms (spec §2 C2b): with
 * w_kj = 2 c_k c_j G_kj (λ_k − λ_j)/((λ_k − λ_j)² + δ²), T_στ = Σ w and
 * Z_στ = |Σ w| / √(Σ w²) over k∈σ, j∈τ (0 where a pair has no terms); `terms` counts the pairs.
 * All are (shells+1)² with the ⊥ row and column zero (`shells` = count + 1: window + ∅).
 * `g` is r×r row-major with g[k][j] = u_kᵀ (ΔM/Δt) u_j.
 */
export function katoTerms(
  g: ArrayLike<number>,
  c: ArrayLike<number>,
  lambda: ArrayLike<number>,
  index: ArrayLike<number>,
  shells: number,
  delta: number,
): { transport: Float64Array; coherence: Float64Array; terms: Float64Array } {
  const r = c.length;
  const s = shells + 1;
  const transport = new Float64Array(s * s);
  const squares = new Float64Array(s * s);
  const terms = new Float64Array(s * s);
  const d2 = delta * delta;
  for (let k = 0; k < r; k++) {
    const sk = index[k]!;
    for (let j = 0; j < r; j++) {
      if (j === k) continue;
      const diff = lambda[k]! - lambda[j]!;
      const w = (2 * c[k]! * c[j]! * g[k * r + j]! * diff) / (diff * diff + d2);
      const e = sk * s + index[j]!;
      transport[e]! += w;
      squares[e]! += w * w;
      terms[e]! += 1;
    }
  }
  const coherence = Float64Array.from(transport, (t, e) => (squares[e]! > 0 ? Math.abs(t) / Math.sqrt(squares[e]!) : 0));
  return { transport, coherence, terms };
}

/** T^K only (see {@link katoTerms}). */
export function katoTransport(
  g: ArrayLike<number>,
  c: ArrayLike<number>,
  lambda: ArrayLike<number>,
  index: ArrayLike<number>,
  shells: number,
  delta: number,
): Float64Array {
  return katoTerms(g, c, lambda, index, shells, delta).transport;
}

/** Frobenius norm of a matrix. */
export function frobenius(m: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]! ** 2;
  return Math.sqrt(s);
}
