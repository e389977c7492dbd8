/**
 * Lanczos quadrature on the GPU: Gauss nodes and weights of a vector's spectral measure
 * (Golub–Welsch), stochastic Lanczos quadrature (SLQ) of the spectral density from random probes,
 * and the Golub–Kahan variant for Jacobians (nodes λ = σ², accurate at small λ).
 *
 * For a start vector q (normalized from s), m steps give nodes θ_i (the Ritz values) and weights
 * τ_i = S_{1i}² with Σ_i τ_i θ_i^j = qᵀ A^j q exactly for j ≤ 2m − 1 (in exact arithmetic). The
 * energy of s at the nodes is ‖s‖² τ_i: with s the residual e, this is GRSD's cheap shell-energy
 * estimator (spec §1.4; monitoring only: small-λ shells are lumped together when m ≪ n). With
 * Gaussian probes, n·τ averaged over probes estimates the eigenvalue counts per bin.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { gaussQuadrature, spectralDensity } from '../reference/quadrature.ts';
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

/** A binned spectral density estimated by SLQ. */
export interface SpectralDensityEstimate {
  /** Bin edges (ascending, length bins + 1). */
  readonly edges: Float64Array;
  /** Estimated eigenvalue counts per bin (sum ≈ n). */
  readonly counts: Float64Array;
  /** counts / (n · bin width): a probability density in λ. */
  readonly density: Float64Array;
}

/**
 * The SLQ density of one operator from its probes' rules: counts = n · mean_j Σ_{θ_i ∈ bin} τ_i.
 * Default edges: `bins` equal-width bins spanning all nodes (a tiny margin added on both sides).
 */
export function slqDensity(rules: readonly QuadratureRule[], n: number, edgesOrBins: Float64Array | number = 40): SpectralDensityEstimate {
  if (rules.length === 0) throw new InvalidArgumentError('rules', 'need at least one probe');
  let edges: Float64Array;
  if (typeof edgesOrBins === 'number') {
    if (!Number.isInteger(edgesOrBins) || edgesOrBins < 1)
      throw new InvalidArgumentError('bins', `must be a positive integer, got ${edgesOrBins}`);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of rules) for (const v of r.nodes) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
    if (!Number.isFinite(lo)) ((lo = 0), (hi = 1));
    const pad = Math.max(hi - lo, Math.abs(hi), 1e-300) * 1e-9;
    lo -= pad;
    hi += pad;
    edges = Float64Array.from({ length: edgesOrBins + 1 }, (_, i) => lo + ((hi - lo) * i) / edgesOrBins);
  } else {
    edges = edgesOrBins;
  }
  const counts = spectralDensity(
    rules.map((r) => r.nodes),
    rules.map((r) => r.weights),
    edges,
    n,
  );
  const density = Float64Array.from(counts, (c, i) => c / (n * (edges[i + 1]! - edges[i]!)));
  return { edges, counts, density };
}
