/**
 * The Kato-form transport estimator (docs/math.md, "Transport between checkpoints", Kato form) on
 * the host from the projected kernel change G = U (ΔM/Δt) Uᵀ (r × r, computed by the series
 * backend):
 *
 *   T_{στ} = 2 Σ_{k∈σ, j∈τ} c_k c_j G_kj (λ_k − λ_j) / ((λ_k − λ_j)² + δ²),
 *
 * with c, λ, U of the interval's first checkpoint. It is linear in ΔM, so per-layer kernels give
 * an exact split T = Σ_l T^{(l)}. T does not depend on the scale of M (λ, G and δ all scale with
 * timeScale), so it is evaluated on the un-scaled θ, where no timeScale can overflow.
 *
 * The checks that compare it with T^Δ/Δt and its per-layer split are in checks.ts
 * (docs/conditions.md, "Interval checks").
 * @module
 */

/** The Kato-form estimator of one interval (shell matrices (S+2)², ⊥ row and column zero). */
export interface KatoResult {
  /** T^K_στ, the rate into shell σ from τ (energy per unit time), (S+2)² row-major. */
  readonly transport: Float64Array;
  /** T^(l) per layer kernel given, same layout; they sum to `transport` (empty without per-layer kernels). */
  readonly perLayer: Float64Array[];
  /** δ in λ units (δ = deltaRelative·λ_max of the interval's first checkpoint). */
  readonly delta: number;
  /** Z_στ = |Σ w|/√(Σ w²) over the mode-pair terms of σ and τ (0 where there are none), same layout. */
  readonly coherence: Float64Array;
  /** Number of mode pairs (k ∈ σ, j ∈ τ, k ≠ j) in each shell pair, same layout. */
  readonly terms: Float64Array;
}

/**
 * The Kato transport and the phase coherence of its terms (docs/math.md): with
 * w_kj = 2 c_k c_j G_kj (λ_k − λ_j)/((λ_k − λ_j)² + δ²), T_στ = Σ w and
 * Z_στ = |Σ w| / √(Σ w²) over k∈σ, j∈τ (0 where a pair has no terms); `terms` counts the pairs.
 * All are (shells+1)² with the ⊥ row and column zero (`shells` = `ShellGrid.computedCount`: window + ∅).
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

/**
 * The Kato estimator from the backend's un-scaled projections G = U (K_new − K_old) Uᵀ (the whole
 * kernel first, then each layer) and the first checkpoint's θ (un-scaled eigenvalues), amplitudes
 * and shell indices: g = G/Δt, δ_θ = deltaRelative·θ_max. `delta` is reported in λ units.
 */
export function katoFromProjections(
  projections: readonly Float64Array[],
  dt: number,
  first: { readonly theta: ArrayLike<number>; readonly amplitudes: ArrayLike<number>; readonly index: ArrayLike<number> },
  computed: number,
  deltaRelative: number,
  timeScale: number,
): KatoResult {
  const deltaTheta = deltaRelative * (first.theta[0] ?? 0);
  const rate = (g: Float64Array) => Float64Array.from(g, (v) => v / dt);
  const [kernel, ...layers] = projections;
  const full = katoTerms(rate(kernel!), first.amplitudes, first.theta, first.index, computed, deltaTheta);
  return {
    transport: full.transport,
    perLayer: layers.map((g) => katoTransport(rate(g), first.amplitudes, first.theta, first.index, computed, deltaTheta)),
    delta: deltaTheta * timeScale,
    coherence: full.coherence,
    terms: full.terms,
  };
}

/** Frobenius norm of a matrix. */
export function frobenius(m: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]! ** 2;
  return Math.sqrt(s);
}
