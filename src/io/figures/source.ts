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
  readonly ok: false;
  readonly reason: string;
}

/** The shell grid fields the figures read. */
export interface FigureGrid {
  readonly count: number;
  readonly width: number;
  readonly lambdaRef: number;
  readonly floor: number;
  /** count + 1 shell boundaries. */
  readonly edges: readonly number[];
  /** count geometric shell centres. */
  readonly centers: readonly number[];
  readonly floorIndex: number;
  readonly complementIndex: number;
}

/** One checkpoint: shell arrays have grid.count + 2 entries (window shells, ∅, ⊥). */
export interface FigureCheckpoint {
  readonly index: number;
  readonly t: number;
  readonly loss: number;
  readonly residualNorm2: number;
  readonly energy: readonly number[];
  readonly counts?: readonly number[];
  /** Computed eigenvalues, descending. */
  readonly eigenvalues: readonly number[];
}

/** One interval: Π at the boundaries b_{alphaMin+i} (i < count); v at the interior ones (null where undefined). */
export interface FigureInterval {
  readonly index: number;
  readonly t0: number;
  readonly t1: number;
  readonly flux: readonly number[];
  readonly velocityBoundaries: readonly number[];
  readonly velocity: readonly (number | null)[];
  readonly checks?: Record<
    string,
    {
      readonly value: number;
      readonly threshold: number;
      /** false only for a failed check (a not-applicable one passes). */
      readonly pass: boolean;
      readonly status?: string;
      readonly description?: string;
      /** What a failed or not-applicable check means and what to do (schema 2). */
      readonly message?: string;
    }
  >;
}

export interface FigureVelocityFit {
  readonly ok: true;
  readonly t0: number;
  readonly t1: number;
  readonly a: number;
  readonly aStdErr?: number;
  readonly c: number;
  readonly lambdas: readonly number[];
  readonly speeds: readonly number[];
}

export interface FigureLossFit {
  readonly ok: true;
  readonly xi: number;
  readonly xiStdErr: number;
  readonly tMin: number;
  readonly tMax: number;
  /** 'finite-spectrum' or 'power-law' (schema 2). */
  readonly model?: string;
  /** The plain power-law slope over the same points (schema 2). */
  readonly xiPowerLaw?: number;
}

/** The `fits` fields the figures read. */
export interface FigureFits {
  readonly velocity?: readonly (FigureVelocityFit | FailedFit)[];
  readonly lossExponent?: FigureLossFit | FailedFit;
  readonly lazyPrediction?: readonly { readonly t: number; readonly predicted: number }[];
  readonly rigidity?: { readonly ok: true; readonly aMean: number; readonly aStd: number; readonly windows: number } | FailedFit;
  readonly spectrumExponent?: { readonly ok: true; readonly xi: number; readonly xiStdErr?: number } | FailedFit;
  readonly frontier?: { readonly ok: true; readonly exponent: number; readonly exponentStdErr?: number } | FailedFit;
}

/** The `theory` fields the figures read. */
export interface FigureTheory {
  /** Inertial window [first, last + 1) of window-shell indices. */
  readonly window: readonly [number, number] | readonly number[];
  readonly couplings: readonly (readonly number[])[];
  readonly lsi: { readonly epsilon: number } | null;
  readonly permutation?: { readonly pValue: number } | null;
  readonly reason?: string;
}

/**
 * The renormalizability remainder |R_α|/D_α per window shell (docs/conditions.md), when the analysis
 * has it: one row per interval, null where D_α is below its floor.
 */
export interface FigureRemainder {
  readonly perInterval: readonly { readonly t0: number; readonly t1: number; readonly ratio: readonly (number | null)[] }[];
  /** Σ_i|R_α,i|Δt_i / Σ_i D_α,i Δt_i per window shell over the run (null below the floor). */
  readonly perShell?: readonly (number | null)[];
  /** The inertial window [first, last + 1) the summary covers. */
  readonly window?: readonly [number, number];
  /** The |R|/D level below which the closure holds (drawn as a rule), when stated. */
  readonly threshold?: number;
}

/** One condition verdict. */
export interface FigureCondition {
  readonly verdict: string;
  readonly value: number | null;
  readonly reason: string;
}

/** Everything the figures and the run header read (a subset of the analysis JSON). */
export interface FigureSource {
  readonly timeScale: number;
  /** Unit of t, from the manifest's `timeUnit` ("steps", "gradient-flow time", …), when stated. */
  readonly timeUnit?: string;
  readonly backend?: Record<string, unknown>;
  readonly grid: FigureGrid;
  readonly checkpoints: readonly FigureCheckpoint[];
  readonly intervals: readonly FigureInterval[];
  readonly fits?: FigureFits;
  readonly theory?: FigureTheory;
  readonly conditions?: Record<string, FigureCondition>;
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
  readonly t0: number;
  readonly t1: number;
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
  /** Residual length n = N·C (probe points × outputs). */
  readonly n: number;
  /** Probe points N of the loss ‖e‖²/(2N). */
  readonly probePoints: number;
  /** Eigenpairs computed per checkpoint (the rest of the residual is ⊥): the smallest and largest over the checkpoints. */
  readonly rank: number;
  readonly rankMax: number;
  readonly timeScale: number;
  readonly timeUnit: string | null;
  readonly checkpoints: number;
  readonly intervals: number;
  readonly shells: number;
  readonly shellsPerDecade: number;
  readonly floor: number;
  readonly lambdaMax: number;
  /** Largest share of ‖e‖² in ⊥ and in ∅ over the checkpoints. */
  readonly maxComplementShare: number;
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
