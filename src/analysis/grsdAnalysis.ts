/**
 * Everything issue-level analysis reads off a series: the velocity fits with rigidity, the loss
 * exponents (loss curve, initial spectrum, Tauberian) with the frontier and the lazy prediction,
 * the renormalized couplings with the LSI statistic and permutation test, and the four
 * conditions — the `fits`, `theory` and `conditions` sections of `grsd analyze --json`.
 * @module
 */
import {
  fitFrontier,
  fitLossExponent,
  fitSpectrumExponent,
  fitTauberian,
  fitVelocity,
  lazyLossPrediction,
  rigidity,
  type FitFailure,
  type FrontierFit,
  type LossExponentFit,
  type Rigidity,
  type SpectrumExponentFit,
  type TauberianFit,
  type VelocityFit,
  type VelocityFitOptions,
} from './fits.ts';
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
import {
  inertialWindow,
  lsiPermutationTest,
  lsiStatistic,
  renormalizedCouplings,
  subMatrix,
  type LsiStatistic,
  type PermutationTest,
} from './lsi.ts';
import type { SeriesResult } from './series.ts';

/** Options of {@link analyzeGrsd}. */
export interface GrsdAnalysisOptions {
  readonly velocity?: VelocityFitOptions;
  readonly lsi?: { readonly kMax?: number; readonly permutations?: number; readonly seed?: number; readonly energyFloor?: number };
  readonly thresholds?: Partial<ConditionThresholds>;
  readonly model?: ModelDiagnostics;
  /** Fraction of the log-time range used for the loss tail fit. Default 0.5. */
  readonly lossTailFraction?: number;
  /**
   * Transport below this fraction of the dissipation rate is rounding noise (a lazy run): the
   * couplings then carry no information and LSI is not computable. Default 1e-5.
   */
  readonly transportNoiseFloor?: number;
}

/** The `fits` section. */
export interface FitsSection {
  readonly velocity: readonly (VelocityFit | FitFailure)[];
  readonly rigidity: Rigidity | FitFailure;
  readonly lossExponent: LossExponentFit | FitFailure;
  readonly spectrumExponent: SpectrumExponentFit | FitFailure;
  readonly tauberian: TauberianFit | FitFailure;
  readonly frontier: FrontierFit | FitFailure;
  readonly lazyPrediction: readonly { t: number; predicted: number; measured: number; ratio: number }[];
  /** ξ_obs ≈ α̂·ξ̂₀ (spec §1.12), when all three are available. */
  readonly crossCheck: {
    readonly xiObserved: number;
    readonly frontierExponent: number;
    readonly xiInitial: number;
    readonly predicted: number;
  } | null;
}

/** The `theory` section. */
export interface TheorySection {
  /** Inertial window [first, last + 1) of window-shell indices. */
  readonly window: readonly [number, number];
  /** max |T| / max |D| over all intervals: how far transport is above rounding noise. */
  readonly transportLevel: number;
  readonly couplings: readonly number[][];
  readonly dimensionlessCouplings: readonly number[][];
  readonly lsi: LsiStatistic | null;
  readonly permutation: PermutationTest | null;
  readonly reason?: string;
}

/** The analysis of a series. */
export interface GrsdAnalysis {
  readonly fits: FitsSection;
  readonly theory: TheorySection;
  readonly conditions: {
    readonly C1: ConditionResult;
    readonly C2: ConditionResult;
    readonly C3: ConditionResult;
    readonly C4: ConditionResult;
  };
}

const rows = (m: Float64Array, n: number): number[][] => Array.from({ length: n }, (_, r) => Array.from(m.subarray(r * n, (r + 1) * n)));

/** Runs every fit, the LSI analysis and the condition assessments on a series result. */
export function analyzeGrsd(series: SeriesResult, options: GrsdAnalysisOptions = {}): GrsdAnalysis {
  const { grid, checkpoints, intervals } = series;
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const first = checkpoints[0]!;
  const probePoints = first.loss > 0 ? first.residualNorm2 / (2 * first.loss) : 1;

  // Velocity fits per interval and their rigidity.
  const velocity = intervals.map((iv) => fitVelocity(iv, options.velocity));
  const rig = rigidity(velocity, thresholds.c4ExponentStd);

  // Loss exponents.
  const times = checkpoints.map((c) => c.t);
  const lossExponent = fitLossExponent(
    times,
    checkpoints.map((c) => c.loss),
    options.lossTailFraction === undefined ? {} : { tailFraction: options.lossTailFraction },
  );
  const spectrumExponent = fitSpectrumExponent(grid, first.energy);
  const tauberian = fitTauberian(grid, first.energy, times, probePoints);
  const frontier = fitFrontier(grid, checkpoints);
  const lazyPrediction = lazyLossPrediction(first, checkpoints, probePoints, grid.complementIndex);
  const crossCheck =
    lossExponent.ok && frontier.ok && spectrumExponent.ok
      ? {
          xiObserved: lossExponent.xi,
          frontierExponent: frontier.exponent,
          xiInitial: spectrumExponent.xi,
          predicted: frontier.exponent * spectrumExponent.xi,
        }
      : null;

  // Renormalized couplings and LSI over the whole run.
  let theory: TheorySection;
  let maxT = 0;
  let maxD = 0;
  for (const iv of intervals) {
    for (const v of iv.transport) maxT = Math.max(maxT, Math.abs(v));
    for (const v of iv.dissipation) maxD = Math.max(maxD, Math.abs(v));
  }
  const transportLevel = maxD > 0 ? maxT / maxD : maxT > 0 ? 1 : 0;
  const noiseFloor = options.transportNoiseFloor ?? 1e-5;
  if (intervals.length === 0) {
    theory = {
      window: [0, 0],
      transportLevel,
      couplings: [],
      dimensionlessCouplings: [],
      lsi: null,
      permutation: null,
      reason: 'no interval: a single checkpoint has no couplings',
    };
  } else if (transportLevel < noiseFloor) {
    const rc = renormalizedCouplings(grid, checkpoints, intervals);
    theory = {
      window: inertialWindow(rc.meanEnergy, options.lsi?.energyFloor),
      transportLevel,
      couplings: rows(rc.couplings, rc.count),
      dimensionlessCouplings: rows(rc.dimensionless, rc.count),
      lsi: null,
      permutation: null,
      reason: `transport is at the rounding-noise level (max|T|/max|D| = ${transportLevel.toPrecision(2)} < ${noiseFloor}): a lazy run, whose couplings carry no information`,
    };
  } else {
    const rc = renormalizedCouplings(grid, checkpoints, intervals);
    const [lo, hi] = inertialWindow(rc.meanEnergy, options.lsi?.energyFloor);
    const m = hi - lo;
    const kMax = options.lsi?.kMax ?? 3;
    const base = {
      window: [lo, hi] as const,
      transportLevel,
      couplings: rows(rc.couplings, rc.count),
      dimensionlessCouplings: rows(rc.dimensionless, rc.count),
    };
    if (m < Math.max(kMax + 2, thresholds.c4MinShells)) {
      theory = {
        ...base,
        lsi: null,
        permutation: null,
        reason: `the inertial window has ${m} shells; LSI needs at least ${Math.max(kMax + 2, thresholds.c4MinShells)}`,
      };
    } else {
      const k = subMatrix(rc.couplings, rc.count, lo, hi);
      theory = {
        ...base,
        lsi: lsiStatistic(k, m, grid.width, kMax),
        permutation: lsiPermutationTest(k, m, grid.width, {
          kMax,
          permutations: options.lsi?.permutations ?? 1000,
          seed: options.lsi?.seed ?? 0,
        }),
      };
    }
  }

  const model = options.model ?? {};
  const noisy = intervals.length > 0 && transportLevel < noiseFloor ? 'transport is at the rounding-noise level (a lazy run)' : undefined;
  return {
    fits: { velocity, rigidity: rig, lossExponent, spectrumExponent, tauberian, frontier, lazyPrediction, crossCheck },
    theory,
    conditions: {
      C1: assessC1(grid, intervals, model, thresholds, noisy),
      C2: assessC2(grid, checkpoints, intervals, thresholds, noisy),
      C3: assessC3(grid, checkpoints, intervals, thresholds),
      C4: assessC4(
        {
          lsi: theory.lsi,
          permutation: theory.permutation,
          windowShells: theory.window[1] - theory.window[0],
          velocityFits: velocity,
          rigidity: rig,
          ...(theory.reason === undefined ? {} : { reason: theory.reason }),
        },
        thresholds,
      ),
    },
  };
}
