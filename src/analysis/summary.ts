/**
 * Flat rows for tables and DataFrames, in the spirit of WeightWatcher's `details` frame:
 * {@link summary} gives one row per run (a single analysis, a series with its analysis, or every
 * architecture × depth run of a study), {@link checkpointSummary} one row per checkpoint. Every
 * cell is a finite number, a string, a boolean or `null` (never NaN, Infinity or an array), so
 * the rows go straight into `console.table`, a CSV writer, or `pandas.DataFrame(rows)` through
 * JSON.
 *
 * Columns are declared once, in the tables below (name → description and value). Adding a
 * quantity is one entry in a table: the row types and {@link SUMMARY_COLUMNS} follow from it.
 * The meaning of every quantity is in docs/math.md.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { GrsdAnalysis } from './grsdAnalysis.ts';
import type { CheckpointResult, SeriesResult } from './series.ts';

/** One cell of a summary row. */
export type SummaryCell = number | string | boolean | null;

interface Column<Source> {
  readonly description: string;
  readonly value: (source: Source) => SummaryCell;
}

/** A finite number, or null (NaN and ±Infinity are not data a table should carry). */
const finite = (x: number | null | undefined): number | null => (x !== null && x !== undefined && Number.isFinite(x) ? x : null);

/** Run-level quantities of an analysis (the four verdicts, the exponents, ε_LSI). */
const ANALYSIS_COLUMNS = {
  /** Loss exponent ξ from the loss curve (dimensionless, `fits.lossExponent`); null when that fit failed. */
  xi: {
    description: 'loss exponent ξ: L ∝ t^−ξ fitted on the tail of the loss curve (null when not fitted)',
    value: (a: GrsdAnalysis): number | null => (a.fits.lossExponent.ok ? finite(a.fits.lossExponent.xi) : null),
  },
  /** Standard error of ξ (statistical only); null when the fit failed. */
  xiStdErr: {
    description: 'standard error of ξ',
    value: (a: GrsdAnalysis): number | null => (a.fits.lossExponent.ok ? finite(a.fits.lossExponent.xiStdErr) : null),
  },
  /** ξ̂₀ from the first checkpoint's shell spectrum (`fits.spectrumExponent`); null when not fitted. */
  xiInitial: {
    description: 'ξ̂₀ from the initial shell spectrum',
    value: (a: GrsdAnalysis): number | null => (a.fits.spectrumExponent.ok ? finite(a.fits.spectrumExponent.xi) : null),
  },
  /** Exponent α̂ = −dℓ̄_D/d ln t of the resolution frontier (`fits.frontier`); null when not fitted. */
  frontierExponent: {
    description: 'exponent α̂ of the resolution frontier ℓ̄_D(t)',
    value: (a: GrsdAnalysis): number | null => (a.fits.frontier.ok ? finite(a.fits.frontier.exponent) : null),
  },
  /** Velocity exponent a of v = c(t)·λ^a, mean over the fitted windows (`fits.rigidity`); null with fewer than 2. */
  a: {
    description: 'velocity exponent a: mean over the fitted windows of v = c(t)·λ^a',
    value: (a: GrsdAnalysis): number | null => (a.fits.rigidity.ok ? finite(a.fits.rigidity.aMean) : null),
  },
  /** Sample standard deviation of a across the fitted windows; null with fewer than 2. */
  aStd: {
    description: 'standard deviation of a across windows (rigidity)',
    value: (a: GrsdAnalysis): number | null => (a.fits.rigidity.ok ? finite(a.fits.rigidity.aStd) : null),
  },
  /** Number of intervals whose velocity fit succeeded. */
  aWindows: {
    description: 'number of intervals whose velocity was fitted',
    value: (a: GrsdAnalysis): number => a.fits.velocity.filter((f) => f.ok).length,
  },
  /** ε_LSI, the log-shift-invariance defect of the couplings (dimensionless, 0 = exact); null when not computed (`theory.reason`). */
  epsilonLSI: {
    description: 'ε_LSI, the log-shift invariance defect of the renormalized couplings (null when not computable)',
    value: (a: GrsdAnalysis): number | null => finite(a.theory.lsi?.epsilon),
  },
  /** The a implied by LSI, 1 + ln ρ̂₁/h; null when LSI was not computed or ρ̂₁ ≤ 0. */
  lsiExponent: {
    description: 'a implied by log-shift invariance, 1 + ln ρ̂₁/h',
    value: (a: GrsdAnalysis): number | null => finite(a.theory.lsi?.impliedExponent),
  },
  /** p-value of LSI's shell-permutation test; null when not computed. */
  lsiPValue: {
    description: 'p-value of the shell-permutation test of LSI',
    value: (a: GrsdAnalysis): number | null => finite(a.theory.permutation?.pValue),
  },
  /** Verdict of C1: `pass`, `marginal`, `fail` or `not-computable`. */
  C1: { description: 'verdict of condition C1', value: (a: GrsdAnalysis): string => a.conditions.C1.verdict },
  /** Verdict of C2. */
  C2: { description: 'verdict of condition C2', value: (a: GrsdAnalysis): string => a.conditions.C2.verdict },
  /** Verdict of C3. */
  C3: { description: 'verdict of condition C3', value: (a: GrsdAnalysis): string => a.conditions.C3.verdict },
  /** Verdict of C4. */
  C4: { description: 'verdict of condition C4', value: (a: GrsdAnalysis): string => a.conditions.C4.verdict },
  /** C1's primary diagnostic: the coupling reach w₀.₉·h (in ln λ), else the first computed sub-diagnostic; null when not computable. */
  C1Value: { description: "C1's primary diagnostic", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C1.value) },
  /** C2's primary diagnostic: the median participation ratio PR_α(0), else the first computed one; null when not computable. */
  C2Value: { description: "C2's primary diagnostic", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C2.value) },
  /** C3's primary diagnostic: the largest eigenvalue migration per interval, in shells; null when not computable. */
  C3Value: { description: "C3's primary diagnostic", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C3.value) },
  /** C4's primary diagnostic, ε_LSI; null when not computable. */
  C4Value: { description: "C4's primary diagnostic (ε_LSI)", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C4.value) },
} as const satisfies Record<string, Column<GrsdAnalysis>>;

/** Run-level quantities that need the series (the checkpoints). */
const SERIES_COLUMNS = {
  /** Number of checkpoints in the series. */
  checkpoints: { description: 'number of checkpoints', value: (s: SeriesResult): number => s.checkpoints.length },
  /** Time of the first checkpoint (run time unit). */
  tFirst: { description: 'time of the first checkpoint', value: (s: SeriesResult): number | null => finite(s.checkpoints[0]?.t) },
  /** Time of the last checkpoint (run time unit). */
  tLast: { description: 'time of the last checkpoint', value: (s: SeriesResult): number | null => finite(s.checkpoints.at(-1)?.t) },
  /** Loss L = ‖e‖²/(2N) at the first checkpoint. */
  lossFirst: {
    description: 'loss L = ‖e‖²/(2N) at the first checkpoint',
    value: (s: SeriesResult): number | null => finite(s.checkpoints[0]?.loss),
  },
  /** Loss at the last checkpoint. */
  lossFinal: { description: 'loss at the last checkpoint', value: (s: SeriesResult): number | null => finite(s.checkpoints.at(-1)?.loss) },
} as const satisfies Record<string, Column<SeriesResult>>;

/** A checkpoint with the grid it was binned on. */
interface CheckpointSource {
  readonly checkpoint: CheckpointResult;
  readonly series: SeriesResult;
}

const energyShare = ({ checkpoint: c }: CheckpointSource, index: number): number | null =>
  c.residualNorm2 > 0 ? finite(c.energy[index]! / c.residualNorm2) : null;

/** Per-checkpoint quantities. */
const CHECKPOINT_COLUMNS = {
  /** Index of the checkpoint in the series (0-based). */
  index: { description: 'checkpoint index', value: (s: CheckpointSource): number => s.checkpoint.index },
  /** Time of the checkpoint (run time unit). */
  t: { description: 'time of the checkpoint', value: (s: CheckpointSource): number => s.checkpoint.t },
  /** Loss L = ‖e‖²/(2N). */
  loss: { description: 'loss L = ‖e‖²/(2N)', value: (s: CheckpointSource): number | null => finite(s.checkpoint.loss) },
  /** ‖e‖², the squared residual norm. */
  residualNorm2: { description: '‖e‖²', value: (s: CheckpointSource): number | null => finite(s.checkpoint.residualNorm2) },
  /** Eigenpairs computed at this checkpoint (r). */
  eigenpairs: { description: 'eigenpairs computed (r)', value: (s: CheckpointSource): number => s.checkpoint.eigenvalues.length },
  /** Largest computed eigenvalue λ = timeScale·θ (units 1/time); null without eigenpairs. */
  lambdaMax: {
    description: 'largest eigenvalue λ = timeScale·θ',
    value: (s: CheckpointSource): number | null => finite(s.checkpoint.eigenvalues[0]),
  },
  /** Share of ‖e‖² in the window shells (dimensionless); null when ‖e‖² = 0. */
  energyWindow: {
    description: 'fraction of ‖e‖² in the window shells (resolved eigenvalues)',
    value: (s: CheckpointSource): number | null => {
      const { checkpoint: c, series } = s;
      if (!(c.residualNorm2 > 0)) return null;
      let sum = 0;
      for (let a = 0; a < series.grid.count; a++) sum += c.energy[a]!;
      return finite(sum / c.residualNorm2);
    },
  },
  /** Share of ‖e‖² in ∅, eigenvalues below the floor; null when ‖e‖² = 0. */
  energyFloor: {
    description: 'fraction of ‖e‖² in ∅ (eigenvalues below the floor)',
    value: (s: CheckpointSource): number | null => energyShare(s, s.series.grid.floorIndex),
  },
  /** Share of ‖e‖² in ⊥, outside the computed eigenvectors; null when ‖e‖² = 0. */
  energyComplement: {
    description: 'fraction of ‖e‖² in ⊥ (outside the computed eigenvectors)',
    value: (s: CheckpointSource): number | null => energyShare(s, s.series.grid.complementIndex),
  },
  /** Eigenvalues within τ_b = 1e-4 (in ln λ) of a shell boundary. */
  boundaryFlagged: {
    description: 'eigenvalues within the tolerance of a shell boundary',
    value: (s: CheckpointSource): number => s.checkpoint.boundaryFlagged,
  },
  /** Eigenvalues above the grid's top boundary, clamped into the top shell. */
  clampedAbove: {
    description: 'eigenvalues above the window, clamped into the top shell',
    value: (s: CheckpointSource): number => s.checkpoint.clampedAbove,
  },
  /** Lanczos steps taken; null on the cpu backend. */
  lanczosSteps: {
    description: 'Lanczos steps (null on the cpu backend)',
    value: (s: CheckpointSource): number | null => s.checkpoint.lanczos?.steps ?? null,
  },
  /** Converged Ritz values; null on the cpu backend. */
  lanczosConverged: {
    description: 'converged Ritz values (null on the cpu backend)',
    value: (s: CheckpointSource): number | null => s.checkpoint.lanczos?.converged ?? null,
  },
} as const satisfies Record<string, Column<CheckpointSource>>;

/** A row of a column table: each column's name and value type (inlined where used, so the docs list the columns). @inline */
type RowOf<Table extends Record<string, Column<never>>> = { readonly [K in keyof Table]: ReturnType<Table[K]['value']> };

/** The identity of one run of a study. */
export interface StudyRunKey {
  /** Architecture of the run (e.g. `mlp`, `resnet`). */
  readonly architecture: string;
  /** Depth of the run (layers or blocks). */
  readonly depth: number;
}

/** One row of `summary(analysis)`. @useDeclaredType */
export type AnalysisSummaryRow = RowOf<typeof ANALYSIS_COLUMNS>;
/** One row of `summary({ series, analysis })`. @useDeclaredType */
export type RunSummaryRow = RowOf<typeof SERIES_COLUMNS> & AnalysisSummaryRow;
/** One row of `summary(study)`: the run's architecture and depth, then the run's columns. */
export type StudySummaryRow = StudyRunKey & RunSummaryRow;
/** One row of `checkpointSummary(series)`. @useDeclaredType */
export type CheckpointSummaryRow = RowOf<typeof CHECKPOINT_COLUMNS>;
/** One row of `checkpointSummary(study)`. */
export type StudyCheckpointSummaryRow = StudyRunKey & CheckpointSummaryRow;

/** A series with its analysis (e.g. one run of a depth study). */
export interface AnalyzedRun {
  /** The series result (`analyzeSeries`). */
  readonly series: SeriesResult;
  /** Its analysis (`analyzeGrsd`). */
  readonly analysis: GrsdAnalysis;
}

/** A study: runs keyed by architecture and depth (a `DepthStudy` from `grsd/lab` is one). */
export interface AnalyzedStudy {
  /** The runs, each with its architecture, depth, series and analysis. */
  readonly runs: readonly (StudyRunKey & AnalyzedRun)[];
}

const STUDY_KEY_COLUMNS: Record<keyof StudyRunKey, string> = {
  architecture: 'architecture of the run (study rows)',
  depth: 'depth of the run (study rows)',
};

/** Every column: its name and what it holds (for table headers and data dictionaries). */
export const SUMMARY_COLUMNS: {
  /** Columns of `summary` rows (study rows included). */
  readonly run: Readonly<Record<keyof StudySummaryRow, string>>;
  /** Columns of `checkpointSummary` rows (study rows included). */
  readonly checkpoint: Readonly<Record<keyof StudyCheckpointSummaryRow, string>>;
} = {
  run: { ...STUDY_KEY_COLUMNS, ...descriptions(SERIES_COLUMNS), ...descriptions(ANALYSIS_COLUMNS) },
  checkpoint: { ...STUDY_KEY_COLUMNS, ...descriptions(CHECKPOINT_COLUMNS) },
};

function descriptions<Table extends Record<string, Column<never>>>(table: Table): Record<keyof Table, string> {
  return Object.fromEntries(Object.entries(table).map(([name, c]) => [name, c.description])) as Record<keyof Table, string>;
}

function row<Source, Table extends Record<string, Column<Source>>>(table: Table, source: Source): RowOf<Table> {
  return Object.fromEntries(Object.entries(table).map(([name, c]) => [name, c.value(source)])) as RowOf<Table>;
}

const isStudy = (x: object): x is AnalyzedStudy => 'runs' in x && Array.isArray((x as AnalyzedStudy).runs);
const isRun = (x: object): x is AnalyzedRun => 'series' in x && 'analysis' in x;
const isAnalysis = (x: object): x is GrsdAnalysis => 'fits' in x && 'theory' in x && 'conditions' in x;

function runRow(run: AnalyzedRun): RunSummaryRow {
  return { ...row(SERIES_COLUMNS, run.series), ...row(ANALYSIS_COLUMNS, run.analysis) };
}

/**
 * One flat row per run: the exponents ξ and a, ε_LSI, the four verdicts and their diagnostics,
 * and (when the series is given) the checkpoint count and the first and last loss. A study gives
 * one row per run, led by its `architecture` and `depth`.
 *
 * @param input - an analysis (`analyzeGrsd`), a `{ series, analysis }` pair, or a study whose
 *   `runs` carry `architecture`, `depth`, `series` and `analysis` (a `DepthStudy` from `grsd/lab`).
 * @returns rows whose columns are described in {@link SUMMARY_COLUMNS}`.run`.
 * @example
 * ```ts
 * console.table(summary(analyzeGrsd(series)));
 * console.table(summary(await runDepthStudy(ctx, config)));   // one row per architecture × depth
 * ```
 */
export function summary(input: AnalyzedStudy): StudySummaryRow[];
export function summary(input: AnalyzedRun): RunSummaryRow[];
export function summary(input: GrsdAnalysis): AnalysisSummaryRow[];
export function summary(input: AnalyzedStudy | AnalyzedRun | GrsdAnalysis): (StudySummaryRow | RunSummaryRow | AnalysisSummaryRow)[] {
  if (typeof input === 'object' && input !== null) {
    if (isStudy(input)) return input.runs.map((r) => ({ architecture: r.architecture, depth: r.depth, ...runRow(r) }));
    if (isRun(input)) return [runRow(input)];
    if (isAnalysis(input)) return [row(ANALYSIS_COLUMNS, input)];
  }
  throw new InvalidArgumentError('input', 'expected an analysis (analyzeGrsd), a { series, analysis } pair or a study with runs');
}

/**
 * One flat row per checkpoint: time, loss, the eigenpairs computed, where the residual's energy
 * sits (window shells, ∅, ⊥) and the solver's diagnostics. A study gives every run's checkpoints,
 * each row led by its run's `architecture` and `depth` (long format).
 *
 * @param input - a series result (`analyzeSeries`) or a study (see {@link summary}).
 * @returns rows whose columns are described in {@link SUMMARY_COLUMNS}`.checkpoint`.
 */
export function checkpointSummary(input: AnalyzedStudy): StudyCheckpointSummaryRow[];
export function checkpointSummary(input: SeriesResult): CheckpointSummaryRow[];
export function checkpointSummary(input: AnalyzedStudy | SeriesResult): (StudyCheckpointSummaryRow | CheckpointSummaryRow)[] {
  const rows = (series: SeriesResult): CheckpointSummaryRow[] =>
    series.checkpoints.map((checkpoint) => row(CHECKPOINT_COLUMNS, { checkpoint, series }));
  if (typeof input === 'object' && input !== null) {
    if (isStudy(input))
      return input.runs.flatMap((r) => rows(r.series).map((c) => ({ architecture: r.architecture, depth: r.depth, ...c })));
    if ('checkpoints' in input && 'grid' in input) return rows(input);
  }
  throw new InvalidArgumentError('input', 'expected a series result (analyzeSeries) or a study with runs');
}
