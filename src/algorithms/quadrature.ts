/**
 * Lanczos quadrature on the GPU: Gauss nodes and weights of a vector's spectral measure
 * (Golub–Welsch), stochastic Lanczos quadrature (SLQ) of the spectral density from random probes,
 * and the Golub–Kahan variant for Jacobians (nodes λ = σ², accurate at small λ).
 *
 * For a start vector q (normalized from s), m steps give nodes θ_i (the Ritz values) and weights
 * τ_i = S_{1i}² with Σ_i τ_i θ_i^j = qᵀ A^j q exactly for j ≤ 2m − 1 (in exact arithmetic). The
 * energy of s at the nodes is ‖s‖² τ_i: with s the residual e, this is GRSD's cheap shell-energy
 * estimator (docs/accuracy.md, "Quadrature (SLQ and the cheap shell-energy estimate)"; monitoring only: small-λ shells are lumped together when m ≪ n). With
 * Gaussian probes, n·τ averaged over probes estimates the eigenvalue counts per bin.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { densityEdges, gaussQuadrature, gaussianSpectralDensity } from '../reference/quadrature.ts';
import { bidiagonalEigen, createGolubKahan } from './golubKahan.ts';
import { createLanczos, type LanczosStart } from './lanczos.ts';
import type { RectangularOperator, SymmetricOperator } from './operators.ts';

/** One probe's Gauss quadrature. */
export interface QuadratureRule {
  /** Ascending nodes (Ritz values). */
  readonly nodes: Float64Array;
  /** Weights (sum 1): squared first components of the tridiagonal's eigenvectors. */
  readonly weights: Float64Array;
  /** ‖start vector‖² — multiply the weights by it for the vector's energy per node. */
  readonly norm2: number;
  /** Lanczos steps taken (fewer than asked after a breakdown: the measure then has that many atoms exactly). */
  readonly steps: number;
  /** True when Lanczos broke down before the steps asked for (the Krylov space is invariant; see `steps`). */
  readonly breakdown: boolean;
}

/** Options of {@link lanczosQuadrature}. */
export interface QuadratureOptions {
  /** Lanczos steps per probe. */
  readonly steps: number;
  /** Random Gaussian probes per operator (ignored with `start`). Default 1. */
  readonly probes?: number;
  /** Seed of the probes (probe j is the same for every operator). Default 0. */
  readonly seed?: number;
  /** Given start vectors, one per operator ([batch][n]): e.g. the residuals. */
  readonly start?: Extract<LanczosStart, { kind: 'host' | 'gpu' }>;
}

function checkSteps(steps: number, n: number): void {
  if (!Number.isInteger(steps) || steps < 1) throw new InvalidArgumentError('steps', `must be a positive integer, got ${steps}`);
  if (steps > n) throw new InvalidArgumentError('steps', `cannot exceed n = ${n}, got ${steps}`);
}

/**
 * Gauss quadrature rules for every operator and probe: `result[b][j]` is probe j of operator b.
 * Tridiagonals are diagonalized on the host in float64 (they are m × m with m ≪ n).
 */
export async function lanczosQuadrature(operator: SymmetricOperator, options: QuadratureOptions): Promise<QuadratureRule[][]> {
  checkSteps(options.steps, operator.n);
  const probes = options.start ? 1 : (options.probes ?? 1);
  if (!Number.isInteger(probes) || probes < 1) throw new InvalidArgumentError('probes', `must be a positive integer, got ${probes}`);
  using run = await createLanczos(operator, { maxSteps: options.steps, vectorsPerOperator: probes });
  await run.start(options.start ?? { kind: 'random', seed: options.seed ?? 0 });
  await run.advance(options.steps);
  const tri = await run.readTridiagonals();
  const out: QuadratureRule[][] = [];
  for (let b = 0; b < operator.batch; b++) {
    const rules: QuadratureRule[] = [];
    for (let j = 0; j < probes; j++) {
      const l = b * probes + j;
      const m = tri.steps[l]!;
      const q = m > 0 ? gaussQuadrature(tri.alpha[l]!, tri.beta[l]!) : { nodes: new Float64Array(0), weights: new Float64Array(0) };
      rules.push({ nodes: q.nodes, weights: q.weights, norm2: tri.startNorm[l]! ** 2, steps: m, breakdown: tri.breakdown[l]! });
    }
    out.push(rules);
  }
  return out;
}

/**
 * Quadrature of K_b = J_b J_bᵀ through Golub–Kahan on J (one start vector per Jacobian): nodes
 * λ_i = σ_i², weights = squared first components of L_k's left singular vectors.
 */
export async function golubKahanQuadrature(
  operator: RectangularOperator,
  options: {
    readonly steps: number;
    readonly seed?: number;
    readonly start?: { kind: 'host'; data: Float32Array | Float64Array } | { kind: 'gpu'; buffer: GPUBuffer; offset?: number };
  },
): Promise<QuadratureRule[]> {
  checkSteps(options.steps, Math.min(operator.n, operator.p));
  using run = await createGolubKahan(operator, { maxSteps: options.steps });
  await run.start(options.start ?? { kind: 'random', seed: options.seed ?? 0 });
  await run.advance(options.steps);
  const bi = await run.readBidiagonals();
  const eig = bidiagonalEigen(bi);
  return Array.from(bi.steps, (k, l) => ({
    nodes: eig.lambda[l]!,
    weights: Float64Array.from({ length: k }, (_, i) => eig.left[l]![i * k]! ** 2),
    norm2: bi.startNorm[l]! ** 2,
    steps: k,
    breakdown: bi.breakdown[l]!,
  }));
}

/** How {@link slqDensity} bins and smooths. */
export interface DensityOptions {
  /** Number of bins (default 40), ignored with `edges`. */
  readonly bins?: number;
  /** Explicit strictly increasing bin edges (positive for log spacing). */
  readonly edges?: Float64Array;
  /**
   * `"linear"` (default): equal widths in λ. `"log"`: equal widths in log₁₀ λ over the positive
   * nodes — for spectra spread over decades, where linear bins lump the bottom decades together.
   */
  readonly spacing?: 'linear' | 'log';
  /**
   * `"gaussian"` (default): each Gauss node is spread as a normal distribution of width `sigma`
   * (in λ, or in log₁₀ λ for log spacing), integrated exactly over each bin (Lin, Saad & Yang
   * 2016) — a smooth estimate instead of spikes at the nodes. `"none"`: the plain histogram.
   */
  readonly smoothing?: 'gaussian' | 'none';
  /**
   * Width of the Gaussian, in the binning coordinate. Default: the node range divided by the
   * number of Lanczos steps, the spacing of one probe's nodes (an m-step rule resolves no finer).
   */
  readonly sigma?: number;
}

/** A binned spectral density estimated by SLQ. */
export interface SpectralDensityEstimate {
  /** Bin edges (ascending, length bins + 1). */
  readonly edges: Float64Array;
  /** Estimated eigenvalue counts per bin. counts + below + above sums to n. */
  readonly counts: Float64Array;
  /** counts / (n · bin width in λ): a probability density in λ. Always finite. */
  readonly density: Float64Array;
  /** Bin spacing in λ: `linear`, or `log` (bins in ln λ). */
  readonly spacing: 'linear' | 'log';
  /** `gaussian` (each node spread by `sigma`) or `none` (a histogram). */
  readonly smoothing: 'gaussian' | 'none';
  /** The Gaussian width used (in the binning coordinate; 0 for the histogram). */
  readonly sigma: number;
  /** Estimated eigenvalue counts below the first edge (with log spacing: including every λ ≤ 0) and above the last. */
  readonly below: number;
  /** Estimated eigenvalue count above the last edge. */
  readonly above: number;
}

/**
 * The SLQ density of one operator from its probes' rules: counts = n · mean_j (mass of probe j's
 * Gauss rule in each bin), smoothed by default (see {@link DensityOptions}). Default edges: 40
 * bins over the nodes (positive nodes for log spacing) plus 4σ on each side when smoothing (the
 * mass outside, ≤ Φ(−4) ≈ 3e-5 of a node's, is reported in `below`/`above`).
 * The last two forms (a bin count or explicit edges) give the plain histogram, as before.
 */
export function slqDensity(
  rules: readonly QuadratureRule[],
  n: number,
  options: DensityOptions | Float64Array | number = {},
): SpectralDensityEstimate {
  if (rules.length === 0) throw new InvalidArgumentError('rules', 'need at least one probe');
  const o: DensityOptions =
    typeof options === 'number'
      ? { bins: options, smoothing: 'none' }
      : options instanceof Float64Array
        ? { edges: options, smoothing: 'none' }
        : options;
  const spacing = o.spacing ?? 'linear';
  if (spacing !== 'linear' && spacing !== 'log')
    throw new InvalidArgumentError('spacing', `must be "linear" or "log", got "${String(spacing)}"`);
  const smoothing = o.smoothing ?? 'gaussian';
  if (smoothing !== 'gaussian' && smoothing !== 'none')
    throw new InvalidArgumentError('smoothing', `must be "gaussian" or "none", got "${String(smoothing)}"`);
  const bins = o.bins ?? 40;
  if (o.edges === undefined && (!Number.isInteger(bins) || bins < 1 || bins > 1e6))
    throw new InvalidArgumentError('bins', `must be an integer in [1, 1e6], got ${bins}`);
  const coord = (v: number): number => (spacing === 'log' ? Math.log10(v) : v);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let steps = 1;
  for (const r of rules) {
    steps = Math.max(steps, r.nodes.length);
    for (const v of r.nodes) {
      if (spacing === 'log' && !(v > 0)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) {
    if (spacing === 'log') throw new InvalidArgumentError('spacing', 'log spacing needs positive nodes, and every node is ≤ 0');
    lo = 0;
    hi = 0;
  }
  let sigma = 0;
  if (smoothing === 'gaussian') {
    sigma = o.sigma ?? (coord(hi) - coord(lo)) / steps;
    if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new InvalidArgumentError('sigma', `must be a finite number ≥ 0, got ${sigma}`);
  }
  const edges = o.edges ?? densityEdges(lo, hi, bins, spacing, 4 * sigma);
  const { counts, below, above } = gaussianSpectralDensity(
    rules.map((r) => r.nodes),
    rules.map((r) => r.weights),
    edges,
    n,
    sigma,
    spacing,
  );
  const density = Float64Array.from(counts, (c, i) => c / (n * (edges[i + 1]! - edges[i]!)));
  return { edges, counts, density, spacing, smoothing, sigma, below, above };
}
