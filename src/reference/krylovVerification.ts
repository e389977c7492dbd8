/**
 * The verification certificate of the Krylov driver (src/reference/krylov.ts; docs/accuracy.md,
 * "What converged guarantees").
 *
 * After the wanted pairs converge, the driver locks them (L) and runs a random block R orthogonal
 * to them: the block Lanczos process of B = P_L A P_L from R (P_L the projector onto L^⊥). The
 * spectral measure of B with respect to R — ν = Σ_μ ‖Rᵀx_μ‖² δ_μ over the eigenpairs (μ, x_μ) of
 * B — is known exactly on polynomials of degree < 2s after s block steps: its Gauss rule has the
 * Ritz values of the block's projection T as nodes and the squared norms of their first-block
 * components as weights. Hence, for any polynomial π of degree < s with π(μ) = 1,
 *
 *   ‖Rᵀx_μ‖² ≤ ∫ π² dν,   so   ‖Rᵀx_μ‖² ≤ Λ_s(μ) := min_{π(μ)=1, deg π<s} ∫ π² dν,
 *
 * the Christoffel function of ν (Λ_s = 1/Σ_{i<s} q_i² with q_i the orthonormal polynomials of ν).
 * Beyond the largest node, Λ_s decreases (every zero of every q_i lies inside the nodes' hull), so
 * Λ_s(x) at a cut x above every node bounds the weight of *any* eigenvalue of B at or above x.
 * For a random R with orthonormal columns uniform on the Stiefel manifold of L^⊥ (dimension N),
 * ‖Rᵀx‖² ~ Beta(p/2, (N − p)/2) for a fixed unit x, so P(‖Rᵀx‖² ≤ t) ≤ t^{p/2}/((p/2)·B(p/2, (N−p)/2)).
 * If Λ_s(x) ≤ t_δ (the t where that bound equals δ), then with probability ≥ 1 − δ over R no
 * eigenvalue of B lies at or beyond x. When the lane's Krylov space became invariant (a hole), ν
 * is known exactly: B has no eigenvalue outside the nodes with a nonzero weight, and the
 * certificate holds as soon as every node lies inside the cut.
 * @module
 */
import { logGamma } from './powerLawTail.ts';

/** The measure of a verification lane: Gauss nodes and weights (total mass p). */
export interface LaneMeasure {
  /** Ritz values of the lane (eigenvalues of T), any order. */
  readonly nodes: Float64Array;
  /** ‖first-block components‖² per node (Σ = p). */
  readonly weights: Float64Array;
  /** Complete block steps s in the measure (polynomials of degree < s are exact). */
  readonly steps: number;
  /** The lane's Krylov space is invariant: the measure is exact (all degrees). */
  readonly exact: boolean;
}

/**
 * The weight threshold t_δ: for R (N×p, orthonormal, uniform) and any fixed unit x,
 * P(‖Rᵀx‖² ≤ t_δ) ≤ δ, from P(Beta(a, b) ≤ t) ≤ t^a/(a·B(a, b)), a = p/2, b = (N − p)/2.
 */
export function weightThreshold(delta: number, p: number, dimension: number): number {
  const a = p / 2;
  const b = (dimension - p) / 2;
  if (!(b > 0)) return 0; // R spans the whole complement: every eigenvector has weight 1 in it.
  const logB = logGamma(a) + logGamma(b) - logGamma(a + b);
  return Math.exp((Math.log(delta) + Math.log(a) + logB) / a);
}

/**
 * The Christoffel function Λ_s(x) = min_{π(x)=1, deg π<s} ∫ π² dν of the discrete measure ν,
 * computed from its orthonormal polynomials (Stieltjes procedure: Lanczos with full
 * reorthogonalization on diag(nodes) from √weights). Returns 0 when ν has fewer than s nodes
 * and x is none of them (a polynomial of degree < s then vanishes on all of ν).
 */
export function christoffel(measure: { readonly nodes: Float64Array; readonly weights: Float64Array }, s: number, x: number): number {
  const { nodes, weights } = measure;
  const m = nodes.length;
  let mass = 0;
  for (const w of weights) mass += w;
  if (!(mass > 0) || s < 1) return mass;
  // Lanczos on D = diag(nodes) from q0 = √w/√mass: q_i(D) q0 are the orthonormal polynomials (times q0).
  const q: Float64Array[] = [];
  const start = Float64Array.from(weights, (w) => Math.sqrt(Math.max(w, 0) / mass));
  q.push(start);
  const alpha: number[] = [];
  const beta: number[] = [];
  let degree = s;
  for (let i = 0; i + 1 < s; i++) {
    const qi = q[i]!;
    const w = Float64Array.from(qi, (v, t) => v * nodes[t]!);
    let a = 0;
    for (let t = 0; t < m; t++) a += w[t]! * qi[t]!;
    alpha.push(a);
    // Full reorthogonalization (twice) against every previous vector.
    for (let pass = 0; pass < 2; pass++)
      for (const qj of q) {
        let c = 0;
        for (let t = 0; t < m; t++) c += w[t]! * qj[t]!;
        for (let t = 0; t < m; t++) w[t] = w[t]! - c * qj[t]!;
      }
    let b = 0;
    for (let t = 0; t < m; t++) b += w[t]! * w[t]!;
    b = Math.sqrt(b);
    if (!(b > 1e-12)) {
      // ν has only i + 1 distinct nodes: degree i + 1 ≤ s − 1 vanishes on all of them.
      degree = i + 1;
      break;
    }
    beta.push(b);
    q.push(Float64Array.from(w, (v) => v / b));
  }
  if (degree < s) {
    for (const y of nodes) if (Math.abs(y - x) <= 1e-12 * Math.max(1, Math.abs(x))) return mass;
    return 0;
  }
  // K(x) = Σ_{i<s} p_i(x)², p_i the orthonormal polynomials of ν/mass (three-term recurrence).
  let prev = 0;
  let cur = 1;
  let sum = 1;
  for (let i = 0; i + 1 < s; i++) {
    const next = ((x - alpha[i]!) * cur - (i > 0 ? beta[i - 1]! : 0) * prev) / beta[i]!;
    prev = cur;
    cur = next;
    sum += cur * cur;
  }
  return mass / sum;
}

/**
 * Whether the lane certifies, with probability ≥ 1 − δ, that B has no eigenvalue beyond the cuts:
 * above `top` (null: no upper cut) and below `bottom` (null: none). Each cut must lie outside
 * every node (else the lane has a Ritz value in the wanted range: no certificate).
 */
export function certifies(
  lane: LaneMeasure,
  cuts: { readonly top: number | null; readonly bottom: number | null },
  p: number,
  dimension: number,
  delta: number,
): boolean {
  if (lane.steps < 1) return false;
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of lane.nodes) ((lo = Math.min(lo, y)), (hi = Math.max(hi, y)));
  if (cuts.top !== null && hi > cuts.top) return false;
  if (cuts.bottom !== null && lo < cuts.bottom) return false;
  if (lane.exact) return true;
  const sides = (cuts.top !== null ? 1 : 0) + (cuts.bottom !== null ? 1 : 0);
  const t = weightThreshold(delta / Math.max(1, sides), p, dimension);
  if (cuts.top !== null && christoffel(lane, lane.steps, cuts.top) > t) return false;
  if (cuts.bottom !== null && christoffel(lane, lane.steps, cuts.bottom) > t) return false;
  return true;
}
