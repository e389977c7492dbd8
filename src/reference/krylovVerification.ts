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
 * is known exactly down to the hole tolerance τ: B has no eigenvalue outside the nodes with a
 * weight above τ², and the certificate holds as soon as every node lies inside the cut, provided
 * τ² ≤ t_δ ({@link trustedLane}).
 *
 * Deflated form ({@link certifiesDeflated}, Lanczos): the driver also keeps unconverged Ritz vectors
 * Y_U, so B is the operator on the complement of all kept vectors; the lane certifies an edge x of
 * B ({@link certifiedEdge}) and a Schur-complement (Haynsworth) bound on the kept vectors' coupling
 * to the complement turns it into λ_i ≤ c_i for every wanted value.
 * @module
 */
import { logGamma } from './powerLawTail.ts';
import { symmetricEigen } from './symmetricEigen.ts';

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
 * The weight threshold t_δ: for the random block R (N×p) and any fixed unit x, P(‖Rᵀx‖² ≤ t_δ) ≤ δ.
 * For R orthonormal and uniform (Gaussian probes), ‖Rᵀx‖² ~ Beta(a, b), a = p/2, b = (N − p)/2,
 * and P(Beta(a, b) ≤ t) ≤ t^a/(a·B(a, b)) when b ≥ 1 (N − p ≥ 2: the density is then
 * ≤ t^{a−1}/B(a, b)); the threshold solves it at δ·(3/π)^{p/2}. The probes are i.i.d. uniform
 * (`krylovRandom`), not Gaussian: by Ball's cube-slicing theorem every p-codimensional section of
 * the cube has volume ≤ 2^{p/2}, so the density of a p-dimensional marginal of a uniform probe
 * at 0 — what sets the small-ball probability — exceeds that of the Gaussian with the same
 * variance by at most (π/3)^{p/2}; the factor (3/π)^{p/2} absorbs it. Returns 0 (nothing can be
 * certified through weights; an exact lane still can) when N − p < 2.
 */
export function weightThreshold(delta: number, p: number, dimension: number): number {
  const a = p / 2;
  const b = (dimension - p) / 2;
  if (!(b >= 1)) return 0;
  const logB = logGamma(a) + logGamma(b) - logGamma(a + b);
  const gaussianDelta = delta * (3 / Math.PI) ** a;
  return Math.exp((Math.log(gaussianDelta) + Math.log(a) + logB) / a);
}

/**
 * The lane as the certificate may use it. An invariant lane (a whole block of holes) is exact only
 * down to the hole tolerance τ: an eigenvector of B whose weight in the block is below τ² leaves
 * the same hole, so `exact` is trusted only when τ² ≤ t_{δ/2} (a hidden eigenvector has a weight that small with
 * probability ≤ δ/2, the stricter threshold of the two-sided split; always in float64, τ = 1e-12;
 * in f32, τ = 64u√n, only for small n: at p = 1, t_{δ/2} ≈ π(δ/2)²/(2N) against τ² ≈ 1.5e-11·n,
 * so not beyond n ≈ 170);
 * otherwise the lane certifies through its Christoffel function like any other.
 */
export function trustedLane(lane: LaneMeasure, holeTolerance: number, p: number, dimension: number, delta: number): LaneMeasure {
  if (!lane.exact || holeTolerance ** 2 <= weightThreshold(delta / 2, p, dimension)) return lane;
  return { ...lane, exact: false };
}

/**
 * The Christoffel function Λ_s(x) = min_{π(x)=1, deg π<s} ∫ π² dν of the discrete measure ν,
 * computed from its orthonormal polynomials (Stieltjes procedure: Lanczos with full
 * reorthogonalization on diag(nodes) from √weights). Returns 0 when ν has fewer than s nodes
 * and x is none of them (a polynomial of degree < s then vanishes on all of ν).
 */
export function christoffel(measure: { readonly nodes: Float64Array; readonly weights: Float64Array }, s: number, x: number): number {
  return christoffelFunction(measure, s)(x);
}

/**
 * Λ_s of {@link christoffel} as a function of x: the recurrence of the orthonormal polynomials is
 * built once (O(s·m·s)), each evaluation costs O(s).
 */
export function christoffelFunction(
  measure: { readonly nodes: Float64Array; readonly weights: Float64Array },
  s: number,
): (x: number) => number {
  const { nodes, weights } = measure;
  const m = nodes.length;
  let mass = 0;
  for (const w of weights) mass += w;
  if (!(mass > 0) || s < 1) return () => mass;
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
  if (degree < s)
    return (x) => {
      for (const y of nodes) if (Math.abs(y - x) <= 1e-12 * Math.max(1, Math.abs(x))) return mass;
      return 0;
    };
  // K(x) = Σ_{i<s} p_i(x)², p_i the orthonormal polynomials of ν/mass (three-term recurrence).
  return (x) => {
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
  };
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

/**
 * The edge of the deflated operator certified by a lane: the x nearest the lane's nodes on `side`
 * (+1: above the largest node, −1: below the smallest) such that the lane certifies, with
 * probability ≥ 1 − δ (threshold t = t_δ), that B has no eigenvalue at or beyond x; searched up to
 * `limit`, null when even `limit` does not certify. Beyond the extreme node Λ_s is monotone
 * (every zero of every orthonormal polynomial lies inside the nodes' hull), so the smallest such
 * x is found by bisection. The failure event does not depend on x: it is that the extreme
 * eigenvector of B has weight ≤ t in the block, so x may be chosen after looking at the lane.
 */
export function certifiedEdge(lane: LaneMeasure, threshold: number, limit: number, side: 1 | -1): number | null {
  if (lane.steps < 1) return null;
  let edge = side > 0 ? -Infinity : Infinity;
  for (const y of lane.nodes) edge = side > 0 ? Math.max(edge, y) : Math.min(edge, y);
  // An invariant lane: its measure is exact, B has no eigenvalue with weight outside the nodes.
  if (lane.exact) return side * (limit - edge) >= 0 ? edge : null;
  if (side * (limit - edge) <= 0) return null;
  const lambda = christoffelFunction(lane, lane.steps);
  const holds = (x: number): boolean => lambda(x) <= threshold;
  if (!holds(limit)) return null;
  let inside = edge;
  let outside = limit;
  for (let i = 0; i < 60 && Math.abs(outside - inside) > 1e-15 * Math.max(Math.abs(inside), Math.abs(outside)); i++) {
    const mid = 0.5 * (inside + outside);
    if (holds(mid)) outside = mid;
    else inside = mid;
  }
  return outside;
}

/**
 * The kept block of a verification restart: the thick restart's Ritz vectors Y (converged wanted
 * ones and the unconverged ones nearest the wanted end), with Yᵀ A Y = diag(values) and a bound
 * on their coupling C = Wᵀ A Y to the complement W of span(Y): CᵀC ⪯ gram.
 */
export interface LockedBlock {
  /** Ritz values of the kept vectors (scaled units), any order. */
  readonly values: Float64Array;
  /** [m][m], symmetric positive semidefinite: CᵀC ⪯ gram. */
  readonly gram: Float64Array;
}

/**
 * Whether the verification certifies the wanted values against the deflated operator, with
 * probability ≥ 1 − δ over the lane's random block (docs/accuracy.md, "What converged guarantees").
 *
 * In the basis [Y, W] (Y the kept block, W its complement, where the lane's random block lives),
 * A = [[Θ, Cᵀ], [C, B]] with B = Wᵀ A W. The lane certifies B ⪯ x (no eigenvalue at or above x:
 * {@link certifiedEdge}); then for c > x the Haynsworth inertia formula counts the eigenvalues of A
 * above c as those of B (none) plus those of the Schur complement Θ + Cᵀ(c − B)⁻¹C, which is
 * ⪯ M(c) = Θ + gram/(c − x). So if the i-th largest eigenvalue of M(c_min) is ≤ c_i for every
 * wanted i (c_i = the i-th wanted value + its allowance, c_min the smallest), A has at most i − 1
 * eigenvalues above c_i: λ_i ≤ c_i. The bottom end is the mirror image. Unconverged kept vectors
 * (large coupling) only enter M; what the lane must separate from is B, whose spectrum no longer
 * holds the eigenvalues they approximate, so the lane certifies in fewer steps than against the
 * locked (converged) vectors alone.
 * @param cuts c_i per wanted value: `top` descending (λ_i ≤ c_i), `bottom` ascending (λ_i ≥ c_i).
 */
export function certifiesDeflated(
  lane: LaneMeasure,
  block: LockedBlock,
  cuts: { readonly top: readonly number[]; readonly bottom: readonly number[] },
  p: number,
  dimension: number,
  delta: number,
): boolean {
  const sides = (cuts.top.length > 0 ? 1 : 0) + (cuts.bottom.length > 0 ? 1 : 0);
  const t = weightThreshold(delta / Math.max(1, sides), p, dimension);
  const m = block.values.length;
  for (const side of [1, -1] as const) {
    const c = side > 0 ? cuts.top : cuts.bottom;
    if (c.length === 0) continue;
    // The cut nearest the operator's interior: M is largest there (c − x smallest).
    const near = side > 0 ? Math.min(...c) : Math.max(...c);
    const x = certifiedEdge(lane, t, near, side);
    if (x === null) return false;
    const gap = side * (near - x);
    // x = c (an exact lane at the cut) is admissible only without coupling: A = Θ ⊕ B.
    const coupled = block.gram.some((g) => g !== 0);
    if (coupled && !(gap > 0)) return false;
    const shifted = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) shifted[a * m + b] = coupled ? (side * block.gram[a * m + b]!) / gap : 0;
      shifted[a * m + a] = shifted[a * m + a]! + block.values[a]!;
    }
    const nu = m > 0 ? symmetricEigen(shifted, m).values : new Float64Array(0);
    // i-th eigenvalue of M from the wanted end against the i-th cut; missing ones are -∞ (+∞).
    for (let i = 0; i < c.length && i < m; i++) {
      const v = side > 0 ? nu[m - 1 - i]! : nu[i]!;
      if (side * (v - c[i]!) > 0) return false;
    }
  }
  return true;
}
