/**
 * Everything issue-level analysis reads off a series (docs/conditions.md): the velocity fits on
 * the interior boundaries with rigidity and the scale-free drift model, the loss exponents (loss
 * curve with the finite-spectrum cutoff, initial spectrum, Tauberian), the frontier and the
 * profile peak, the lazy prediction, the power-law tail of the eigenvalues, the renormalized
 * couplings with the LSI statistic and its null test, the renormalizability remainder, and the
 * four conditions — the `fits`, `theory`, `conditions` and `warnings` sections of
 * `grsd analyze --json`. The CLI, the JSON and the report all print what this returns.
 * @module
 */
import { fitPowerLawTailCpu, type PowerLawTailResult } from './powerLawTail.ts';
import {
  assessC1,
  assessC2,
  assessC3,
  assessC4,
  DEFAULT_THRESHOLDS,
  type ConditionResult,
  type ConditionThresholds,
  type ModelDiagnostics,
} from './conditions.ts';
import { fitScaleFreeDrift, type ScaleFreeDrift } from './drift.ts';
import {
  fitFrontier,
  fitLossExponent,
  fitProfilePeak,
  fitSpectrumExponent,
  fitTauberian,
  fitVelocity,
  fluxResolution,
  interiorBoundaries,
  transportResolved,
  lazyLossPrediction,
  rigidity,
  type FitFailure,
  type FrontierFit,
  type InteriorBoundaries,
  type LazyPredictionPoint,
  type LossExponentFit,
  type ProfilePeakFit,
  type Rigidity,
  type SpectrumExponentFit,
  type TauberianFit,
  type VelocityFit,
  type VelocityFitOptions,
} from './fits.ts';
import {
  inertialWindow,
  lsiPermutationTest,
  lsiStatistic,
  renormalizedCouplings,
  subMatrix,
  type LsiStatistic,
  type PermutationTest,
} from './lsi.ts';
import { renormalizabilityRemainder, type RenormalizabilityRemainder } from './renormalizability.ts';
import type { CheckpointResult, IntervalResult, SeriesResult } from './series.ts';

/** Options of {@link analyzeGrsd}. */
export interface GrsdAnalysisOptions {
  /** Velocity-fit options (the λ range and the flux floor are set from the run). */
  readonly velocity?: Omit<VelocityFitOptions, 'lambdaMin' | 'lambdaMax' | 'fluxFloor'>;
  /** LSI: shifts kMax (default 3), null draws (default 1000), seed, inertial-window energy floor (default 1e-6), null ratio (default 1). */
  readonly lsi?: {
    /** Largest shift k of the LSI statistic. Default 3. */
    readonly kMax?: number;
    /** Null draws of the shell-permutation test. Default 1000. */
    readonly permutations?: number;
    /** Seed of the permutation test. Default 0. */
    readonly seed?: number;
    /** Inertial window: the shells whose mean energy is at least this fraction of the largest. Default 1e-6. */
    readonly energyFloor?: number;
    /** Noise-to-signal ratio of the permutation test's null hypothesis. Default 1. */
    readonly nullRatio?: number;
  };
  /** Overrides of the condition thresholds (the rest from `DEFAULT_THRESHOLDS`). */
  readonly thresholds?: Partial<ConditionThresholds>;
  /** Diagnostics only the model can give (layer gains, band mass); without them C1a and C1b are not computable. */
  readonly model?: ModelDiagnostics;
  /** Loss-exponent window: 'auto' (default: λ_max·t ≥ 1 and 2λ_min·t ≤ 1) or [tMin, tMax]. */
  readonly fitWindow?: 'auto' | readonly [number, number];
  /** Power-law tail of the last checkpoint's eigenvalues (CSN): bootstrap resamples (default 100) and seed, or false to skip. */
  readonly eigenvalueTail?:
    | false
    | {
        /** Synthetic data sets for the goodness-of-fit p-value. Default 100. */
        readonly bootstrap?: number;
        /** Seed of the bootstrap. Default 0. */
        readonly seed?: number;
      };
}

/** The `fits` section. */
export interface FitsSection {
  /** The velocity fit of each interval, in order, or why not (transport below the resolution, too few interior boundaries). */
  readonly velocity: readonly (VelocityFit | FitFailure)[];
  /** The boundaries the velocity fits use (null without an interval or on a lazy run). */
  readonly interior: InteriorBoundaries | null;
  /** Spread of the velocity exponent a over the fitted windows (needs ≥ 2). */
  readonly rigidity: Rigidity | FitFailure;
  /** v = c₀λ/t (docs/conditions.md, Scale-free drift): c₀, its constancy and the loss exponents it predicts. */
  readonly drift: ScaleFreeDrift | FitFailure;
  /** ξ from the loss curve of the resolved energy (⊥ and ∅ left out). */
  readonly lossExponent: LossExponentFit | FitFailure;
  /** ξ̂₀ from the first checkpoint's shell spectrum. */
  readonly spectrumExponent: SpectrumExponentFit | FitFailure;
  /** ξ and L(t) from the first checkpoint's cumulative spectral measure. */
  readonly tauberian: TauberianFit | FitFailure;
  /** The resolution frontier ℓ̄_D(t) and its exponent α̂. */
  readonly frontier: FrontierFit | FitFailure;
  /** The energy profile's peak ℓ_peak(t) and its exponent. */
  readonly profilePeak: ProfilePeakFit | FitFailure;
  /** The lazy (fixed-kernel) loss predicted from the first checkpoint, at every checkpoint. */
  readonly lazyPrediction: readonly LazyPredictionPoint[];
  /** CSN power-law tail of the last checkpoint's positive eigenvalues (null when skipped). */
  readonly eigenvalueTail: ({ readonly checkpoint: number } & PowerLawTailResult) | null;
}

/** The `theory` section. */
export interface TheorySection {
  /** Inertial window [first, last + 1) of window-shell indices. */
  readonly window: readonly [number, number];
  /** max over intervals of max|T^Δ_αβ|/‖e‖²: the largest share of the energy moved between two shells in one interval. */
  readonly transportLevel: number;
  /** The smallest such share the estimator resolves (10 × its rate resolution, docs/accuracy.md; largest over the intervals). */
  readonly transportResolution: number;
  /** Intervals whose transport is above their resolution. */
  readonly resolvedIntervals: readonly number[];
  /** 𝒦_αβ = ⟨T_αβ⟩/√(⟨E_α⟩⟨E_β⟩), time averages over the run (docs/math.md), count rows of count window shells (units 1/time); empty without an interval. */
  readonly couplings: readonly number[][];
  /** 𝒦̂_αβ = 𝒦_αβ/√(λ̄_α λ̄_β) (dimensionless, λ̄ the shell centres), same layout. */
  readonly dimensionlessCouplings: readonly number[][];
  /** The LSI statistic on the inertial window's couplings; null when not computed (`reason` says why). */
  readonly lsi: LsiStatistic | null;
  /** The shell-permutation null test of LSI; null when not computed. */
  readonly permutation: PermutationTest | null;
  /** |R_α|/D_α with the local-flux closure (docs/conditions.md). */
  readonly renormalizability: RenormalizabilityRemainder | FitFailure;
  /** Why `lsi` and `permutation` are null (no interval, a lazy run, or too few inertial-window shells); absent when computed. */
  readonly reason?: string;
}

/** The analysis of a series. */
export interface GrsdAnalysis {
  /** The fits: velocity, rigidity, drift, loss exponents, frontier, profile peak, lazy prediction, eigenvalue tail. */
  readonly fits: FitsSection;
  /** Renormalized couplings, LSI with its null test, and the renormalizability remainder. */
  readonly theory: TheorySection;
  /** Verdicts of the four sufficient conditions (docs/conditions.md). */
  readonly conditions: {
    /** C1: banded (local) Jacobian propagation. */
    readonly C1: ConditionResult;
    /** C2: weak (functional) incoherence at initialization. */
    readonly C2: ConditionResult;
    /** C3: controlled Jacobian evolution. */
    readonly C3: ConditionResult;
    /** C4: log-shift invariance of the renormalized couplings, with its consequences. */
    readonly C4: ConditionResult;
  };
  /** What makes the numbers above less reliable than their errors say (e.g. energy outside the analysed shells, a short fit window). */
  readonly warnings: readonly string[];
}

const rows = (m: Float64Array, n: number): number[][] => Array.from({ length: n }, (_, r) => Array.from(m.subarray(r * n, (r + 1) * n)));

/** ‖e_{i+1}‖² of an interval (the total of its flow matrix). */
function flowTotal(iv: IntervalResult): number {
  let total = 0;
  for (let i = 0; i < iv.flow.length; i++) total += iv.flow[i]!;
  return total;
}

/** Largest share of ‖e‖² moved between two shells in the interval. */
function transportShare(iv: IntervalResult): number {
  const total = flowTotal(iv);
  let max = 0;
  for (let i = 0; i < iv.transport.length; i++) max = Math.max(max, Math.abs(iv.transport[i]!));
  return total > 0 ? (max * (iv.t1 - iv.t0)) / total : 0;
}

/** The smallest resolved share of ‖e‖² moved in one interval: RESOLVED_FACTOR × the rate resolution × Δt / ‖e‖². */
function resolutionShare(iv: IntervalResult): number {
  const total = flowTotal(iv);
  return total > 0 ? (fluxResolution(iv) * (iv.t1 - iv.t0)) / total : 0;
}

/** Runs every fit, the LSI analysis and the condition assessments on a series result. */
export function analyzeGrsd(series: SeriesResult, options: GrsdAnalysisOptions = {}): GrsdAnalysis {
  const { grid, checkpoints, intervals } = series;
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const first = checkpoints[0]!;
  const probePoints = first.loss > 0 ? first.residualNorm2 / (2 * first.loss) : 1;
  const warnings: string[] = [];

  // Transport resolution: the lazy gate and the flux floor (docs/conditions.md, "Transport resolution").
  const shares = intervals.map(transportShare);
  const resolutions = intervals.map((iv) => resolutionShare(iv));
  const resolved = intervals.filter(transportResolved).map((iv) => iv.index);
  const resolvedSet = new Set(resolved);
  const transportLevel = Math.max(0, ...shares);
  const lazy = intervals.length > 0 && resolved.length === 0;
  const lazyReason = `the transport of every interval is below the estimator's resolution (largest share of ‖e‖² moved ${transportLevel.toPrecision(2)}, resolution ${Math.max(
    0,
    ...resolutions,
  ).toPrecision(2)}): a lazy run, whose couplings carry no information`;

  // Couplings, inertial window, interior boundaries.
  const rc = intervals.length ? renormalizedCouplings(grid, checkpoints, intervals) : null;
  const window = rc ? inertialWindow(rc.meanEnergy, options.lsi?.energyFloor) : ([0, 0] as [number, number]);
  const interior = rc && !lazy ? interiorBoundaries(grid, rc.meanTransport, window) : null;

  // Velocity fits (resolved intervals only, interior boundaries, floor from the run's resolution) and their rigidity.
  const velocity = intervals.map((iv, i): VelocityFit | FitFailure => {
    if (!resolvedSet.has(iv.index))
      return {
        ok: false,
        reason: `transport below the estimator's resolution in this interval (${shares[i]!.toPrecision(2)} of ‖e‖²): v ≡ 0 up to rounding`,
      };
    if (interior && interior.boundaries < (options.velocity?.minPoints ?? 4))
      return {
        ok: false,
        reason: `the inertial window (${window[1] - window[0]} shells) less the flux's reach (${interior.marginBelow} shells below, ${interior.marginAbove} above) leaves ${interior.boundaries} interior boundaries (need ${options.velocity?.minPoints ?? 4})`,
      };
    return fitVelocity(iv, {
      ...options.velocity,
      fluxFloor: fluxResolution(iv),
      ...(interior ? { lambdaMin: interior.lambdaMin, lambdaMax: interior.lambdaMax } : {}),
    });
  });
  const rig = rigidity(velocity, thresholds.c4ExponentStd);

  // Loss exponents. The loss-curve fit models the energy whose eigenvalues are known and resolved
  // (window shells, eigenvalues ≥ λ_min): ⊥ and ∅ are left out of the fitted curve, and a warning
  // says how much of ‖e‖² they hold.
  const lossExponent = fitLossExponent(
    checkpoints.map((c) => {
      const above = Array.from(c.eigenvalues).filter((l) => l >= grid.floor);
      const unresolved = Math.max(0, c.capture.complementShare) + c.capture.floorShare; // ⊥ (≥ −rounding) and ∅
      return {
        t: c.t,
        loss: c.loss * (1 - unresolved),
        ...(above.length ? { lambdaMin: Math.min(...above), lambdaMax: Math.max(...above) } : {}),
        unresolvedShare: unresolved,
      };
    }),
    { window: options.fitWindow ?? 'auto' },
  );
  const spectrumExponent = fitSpectrumExponent(grid, first.energy, { counts: first.counts });
  const tauberian = fitTauberian(
    grid,
    first,
    checkpoints.map((c) => c.t),
    probePoints,
  );
  const drift = fitScaleFreeDrift(velocity, spectrumExponent.ok ? spectrumExponent.xi : null, thresholds.c4ExponentTolerance);
  const tail = options.eigenvalueTail === false ? null : eigenvalueTail(checkpoints.at(-1)!, options.eigenvalueTail ?? {});

  // LSI over the whole run, and the renormalizability remainder.
  const remainder = intervals.length
    ? renormalizabilityRemainder(grid, intervals, window)
    : ({ ok: false, reason: 'no interval' } as FitFailure);
  const kMax = options.lsi?.kMax ?? 3;
  const base = {
    window,
    transportLevel,
    transportResolution: Math.max(0, ...resolutions),
    resolvedIntervals: resolved,
    couplings: rc ? rows(rc.couplings, rc.count) : [],
    dimensionlessCouplings: rc ? rows(rc.dimensionless, rc.count) : [],
    renormalizability: remainder,
  };
  let theory: TheorySection;
  const m = window[1] - window[0];
  if (!rc) theory = { ...base, lsi: null, permutation: null, reason: 'no interval: a single checkpoint has no couplings' };
  else if (lazy) theory = { ...base, lsi: null, permutation: null, reason: lazyReason };
  else if (m < Math.max(kMax + 2, thresholds.c4MinShells))
    theory = {
      ...base,
      lsi: null,
      permutation: null,
      reason: `the inertial window has ${m} shells; LSI needs at least ${Math.max(kMax + 2, thresholds.c4MinShells)}`,
    };
  else {
    const k = subMatrix(rc.couplings, rc.count, window[0], window[1]);
    theory = {
      ...base,
      lsi: lsiStatistic(k, m, grid.width, kMax),
      permutation: lsiPermutationTest(k, m, grid.width, {
        kMax,
        permutations: options.lsi?.permutations ?? 1000,
        seed: options.lsi?.seed ?? 0,
        ...(options.lsi?.nullRatio === undefined ? {} : { nullRatio: options.lsi.nullRatio }),
      }),
    };
  }

  // Warnings (the grid's coverage and the complement ⊥ are warned about in series.coverage).
  if (lossExponent.ok) warnings.push(...lossExponent.warnings.map((w) => `loss exponent: ${w}`));

  const model = options.model ?? {};
  const noisy = lazy ? 'transport is below the estimator’s resolution (a lazy run)' : undefined;
  return {
    fits: {
      velocity,
      interior,
      rigidity: rig,
      drift,
      lossExponent,
      spectrumExponent,
      tauberian,
      frontier: fitFrontier(grid, checkpoints),
      profilePeak: fitProfilePeak(grid, checkpoints),
      lazyPrediction: lazyLossPrediction(first, checkpoints, probePoints, grid.complementIndex),
      eigenvalueTail: tail,
    },
    theory,
    conditions: {
      C1: assessC1(grid, intervals, model, thresholds, noisy, remainder, rc?.meanTransport),
      C2: assessC2(grid, checkpoints, intervals, thresholds, noisy),
      C3: assessC3(grid, checkpoints, intervals, thresholds),
      C4: assessC4(
        {
          lsi: theory.lsi,
          permutation: theory.permutation,
          windowShells: m,
          width: grid.width,
          velocityFits: velocity,
          rigidity: rig,
          ...(theory.reason === undefined ? {} : { reason: theory.reason }),
        },
        thresholds,
      ),
    },
    warnings,
  };
}

/** CSN power-law tail of a checkpoint's positive eigenvalues (float64, on the host: r ≤ a few thousand values). */
function eigenvalueTail(
  checkpoint: CheckpointResult,
  options: { readonly bootstrap?: number; readonly seed?: number },
): { readonly checkpoint: number } & PowerLawTailResult {
  const positive = Array.from(checkpoint.eigenvalues).filter((v) => v > 0);
  const minTail = Math.min(50, Math.max(10, Math.floor(positive.length / 4)));
  if (positive.length < minTail)
    return {
      checkpoint: checkpoint.index,
      ok: false,
      code: 'too-few-points',
      reason: `${positive.length} positive eigenvalues is fewer than minTail = ${minTail}`,
      n: positive.length,
      minTail,
    };
  return {
    checkpoint: checkpoint.index,
    ...fitPowerLawTailCpu(positive, { bootstrap: options.bootstrap ?? 100, seed: options.seed ?? 0, minTail }),
  };
}
