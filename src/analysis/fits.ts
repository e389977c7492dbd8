/**
 * What a researcher reads off a run (docs/conditions.md): power-law fits of the velocity field
 * v = c(t) λ^a per window on the interior boundaries with the rigidity check, the loss exponent ξ
 * from the initial shell spectrum and in Tauberian form (the loss-curve fit is in
 * lossExponent.ts), the resolution frontier ℓ̄_D(t) and the profile peak with their exponents, and
 * the closed-form lazy prediction of the loss.
 *
 * Degenerate data never throws and never returns NaN: fits report `ok: false` with a `reason`.
 * @module
 */
import { RESOLVED_FACTOR } from './resolution.ts';
import { bootstrapSlope, digamma, fitLine, gamma, median, minimizeScalar, offsetResidualSS, stdDev } from './regression.ts';
import type { CheckpointResult, IntervalResult } from './series.ts';
import type { ShellGrid } from './shellGrid.ts';

export * from './lossExponent.ts';

/** A fit that could not be made: why. */
export interface FitFailure {
  /** Always false: the fit could not be made. */
  readonly ok: false;
  /** Why, in words (e.g. too few points, transport below the resolution). */
  readonly reason: string;
}

/** v = c·λ^a fitted on one interval's boundaries (docs/conditions.md, "Velocity exponent"). */
export interface VelocityFit {
  /** Always true: the fit succeeded. */
  readonly ok: true;
  /** Index of the interval fitted (its `IntervalResult.index`). */
  readonly interval: number;
  /** Start of the interval (run time unit). */
  readonly t0: number;
  /** End of the interval (run time unit). */
  readonly t1: number;
  /** Exponent a ± SE, bootstrap 95% CI (null if no resample was usable). */
  readonly a: number;
  /** Standard error of a from the least-squares fit (statistical only). */
  readonly aStdErr: number;
  /** Percentile bootstrap 95% CI of a over the boundaries; null if no resample was usable. */
  readonly aCI: readonly [number, number] | null;
  /** Signed coefficient c(t) = sign·e^{intercept}. */
  readonly c: number;
  /** R² of ln|v| against ln λ_b. */
  readonly r2: number;
  /** Boundaries used, their λ_b and |v|. */
  readonly points: number;
  /** λ_b of the boundaries used (units 1/time). */
  readonly lambdas: readonly number[];
  /** |v| at those boundaries, in the same order (units 1/time²: v = λ_b·v_ℓ). */
  readonly speeds: readonly number[];
  /** Decades of λ spanned by the points. */
  readonly decades: number;
  /** Fraction of the boundaries sharing the median sign. */
  readonly signConsistency: number;
  /** Median sign of v: +1 when energy moves toward larger λ, −1 toward smaller. */
  readonly sign: 1 | -1;
}

/** Options of {@link fitVelocity}. */
export interface VelocityFitOptions {
  /**
   * |Π| below this (absolute, in energy per unit time) is rounding noise. Default: the interval's
   * resolution ({@link fluxResolution}) — the run's scale, never the interval's own largest flux.
   */
  readonly fluxFloor?: number;
  /** Required fraction of boundaries with the median sign. Default 0.9. */
  readonly signConsistency?: number;
  /** Minimum boundaries. Default 4. */
  readonly minPoints?: number;
  /** Weight the fit by ĝ at each boundary. Default false. */
  readonly weighted?: boolean;
  /** Bootstrap resamples for the CI. Default 1000. */
  readonly bootstrap?: number;
  /** Seed of the bootstrap resampling. Default 0. */
  readonly seed?: number;
  /** Restrict to boundaries with λ in [lambdaMin, lambdaMax] (the interior of the inertial window, see {@link interiorBoundaries}). */
  readonly lambdaMin?: number;
  /** Upper end of that λ range (units 1/time). */
  readonly lambdaMax?: number;
}

/**
 * The smallest flux an interval resolves (energy per unit time): RESOLVED_FACTOR × the error scale
 * of its rates, 4√n·u·‖e_{i+1}‖²/Δt (docs/accuracy.md, "Transport resolution").
 */
export function fluxResolution(interval: Pick<IntervalResult, 'resolution'>): number {
  return RESOLVED_FACTOR * interval.resolution.rate;
}

/** Whether an interval's largest transport rate is resolved (at least RESOLVED_FACTOR times its error scale). */
export function transportResolved(interval: Pick<IntervalResult, 'resolution' | 'transport'>): boolean {
  let max = 0;
  for (let i = 0; i < interval.transport.length; i++) max = Math.max(max, Math.abs(interval.transport[i]!));
  return max > 0 && max >= RESOLVED_FACTOR * interval.resolution.rate;
}

/** Fits ln|v(b)| = ln|c| + a ln b over one interval's valid, resolved boundaries. */
export function fitVelocity(interval: IntervalResult, options: VelocityFitOptions = {}): VelocityFit | FitFailure {
  const floor = options.fluxFloor ?? fluxResolution(interval);
  const minPoints = options.minPoints ?? 4;
  const fluxAt = interval.velocityBoundaries.map((_, i) => interval.flux[i + 1]!);
  if (!fluxAt.some((v) => Math.abs(v) > floor))
    return { ok: false, reason: `no boundary flux above the resolution ${floor.toPrecision(2)} (lazy interval: v ≡ 0 up to rounding)` };
  const idx: number[] = [];
  interval.velocityBoundaries.forEach((b, i) => {
    if (!interval.velocityValid[i]) return;
    if (!(Math.abs(fluxAt[i]!) > floor)) return;
    if (options.lambdaMin !== undefined && b < options.lambdaMin) return;
    if (options.lambdaMax !== undefined && b > options.lambdaMax) return;
    idx.push(i);
  });
  if (idx.length < minPoints) return { ok: false, reason: `only ${idx.length} interior boundaries with resolved flux (need ${minPoints})` };
  const signs = idx.map((i) => Math.sign(interval.velocity[i]!));
  const sign = (median(signs) >= 0 ? 1 : -1) as 1 | -1;
  const consistency = signs.filter((v) => v === sign).length / signs.length;
  if (consistency < (options.signConsistency ?? 0.9)) {
    return {
      ok: false,
      reason: `velocity signs are mixed: ${(100 * consistency).toFixed(0)}% share the median sign (need ${100 * (options.signConsistency ?? 0.9)}%)`,
    };
  }
  const use = idx.filter((i) => Math.sign(interval.velocity[i]!) === sign);
  const x = use.map((i) => Math.log(interval.velocityBoundaries[i]!));
  const y = use.map((i) => Math.log(Math.abs(interval.velocity[i]!)));
  const w = options.weighted ? use.map((i) => Math.abs(interval.flux[i + 1]! / interval.velocityLog[i]!)) : undefined;
  const line = fitLine(x, y, w);
  const ci = bootstrapSlope(x, y, { samples: options.bootstrap ?? 1000, seed: options.seed ?? 0, ...(w ? { weights: w } : {}) });
  const lambdas = use.map((i) => interval.velocityBoundaries[i]!);
  return {
    ok: true,
    interval: interval.index,
    t0: interval.t0,
    t1: interval.t1,
    a: line.slope,
    aStdErr: line.slopeStdErr,
    aCI: ci,
    c: sign * Math.exp(line.intercept),
    r2: line.r2,
    points: use.length,
    lambdas,
    speeds: use.map((i) => Math.abs(interval.velocity[i]!)),
    decades: Math.log10(Math.max(...lambdas) / Math.min(...lambdas)),
    signConsistency: consistency,
    sign,
  };
}

/** Where the flux sums are complete: the inertial window less the flux's reach below and above a boundary. */
export interface InteriorBoundaries {
  /** Inertial window [first, last + 1) of window-shell indices. */
  readonly window: readonly [number, number];
  /** The larger of `marginBelow` and `marginAbove` (shells). */
  readonly margin: number;
  /**
   * Reach of the flux below a boundary, in shells (≥ 1): the smallest M for which the transfers
   * across the window's middle boundary from shells more than M below it carry ≤ 10% of Σ|⟨T⟩|
   * across it (time average, Δt-weighted). The first boundary kept has M window shells below it.
   */
  readonly marginBelow: number;
  /** Reach above (≥ 1): the smallest M with the transfers from shells ≥ M above the middle boundary carrying ≤ 10%; the last boundary kept has M window shells above it. */
  readonly marginAbove: number;
  /** The boundaries b_{first+marginBelow} … b_{last+1−marginAbove} (λ range of the fit). */
  readonly lambdaMin: number;
  /** Upper end of that λ range, b_{last+1−marginAbove} (units 1/time). */
  readonly lambdaMax: number;
  /** How many boundaries that leaves. */
  readonly boundaries: number;
}

/**
 * The interior boundaries of the inertial window: the flux Π_b sums every transfer across b, and
 * near the window's ends part of those transfers involve shells outside it (the spectrum's ends):
 * the velocity there is truncated and biases the exponent. The reach is one-sided: the share of
 * the flux carried by pairs whose upper shell lies ≥ M above b decays as p^M and the share of
 * pairs whose lower shell lies more than M below b as s^M, with p ≠ s when the energies grow across
 * the window (T3: p = √(ρe^{ξh})e^{−1/ℓ}, s = e^{−1/ℓ}/√(ρe^{ξh})). Each is read off the transfers
 * across the window's middle boundary, and boundaries with at least that many shells on each side
 * are kept, so that each loses at most 10% of its flux to either end. A symmetric reach (90% of
 * Σ|⟨T⟩| at pair distance ≤ w, before) follows s alone when the energies grow upward and left a
 * bias of −0.059 at 13 shells (docs/conditions.md, "Velocity exponent"). `meanTransport` is ⟨T⟩
 * over the run on the window shells (grid.count × grid.count, row-major:
 * `renormalizedCouplings(…).meanTransport`).
 */
export function interiorBoundaries(
  grid: ShellGrid,
  meanTransport: ArrayLike<number>,
  window: readonly [number, number],
): InteriorBoundaries {
  const [lo, hi] = window;
  const c = grid.count;
  // Σ|⟨T⟩| across the middle boundary b*, by how far above (i ≥ 0) and below (j ≥ 1) b* the pair's ends lie.
  const mid = lo + Math.floor((hi - lo) / 2);
  const above = new Float64Array(Math.max(1, hi - mid));
  const below = new Float64Array(Math.max(1, mid - lo + 1));
  let total = 0;
  for (let a = mid; a < hi; a++)
    for (let b = lo; b < mid; b++) {
      const v = Math.abs(meanTransport[a * c + b]!);
      above[a - mid]! += v;
      below[mid - b]! += v;
      total += v;
    }
  // Smallest M ≥ 1 with the share beyond M (indices ≥ from(M)) at most 10%.
  const reach = (share: Float64Array, from: (m: number) => number): number => {
    if (!(total > 0)) return 1;
    let m = 1;
    let tail = share.reduce((acc, v, i) => (i >= from(m) ? acc + v : acc), 0);
    while (tail > 0.1 * total && from(m) < share.length) {
      tail -= share[from(m)]!;
      m += 1;
    }
    return m;
  };
  const marginAbove = reach(above, (m) => m);
  const marginBelow = reach(below, (m) => m + 1);
  const edges = grid.edges;
  const first = lo + marginBelow;
  const last = hi - marginAbove;
  return {
    window,
    margin: Math.max(marginBelow, marginAbove),
    marginBelow,
    marginAbove,
    lambdaMin: edges[Math.min(first, edges.length - 1)]! * (1 - 1e-9),
    lambdaMax: edges[Math.max(0, last)]! * (1 + 1e-9),
    boundaries: Math.max(0, last - first + 1),
  };
}

/** The rigidity check (docs/conditions.md, C4): a stable across windows while c(t) varies. */
export interface Rigidity {
  /** Always true: at least 2 velocity fits succeeded. */
  readonly ok: true;
  /** Number of successful velocity fits (intervals) summarized. */
  readonly windows: number;
  /** Mean of the velocity exponent a over those fits (dimensionless). */
  readonly aMean: number;
  /** Sample standard deviation (n − 1) of a over those fits. */
  readonly aStd: number;
  /** log10(max|c|/min|c|) across windows. */
  readonly cDecades: number;
  /** aStd ≤ maxStd (default 0.15). */
  readonly stable: boolean;
}

/** Summarizes the exponent across successful velocity fits. */
export function rigidity(fits: readonly (VelocityFit | FitFailure)[], maxStd = 0.15): Rigidity | FitFailure {
  const ok = fits.filter((f): f is VelocityFit => f.ok);
  if (ok.length < 2) return { ok: false, reason: `rigidity needs at least 2 fitted windows, have ${ok.length}` };
  const as = ok.map((f) => f.a);
  const cs = ok.map((f) => Math.abs(f.c));
  const aStd = stdDev(as);
  return {
    ok: true,
    windows: ok.length,
    aMean: as.reduce((s, v) => s + v, 0) / as.length,
    aStd,
    cDecades: Math.log10(Math.max(...cs) / Math.min(...cs)),
    stable: aStd <= maxStd,
  };
}

/** ξ̂₀ from the initial shell spectrum: E_{α+1}(0)/E_α(0) = e^{ξh} on the low-λ side (docs/conditions.md). */
export interface SpectrumExponentFit {
  /** Always true: the fit succeeded. */
  readonly ok: true;
  /** ξ̂₀ (dimensionless): the slope of ln E_α(0) against ln λ (= h·α). */
  readonly xi: number;
  /** Standard error of ξ̂₀ from the least-squares fit (statistical only). */
  readonly xiStdErr: number;
  /** R² of the fit. */
  readonly r2: number;
  /** Window-shell indices α used in the fit. */
  readonly shells: readonly number[];
}

/** Options of {@link fitSpectrumExponent}. */
export interface SpectrumExponentOptions {
  /** Eigenvalues per shell (e.g. a checkpoint's `counts`): only shells with ≥ `minModes` are used. Without it every shell counts as full. */
  readonly counts?: ArrayLike<number>;
  /** Default 8: with fewer modes the shell energy is dominated by which modes fall in it. */
  readonly minModes?: number;
  /** Shells needed. Default 4. */
  readonly minShells?: number;
  /** Shells holding less than this fraction of the window's energy are skipped. Default 1e-12. */
  readonly minFraction?: number;
  /** Only shells whose upper boundary is ≤ lambdaMax. */
  readonly lambdaMax?: number;
}

/**
 * Fits ln E_α(0) = const + ξ·h·α over the window shells below the energy peak holding at least
 * `minModes` eigenvalues, leaving out the lowest occupied shell (cut by the smallest eigenvalue or
 * the rank, so only partly filled). On the calibration runs (n = 400…2000) this recovers κ/ν to
 * 0.017; one-mode shells at the spectrum's top gave errors up to 0.15.
 */
export function fitSpectrumExponent(
  grid: ShellGrid,
  energy: ArrayLike<number>,
  options: SpectrumExponentOptions = {},
): SpectrumExponentFit | FitFailure {
  const minFraction = options.minFraction ?? 1e-12;
  const minModes = options.minModes ?? 8;
  const minShells = options.minShells ?? 4;
  const edges = grid.edges;
  const top = options.lambdaMax === undefined ? grid.count : edges.findIndex((b, i) => i > 0 && b > options.lambdaMax!) - 1;
  const window = Array.from({ length: Math.max(0, top < 0 ? grid.count : top) }, (_, i) => energy[i]!);
  const total = window.reduce((acc, v) => acc + v, 0);
  if (!(total > 0)) return { ok: false, reason: 'no energy in the window shells' };
  const counts = options.counts;
  const lowest = counts ? window.findIndex((_, i) => counts[i]! > 0) : window.findIndex((e) => e > 0);
  const full = (i: number): boolean => (counts ? counts[i]! >= minModes : true) && i > lowest;
  const candidates = window.map((e, i) => [i, e] as const).filter(([i]) => full(i));
  if (candidates.length === 0) return { ok: false, reason: `no shell above the lowest occupied one holds ≥ ${minModes} eigenvalues` };
  const peak = candidates.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
  const shells = candidates.filter(([i, e]) => i < peak && e > minFraction * total);
  if (shells.length < minShells)
    return {
      ok: false,
      reason: `only ${shells.length} shells with ≥ ${minModes} eigenvalues lie below the energy peak above the lowest occupied shell (need ${minShells}): the spectrum is too short or too coarse for a spectral exponent`,
    };
  const line = fitLine(
    shells.map(([i]) => i * grid.width),
    shells.map(([, e]) => Math.log(e)),
  );
  return { ok: true, xi: line.slope, xiStdErr: line.slopeStdErr, r2: line.r2, shells: shells.map(([i]) => i) };
}

/** Tauberian form: μ_e([0, λ]) ≃ A λ^ξ ⇒ L(t) ≃ (A/2N) Γ(1+ξ) (2t)^{−ξ} (docs/conditions.md). */
export interface TauberianFit {
  /** Always true: the fit succeeded. */
  readonly ok: true;
  /** Exponent ξ of μ_e([λ_min, b]) = A(b^ξ − λ_min^ξ) (dimensionless). */
  readonly xi: number;
  /** A (units ‖e‖²·time^ξ, since λ is in 1/time). */
  readonly amplitude: number;
  /** R² of ln F(b) against the fitted model (1 when every ln F(b) is equal). */
  readonly r2: number;
  /** The cutoff λ_min of the model and the boundaries fitted. */
  readonly lambdaMin: number;
  /** Upper shell boundaries b where F(b) was fitted (units 1/time). */
  readonly boundaries: readonly number[];
  /** Energy below λ_min (∅, ⊥ and any computed mode under it), counted in the cumulative measure. */
  readonly below: number;
  /** Predicted loss at the given times (t > 0). */
  readonly predictedLoss: readonly {
    /** Time (> 0). */
    t: number;
    /** Predicted loss L(t). */
    loss: number;
  }[];
}

/**
 * Fits the cumulative spectral measure of the initial residual, F(b) = μ_e([0, b]), at the upper
 * boundaries of the shells with ≥ `minModes` eigenvalues up to the energy peak. Everything below
 * the smallest resolved eigenvalue λ_min (∅, and ⊥, whose modes are the smallest) is counted in F;
 * above it the measure of a power law cut at λ_min is A(b^ξ − λ_min^ξ), which is fitted (ln A in
 * closed form, ξ by a one-dimensional search). A plain power law in b bends near λ_min (log-slope
 * ξ/(1 − (λ_min/b)^ξ)) and gave ξ 0.1–0.4 too high. Predicts L(t) from the fitted A and ξ.
 */
export function fitTauberian(
  grid: ShellGrid,
  checkpoint: Pick<CheckpointResult, 'energy' | 'counts' | 'eigenvalues'>,
  times: readonly number[],
  probePoints: number,
  options: { minModes?: number } = {},
): TauberianFit | FitFailure {
  const minModes = options.minModes ?? 8;
  const edges = grid.edges;
  const { energy, counts } = checkpoint;
  const resolved = Array.from(checkpoint.eigenvalues).filter((l) => l >= grid.floor);
  if (resolved.length === 0) return { ok: false, reason: 'no eigenvalue above the floor' };
  const lambdaMin = Math.min(...resolved);
  const window = Array.from({ length: grid.count }, (_, i) => energy[i]!);
  const full = window.map((_, i) => counts[i]! >= minModes);
  const fullEnergies = window.filter((_, i) => full[i]);
  if (fullEnergies.length === 0) return { ok: false, reason: `no shell holds ≥ ${minModes} eigenvalues` };
  const largest = Math.max(...fullEnergies);
  const peak = window.findIndex((e, i) => full[i] && e === largest);
  const below = energy[grid.floorIndex]! + Math.max(0, energy[grid.complementIndex]!);
  let cumulative = 0;
  const b: number[] = [];
  const g: number[] = [];
  for (let i = 0; i <= peak; i++) {
    cumulative += window[i]!;
    if (full[i] && cumulative > 0 && edges[i + 1]! > lambdaMin) {
      b.push(edges[i + 1]!);
      g.push(cumulative);
    }
  }
  if (b.length < 3)
    return { ok: false, reason: `only ${b.length} shell boundaries with ≥ ${minModes} eigenvalues below up to the energy peak (need 3)` };
  const lg = g.map(Math.log);
  const shape = (xi: number): number[] => b.map((v) => Math.log(v ** xi - lambdaMin ** xi));
  const residual = (xi: number): number => offsetResidualSS(lg, shape(xi));
  const xi = minimizeScalar(residual, 1e-3, 10, { grid: 64, tol: 1e-9 });
  const m = shape(xi);
  const lnA = lg.reduce((acc, v, i) => acc + v - m[i]!, 0) / lg.length;
  const tot = offsetResidualSS(lg);
  const amplitude = Math.exp(lnA);
  return {
    ok: true,
    xi,
    amplitude,
    r2: tot > 0 ? 1 - residual(xi) / tot : 1,
    lambdaMin,
    boundaries: b,
    below,
    predictedLoss: times.filter((t) => t > 0).map((t) => ({ t, loss: (amplitude / (2 * probePoints)) * gamma(1 + xi) * (2 * t) ** -xi })),
  };
}

/** The dissipation-weighted spectral position ℓ̄_D(t) = Σ D_α ℓ_α / Σ D_α, ℓ_α = ln λ̄_α (docs/conditions.md, Frontier). */
export function frontier(grid: ShellGrid, checkpoint: CheckpointResult): number | null {
  const centers = grid.centers;
  let num = 0;
  let den = 0;
  for (let i = 0; i < grid.count; i++) {
    num += checkpoint.dissipation[i]! * Math.log(centers[i]!);
    den += checkpoint.dissipation[i]!;
  }
  return den > 0 ? num / den : null;
}

/** ℓ̄_D(t) per checkpoint and its exponent α̂ = −dℓ̄_D/d ln t. */
export interface FrontierFit {
  /** Always true: the fit succeeded. */
  readonly ok: true;
  /** ℓ̄_D at each checkpoint with dissipation in the window shells (t = 0 included; the fit uses t > 0). */
  readonly positions: readonly {
    /** Checkpoint time. */
    t: number;
    /** ℓ̄_D(t), a ln λ with λ in 1/time. */
    position: number;
  }[];
  /** α̂ = −dℓ̄_D/d ln t (dimensionless). */
  readonly exponent: number;
  /** Standard error of α̂ from the least-squares fit (statistical only). */
  readonly exponentStdErr: number;
  /** R² of ℓ̄_D against ln t. */
  readonly r2: number;
}

/** Fits ℓ̄_D against ln t over the checkpoints with t > 0 (≥ 3 needed). */
export function fitFrontier(grid: ShellGrid, checkpoints: readonly CheckpointResult[]): FrontierFit | FitFailure {
  const positions = checkpoints
    .map((c) => ({ t: c.t, position: frontier(grid, c) }))
    .filter((p): p is { t: number; position: number } => p.position !== null);
  const pts = positions.filter((p) => p.t > 0);
  if (pts.length < 3) return { ok: false, reason: `need the frontier at 3 checkpoints with t > 0, have ${pts.length}` };
  const line = fitLine(
    pts.map((p) => Math.log(p.t)),
    pts.map((p) => p.position),
  );
  return { ok: true, positions, exponent: -line.slope, exponentStdErr: line.slopeStdErr, r2: line.r2 };
}

/** The lazy frontier law ℓ̄_D(t) = ψ(1+ξ) − ln 2t for a pure power law (docs/conditions.md, Frontier). */
export function lazyFrontier(xi: number, t: number): number {
  return digamma(1 + xi) - Math.log(2 * t);
}

/**
 * The peak of the smoothed log-shell energy profile ln E_α (the paper's empirical statistic,
 * docs/conditions.md "Profile peak"): ln E over the window shells smoothed with the kernel
 * [1, 2, 1]/4 (populated neighbours only), its largest value refined by a parabola through the
 * neighbours, returned as ℓ_peak = ln λ at the peak. Null when the peak sits on the first or last
 * populated shell (the profile has no interior maximum). For a lazy power law
 * ĝ(ℓ) ∝ e^{ξℓ − 2te^ℓ}, λ_peak = ξ/(2t).
 */
export function profilePeak(grid: ShellGrid, energy: ArrayLike<number>): number | null {
  const c = grid.count;
  const ln = Array.from({ length: c }, (_, i) => (energy[i]! > 0 ? Math.log(energy[i]!) : null));
  const smooth = ln.map((v, i) => {
    if (v === null) return null;
    let num = 2 * v;
    let den = 2;
    for (const j of [i - 1, i + 1]) if (j >= 0 && j < c && ln[j] !== null) ((num += ln[j]!), (den += 1));
    return num / den;
  });
  let best = -1;
  for (let i = 0; i < c; i++) if (smooth[i] !== null && (best < 0 || smooth[i]! > smooth[best]!)) best = i;
  if (best <= 0 || best >= c - 1 || smooth[best - 1] === null || smooth[best + 1] === null) return null;
  const [y0, y1, y2] = [smooth[best - 1]!, smooth[best]!, smooth[best + 1]!];
  const curvature = y0 - 2 * y1 + y2;
  const offset = curvature < 0 ? (0.5 * (y0 - y2)) / curvature : 0;
  return Math.log(grid.centers[best]!) + offset * grid.width;
}

/** ℓ_peak(t) per checkpoint with its displacement, and the exponent −dℓ_peak/d ln t. */
export interface ProfilePeakFit {
  /** Always true: the fit succeeded. */
  readonly ok: true;
  /** ℓ_peak = ln λ_peak per checkpoint (null where the profile has no interior peak) and its change since the previous checkpoint. */
  readonly positions: readonly {
    /** Checkpoint time. */
    t: number;
    /** ℓ_peak = ln λ_peak (λ in 1/time); null without an interior peak. */
    position: number | null;
    /** ℓ_peak minus the previous checkpoint's; null when either has no peak. */
    displacement: number | null;
  }[];
  /** −dℓ_peak/d ln t over the checkpoints with t > 0 and a peak (1 for lazy dynamics, 1 + c₀ with scale-free drift). */
  readonly exponent: number;
  /** Standard error of the exponent from the least-squares fit (statistical only). */
  readonly exponentStdErr: number;
  /** R² of ℓ_peak against ln t. */
  readonly r2: number;
}

/** Fits ℓ_peak against ln t (≥ 3 checkpoints with t > 0 and a peak). */
export function fitProfilePeak(grid: ShellGrid, checkpoints: readonly CheckpointResult[]): ProfilePeakFit | FitFailure {
  let previous: number | null = null;
  const positions = checkpoints.map((cp) => {
    const position = profilePeak(grid, cp.energy);
    const displacement = position !== null && previous !== null ? position - previous : null;
    previous = position;
    return { t: cp.t, position, displacement };
  });
  const pts = positions.filter((p): p is { t: number; position: number; displacement: number | null } => p.t > 0 && p.position !== null);
  if (pts.length < 3)
    return { ok: false, reason: `the energy profile has an interior peak at ${pts.length} checkpoints with t > 0 (need 3)` };
  const line = fitLine(
    pts.map((p) => Math.log(p.t)),
    pts.map((p) => p.position),
  );
  return { ok: true, positions, exponent: -line.slope, exponentStdErr: line.slopeStdErr, r2: line.r2 };
}

/** The lazy loss prediction at one checkpoint (docs/conditions.md, "Lazy prediction"). */
export interface LazyPredictionPoint {
  /** Checkpoint time. */
  readonly t: number;
  /** Bracket of the lazy loss: ⊥ kept (high) or decayed at the largest rate its modes can have, 2λ_r (low). */
  readonly low: number;
  /** Upper end of the bracket (⊥'s energy kept). */
  readonly high: number;
  /** (low + high)/2. */
  readonly predicted: number;
  /** Measured loss L = ‖e‖²/(2N) at t. */
  readonly measured: number;
  /** measured / predicted (0 when the prediction is 0). */
  readonly ratio: number;
  /** low ≤ measured ≤ high up to 1e-9 relative (rounding). */
  readonly within: boolean;
}

/**
 * The closed-form lazy prediction of L(t) from the first checkpoint, had the kernel stayed fixed:
 * L(t) = (1/2N)[Σ_k c_k(t₀)² e^{−2λ_k(t − t₀)} + E_⊥(t)] over the computed modes. ⊥ holds the
 * modes not computed, all with eigenvalues in [0, λ_r] (λ_r the smallest computed one), so its
 * energy E_⊥(t₀)·e^{−2μ(t−t₀)} with μ ∈ [0, λ_r] is bracketed: the prediction is an interval.
 * With every eigenpair computed (⊥ empty), E_⊥ = ‖e‖² − Σc² is rounding and counts as 0, so the
 * prediction is a number and never negative.
 */
export function lazyLossPrediction(
  first: CheckpointResult,
  checkpoints: readonly CheckpointResult[],
  probePoints: number,
  complementIndex: number,
): LazyPredictionPoint[] {
  const perpModes = first.counts[complementIndex]!;
  const perp = perpModes > 0 ? Math.max(0, first.energy[complementIndex]!) : 0;
  const lambdaR = first.eigenvalues.length ? Math.max(0, first.eigenvalues[first.eigenvalues.length - 1]!) : 0;
  return checkpoints.map((c) => {
    const dt = c.t - first.t;
    let modes = 0;
    first.eigenvalues.forEach((lam, k) => (modes += first.amplitudes[k]! ** 2 * Math.exp(-2 * Math.max(0, lam) * dt)));
    const low = (modes + perp * Math.exp(-2 * lambdaR * dt)) / (2 * probePoints);
    const high = (modes + perp) / (2 * probePoints);
    const predicted = 0.5 * (low + high);
    const tol = 1e-9 * Math.max(high, c.loss);
    return {
      t: c.t,
      low,
      high,
      predicted,
      measured: c.loss,
      ratio: predicted > 0 ? c.loss / predicted : 0,
      within: c.loss >= low - tol && c.loss <= high + tol,
    };
  });
}
