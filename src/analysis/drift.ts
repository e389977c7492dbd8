/**
 * The scale-free drift model of the GRSD paper (docs/conditions.md, "Scale-free drift"): in its
 * scale-free window the velocity is v(λ, t) = c₀ λ / t — the self-similar member (a = 1,
 * c(t) ∝ t^{a−2}) of the power-law family v = c(t) λ^a. Per fitted velocity window, c is refitted
 * with a = 1 and turned into c₀ = c̄·(t₁ − t₀)/ln(t₁/t₀) (the interval average of c₀/t is
 * c₀ ln(t₁/t₀)/(t₁ − t₀)); the model holds when c₀ is constant across windows, i.e.
 * d ln|c|/d ln t = −1.
 *
 * Loss exponent for an initial density ε(λ, 0) ∝ λ^p (so ξ̂₀ = p + 1 from the initial shell
 * spectrum): the conservative transport form ∂_t ε + ∂_λ(vε) = −2λε, which our exact shell
 * balance obeys, gives (1 + c₀)(p + 1); the advective form ∂_t ε + v∂_λ ε = −2λε, which is how the
 * paper's result reads, gives (1 + c₀)p + 1. Both are reported, labelled. With c₀ = 0 both are
 * the lazy ξ = p + 1 = κ/ν. The Lagrangian exponent d ln ∫₀ᵗ λ(s) ds / d ln t = 1 + c₀ replaces the
 * dissipation-weighted frontier exponent in the ξ_obs ≈ α̂·ξ̂₀ cross-check, which is blind to drift.
 * @module
 */
import { fitLine, stdDev } from './regression.ts';
import type { FitFailure, VelocityFit } from './fits.ts';

/** c₀ of one velocity window. */
export interface DriftWindow {
  /** Index of the interval (its velocity fit's `interval`). */
  readonly interval: number;
  /** Start of the interval (run time unit, > 0). */
  readonly t0: number;
  /** End of the interval (run time unit). */
  readonly t1: number;
  /** c of v = c·λ (a fixed at 1), signed. */
  readonly c: number;
  /** c₀ = c·(t₁ − t₀)/ln(t₁/t₀). */
  readonly c0: number;
}

/** The scale-free drift fit. */
export interface ScaleFreeDrift {
  /** Always true: at least 2 velocity windows start at t > 0. */
  readonly ok: true;
  /** c and c₀ of each velocity window starting at t > 0. */
  readonly windows: readonly DriftWindow[];
  /** Mean c₀ over the windows, its standard error (sd/√windows). */
  readonly c0: number;
  /** Standard error of the mean c₀: sample sd/√windows. */
  readonly c0StdErr: number;
  /** d ln|c|/d ln t̄ over the windows (t̄ the geometric mid-time): −1 in the scale-free model. Null with fewer than 3 windows or when c changes sign across them. */
  readonly timeExponent: number | null;
  /** Standard error of `timeExponent` (null when it is null). */
  readonly timeExponentStdErr: number | null;
  /** |timeExponent + 1| ≤ max(2·SE, tolerance): c₀ constant across windows. Null with fewer than 3 windows; false when c changes sign across them. */
  readonly constant: boolean | null;
  /** Mean velocity exponent a of the windows and whether it is 1 within max(2·SE, tolerance). */
  readonly velocityExponent: number;
  /** |velocityExponent − 1| ≤ max(2·SE, tolerance), SE the propagated standard error of the mean a. */
  readonly scaleFreeExponent: boolean;
  /** 1 + c₀. */
  readonly lagrangianExponent: number;
  /** Loss exponents the model predicts from ξ̂₀ = p + 1 (null when ξ̂₀ is not available). */
  readonly lossExponent: {
    /** ξ̂₀ = p + 1 from the initial shell spectrum (`fits.spectrumExponent`). */
    readonly xiInitial: number;
    /** (1 + c₀)(p + 1): conservative form, consistent with the library's exact shell balance. */
    readonly conservative: number;
    /** (1 + c₀)p + 1: advective form, as the paper's result is reported. */
    readonly advective: number;
  } | null;
}

/**
 * Fits the scale-free drift model on the velocity fits (their boundaries and speeds). `tolerance`
 * is the velocity exponent's calibrated accuracy (docs/conditions.md, default 0.05), used as the
 * floor of the constancy and a = 1 tests.
 */
export function fitScaleFreeDrift(
  fits: readonly (VelocityFit | FitFailure)[],
  xiInitial: number | null,
  tolerance = 0.05,
): ScaleFreeDrift | FitFailure {
  const ok = fits.filter((f): f is VelocityFit => f.ok && f.t0 > 0);
  if (ok.length < 2)
    return { ok: false, reason: `the scale-free drift model needs velocity fits in ≥ 2 windows starting at t > 0, have ${ok.length}` };
  const windows = ok.map((f) => {
    let mean = 0;
    f.lambdas.forEach((b, i) => (mean += (Math.log(f.speeds[i]!) - Math.log(b)) / f.lambdas.length));
    const c = f.sign * Math.exp(mean);
    return { interval: f.interval, t0: f.t0, t1: f.t1, c, c0: (c * (f.t1 - f.t0)) / Math.log(f.t1 / f.t0) };
  });
  const c0s = windows.map((w) => w.c0);
  const c0 = c0s.reduce((s, v) => s + v, 0) / c0s.length;
  let timeExponent: number | null = null;
  let timeExponentStdErr: number | null = null;
  let constant: boolean | null = null;
  if (windows.length >= 3 && windows.every((w) => Math.sign(w.c) === Math.sign(windows[0]!.c))) {
    const line = fitLine(
      windows.map((w) => 0.5 * Math.log(w.t0 * w.t1)),
      windows.map((w) => Math.log(Math.abs(w.c))),
    );
    timeExponent = line.slope;
    timeExponentStdErr = line.slopeStdErr;
    constant = Math.abs(line.slope + 1) <= Math.max(2 * line.slopeStdErr, tolerance);
  } else if (windows.length >= 3) constant = false;
  const as = ok.map((f) => f.a);
  const aMean = as.reduce((s, v) => s + v, 0) / as.length;
  const aSe = Math.sqrt(ok.reduce((s, f) => s + f.aStdErr ** 2, 0)) / ok.length;
  return {
    ok: true,
    windows,
    c0,
    c0StdErr: stdDev(c0s) / Math.sqrt(c0s.length),
    timeExponent,
    timeExponentStdErr,
    constant,
    velocityExponent: aMean,
    scaleFreeExponent: Math.abs(aMean - 1) <= Math.max(2 * aSe, tolerance),
    lagrangianExponent: 1 + c0,
    lossExponent: xiInitial === null ? null : { xiInitial, conservative: (1 + c0) * xiInitial, advective: (1 + c0) * (xiInitial - 1) + 1 },
  };
}
