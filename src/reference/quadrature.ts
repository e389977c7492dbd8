/**
 * Gauss quadrature from a Lanczos tridiagonal (Golub–Welsch) and what it estimates: spectral
 * densities (stochastic Lanczos quadrature) and Chebyshev–Markov–Stieltjes brackets of the
 * cumulative spectral measure.
 *
 * After k Lanczos steps on A from a unit vector q_1, the spectral measure μ = Σ_i (q_1ᵀ z_i)² δ_{λ_i}
 * of q_1 is approximated by the k-point Gauss rule Σ_j w_j δ_{θ_j}: nodes θ_j = eigenvalues of T_k,
 * weights w_j = (first component of T_k's eigenvector j)². It integrates polynomials of degree
 * ≤ 2k − 1 exactly: Σ_j w_j θ_j^p = q_1ᵀ A^p q_1.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { checkFinite } from './linalg.ts';
import { logErfc } from './powerLawTail.ts';
import { sortEigenpairs, tql2InPlace } from './tridiagonalEigen.ts';

/** A Gauss quadrature rule. */
export interface GaussQuadrature {
  /** The nodes θ_1 ≤ … ≤ θ_k (the Ritz values), ascending. */
  nodes: Float64Array;
  /** The weights w_j = (first component of eigenvector j of T)², positive, summing to 1. */
  weights: Float64Array;
}

/**
 * The Gauss quadrature rule of the tridiagonal (Jacobi) matrix T = tridiag(beta, alpha, beta)
 * (Golub–Welsch): nodes = eigenvalues of T ascending, weights = squared first components of its
 * unit eigenvectors (renormalized to sum exactly 1 up to rounding). Computed by implicit QL
 * following only the first eigenvector components, O(k²).
 *
 * @param alpha - the diagonal, length k ≥ 1.
 * @param beta - the off-diagonal, length k − 1.
 * @example
 * ```ts
 * gaussQuadrature(new Float64Array([0, 0]), new Float64Array([1])); // nodes [-1, 1], weights [0.5, 0.5]
 * ```
 */
export function gaussQuadrature(alpha: Float64Array, beta: Float64Array): GaussQuadrature {
  const k = alpha.length;
  if (k < 1) throw new InvalidArgumentError('alpha', 'expected at least 1 diagonal entry, got 0');
  if (beta.length !== k - 1)
    throw new InvalidArgumentError('beta', `expected ${k - 1} off-diagonal entries (alpha.length − 1), got ${beta.length}`);
  checkFinite('alpha', alpha);
  checkFinite('beta', beta);
  const d = Float64Array.from(alpha);
  const e = new Float64Array(k);
  e.set(beta);
  const z = new Float64Array(k); // first components: z[j] = (eigenvector j)_0
  z[0] = 1;
  tql2InPlace(d, e, z, 1);
  const { values, rows } = sortEigenpairs(d, z, 1, false);
  const weights = new Float64Array(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const w = rows![j]! * rows![j]!;
    weights[j] = w;
    sum += w;
  }
  for (let j = 0; j < k; j++) weights[j] = weights[j]! / sum;
  return { nodes: values, weights };
}

/**
 * Stochastic Lanczos quadrature density: the histogram, on bins with the given edges, of the
 * averaged quadrature measure (1/P) Σ_p n Σ_j w_{p,j} δ_{θ_{p,j}} over P probes. Each bin's value is
 * the estimated number of eigenvalues of the n×n operator in it; the total is n when the bins
 * cover every node.
 *
 * Bins are [edges[b], edges[b+1]) for b < B − 1 and the last one is closed; nodes outside
 * [edges[0], edges[B]] are dropped.
 *
 * @param nodesPerProbe - one array of nodes per probe.
 * @param weightsPerProbe - the matching weights (each probe's summing to 1).
 * @param edges - strictly increasing, finite, length B + 1 ≥ 2.
 * @param n - the dimension of the operator (the total mass), > 0.
 * @returns counts, length B.
 * @example
 * ```ts
 * spectralDensity([new Float64Array([0.5, 1.5])], [new Float64Array([0.25, 0.75])], new Float64Array([0, 1, 2]), 100);
 * // Float64Array [25, 75]
 * ```
 */
export function spectralDensity(
  nodesPerProbe: readonly Float64Array[],
  weightsPerProbe: readonly Float64Array[],
  edges: Float64Array,
  n: number,
): Float64Array {
  // The plain histogram is the σ = 0 case of the broadened one (nodes outside the edges dropped).
  return gaussianSpectralDensity(nodesPerProbe, weightsPerProbe, edges, n, 0, 'linear').counts;
}

/** Standard normal CDF Φ(x) = ½ erfc(−x/√2), accurate in both tails. */
export function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return x < 0 ? 0.5 * Math.exp(logErfc(-x / Math.SQRT2)) : 1 - 0.5 * Math.exp(logErfc(x / Math.SQRT2));
}

/** The coordinate a density is smoothed and binned in: λ itself, or log₁₀ λ (positive λ only). */
export type DensityCoordinate = 'linear' | 'log';

/**
 * Gaussian-broadened SLQ density (Lin, Saad & Yang 2016): every Gauss node θ with weight τ is
 * spread as a normal distribution of width σ in the coordinate x (λ, or log₁₀ λ), integrated
 * exactly over each bin: counts[b] = (n/P) Σ_p Σ_j τ_pj [Φ((x(e_{b+1}) − x(θ_pj))/σ) − Φ((x(e_b) − x(θ_pj))/σ)].
 * σ = 0 gives the plain histogram of {@link spectralDensity}. In the log coordinate, nodes ≤ 0
 * are counted in `below`.
 *
 * @returns counts per bin and the mass (in eigenvalue counts) below edges[0] and above the last edge.
 * @example
 * ```ts
 * gaussianSpectralDensity([new Float64Array([1])], [new Float64Array([1])], new Float64Array([0, 1, 2]), 10, 0.5, 'linear');
 * // counts ≈ [4.77, 4.77], below ≈ 0.23, above ≈ 0.23
 * ```
 */
export function gaussianSpectralDensity(
  nodesPerProbe: readonly Float64Array[],
  weightsPerProbe: readonly Float64Array[],
  edges: Float64Array,
  n: number,
  sigma: number,
  coordinate: DensityCoordinate,
): { counts: Float64Array; below: number; above: number } {
  const probes = nodesPerProbe.length;
  if (probes < 1) throw new InvalidArgumentError('nodesPerProbe', 'expected at least one probe');
  if (weightsPerProbe.length !== probes)
    throw new InvalidArgumentError('weightsPerProbe', `expected ${probes} arrays (one per probe), got ${weightsPerProbe.length}`);
  checkEdges(edges);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('n', `expected a finite number > 0, got ${n}`);
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new InvalidArgumentError('sigma', `expected a finite number ≥ 0, got ${sigma}`);
  if (coordinate === 'log' && !(edges[0]! > 0))
    throw new InvalidArgumentError('edges', `log coordinate needs positive edges, got ${edges[0]}`);
  const x = (v: number): number => (coordinate === 'log' ? Math.log10(v) : v);
  const bins = edges.length - 1;
  const xe = Float64Array.from(edges, x);
  const counts = new Float64Array(bins);
  const scale = n / probes;
  let below = 0;
  let above = 0;
  for (let p = 0; p < probes; p++) {
    const nodes = nodesPerProbe[p]!;
    const weights = weightsPerProbe[p]!;
    if (weights.length !== nodes.length)
      throw new InvalidArgumentError(`weightsPerProbe[${p}]`, `expected ${nodes.length} weights (one per node), got ${weights.length}`);
    for (let j = 0; j < nodes.length; j++) {
      const mass = scale * weights[j]!;
      const theta = nodes[j]!;
      if (coordinate === 'log' && !(theta > 0)) {
        below += mass;
        continue;
      }
      const c = x(theta);
      if (sigma === 0) {
        if (c < xe[0]!) below += mass;
        else if (c > xe[bins]!) above += mass;
        else counts[binOf(xe, c)]! += mass;
        continue;
      }
      let prev = normalCdf((xe[0]! - c) / sigma);
      below += mass * prev;
      for (let b = 0; b < bins; b++) {
        const next = normalCdf((xe[b + 1]! - c) / sigma);
        counts[b]! += mass * (next - prev);
        prev = next;
      }
      above += mass * (1 - prev);
    }
  }
  return { counts, below, above };
}

/** Largest b with xe[b] ≤ c, capped at the last bin. */
function binOf(xe: Float64Array, c: number): number {
  let a = 0;
  let z = xe.length - 1;
  while (z - a > 1) {
    const mid = (a + z) >> 1;
    if (xe[mid]! <= c) a = mid;
    else z = mid;
  }
  return a;
}

function checkEdges(edges: Float64Array): void {
  if (edges.length < 2) throw new InvalidArgumentError('edges', `expected at least 2 edges, got ${edges.length}`);
  checkFinite('edges', edges);
  for (let b = 1; b < edges.length; b++) {
    if (!(edges[b]! > edges[b - 1]!))
      throw new InvalidArgumentError(
        'edges',
        `expected strictly increasing edges, but edges[${b}] = ${edges[b]} ≤ edges[${b - 1}] = ${edges[b - 1]}`,
      );
  }
}

/**
 * `bins` bin edges covering [lo, hi] in the coordinate (equal widths in λ, or in log₁₀ λ),
 * widened by `margin` (in the coordinate) on both sides. A degenerate range (lo = hi, e.g. every
 * node 0) is widened to a window of width 1e-6·|lo| (1 when lo is 0) around it, so that every width is a
 * normal float64 and densities stay finite (docs/accuracy.md, "Quadrature").
 */
export function densityEdges(lo: number, hi: number, bins: number, coordinate: DensityCoordinate, margin = 0): Float64Array {
  if (!Number.isInteger(bins) || bins < 1) throw new InvalidArgumentError('bins', `must be a positive integer, got ${bins}`);
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi))
    throw new InvalidArgumentError('range', `expected finite lo ≤ hi, got [${lo}, ${hi}]`);
  if (coordinate === 'log' && !(lo > 0)) throw new InvalidArgumentError('range', `log spacing needs a positive range, got [${lo}, ${hi}]`);
  let a = coordinate === 'log' ? Math.log10(lo) : lo;
  let b = coordinate === 'log' ? Math.log10(hi) : hi;
  const mag = Math.max(Math.abs(a), Math.abs(b));
  let pad = Math.max(margin, (b - a) * 1e-9);
  // A (numerically) degenerate range: a window of width 1e-6·|x| around it — or width 1 when x
  // is 0 or subnormal, whose relative window would be subnormal and its density infinite.
  if (!(b - a > 1e-12 * mag) || !(b - a > 1e-290)) {
    const half = 0.5e-6 * mag;
    pad = Math.max(pad, half > 1e-290 ? half : 0.5);
  }
  a -= pad;
  b += pad;
  const xs = Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? b : a + ((b - a) * i) / bins));
  return coordinate === 'log' ? xs.map((v) => 10 ** v) : xs;
}

/** Chebyshev–Markov–Stieltjes brackets of a cumulative spectral measure at the Gauss nodes. */
export interface CumulativeBrackets {
  /** lower[i] = Σ_{j<i} w_j ≤ μ((−∞, θ_i)). */
  lower: Float64Array;
  /** upper[i] = Σ_{j≤i} w_j ≥ μ((−∞, θ_i]). */
  upper: Float64Array;
}

/**
 * The Chebyshev–Markov–Stieltjes inequalities: for the Gauss rule (θ_j, w_j) of a measure μ,
 * Σ_{j<i} w_j ≤ μ((−∞, θ_i)) ≤ μ((−∞, θ_i]) ≤ Σ_{j≤i} w_j at every node θ_i. Returns those
 * bounds on the cumulative measure (the fraction of q_1's spectral mass below each Ritz value).
 *
 * @param nodes - ascending, length k.
 * @param weights - length k, nonnegative.
 * @example
 * ```ts
 * cumulativeBrackets(new Float64Array([-1, 1]), new Float64Array([0.5, 0.5])); // lower [0, 0.5], upper [0.5, 1]
 * ```
 */
export function cumulativeBrackets(nodes: Float64Array, weights: Float64Array): CumulativeBrackets {
  const k = nodes.length;
  if (weights.length !== k) throw new InvalidArgumentError('weights', `expected ${k} weights (one per node), got ${weights.length}`);
  for (let i = 1; i < k; i++) {
    if (!(nodes[i]! >= nodes[i - 1]!))
      throw new InvalidArgumentError('nodes', `expected ascending nodes, but nodes[${i}] < nodes[${i - 1}]`);
  }
  for (let i = 0; i < k; i++) {
    if (!(weights[i]! >= 0) || !Number.isFinite(weights[i]!))
      throw new InvalidArgumentError('weights', `expected finite weights ≥ 0, got ${weights[i]} at ${i}`);
  }
  const lower = new Float64Array(k);
  const upper = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    lower[i] = sum;
    sum += weights[i]!;
    upper[i] = sum;
  }
  return { lower, upper };
}
