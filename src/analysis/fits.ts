/**
 * What a researcher reads off a run (spec §1.11–§1.12): power-law fits of the velocity field
 * v = c(t) λ^a per window with the rigidity check, the loss exponent ξ from the loss curve, from
 * the initial shell spectrum and in Tauberian form, the resolution frontier ℓ̄_D(t) and its
 * exponent, and the closed-form lazy prediction of the loss.
 *
 * Degenerate data never throws and never returns NaN: fits report `ok: false` with a `reason`.
 * @module
 */
import { bootstrapSlope, digamma, fitLine, gamma, median, stdDev } from './regression.ts';
import type { CheckpointResult, IntervalResult } from './series.ts';
import type { ShellGrid } from './shellGrid.ts';

/** A fit that could not be made: why. */
export interface FitFailure {
  readonly ok: false;
  readonly reason: string;
}

/** v = c·λ^a fitted on one interval's boundaries (spec §1.11). */
export interface VelocityFit {
  readonly ok: true;
  readonly interval: number;
  readonly t0: number;
  readonly t1: number;
  /** Exponent a ± SE, bootstrap 95% CI (null if no resample was usable). */
  readonly a: number;
  readonly aStdErr: number;
  readonly aCI: readonly [number, number] | null;
  /** Signed coefficient c(t) = sign·e^{intercept}. */
  readonly c: number;
  readonly r2: number;
  /** Boundaries used, their λ_b and |v|. */
  readonly points: number;
  readonly lambdas: readonly number[];
  readonly speeds: readonly number[];
  /** Decades of λ spanned by the points. */
  readonly decades: number;
  /** Fraction of the boundaries sharing the median sign. */
  readonly signConsistency: number;
  readonly sign: 1 | -1;
}

/** Options of {@link fitVelocity}. */
export interface VelocityFitOptions {
  /** |Π| below this fraction of max|Π| is noise. Default 1e-3. */
  readonly noiseFloor?: number;
  /** Required fraction of boundaries with the median sign. Default 0.9. */
  readonly signConsistency?: number;
  /** Minimum boundaries. Default 4. */
  readonly minPoints?: number;
  /** Weight the fit by ĝ at each boundary. Default false. */
  readonly weighted?: boolean;
  /** Bootstrap resamples for the CI. Default 1000. */
  readonly bootstrap?: number;
  readonly seed?: number;
  /** Restrict to boundaries with λ in [lambdaMin, lambdaMax] (the inertial window). */
  readonly lambdaMin?: number;
  readonly lambdaMax?: number;
}

/** Fits ln|v(b)| = ln|c| + a ln b over one interval's valid, above-noise boundaries. */
export function fitVelocity(interval: IntervalResult, options: VelocityFitOptions = {}): VelocityFit | FitFailure {
  const noise = options.noiseFloor ?? 1e-3;
  const minPoints = options.minPoints ?? 4;
  const fluxAt = interval.velocityBoundaries.map((_, i) => interval.flux[i + 1]!);
  const maxFlux = fluxAt.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (!(maxFlux > 0)) return { ok: false, reason: 'no flux across any boundary (lazy interval: v ≡ 0)' };
  const idx: number[] = [];
  interval.velocityBoundaries.forEach((b, i) => {
    if (!interval.velocityValid[i]) return;
    if (Math.abs(fluxAt[i]!) < noise * maxFlux) return;
    if (options.lambdaMin !== undefined && b < options.lambdaMin) return;
    if (options.lambdaMax !== undefined && b > options.lambdaMax) return;
    idx.push(i);
  });
  if (idx.length < minPoints) return { ok: false, reason: `only ${idx.length} boundaries above the noise floor (need ${minPoints})` };
  const signs = idx.map((i) => Math.sign(interval.velocity[i]!));
  const sign = (median(signs) >= 0 ? 1 : -1) as 1 | -1;
  const consistency = signs.filter((s) => s === sign).length / signs.length;
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

/** The rigidity check (spec §1.11): a stable across windows while c(t) varies. */
export interface Rigidity {
  readonly ok: true;
  readonly windows: number;
  readonly aMean: number;
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

/** ξ from a power-law tail fit of the loss curve L(t) ~ t^{−ξ}. */
export interface LossExponentFit {
  readonly ok: true;
  readonly xi: number;
  readonly xiStdErr: number;
  readonly xiCI: readonly [number, number] | null;
  readonly r2: number;
  readonly points: number;
  readonly tMin: number;
  readonly tMax: number;
}

/**
 * Fits ln L = const − ξ ln t over the tail of the loss curve: the points with t > 0 whose ln t lies
 * in the last `tailFraction` (default 0.5) of the log-time range. Needs ≥ 3 points.
 */
export function fitLossExponent(
  times: readonly number[],
  losses: readonly number[],
  options: { tailFraction?: number; bootstrap?: number; seed?: number } = {},
): LossExponentFit | FitFailure {
  const pts = times.map((t, i) => [t, losses[i]!] as const).filter(([t, l]) => t > 0 && l > 0);
  if (pts.length < 3) return { ok: false, reason: `need at least 3 checkpoints with t > 0 and L > 0, have ${pts.length}` };
  const lt = pts.map(([t]) => Math.log(t));
  const lo = Math.min(...lt);
  const hi = Math.max(...lt);
  const cut = hi - (options.tailFraction ?? 0.5) * (hi - lo);
  let tail = pts.filter(([t]) => Math.log(t) >= cut - 1e-12);
  if (tail.length < 3) tail = pts.slice(-3);
  const x = tail.map(([t]) => Math.log(t));
  const y = tail.map(([, l]) => Math.log(l));
  const line = fitLine(x, y);
  const ci = bootstrapSlope(x, y, { samples: options.bootstrap ?? 1000, seed: options.seed ?? 0 });
  return {
    ok: true,
    xi: -line.slope,
    xiStdErr: line.slopeStdErr,
    xiCI: ci ? [-ci[1], -ci[0]] : null,
    r2: line.r2,
    points: tail.length,
    tMin: Math.exp(x[0]!),
    tMax: Math.exp(x.at(-1)!),
  };
}

/** ξ̂₀ from the initial shell spectrum: E_{α+1}(0)/E_α(0) = e^{ξh} on the low-λ side (spec §1.12). */
export interface SpectrumExponentFit {
  readonly ok: true;
  readonly xi: number;
  readonly xiStdErr: number;
  readonly r2: number;
  readonly shells: readonly number[];
}

/**
 * Fits ln E_α(0) = const + ξ·h·α over the window shells below the energy peak (the low-λ side)
 * holding at least `minFraction` (default 1e-12) of the energy, optionally only shells whose upper
 * boundary is ≤ `lambdaMax` (to stay clear of the few-mode top of a spectrum); needs ≥ 3 shells.
 */
export function fitSpectrumExponent(
  grid: ShellGrid,
  energy: ArrayLike<number>,
  options: { minFraction?: number; lambdaMax?: number } = {},
): SpectrumExponentFit | FitFailure {
  const minFraction = options.minFraction ?? 1e-12;
  const edges = grid.edges;
  const top = options.lambdaMax === undefined ? grid.count : edges.findIndex((b, i) => i > 0 && b > options.lambdaMax!) - 1;
  const window = Array.from({ length: Math.max(0, top < 0 ? grid.count : top) }, (_, i) => energy[i]!);
  const total = window.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return { ok: false, reason: 'no energy in the window shells' };
  const peak = window.indexOf(Math.max(...window));
  const shells = window.map((e, i) => [i, e] as const).filter(([i, e]) => i < peak && e > minFraction * total);
  if (shells.length < 3) return { ok: false, reason: `only ${shells.length} populated shells below the energy peak (need 3)` };
  const line = fitLine(
    shells.map(([i]) => i * grid.width),
    shells.map(([, e]) => Math.log(e)),
  );
  return { ok: true, xi: line.slope, xiStdErr: line.slopeStdErr, r2: line.r2, shells: shells.map(([i]) => i) };
}

/** Tauberian form: μ_e([0, λ]) ≃ A λ^ξ ⇒ L(t) ≃ (A/2N) Γ(1+ξ) (2t)^{−ξ} (spec §1.12). */
export interface TauberianFit {
  readonly ok: true;
  readonly xi: number;
  readonly amplitude: number;
  readonly r2: number;
  /** Predicted loss at the given times (t > 0). */
  readonly predictedLoss: readonly { t: number; loss: number }[];
}

/**
 * Fits the cumulative spectral measure of the initial residual at the window boundaries below the
 * energy peak (ln F(b) = ln A + ξ ln b, F including ∅) and predicts L(t).
 */
export function fitTauberian(
  grid: ShellGrid,
  energy: ArrayLike<number>,
  times: readonly number[],
  probePoints: number,
): TauberianFit | FitFailure {
  const edges = grid.edges;
  const window = Array.from({ length: grid.count }, (_, i) => energy[i]!);
  const peak = window.indexOf(Math.max(...window));
  let cumulative = energy[grid.floorIndex]!;
  const pts: [number, number][] = [];
  for (let i = 0; i < peak; i++) {
    cumulative += window[i]!;
    if (cumulative > 0) pts.push([Math.log(edges[i + 1]!), Math.log(cumulative)]);
  }
  if (pts.length < 3) return { ok: false, reason: `only ${pts.length} boundaries below the energy peak with cumulative energy (need 3)` };
  const line = fitLine(
    pts.map((p) => p[0]),
    pts.map((p) => p[1]),
  );
  const xi = line.slope;
  const amplitude = Math.exp(line.intercept);
  return {
    ok: true,
    xi,
    amplitude,
    r2: line.r2,
    predictedLoss: times.filter((t) => t > 0).map((t) => ({ t, loss: (amplitude / (2 * probePoints)) * gamma(1 + xi) * (2 * t) ** -xi })),
  };
}

/** The dissipation-weighted spectral position ℓ̄_D(t) = Σ D_α ℓ_α / Σ D_α, ℓ_α = ln λ̄_α (spec §1.12). */
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
  readonly ok: true;
  readonly positions: readonly { t: number; position: number }[];
  readonly exponent: number;
  readonly exponentStdErr: number;
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

/** The lazy frontier law ℓ̄_D(t) = ψ(1+ξ) − ln 2t for a pure power law (spec §1.12). */
export function lazyFrontier(xi: number, t: number): number {
  return digamma(1 + xi) - Math.log(2 * t);
}

/**
 * The closed-form lazy prediction of L(t) from the first checkpoint (spec §1.12):
 * L(t) = (1/2N) [Σ_k c_k(t₀)² e^{−2λ_k (t − t₀)} + E_⊥(t₀)] (the complement is not dissipated in
 * this estimate), and the ratio measured/predicted per checkpoint.
 */
export function lazyLossPrediction(
  first: CheckpointResult,
  checkpoints: readonly CheckpointResult[],
  probePoints: number,
  complementIndex: number,
): { t: number; predicted: number; measured: number; ratio: number }[] {
  return checkpoints.map((c) => {
    const dt = c.t - first.t;
    let s = first.energy[complementIndex]!;
    first.eigenvalues.forEach((lam, k) => (s += first.amplitudes[k]! ** 2 * Math.exp(-2 * lam * dt)));
    const predicted = s / (2 * probePoints);
    return { t: c.t, predicted, measured: c.loss, ratio: predicted > 0 ? c.loss / predicted : 0 };
  });
}
