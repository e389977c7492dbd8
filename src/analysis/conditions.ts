/**
 * The four sufficient conditions of GRSD power-law renormalizability as measurable diagnostics
 * with verdicts (docs/conditions.md). The condition names and their one-line content follow the
 * papers; the exact statements were not available, so every diagnostic is this library's own
 * construction and every threshold a configurable heuristic default, documented with its
 * calibration. Rule texts are built from the thresholds in use. A verdict is never drawn from too
 * little data: the condition is then `not-computable` with the reason.
 * @module
 */
import { fitLine, median, stdDev } from './regression.ts';
import type { RenormalizabilityRemainder } from './renormalizability.ts';
import type { FitFailure, Rigidity, VelocityFit } from './fits.ts';
import type { LsiStatistic, PermutationTest } from './lsi.ts';
import type { CheckpointResult, IntervalResult } from './series.ts';
import type { ShellGrid } from './shellGrid.ts';
import { timeAveragedTransport } from './timeAverage.ts';

/** A condition's verdict: `pass`, `marginal` (between the pass and fail thresholds, or only partly met), `fail`, or `not-computable` (too little data; the reason says what is missing). */
export type Verdict = 'pass' | 'marginal' | 'fail' | 'not-computable';

/** One condition's assessment. */
export interface ConditionResult {
  /** The primary diagnostic's value (null when not computable). */
  readonly value: number | null;
  /** Any failing sub-diagnostic → fail; all passing → pass; otherwise marginal; none computable → not-computable. */
  readonly verdict: Verdict;
  /** Why: the failing or marginal sub-diagnostics with their rules, or what could not be computed. */
  readonly reason: string;
  /** Per sub-diagnostic `{ value, verdict, rule }` and `notComputable` (what was missing); for C4 ε_LSI, ρ̂, δ_ρ, the permutation test and the consequences. */
  readonly details: Record<string, unknown>;
}

/** Diagnostics that only the model (not the spectra) can provide, e.g. from the training lab. */
export interface ModelDiagnostics {
  /** Backward gains G_ℓ = E_x‖∂f/∂h_ℓ‖_F per computation-graph node (layer/block), C1a. */
  readonly layerGains?: readonly number[];
  /** Block-Jacobian mass profile m(d) by graph distance d = 0, 1, …, C1b. */
  readonly bandMass?: readonly number[];
  /** Graph diameter D_G (default bandMass.length − 1). */
  readonly graphDiameter?: number;
}

/** Thresholds (docs/conditions.md gives each one's meaning and calibration). */
export interface ConditionThresholds {
  /** C1b off-band Jacobian mass ε(⌈0.1·D_G⌉) (a fraction): pass at or below. */
  readonly c1OffBandPass: number;
  /** C1b off-band Jacobian mass: fail above. */
  readonly c1OffBandFail: number;
  /** C1a gain spread Γ = max − min of ln G_ℓ over layers (natural log): pass at or below (default ln 10). */
  readonly c1GainSpreadPass: number;
  /** C1a gain spread Γ: fail above (default ln 100). */
  readonly c1GainSpreadFail: number;
  /** C1c coupling reach w₀.₉·h (in units of ln λ): pass at or below (default ln 10). */
  readonly c1ReachPass: number;
  /** C1c coupling reach w₀.₉·h: fail above (default ln 100). */
  readonly c1ReachFail: number;
  /** Renormalizability remainder: median |R_α|/D_α over the inertial window (pass ≤, fail >). */
  readonly c1RemainderPass: number;
  /** Renormalizability remainder: fail above. */
  readonly c1RemainderFail: number;
  /** C2a median participation ratio PR_α(0) over shells with ≥ 8 modes (in (0, 1]): pass at or above. */
  readonly c2ParticipationPass: number;
  /** C2a median participation ratio: fail below. */
  readonly c2ParticipationFail: number;
  /** C2b median coherence Z of the first interval's Kato terms: pass at or below (with the 95th percentile condition). */
  readonly c2CoherenceMedianPass: number;
  /** C2b 95th percentile of Z: pass needs it at or below this as well. */
  readonly c2CoherenceP95Pass: number;
  /** C2b median Z: fail above. */
  readonly c2CoherenceFail: number;
  /** C2c median n·IPR of the first checkpoint's eigenvectors (≈ 3 for random vectors): pass at or below. */
  readonly c2DelocalizationPass: number;
  /** C2c median n·IPR: fail above. */
  readonly c2DelocalizationFail: number;
  /** C3a largest eigenvalue migration per interval, max |ln(λ_k(t_{i+1})/λ_k(t_i))|/h (in shells): pass at or below. */
  readonly c3MigrationPass: number;
  /** C3a migration (shells per interval): fail above. */
  readonly c3MigrationFail: number;
  /** C3b kernel-velocity spike, max/median over intervals of the relative kernel change per unit time: pass at or below. */
  readonly c3SpikePass: number;
  /** C3b kernel-velocity spike: fail above. */
  readonly c3SpikeFail: number;
  /** C3c median adiabaticity ω_α/(2λ̄_α): pass at or below, marginal above (never fails). */
  readonly c3AdiabaticityPass: number;
  /** C4 ε_LSI: pass needs it at or below (with δ_ρ, the permutation p and the consequences). */
  readonly c4EpsilonPass: number;
  /** C4 ε_LSI: fail above. */
  readonly c4EpsilonFail: number;
  /** C4 spread δ_ρ of the shift ratios ρ̂_k: pass needs it at or below. */
  readonly c4DeltaRhoPass: number;
  /** C4 shell-permutation test: pass needs p below this. */
  readonly c4PermutationP: number;
  /** C4 power-law consequence: a velocity fit needs R² at or above this. */
  readonly c4R2: number;
  /** C4 power-law consequence: a velocity fit needs to span at least this many decades of λ. */
  readonly c4MinDecades: number;
  /** C4 power-law consequence: a velocity fit needs at least this many boundaries. */
  readonly c4MinBoundaries: number;
  /** C4 rigidity: the standard deviation of a across windows must be at or below this. */
  readonly c4ExponentStd: number;
  /**
   * Floor of the tolerance of a ≈ 1 + ln ρ̂₁/h: the calibrated accuracy of the velocity exponent
   * on exactly log-shift-invariant runs (docs/conditions.md).
   */
  readonly c4ExponentTolerance: number;
  /** C4 (and LSI): fewest inertial-window shells; with fewer, C4 is not computable. */
  readonly c4MinShells: number;
}

/** The default thresholds (docs/conditions.md). */
export const DEFAULT_THRESHOLDS: ConditionThresholds = {
  c1OffBandPass: 0.05,
  c1OffBandFail: 0.2,
  c1GainSpreadPass: Math.log(10),
  c1GainSpreadFail: Math.log(100),
  c1ReachPass: Math.log(10),
  c1ReachFail: Math.log(100),
  c1RemainderPass: 0.1,
  c1RemainderFail: 1,
  c2ParticipationPass: 0.15,
  c2ParticipationFail: 0.05,
  c2CoherenceMedianPass: 2,
  c2CoherenceP95Pass: 4,
  c2CoherenceFail: 6,
  c2DelocalizationPass: 10,
  c2DelocalizationFail: 30,
  c3MigrationPass: 0.5,
  c3MigrationFail: 1,
  c3SpikePass: 10,
  c3SpikeFail: 30,
  c3AdiabaticityPass: 0.5,
  c4EpsilonPass: 0.3,
  c4EpsilonFail: 0.6,
  c4DeltaRhoPass: 0.2,
  c4PermutationP: 0.01,
  c4R2: 0.9,
  c4MinDecades: 1.5,
  c4MinBoundaries: 4,
  c4ExponentStd: 0.15,
  c4ExponentTolerance: 0.05,
  c4MinShells: 6,
};

/** A sub-diagnostic: value and its own verdict. */
interface Sub {
  readonly name: string;
  readonly value: number;
  readonly verdict: Exclude<Verdict, 'not-computable'>;
  readonly rule: string;
}

const grade = (value: number, pass: number, fail: number, higherIsBetter = false): Exclude<Verdict, 'not-computable'> =>
  higherIsBetter
    ? value >= pass
      ? 'pass'
      : value < fail
        ? 'fail'
        : 'marginal'
    : value <= pass
      ? 'pass'
      : value > fail
        ? 'fail'
        : 'marginal';

/** Combines sub-diagnostics: any fail → fail; all pass → pass; else marginal; none → not-computable. */
function combine(subs: readonly Sub[], missing: readonly string[], primary: string): ConditionResult {
  const details: Record<string, unknown> = Object.fromEntries(
    subs.map((s) => [s.name, { value: s.value, verdict: s.verdict, rule: s.rule }]),
  );
  if (missing.length) details.notComputable = missing;
  if (subs.length === 0) return { value: null, verdict: 'not-computable', reason: missing.join('; '), details };
  const value = (subs.find((s) => s.name === primary) ?? subs[0]!).value;
  const failed = subs.filter((s) => s.verdict === 'fail');
  if (failed.length)
    return {
      value,
      verdict: 'fail',
      reason: failed.map((s) => `${s.name} = ${s.value.toPrecision(3)} fails (${s.rule})`).join('; '),
      details,
    };
  const marginal = subs.filter((s) => s.verdict === 'marginal');
  if (marginal.length)
    return {
      value,
      verdict: 'marginal',
      reason: marginal.map((s) => `${s.name} = ${s.value.toPrecision(3)} is marginal (${s.rule})`).join('; '),
      details,
    };
  return {
    value,
    verdict: 'pass',
    reason: `${subs.map((s) => s.name).join(', ')} pass${missing.length ? `; not computable: ${missing.join('; ')}` : ''}`,
    details,
  };
}

/**
 * C1 — banded / local Jacobian propagation. `meanTransport`, ⟨T⟩ over `intervals` on the window
 * shells (`renormalizedCouplings(…).meanTransport`), is computed from them when not given.
 */
export function assessC1(
  grid: ShellGrid,
  intervals: readonly IntervalResult[],
  model: ModelDiagnostics,
  t: ConditionThresholds,
  transportNoise?: string,
  remainder?: RenormalizabilityRemainder | FitFailure,
  meanTransport?: ArrayLike<number>,
): ConditionResult {
  const subs: Sub[] = [];
  const missing: string[] = [];
  if (remainder) {
    if (transportNoise) missing.push(`renormalizability remainder: ${transportNoise}`);
    else if (remainder.ok)
      subs.push({
        name: 'renormalizabilityRemainder',
        value: remainder.median,
        verdict: grade(remainder.median, t.c1RemainderPass, t.c1RemainderFail),
        rule: `median |R_α|/D_α over the inertial window (local-flux closure, max ${remainder.max.toPrecision(3)}) ≤ ${t.c1RemainderPass} pass, > ${t.c1RemainderFail} fail`,
      });
    else missing.push(`renormalizability remainder: ${remainder.reason}`);
  }
  if (model.bandMass && model.bandMass.length >= 2) {
    const m = model.bandMass;
    const diameter = model.graphDiameter ?? m.length - 1;
    const b = Math.ceil(0.1 * diameter);
    const total = m.reduce((s, v) => s + v, 0);
    const off = m.slice(b + 1).reduce((s, v) => s + v, 0);
    subs.push({
      name: 'offBandMass',
      value: total > 0 ? off / total : 0,
      verdict: grade(total > 0 ? off / total : 0, t.c1OffBandPass, t.c1OffBandFail),
      rule: `ε(⌈0.1·D_G⌉) ≤ ${t.c1OffBandPass} pass, > ${t.c1OffBandFail} fail`,
    });
  } else missing.push('C1b off-band Jacobian mass needs the block-Jacobian profile (model diagnostics)');
  if (model.layerGains && model.layerGains.length >= 2 && model.layerGains.every((g) => g > 0)) {
    const logs = model.layerGains.map(Math.log);
    const spread = Math.max(...logs) - Math.min(...logs);
    subs.push({
      name: 'gainSpread',
      value: spread,
      verdict: grade(spread, t.c1GainSpreadPass, t.c1GainSpreadFail),
      rule: `Γ ≤ ${t.c1GainSpreadPass.toPrecision(3)} pass, > ${t.c1GainSpreadFail.toPrecision(3)} fail`,
    });
  } else missing.push('C1a gain spread needs per-layer backward gains (model diagnostics)');
  if (transportNoise) missing.push(`C1c coupling reach: ${transportNoise}`);
  else if (intervals.length > 0) {
    const c = grid.count;
    const mean = meanTransport ?? timeAveragedTransport(intervals, c, grid.size);
    let total = 0;
    const byDistance = new Float64Array(c);
    for (let a = 0; a < c; a++)
      for (let b = 0; b < c; b++)
        if (a !== b) ((byDistance[Math.abs(a - b)]! += Math.abs(mean[a * c + b]!)), (total += Math.abs(mean[a * c + b]!)));
    if (total > 0) {
      let acc = 0;
      let w90 = c - 1;
      for (let w = 1; w < c; w++) {
        acc += byDistance[w]!;
        if (acc >= 0.9 * total) {
          w90 = w;
          break;
        }
      }
      const reach = w90 * grid.width;
      subs.push({
        name: 'couplingReach',
        value: reach,
        verdict: grade(reach, t.c1ReachPass, t.c1ReachFail),
        rule: `w₀.₉·h ≤ ${t.c1ReachPass.toPrecision(3)} pass, > ${t.c1ReachFail.toPrecision(3)} fail`,
      });
    } else missing.push('C1c coupling reach: no transport between shells');
  } else missing.push('C1c coupling reach needs at least one interval');
  return combine(subs, missing, 'couplingReach');
}

/** C2 — weak (functional) incoherence at initialization. */
export function assessC2(
  grid: ShellGrid,
  checkpoints: readonly CheckpointResult[],
  intervals: readonly IntervalResult[],
  t: ConditionThresholds,
  transportNoise?: string,
): ConditionResult {
  const subs: Sub[] = [];
  const missing: string[] = [];
  const first = checkpoints[0];
  if (first) {
    const sums = new Float64Array(grid.count);
    const fourth = new Float64Array(grid.count);
    const counts = new Float64Array(grid.count);
    first.amplitudes.forEach((c, k) => {
      const s = first.shellIndex[k]!;
      if (s >= grid.count) return;
      sums[s]! += c * c;
      fourth[s]! += c ** 4;
      counts[s]! += 1;
    });
    const prs: number[] = [];
    for (let s = 0; s < grid.count; s++) if (counts[s]! >= 8 && fourth[s]! > 0) prs.push(sums[s]! ** 2 / (counts[s]! * fourth[s]!));
    if (prs.length) {
      const pr = median(prs);
      subs.push({
        name: 'participation',
        value: pr,
        verdict: grade(pr, t.c2ParticipationPass, t.c2ParticipationFail, true),
        rule: `median PR_α(0) ≥ ${t.c2ParticipationPass} pass, < ${t.c2ParticipationFail} fail (shells with ≥ 8 modes)`,
      });
    } else missing.push('C2a participation needs a shell with at least 8 eigenpairs at the first checkpoint');
    if (first.ipr && first.ipr.length) {
      const window = Array.from(first.ipr).filter((_, k) => first.shellIndex[k]! < grid.count);
      if (window.length) {
        const d = median(window);
        subs.push({
          name: 'delocalization',
          value: d,
          verdict: grade(d, t.c2DelocalizationPass, t.c2DelocalizationFail),
          rule: `median n·IPR ≤ ${t.c2DelocalizationPass} pass (≈ 3 for random vectors), > ${t.c2DelocalizationFail} fail`,
        });
      }
    } else missing.push('C2c delocalization needs the first checkpoint’s eigenvectors (iprCheckpoints)');
  } else missing.push('no checkpoints');
  const k = intervals[0]?.kato;
  if (transportNoise) missing.push(`C2b coherence: ${transportNoise}`);
  else if (k) {
    const s = grid.size;
    const zs: number[] = [];
    for (let a = 0; a < grid.count; a++)
      for (let b = 0; b < grid.count; b++) if (a !== b && k.terms[a * s + b]! >= 4) zs.push(k.coherence[a * s + b]!);
    if (zs.length >= 3) {
      const sorted = [...zs].sort((x, y) => x - y);
      const med = median(zs);
      const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!;
      const verdict =
        med > t.c2CoherenceFail ? 'fail' : med <= t.c2CoherenceMedianPass && p95 <= t.c2CoherenceP95Pass ? 'pass' : 'marginal';
      subs.push({
        name: 'coherence',
        value: med,
        verdict,
        rule: `median Z ≤ ${t.c2CoherenceMedianPass} and 95th pct ≤ ${t.c2CoherenceP95Pass} pass (p95 = ${p95.toPrecision(3)}), median > ${t.c2CoherenceFail} fail`,
      });
    } else missing.push('C2b coherence needs at least 3 shell pairs with ≥ 4 mode pairs in the first interval');
  } else missing.push('C2b coherence needs the Kato terms of the first interval');
  return combine(subs, missing, 'participation');
}

/** C3 — controlled Jacobian evolution. */
export function assessC3(
  grid: ShellGrid,
  checkpoints: readonly CheckpointResult[],
  intervals: readonly IntervalResult[],
  t: ConditionThresholds,
): ConditionResult {
  const subs: Sub[] = [];
  const missing: string[] = [];
  if (checkpoints.length >= 2) {
    let worst = 0;
    for (let i = 0; i + 1 < checkpoints.length; i++) {
      const a = checkpoints[i]!.eigenvalues;
      const b = checkpoints[i + 1]!.eigenvalues;
      for (let k = 0; k < Math.min(a.length, b.length); k++) {
        if (a[k]! >= grid.floor && b[k]! >= grid.floor) worst = Math.max(worst, Math.abs(Math.log(b[k]! / a[k]!)) / grid.width);
      }
    }
    subs.push({
      name: 'migration',
      value: worst,
      verdict: grade(worst, t.c3MigrationPass, t.c3MigrationFail),
      rule: `max shell migration per interval μ ≤ ${t.c3MigrationPass} pass, > ${t.c3MigrationFail} fail`,
    });
  } else missing.push('C3a migration needs two checkpoints');
  const rates = intervals.filter((iv) => iv.kernelDrift !== null).map((iv) => iv.kernelDrift! / (iv.t1 - iv.t0));
  if (rates.length >= 3) {
    const med = median(rates);
    const spike = med > 0 ? Math.max(...rates) / med : 1;
    subs.push({
      name: 'velocitySpike',
      value: spike,
      verdict: grade(spike, t.c3SpikePass, t.c3SpikeFail),
      rule: `max/median kernel velocity ≤ ${t.c3SpikePass} pass, > ${t.c3SpikeFail} fail`,
    });
  } else missing.push('C3b kernel-velocity spikes need dense kernels at ≥ 4 checkpoints');
  if (intervals.length) {
    const ads: number[] = [];
    const centers = grid.centers;
    intervals.forEach((iv, i) => {
      const counts = checkpoints[i]!.counts;
      for (let a = 0; a < grid.count; a++) {
        if (counts[a]! < 1) continue;
        const omega = Math.sqrt(iv.projectorChange[a]!) / (Math.sqrt(2 * counts[a]!) * (iv.t1 - iv.t0));
        ads.push(omega / (2 * centers[a]!));
      }
    });
    if (ads.length) {
      const ad = median(ads);
      subs.push({
        name: 'adiabaticity',
        value: ad,
        verdict: ad <= t.c3AdiabaticityPass ? 'pass' : 'marginal',
        rule: `median ω_α/(2λ̄_α) ≤ ${t.c3AdiabaticityPass} pass`,
      });
    }
  } else missing.push('C3c adiabaticity needs an interval');
  return combine(subs, missing, 'migration');
}

/** Inputs of {@link assessC4}. */
export interface C4Inputs {
  /** The LSI statistic over the inertial window (null when not computed). */
  readonly lsi: LsiStatistic | null;
  /** The shell-permutation null test of LSI (null when not computed). */
  readonly permutation: PermutationTest | null;
  /** Shells in the inertial window. */
  readonly windowShells: number;
  /** Shell width h (for the implied exponent's standard error). */
  readonly width: number;
  /** The velocity fit (or why not) of each interval. */
  readonly velocityFits: readonly (VelocityFit | FitFailure)[];
  /** Rigidity of the velocity exponent across the fitted windows. */
  readonly rigidity: Rigidity | FitFailure;
  /** Why LSI was not computed (C4's reason when `lsi` is null). */
  readonly reason?: string;
}

/** C4 — log-shift invariance of the renormalized couplings, with the consequences that must co-occur. */
export function assessC4(inputs: C4Inputs, t: ConditionThresholds): ConditionResult {
  const { lsi, permutation } = inputs;
  if (!lsi || inputs.windowShells < t.c4MinShells) {
    return {
      value: null,
      verdict: 'not-computable',
      reason: inputs.reason ?? `the inertial window has ${inputs.windowShells} shells; LSI needs at least ${t.c4MinShells}`,
      details: { windowShells: inputs.windowShells },
    };
  }
  const fits = inputs.velocityFits.filter((f): f is VelocityFit => f.ok);
  const good = fits.filter((f) => f.r2 >= t.c4R2 && f.decades >= t.c4MinDecades && f.points >= t.c4MinBoundaries);
  const rig = inputs.rigidity;
  const consequences = {
    powerLawFit: {
      pass: good.length > 0,
      rule: `R² ≥ ${t.c4R2} over ≥ ${t.c4MinDecades} decades and ≥ ${t.c4MinBoundaries} boundaries`,
      windows: good.length,
    },
    rigidity: rig.ok
      ? { pass: rig.aStd <= t.c4ExponentStd, rule: `sd(a) ≤ ${t.c4ExponentStd}`, value: rig.aStd }
      : { pass: false, rule: (rig as FitFailure).reason },
    exponentConsistency: (() => {
      const rule = `a ≈ 1 + ln ρ̂₁/h within max(2·SE, ${t.c4ExponentTolerance})`;
      if (lsi.impliedExponent === null || fits.length === 0) return { pass: false, rule, reason: 'no positive ρ̂₁ or no fitted window' };
      const a = fits.reduce((acc, f) => acc + f.a, 0) / fits.length;
      // Statistical errors: of the mean fitted exponent (the larger of the propagated fit SE and
      // the spread across windows), and of the implied one from the ρ̂₁ regression (relative
      // residual ε₁ over N₁ entries, divided by h).
      const seFits = Math.sqrt(fits.reduce((acc, f) => acc + f.aStdErr ** 2, 0)) / fits.length;
      const seSpread = fits.length > 1 ? stdDev(fits.map((f) => f.a)) / Math.sqrt(fits.length) : 0;
      const m = inputs.windowShells;
      const seImplied = (lsi.epsilons[0] ?? 0) / (inputs.width * Math.sqrt(Math.max(1, (m - 1) * (m - 2))));
      const se = Math.sqrt(Math.max(seFits, seSpread) ** 2 + seImplied ** 2);
      const tolerance = Math.max(2 * se, t.c4ExponentTolerance);
      return {
        pass: Math.abs(a - lsi.impliedExponent) <= tolerance,
        rule,
        fitted: a,
        implied: lsi.impliedExponent,
        se,
        tolerance,
      };
    })(),
  };
  const details = {
    epsilonLSI: lsi.epsilon,
    rho: lsi.rho,
    deltaRho: lsi.deltaRho,
    permutation,
    windowShells: inputs.windowShells,
    consequences,
  };
  const eps = lsi.epsilon;
  if (eps > t.c4EpsilonFail) return { value: eps, verdict: 'fail', reason: `ε_LSI = ${eps.toPrecision(3)} > ${t.c4EpsilonFail}`, details };
  const core =
    eps <= t.c4EpsilonPass && lsi.deltaRho !== null && lsi.deltaRho <= t.c4DeltaRhoPass && (permutation?.pValue ?? 1) < t.c4PermutationP;
  if (!core) {
    const why = [
      eps > t.c4EpsilonPass ? `ε_LSI = ${eps.toPrecision(3)} in (${t.c4EpsilonPass}, ${t.c4EpsilonFail}]` : null,
      lsi.deltaRho === null
        ? 'ρ̂_k not all positive'
        : lsi.deltaRho > t.c4DeltaRhoPass
          ? `δ_ρ = ${lsi.deltaRho.toPrecision(3)} > ${t.c4DeltaRhoPass}`
          : null,
      (permutation?.pValue ?? 1) >= t.c4PermutationP ? `permutation p = ${permutation?.pValue.toPrecision(3)} ≥ ${t.c4PermutationP}` : null,
    ].filter(Boolean);
    return { value: eps, verdict: 'marginal', reason: why.join('; '), details };
  }
  const unmet = Object.entries(consequences)
    .filter(([, c]) => !c.pass)
    .map(([k]) => k);
  if (unmet.length)
    return {
      value: eps,
      verdict: 'marginal',
      reason: `LSI holds (ε_LSI = ${eps.toPrecision(3)}) but its consequences do not all co-occur: ${unmet.join(', ')}`,
      details,
    };
  return {
    value: eps,
    verdict: 'pass',
    reason: `ε_LSI = ${eps.toPrecision(3)}, δ_ρ = ${lsi.deltaRho!.toPrecision(3)}, permutation p = ${permutation!.pValue.toPrecision(3)}, and the power-law consequences co-occur`,
    details,
  };
}

/** The depth-threshold scan (docs/conditions.md, C4): L* = min{L: ε_LSI ≤ threshold} and the log-log slope of ε_LSI against L. */
export interface DepthScan {
  /** Depths with a positive ε_LSI, ascending. */
  readonly depths: readonly number[];
  /** ε_LSI at those depths, in the same order. */
  readonly epsilons: readonly number[];
  /** ε_LSI threshold of the critical depth (default `c4EpsilonPass`). */
  readonly threshold: number;
  /** Smallest depth whose ε_LSI ≤ threshold, or null. */
  readonly criticalDepth: number | null;
  /** d ln ε_LSI / d ln L (null with fewer than 2 depths). */
  readonly slope: number | null;
  /** Standard error of the slope (null with fewer than 2 depths). */
  readonly slopeStdErr: number | null;
}

/** Scans ε_LSI over depths (entries with a null ε are skipped). */
export function depthScan(
  runs: readonly { depth: number; epsilonLSI: number | null }[],
  threshold = DEFAULT_THRESHOLDS.c4EpsilonPass,
): DepthScan {
  const ok = runs
    .filter((r): r is { depth: number; epsilonLSI: number } => r.epsilonLSI !== null && r.epsilonLSI > 0)
    .sort((a, b) => a.depth - b.depth);
  const critical = ok.find((r) => r.epsilonLSI <= threshold)?.depth ?? null;
  let slope: number | null = null;
  let se: number | null = null;
  if (ok.length >= 2) {
    const line = fitLine(
      ok.map((r) => Math.log(r.depth)),
      ok.map((r) => Math.log(r.epsilonLSI)),
    );
    slope = line.slope;
    se = line.slopeStdErr;
  }
  return {
    depths: ok.map((r) => r.depth),
    epsilons: ok.map((r) => r.epsilonLSI),
    threshold,
    criticalDepth: critical,
    slope,
    slopeStdErr: se,
  };
}

/** Depth slopes of per-layer diagnostics (docs/conditions.md, NFD): collapse of the first internal layer of two-layer blocks. */
export interface NfdDiagnostics {
  /** s_j = d ln r̄^{(j)} / d ln L for internal layer j = 1, 2 (null if not computable). */
  readonly slopes: readonly (number | null)[];
  /** s₁ − s₂ ≤ −0.25: the first internal layer collapses with depth. */
  readonly collapse: boolean | null;
  /** |s₁ − s₂| ≤ 0.1 (the corrected parametrization equalizes the layers). */
  readonly balanced: boolean | null;
  /** The data-driven learning-rate correction exponent γ̂ = s₂ − s₁. */
  readonly gammaHat: number | null;
}

/** Computes {@link NfdDiagnostics} from a per-depth measurable of internal layers 1 and 2 (e.g. r̄^{(j)}, χ^{(j)} or δK^{(j)}). */
export function nfdDiagnostics(runs: readonly { depth: number; perInternalLayer: readonly [number, number] }[]): NfdDiagnostics {
  const ok = runs.filter((r) => r.perInternalLayer.every((v) => v > 0));
  if (ok.length < 2) return { slopes: [null, null], collapse: null, balanced: null, gammaHat: null };
  const slope = (j: 0 | 1) =>
    fitLine(
      ok.map((r) => Math.log(r.depth)),
      ok.map((r) => Math.log(r.perInternalLayer[j])),
    ).slope;
  const s1 = slope(0);
  const s2 = slope(1);
  return { slopes: [s1, s2], collapse: s1 - s2 <= -0.25, balanced: Math.abs(s1 - s2) <= 0.1, gammaHat: s2 - s1 };
}
