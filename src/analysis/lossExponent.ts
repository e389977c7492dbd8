/**
 * The loss exponent ξ from the loss curve L(t) ~ t^{−ξ} of a run with a finite spectrum
 * (docs/conditions.md, "Loss exponent from the loss curve").
 *
 * A finite probe set has a smallest eigenvalue λ_min. For a residual measure that is a power law
 * down to λ_min, μ_e(dλ) ∝ λ^{ξ−1} dλ on [λ_min, ∞), the lazy loss is exactly
 *
 *   L(t) = A (2t)^{−ξ} Γ(ξ, 2λ_min t),
 *
 * whose local log-slope ξ + x^ξ e^{−x}/Γ(ξ, x) (x = 2λ_min t) grows without bound once
 * t ≳ 1/(2λ_min): a plain power-law fit there reports the slowest mode, not ξ. The fit therefore
 * (1) keeps the checkpoints with λ_max t ≥ 1 (the top of the spectrum has decayed) and
 * 2λ_min t ≤ 1 (below the finite-spectrum cutoff), unless a window is given, and (2) fits the
 * model above, whose Γ(ξ, x) term absorbs the remaining cutoff curvature. On the calibration
 * runs (n = 100…2000, ξ = 0.25…1.5, t up to 10⁶) it recovers κ/ν to 0.0055; a plain power-law fit
 * over the same window is off by up to 0.44 (docs/conditions.md, calibration table).
 *
 * The model is derived for a lazy run (fixed spectrum); with drift, λ_min(t) at each checkpoint is
 * used, which is the same to first order.
 * @module
 */
import { logGamma, logUpperIncompleteGamma } from '../reference/powerLawTail.ts';
import { Random } from '../util/random.ts';
import { fitLine, minimizeScalar, offsetResidualSS } from './regression.ts';
import type { FitFailure } from './fits.ts';
import { COMPLEMENT_WARNING_SHARE } from './series.ts';

/** One point of the loss curve, with what the finite-spectrum window needs. */
export interface LossPoint {
  /** Time (run time unit); points with t ≤ 0 are not fitted. */
  readonly t: number;
  /** Loss L(t); points with L ≤ 0 are not fitted. */
  readonly loss: number;
  /** Smallest resolved eigenvalue at t (the finite-spectrum cutoff). */
  readonly lambdaMin?: number;
  /** Largest eigenvalue at t. */
  readonly lambdaMax?: number;
  /** Share of ‖e‖² whose eigenvalue is unknown or unresolved (⊥ and ∅) at t; analyzeGrsd fits the loss of the rest. */
  readonly unresolvedShare?: number;
}

/** Options of {@link fitLossExponent}. */
export interface LossExponentOptions {
  /**
   * 'auto' (default): the checkpoints with λ_max·t ≥ 1 and 2λ_min·t ≤ 1 (all t > 0 when the
   * spectrum is not given). [tMin, tMax]: the checkpoints with tMin ≤ t ≤ tMax.
   */
  readonly window?: 'auto' | readonly [number, number];
  /** Fit A(2t)^{−ξ}Γ(ξ, 2λ_min t) (default, when λ_min is known) or a plain power law. */
  readonly finiteSpectrum?: boolean;
  /** Bootstrap resamples for the CI. Default 200. */
  readonly bootstrap?: number;
  /** Seed of the bootstrap resampling. Default 0. */
  readonly seed?: number;
}

/** ξ from the loss curve. */
export interface LossExponentFit {
  /** Always true: the fit succeeded. */
  readonly ok: true;
  /** Loss exponent ξ (dimensionless): L ∝ t^−ξ, fitted with the model below. */
  readonly xi: number;
  /** Standard error from the fit residuals (statistical only). */
  readonly xiStdErr: number;
  /** Percentile bootstrap 95% CI over the window's points (null if no resample was usable). */
  readonly xiCI: readonly [number, number] | null;
  /** R² of ln L against the fitted model. */
  readonly r2: number;
  /** Checkpoints in the fit window (≥ 3). */
  readonly points: number;
  /** Earliest time in the fit window. */
  readonly tMin: number;
  /** Latest time in the fit window. */
  readonly tMax: number;
  /** 'finite-spectrum': L = A(2t)^{−ξ}Γ(ξ, 2λ_min t); 'power-law': L = A t^{−ξ}. */
  readonly model: 'finite-spectrum' | 'power-law';
  /** How the window was chosen. */
  readonly window: 'auto' | 'given';
  /** Slope of a plain power law over the same points, for comparison (biased upward near the cutoff). */
  readonly xiPowerLaw: number;
  /** What may make ξ less reliable than its standard error says (short window, unresolved energy). */
  readonly warnings: readonly string[];
}

/** Which points the window keeps, and what it says about them. */
function selectWindow(points: readonly LossPoint[], window: LossExponentOptions['window']): { use: LossPoint[]; warnings: string[] } {
  const positive = points.filter((p) => p.t > 0 && p.loss > 0);
  const warnings: string[] = [];
  if (Array.isArray(window)) {
    const [lo, hi] = window as readonly [number, number];
    const use = positive.filter((p) => p.t >= lo && p.t <= hi);
    const far = use.filter((p) => p.lambdaMin !== undefined && 2 * p.lambdaMin * p.t > 10);
    if (far.length)
      warnings.push(
        `${far.length} point(s) of the given window lie past t = 5/λ_min, where the slowest modes dominate the loss: ξ there rests on the finite-spectrum model alone`,
      );
    return { use, warnings };
  }
  const known = positive.every((p) => p.lambdaMin !== undefined && p.lambdaMax !== undefined);
  if (!known) {
    warnings.push('the spectrum is not given: the finite-spectrum cutoff is not applied and every t > 0 is fitted');
    return { use: positive, warnings };
  }
  return { use: positive.filter((p) => p.lambdaMax! * p.t >= 1 && 2 * p.lambdaMin! * p.t <= 1), warnings };
}

/** ln of the model's shape at each point: −ξ ln 2t + ln Γ(ξ, 2λ_min t). */
function shape(xi: number, lnTwoT: readonly number[], x: readonly number[]): number[] {
  const lg = logGamma(xi);
  return lnTwoT.map((l, i) => -xi * l + (x[i]! > 0 ? logUpperIncompleteGamma(xi, x[i]!) : lg));
}

/** Profile fit of ξ (ln A solved in closed form): residual sum of squares at ξ. */
function sse(xi: number, y: readonly number[], lnTwoT: readonly number[], x: readonly number[]): number {
  return offsetResidualSS(y, shape(xi, lnTwoT, x));
}

const XI_MIN = 1e-3;

function fitModel(y: readonly number[], lnTwoT: readonly number[], x: readonly number[], hi: number): number {
  return minimizeScalar((xi) => sse(xi, y, lnTwoT, x), XI_MIN, hi, { grid: 48, tol: 1e-7 });
}

/**
 * Fits ξ over the loss curve's window (see the module comment). Needs ≥ 3 points in the window;
 * warns when the window has fewer than 5 points or spans less than a decade of t, and when more
 * than 5% of ‖e‖² sits in shells whose eigenvalues are unknown (⊥) or unresolved (∅) — their
 * decay is not in the model.
 */
export function fitLossExponent(points: readonly LossPoint[], options: LossExponentOptions = {}): LossExponentFit | FitFailure {
  const { use, warnings } = selectWindow(points, options.window ?? 'auto');
  const given = Array.isArray(options.window);
  if (use.length < 3) {
    const where = given
      ? `the given window [${(options.window as readonly number[]).join(', ')}]`
      : 'the automatic window (λ_max·t ≥ 1 and 2λ_min·t ≤ 1, docs/conditions.md)';
    return {
      ok: false,
      reason: `${use.length} checkpoint(s) with t > 0 and L > 0 lie in ${where}; need 3 (add checkpoints there, or set the window: --fit-window tmin:tmax)`,
    };
  }
  const t = use.map((p) => p.t);
  const y = use.map((p) => Math.log(p.loss));
  const lnTwoT = t.map((v) => Math.log(2 * v));
  const modelled = (options.finiteSpectrum ?? true) && use.every((p) => p.lambdaMin !== undefined);
  const x = use.map((p) => (modelled ? 2 * p.lambdaMin! * p.t : 0));
  const plain = fitLine(lnTwoT, y);
  const xiPowerLaw = -plain.slope;
  if (!(xiPowerLaw > XI_MIN))
    return {
      ok: false,
      reason: `the loss does not decrease as a power law over t ∈ [${t[0]!.toPrecision(3)}, ${t.at(-1)!.toPrecision(3)}] (log-log slope ${plain.slope.toPrecision(3)})`,
    };
  const hi = Math.max(8, 4 * xiPowerLaw);
  let xi: number;
  let xiStdErr: number;
  let r2: number;
  if (modelled) {
    xi = fitModel(y, lnTwoT, x, hi);
    const res = sse(xi, y, lnTwoT, x);
    const tot = offsetResidualSS(y);
    r2 = tot > 0 ? 1 - res / tot : 1;
    // Linearized standard error: the derivative of the centred model in ξ (central difference).
    const d = 1e-5 * Math.max(1, xi);
    const up = shape(xi + d, lnTwoT, x);
    const down = shape(Math.max(XI_MIN / 2, xi - d), lnTwoT, x);
    const jac = up.map((v, i) => (v - down[i]!) / (xi + d - Math.max(XI_MIN / 2, xi - d)));
    const jm = jac.reduce((s, v) => s + v, 0) / jac.length;
    const sjj = jac.reduce((s, v) => s + (v - jm) ** 2, 0);
    xiStdErr = use.length > 2 && sjj > 0 ? Math.sqrt(res / (use.length - 2) / sjj) : 0;
  } else {
    xi = xiPowerLaw;
    xiStdErr = plain.slopeStdErr;
    r2 = plain.r2;
  }
  const ci = bootstrapXi(y, lnTwoT, x, modelled, hi, options.bootstrap ?? 200, options.seed ?? 0);
  if (use.length < 5 || Math.log10(t.at(-1)! / t[0]!) < 1)
    warnings.push(
      `the window holds ${use.length} checkpoints over ${Math.log10(t.at(-1)! / t[0]!).toFixed(2)} decades of t (≥ 5 over ≥ 1 decade recommended): ξ is poorly constrained; add checkpoints between t = ${t[0]!.toPrecision(3)} and ${t.at(-1)!.toPrecision(3)}`,
    );
  const unresolved = Math.max(0, ...use.map((p) => p.unresolvedShare ?? 0));
  if (unresolved > COMPLEMENT_WARNING_SHARE)
    warnings.push(
      `up to ${(100 * unresolved).toFixed(1)}% of ‖e‖² in the window sits in ⊥ or ∅, whose eigenvalues are unknown or unresolved: ξ describes the resolved energy only (raise --rank or lower the floor to include it)`,
    );
  return {
    ok: true,
    xi,
    xiStdErr,
    xiCI: ci,
    r2,
    points: use.length,
    tMin: t[0]!,
    tMax: t.at(-1)!,
    model: modelled ? 'finite-spectrum' : 'power-law',
    window: given ? 'given' : 'auto',
    xiPowerLaw,
    warnings,
  };
}

/** Percentile bootstrap (resampling the window's points) of ξ, seeded. */
function bootstrapXi(
  y: readonly number[],
  lnTwoT: readonly number[],
  x: readonly number[],
  modelled: boolean,
  hi: number,
  samples: number,
  seed: number,
): [number, number] | null {
  const rng = new Random(seed);
  const n = y.length;
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const idx = Array.from({ length: n }, () => rng.int(n));
    if (new Set(idx.map((i) => lnTwoT[i])).size < 2) continue;
    const by = idx.map((i) => y[i]!);
    const bl = idx.map((i) => lnTwoT[i]!);
    out.push(
      modelled
        ? fitModel(
            by,
            bl,
            idx.map((i) => x[i]!),
            hi,
          )
        : -fitLine(bl, by).slope,
    );
  }
  if (out.length === 0) return null;
  out.sort((a, b) => a - b);
  return [out[Math.floor(0.025 * (out.length - 1))]!, out[Math.ceil(0.975 * (out.length - 1))]!];
}
