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
 * Also here: the checks that compare it with T^Δ/Δt ({@link katoChecks}).
 * @module
 */
import type { Check } from './transport.ts';

/** The Kato-form estimator of one interval (shell matrices (S+2)², ⊥ row and column zero). */
export interface KatoResult {
  readonly transport: Float64Array;
  readonly perLayer: Float64Array[];
  /** δ in λ units (δ = deltaRelative·λ_max of the interval's first checkpoint). */
  readonly delta: number;
  readonly coherence: Float64Array;
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

/**
 * `katoConsistency` (the Kato form against T^Δ/Δt on the computed shells) and, with layers,
 * `layerSplit` (Σ_l T^(l) against T_Kato). `transport` is T^Δ/Δt ((S+2)², `size` = S+2),
 * `energyOld` the first checkpoint's shell energies, `dt` the interval.
 */
export function katoChecks(
  transport: Float64Array,
  kato: Pick<KatoResult, 'transport' | 'perLayer'>,
  energyOld: ArrayLike<number>,
  dt: number,
  size: number,
): Record<string, Check> {
  const s = size;
  const checks: Record<string, Check> = {};
  // Compare on the computed shells only (the Kato form has no ⊥ row/column).
  const masked = Float64Array.from(transport, (v, e) => (Math.floor(e / s) === s - 1 || e % s === s - 1 ? 0 : v));
  // Relative to ‖T^Δ/Δt‖, floored at the f32 noise level of the flows (1e-5·ΣE/Δt) so that a lazy
  // interval (T ≈ 0 in both estimators) does not compare noise with noise.
  let total = 0;
  for (let a = 0; a < energyOld.length; a++) total += Math.abs(energyOld[a]!);
  const noise = (1e-5 * total) / dt;
  const diff = frobenius(Float64Array.from(kato.transport, (v, e) => v - masked[e]!)) / Math.max(frobenius(masked), noise, 1e-300);
  checks.katoConsistency = {
    value: diff,
    threshold: 0.1,
    pass: diff <= 0.1,
    description: '‖T_Kato − T^Δ/Δt‖_F / max(‖T^Δ/Δt‖_F, 1e-5·ΣE/Δt) on computed shells (O(Δt) agreement)',
  };
  if (kato.perLayer.length > 0) {
    const sum = new Float64Array(kato.transport.length);
    for (const l of kato.perLayer) l.forEach((v, e) => (sum[e]! += v));
    const split = frobenius(Float64Array.from(sum, (v, e) => v - kato.transport[e]!)) / (frobenius(kato.transport) + 1e-300);
    checks.layerSplit = {
      value: split,
      threshold: 1e-3,
      pass: split <= 1e-3,
      description: '‖Σ_l T^(l) − T_Kato‖_F / ‖T_Kato‖_F (exact in exact arithmetic)',
    };
  }
  return checks;
}

/** Frobenius norm of a matrix. */
export function frobenius(m: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]! ** 2;
  return Math.sqrt(s);
}
