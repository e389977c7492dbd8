/**
 * What the figures draw from: a subset of the analysis JSON (docs/formats.md), so that one set of
 * figure specs serves `grsd analyze --report`, `grsd serve` (which sends this subset to its page)
 * and the visualizer alike. {@link figureSource} cuts a full analysis JSON down to it (dropping the
 * per-interval matrices, which no figure draws); {@link runFacts} reads the run header off it.
 * Browser-safe: no Node built-in, no vega.
 * @module
 */

/** A fit that could not be made, as the analysis JSON writes it. */
export interface FailedFit {
  /** Always false: the fit could not be made. */
  readonly ok: false;
  /** Why, in words. */
  readonly reason: string;
}

/** The shell grid fields the figures read. */
export interface FigureGrid {
  /** Number of window shells. */
  readonly count: number;
  /** Shell width h in ln λ. */
  readonly width: number;
  /** λ_ref, the boundary of shell 0 (units 1/time). */
  readonly lambdaRef: number;
  /** λ_floor, the window's lowest boundary (units 1/time). */
  readonly floor: number;
  /** count + 1 shell boundaries. */
  readonly edges: readonly number[];
  /** count geometric shell centres. */
  readonly centers: readonly number[];
  /** Index of ∅ in shell arrays (= count). */
  readonly floorIndex: number;
  /** Index of ⊥ in shell arrays (= count + 1). */
  readonly complementIndex: number;
}

/** One checkpoint: shell arrays have grid.count + 2 entries (window shells, ∅, ⊥). */
export interface FigureCheckpoint {
  /** Index of the checkpoint in the series (0-based). */
  readonly index: number;
  /** Time of the checkpoint (run time unit). */
  readonly t: number;
  /** Loss L = ‖e‖²/(2N). */
  readonly loss: number;
  /** ‖e‖², the squared residual norm. */
  readonly residualNorm2: number;
  /** Shell energies E_α (grid.count + 2 entries). */
  readonly energy: readonly number[];
  /** Eigenvalues per shell (grid.count + 2 entries; ⊥ counts the modes not computed), when the JSON has them. */
  readonly counts?: readonly number[];
  /** Computed eigenvalues, descending. */
  readonly eigenvalues: readonly number[];
}

/** One interval: Π at the boundaries b_{alphaMin+i} (i < count); v at the interior ones (null where undefined). */
export interface FigureInterval {
  /** Index of the interval (0-based; between checkpoints index and index + 1). */
  readonly index: number;
  /** Time of its first checkpoint. */
  readonly t0: number;
  /** Time of its second checkpoint. */
  readonly t1: number;
  /** Π at the boundaries b_{alphaMin+i}, i < count (energy per unit time). */
  readonly flux: readonly number[];
  /** The interior boundaries λ_b of `velocity` (units 1/time). */
  readonly velocityBoundaries: readonly number[];
  /** v = λ_b·v_ℓ at those boundaries (units 1/time²); null where ĝ is below its floor. */
  readonly velocity: readonly (number | null)[];
  /** The interval's run-time invariants by name (docs/conditions.md, "Interval checks"), when the JSON has them. */
  readonly checks?: Record<
    string,
    {
      /** The measured quantity. */
      readonly value: number;
      /** The limit it is compared with. */
      readonly threshold: number;
      /** false only for a failed check (a not-applicable one passes). */
      readonly pass: boolean;
      /** `pass`, `fail` or `not-applicable` (schema 2). */
      readonly status?: string;
      /** What the check measures, in words. */
      readonly description?: string;
      /** What a failed or not-applicable check means and what to do (schema 2). */
      readonly message?: string;
    }
  >;
}

/** A successful velocity fit v = c·λ^a of one interval, as the analysis JSON writes it (see `VelocityFit`). */
export interface FigureVelocityFit {
  /** Always true (failures are {@link FailedFit}). */
  readonly ok: true;
  /** Start of the interval (run time unit). */
  readonly t0: number;
  /** End of the interval. */
  readonly t1: number;
  /** Velocity exponent a (dimensionless). */
  readonly a: number;
  /** Standard error of a, when the JSON has it. */
  readonly aStdErr?: number;
  /** Signed coefficient c(t) (v in 1/time², λ in 1/time). */
  readonly c: number;
  /** λ_b of the boundaries fitted (units 1/time). */
  readonly lambdas: readonly number[];
  /** |v| at those boundaries, same order (units 1/time²). */
  readonly speeds: readonly number[];
}

/** A successful loss-exponent fit, as the analysis JSON writes it (see `LossExponentFit`). */
export interface FigureLossFit {
  /** Always true (failures are {@link FailedFit}). */
  readonly ok: true;
  /** Loss exponent ξ (dimensionless): L ∝ t^−ξ. */
  readonly xi: number;
  /** Standard error of ξ (statistical only). */
  readonly xiStdErr: number;
  /** Earliest time in the fit window. */
  readonly tMin: number;
  /** Latest time in the fit window. */
  readonly tMax: number;
  /** 'finite-spectrum' or 'power-law' (schema 2). */
  readonly model?: string;
  /** The plain power-law slope over the same points (schema 2). */
  readonly xiPowerLaw?: number;
}

/** The `fits` fields the figures read. */
export interface FigureFits {
  /** The velocity fit of each interval, or why not. */
  readonly velocity?: readonly (FigureVelocityFit | FailedFit)[];
  /** ξ from the loss curve. */
  readonly lossExponent?: FigureLossFit | FailedFit;
  /** The lazy (fixed-kernel) loss prediction at each checkpoint. */
  readonly lazyPrediction?: readonly {
    /** Checkpoint time. */
    readonly t: number;
    /** Predicted loss, the middle of the lazy bracket. */
    readonly predicted: number;
  }[];
  /** Spread of the velocity exponent a over the fitted windows. */
  readonly rigidity?:
    | {
        /** Always true. */
        readonly ok: true;
        /** Mean of a over the fitted windows. */
        readonly aMean: number;
        /** Sample standard deviation of a over them. */
        readonly aStd: number;
        /** Number of fitted windows (≥ 2). */
        readonly windows: number;
      }
    | FailedFit;
  /** ξ̂₀ from the first checkpoint's shell spectrum. */
  readonly spectrumExponent?:
    | {
        /** Always true. */
        readonly ok: true;
        /** ξ̂₀ (dimensionless). */
        readonly xi: number;
        /** Its standard error, when the JSON has it. */
        readonly xiStdErr?: number;
      }
    | FailedFit;
  /** The resolution frontier's exponent α̂. */
  readonly frontier?:
    | {
        /** Always true. */
        readonly ok: true;
        /** α̂ = −dℓ̄_D/d ln t (dimensionless). */
        readonly exponent: number;
        /** Its standard error, when the JSON has it. */
        readonly exponentStdErr?: number;
      }
    | FailedFit;
}

/** The `theory` fields the figures read. */
export interface FigureTheory {
  /** Inertial window [first, last + 1) of window-shell indices. */
  readonly window: readonly [number, number] | readonly number[];
  /** Renormalized couplings 𝒦_αβ over the window shells, one row per shell (units 1/time). */
  readonly couplings: readonly (readonly number[])[];
  /** The LSI statistic; null when not computed (`reason` says why). */
  readonly lsi: {
    /** ε_LSI (dimensionless). */
    readonly epsilon: number;
  } | null;
  /** The shell-permutation test of LSI; null or absent when not computed. */
  readonly permutation?: {
    /** Its p-value. */
    readonly pValue: number;
  } | null;
  /** Why `lsi` is null, when it is. */
  readonly reason?: string;
}

/**
 * The renormalizability remainder |R_α|/D_α per window shell (docs/conditions.md), when the analysis
 * has it: one row per interval, null where D_α is below its floor.
 */
export interface FigureRemainder {
  /** One row per interval. */
  readonly perInterval: readonly {
    /** Start of the interval. */
    readonly t0: number;
    /** End of the interval. */
    readonly t1: number;
    /** |R_α|/D_α per window shell (null where D_α is below its floor). */
    readonly ratio: readonly (number | null)[];
  }[];
  /** Σ_i|R_α,i|Δt_i / Σ_i D_α,i Δt_i per window shell over the run (null below the floor). */
  readonly perShell?: readonly (number | null)[];
  /** The inertial window [first, last + 1) the summary covers. */
  readonly window?: readonly [number, number];
  /** The |R|/D level below which the closure holds (drawn as a rule), when stated. */
  readonly threshold?: number;
}

/** One condition verdict. */
export interface FigureCondition {
  /** `pass`, `marginal`, `fail` or `not-computable`. */
  readonly verdict: string;
  /** null; | The condition's primary diagnostic; null when not computable. */
  readonly value: number | null;
  /** Why the verdict, in words. */
  readonly reason: string;
}

/** Everything the figures and the run header read (a subset of the analysis JSON). */
export interface FigureSource {
  /** timeScale of the run: λ = timeScale·θ (docs/math.md). */
  readonly timeScale: number;
  /** Unit of t, from the manifest's `timeUnit` ("steps", "gradient-flow time", …), when stated. */
  readonly timeUnit?: string;
  /** The backend section of the analysis JSON (which device and precision), when present. */
  readonly backend?: Record<string, unknown>;
  /** The shell grid. */
  readonly grid: FigureGrid;
  /** Every checkpoint, in order. */
  readonly checkpoints: readonly FigureCheckpoint[];
  /** Every interval, in order. */
  readonly intervals: readonly FigureInterval[];
  /** The fits the figures draw, when the analysis has them. */
  readonly fits?: FigureFits;
  /** The couplings and LSI, when the analysis has them. */
  readonly theory?: FigureTheory;
  /** The verdicts by condition name (C1 … C4), when the analysis has them. */
  readonly conditions?: Record<string, FigureCondition>;
  /** The renormalizability remainder, when the analysis has it. */
  readonly renormalizability?: FigureRemainder;
  /** Per interval, each layer's share of Σ|T| in the exact Kato split (when per-layer kernels were given). */
  readonly layers?: readonly FigureLayerShares[];
  /** Whether the analysis carries the series' coverage (its warnings then speak for the ⊥ share). */
  readonly coverage?: boolean;
  /** What the analysis says makes its numbers less reliable (`coverage.warnings` and schema 2 `warnings`). */
  readonly warnings?: readonly string[];
}

/** Each layer's share of the Kato transport mass Σ_στ |T^(l)_στ| in one interval. */
export interface FigureLayerShares {
  /** Start of the interval. */
  readonly t0: number;
  /** End of the interval. */
  readonly t1: number;
  /** Share of each layer (in the order of the per-layer kernels); they sum to 1 (all 0 without transport). */
  readonly shares: readonly number[];
}

type Json = Record<string, unknown>;
const numbers = (v: unknown): number[] =>
  Array.isArray(v) ? (v as number[]) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : [];
const pick = <T extends Json>(o: Json, keys: readonly string[]): T =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as T;

/** The renormalizability section in the figures' form, from the analysis JSON's layout (see docs/formats.md). */
function remainder(json: Json): FigureRemainder | undefined {
  // `theory.renormalizability` (schema 2): { ok, window, ratios[interval][shell], perShell[shell], … } or { ok: false, reason }.
  const r = (json.theory as Json | undefined)?.renormalizability as Json | undefined;
  if (!r || typeof r !== 'object' || r.ok !== true || !Array.isArray(r.ratios)) return undefined;
  const intervals = json.intervals as Json[];
  const ratios = r.ratios as (number | null)[][];
  if (ratios.length !== intervals.length) return undefined;
  return {
    perInterval: ratios.map((ratio, i) => ({ t0: intervals[i]!.t0 as number, t1: intervals[i]!.t1 as number, ratio })),
    ...(Array.isArray(r.perShell) ? { perShell: r.perShell as (number | null)[] } : {}),
    ...(Array.isArray(r.window) ? { window: r.window as [number, number] } : {}),
    ...(typeof r.threshold === 'number' ? { threshold: r.threshold } : {}),
  };
}

/** Σ|T^(l)| / Σ_l Σ|T^(l)| per interval from the intervals' `kato.perLayer` matrices (none without layers). */
function layerShares(intervals: readonly Json[]): FigureLayerShares[] | undefined {
  const out: FigureLayerShares[] = [];
  for (const iv of intervals) {
    const kato = iv.kato as Json | null | undefined;
    // A slimmed document (slimAnalysisJson) keeps only the shares.
    if (Array.isArray(kato?.layerShares) && (kato.layerShares as number[]).length > 0) {
      out.push({ t0: iv.t0 as number, t1: iv.t1 as number, shares: kato.layerShares as number[] });
      continue;
    }
    const per = kato?.perLayer as number[][][] | undefined;
    if (!Array.isArray(per) || per.length === 0) return undefined;
    const mass = per.map((m) => m.reduce((s, row) => s + row.reduce((r, v) => r + Math.abs(v), 0), 0));
    const total = mass.reduce((a, v) => a + v, 0);
    out.push({ t0: iv.t0 as number, t1: iv.t1 as number, shares: mass.map((v) => (total > 0 ? v / total : 0)) });
  }
  return out.length ? out : undefined;
}

/**
 * The figure source of an analysis JSON object (what `grsd analyze --json` writes, or
 * `analysisJson(...)` returns): only the fields the figures draw, so it is small enough to send to
 * a page at every checkpoint. Unknown extra fields are ignored; missing optional sections are
 * left out (the figures that need them are then not drawn).
 */
export function figureSource(json: Json): FigureSource {
  const grid = json.grid as Json;
  const checkpoints = (json.checkpoints as Json[]).map((c): FigureCheckpoint => ({
    index: c.index as number,
    t: c.t as number,
    loss: c.loss as number,
    residualNorm2: c.residualNorm2 as number,
    energy: numbers(c.energy),
    ...(c.counts === undefined ? {} : { counts: numbers(c.counts) }),
    eigenvalues: numbers(c.eigenvalues),
  }));
  const intervals = (json.intervals as Json[]).map((iv): FigureInterval => ({
    index: iv.index as number,
    t0: iv.t0 as number,
    t1: iv.t1 as number,
    flux: numbers(iv.flux),
    velocityBoundaries: numbers(iv.velocityBoundaries),
    velocity: iv.velocity as (number | null)[],
    ...(iv.checks === undefined ? {} : { checks: iv.checks as NonNullable<FigureInterval['checks']> }),
  }));
  const fits = json.fits as Json | undefined;
  const theory = json.theory as Json | undefined;
  const r = remainder(json);
  const layers = layerShares(json.intervals as Json[]);
  // The analysis's warnings: the series' coverage (clamped eigenvalues, ⊥, rank shortfalls) and the fits' (schema 2).
  const warnings = [
    ...new Set(
      [(json.coverage as Json | undefined)?.warnings, json.warnings]
        .flatMap((w) => (Array.isArray(w) ? (w as unknown[]) : []))
        .filter((w): w is string => typeof w === 'string'),
    ),
  ];
  return {
    timeScale: json.timeScale as number,
    ...(typeof json.timeUnit === 'string' ? { timeUnit: json.timeUnit } : {}),
    ...(json.backend === undefined ? {} : { backend: json.backend as Record<string, unknown> }),
    grid: pick<FigureGrid & Json>(grid, ['count', 'width', 'lambdaRef', 'floor', 'edges', 'centers', 'floorIndex', 'complementIndex']),
    checkpoints,
    intervals,
    ...(fits
      ? {
          fits: {
            ...pick<Json>(fits, ['lossExponent', 'rigidity', 'spectrumExponent', 'frontier']),
            ...(Array.isArray(fits.velocity)
              ? {
                  velocity: (fits.velocity as Json[]).map((f) =>
                    f.ok ? pick<Json>(f, ['ok', 't0', 't1', 'a', 'aStdErr', 'c', 'lambdas', 'speeds']) : pick<Json>(f, ['ok', 'reason']),
                  ),
                }
              : {}),
            ...(Array.isArray(fits.lazyPrediction)
              ? { lazyPrediction: (fits.lazyPrediction as Json[]).map((p) => ({ t: p.t as number, predicted: p.predicted as number })) }
              : {}),
          } as unknown as FigureFits,
        }
      : {}),
    ...(theory
      ? {
          theory: {
            window: theory.window as [number, number],
            couplings: theory.couplings as number[][],
            lsi: theory.lsi ? { epsilon: (theory.lsi as Json).epsilon as number } : null,
            ...(theory.permutation ? { permutation: { pValue: (theory.permutation as Json).pValue as number } } : {}),
            ...(typeof theory.reason === 'string' ? { reason: theory.reason } : {}),
          },
        }
      : {}),
    ...(json.conditions
      ? {
          conditions: Object.fromEntries(
            Object.entries(json.conditions as Record<string, Json>).map(([k, c]) => [
              k,
              { verdict: c.verdict as string, value: (c.value ?? null) as number | null, reason: c.reason as string },
            ]),
          ),
        }
      : {}),
    ...(r ? { renormalizability: r } : {}),
    ...(layers ? { layers } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(json.coverage ? { coverage: true } : {}),
  };
}

/** The run header: what a reader needs to judge the analysis before reading a figure. */
export interface RunFacts {
  /** Residual length n = N·C (probe points × outputs); NaN when the first checkpoint has no `counts`. */
  readonly n: number;
  /** Probe points N of the loss ‖e‖²/(2N); NaN when the first loss is 0. */
  readonly probePoints: number;
  /** Eigenpairs computed per checkpoint (the rest of the residual is ⊥): the smallest and largest over the checkpoints. */
  readonly rank: number;
  /** Largest number of eigenpairs computed at a checkpoint. */
  readonly rankMax: number;
  /** timeScale of the run: λ = timeScale·θ. */
  readonly timeScale: number;
  /** Unit of t (the manifest's `timeUnit`); null when not stated. */
  readonly timeUnit: string | null;
  /** Number of checkpoints. */
  readonly checkpoints: number;
  /** Number of intervals. */
  readonly intervals: number;
  /** Number of window shells. */
  readonly shells: number;
  /** Shells per decade of λ (ln 10/h). */
  readonly shellsPerDecade: number;
  /** λ_floor, the window's lowest boundary (units 1/time). */
  readonly floor: number;
  /** Largest eigenvalue over the checkpoints (units 1/time; 0 without eigenpairs). */
  readonly lambdaMax: number;
  /** Largest share of ‖e‖² in ⊥ over the checkpoints. */
  readonly maxComplementShare: number;
  /** Largest share of ‖e‖² in ∅ over the checkpoints. */
  readonly maxFloorShare: number;
}

/** Reads the run header off a figure source (n from the shell counts, N from ‖e‖² and L). */
export function runFacts(source: FigureSource): RunFacts {
  const first = source.checkpoints[0];
  const g = source.grid;
  const n = first?.counts ? Math.round(first.counts.reduce((a, v) => a + v, 0)) : NaN;
  const probePoints = first && first.loss > 0 ? Math.round(first.residualNorm2 / (2 * first.loss)) : NaN;
  const share = (c: FigureCheckpoint, i: number) => (c.residualNorm2 > 0 ? Math.max(0, c.energy[i]!) / c.residualNorm2 : 0);
  return {
    n,
    probePoints,
    rank: source.checkpoints.reduce((m, c) => Math.min(m, c.eigenvalues.length), first?.eigenvalues.length ?? 0),
    rankMax: source.checkpoints.reduce((m, c) => Math.max(m, c.eigenvalues.length), 0),
    timeScale: source.timeScale,
    timeUnit: source.timeUnit ?? null,
    checkpoints: source.checkpoints.length,
    intervals: source.intervals.length,
    shells: g.count,
    shellsPerDecade: Math.LN10 / g.width,
    floor: g.floor,
    lambdaMax: source.checkpoints.reduce((m, c) => Math.max(m, c.eigenvalues[0] ?? 0), 0),
    maxComplementShare: source.checkpoints.reduce((m, c) => Math.max(m, share(c, g.complementIndex)), 0),
    maxFloorShare: source.checkpoints.reduce((m, c) => Math.max(m, share(c, g.floorIndex)), 0),
  };
}
