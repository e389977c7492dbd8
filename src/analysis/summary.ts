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
  xi: {
    description: 'loss exponent ξ: L ∝ t^−ξ fitted on the tail of the loss curve (null when not fitted)',
    value: (a: GrsdAnalysis): number | null => (a.fits.lossExponent.ok ? finite(a.fits.lossExponent.xi) : null),
  },
  xiStdErr: {
    description: 'standard error of ξ',
    value: (a: GrsdAnalysis): number | null => (a.fits.lossExponent.ok ? finite(a.fits.lossExponent.xiStdErr) : null),
  },
  xiInitial: {
    description: 'ξ̂₀ from the initial shell spectrum',
    value: (a: GrsdAnalysis): number | null => (a.fits.spectrumExponent.ok ? finite(a.fits.spectrumExponent.xi) : null),
  },
  frontierExponent: {
    description: 'exponent α̂ of the resolution frontier ℓ̄_D(t)',
    value: (a: GrsdAnalysis): number | null => (a.fits.frontier.ok ? finite(a.fits.frontier.exponent) : null),
  },
  a: {
    description: 'velocity exponent a: mean over the fitted windows of v = c(t)·λ^a',
    value: (a: GrsdAnalysis): number | null => (a.fits.rigidity.ok ? finite(a.fits.rigidity.aMean) : null),
  },
  aStd: {
    description: 'standard deviation of a across windows (rigidity)',
    value: (a: GrsdAnalysis): number | null => (a.fits.rigidity.ok ? finite(a.fits.rigidity.aStd) : null),
  },
  aWindows: {
    description: 'number of intervals whose velocity was fitted',
    value: (a: GrsdAnalysis): number => a.fits.velocity.filter((f) => f.ok).length,
  },
  epsilonLSI: {
    description: 'ε_LSI, the log-shift invariance defect of the renormalized couplings (null when not computable)',
    value: (a: GrsdAnalysis): number | null => finite(a.theory.lsi?.epsilon),
  },
  lsiExponent: {
    description: 'a implied by log-shift invariance, 1 + ln ρ̂₁/h',
    value: (a: GrsdAnalysis): number | null => finite(a.theory.lsi?.impliedExponent),
  },
  lsiPValue: {
    description: 'p-value of the shell-permutation test of LSI',
    value: (a: GrsdAnalysis): number | null => finite(a.theory.permutation?.pValue),
  },
  C1: { description: 'verdict of condition C1', value: (a: GrsdAnalysis): string => a.conditions.C1.verdict },
  C2: { description: 'verdict of condition C2', value: (a: GrsdAnalysis): string => a.conditions.C2.verdict },
  C3: { description: 'verdict of condition C3', value: (a: GrsdAnalysis): string => a.conditions.C3.verdict },
  C4: { description: 'verdict of condition C4', value: (a: GrsdAnalysis): string => a.conditions.C4.verdict },
  C1Value: { description: "C1's primary diagnostic", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C1.value) },
  C2Value: { description: "C2's primary diagnostic", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C2.value) },
  C3Value: { description: "C3's primary diagnostic", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C3.value) },
  C4Value: { description: "C4's primary diagnostic (ε_LSI)", value: (a: GrsdAnalysis): number | null => finite(a.conditions.C4.value) },
} as const satisfies Record<string, Column<GrsdAnalysis>>;

/** Run-level quantities that need the series (the checkpoints). */
const SERIES_COLUMNS = {
  checkpoints: { description: 'number of checkpoints', value: (s: SeriesResult): number => s.checkpoints.length },
  tFirst: { description: 'time of the first checkpoint', value: (s: SeriesResult): number | null => finite(s.checkpoints[0]?.t) },
  tLast: { description: 'time of the last checkpoint', value: (s: SeriesResult): number | null => finite(s.checkpoints.at(-1)?.t) },
  lossFirst: {
    description: 'loss L = ‖e‖²/(2N) at the first checkpoint',
    value: (s: SeriesResult): number | null => finite(s.checkpoints[0]?.loss),
  },
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
  index: { description: 'checkpoint index', value: (s: CheckpointSource): number => s.checkpoint.index },
  t: { description: 'time of the checkpoint', value: (s: CheckpointSource): number => s.checkpoint.t },
  loss: { description: 'loss L = ‖e‖²/(2N)', value: (s: CheckpointSource): number | null => finite(s.checkpoint.loss) },
  residualNorm2: { description: '‖e‖²', value: (s: CheckpointSource): number | null => finite(s.checkpoint.residualNorm2) },
  eigenpairs: { description: 'eigenpairs computed (r)', value: (s: CheckpointSource): number => s.checkpoint.eigenvalues.length },
  lambdaMax: {
    description: 'largest eigenvalue λ = timeScale·θ',
    value: (s: CheckpointSource): number | null => finite(s.checkpoint.eigenvalues[0]),
  },
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
  energyFloor: {
    description: 'fraction of ‖e‖² in ∅ (eigenvalues below the floor)',
    value: (s: CheckpointSource): number | null => energyShare(s, s.series.grid.floorIndex),
  },
  energyComplement: {
    description: 'fraction of ‖e‖² in ⊥ (outside the computed eigenvectors)',
    value: (s: CheckpointSource): number | null => energyShare(s, s.series.grid.complementIndex),
  },
  boundaryFlagged: {
    description: 'eigenvalues within the tolerance of a shell boundary',
    value: (s: CheckpointSource): number => s.checkpoint.boundaryFlagged,
  },
  clampedAbove: {
    description: 'eigenvalues above the window, clamped into the top shell',
    value: (s: CheckpointSource): number => s.checkpoint.clampedAbove,
  },
  lanczosSteps: {
    description: 'Lanczos steps (null on the cpu backend)',
    value: (s: CheckpointSource): number | null => s.checkpoint.lanczos?.steps ?? null,
  },
  lanczosConverged: {
    description: 'converged Ritz values (null on the cpu backend)',
    value: (s: CheckpointSource): number | null => s.checkpoint.lanczos?.converged ?? null,
  },
} as const satisfies Record<string, Column<CheckpointSource>>;

type RowOf<Table extends Record<string, Column<never>>> = { readonly [K in keyof Table]: ReturnType<Table[K]['value']> };

/** The identity of one run of a study. */
export interface StudyRunKey {
  readonly architecture: string;
  readonly depth: number;
}

/** One row of `summary(analysis)`. */
export type AnalysisSummaryRow = RowOf<typeof ANALYSIS_COLUMNS>;
/** One row of `summary({ series, analysis })`. */
export type RunSummaryRow = RowOf<typeof SERIES_COLUMNS> & AnalysisSummaryRow;
/** One row of `summary(study)`: the run's architecture and depth, then the run's columns. */
export type StudySummaryRow = StudyRunKey & RunSummaryRow;
/** One row of `checkpointSummary(series)`. */
export type CheckpointSummaryRow = RowOf<typeof CHECKPOINT_COLUMNS>;
/** One row of `checkpointSummary(study)`. */
export type StudyCheckpointSummaryRow = StudyRunKey & CheckpointSummaryRow;

/** A series with its analysis (e.g. one run of a depth study). */
export interface AnalyzedRun {
  readonly series: SeriesResult;
  readonly analysis: GrsdAnalysis;
}

/** A study: runs keyed by architecture and depth (a `DepthStudy` from `grsd/lab` is one). */
export interface AnalyzedStudy {
  readonly runs: readonly (StudyRunKey & AnalyzedRun)[];
}

const STUDY_KEY_COLUMNS: Record<keyof StudyRunKey, string> = {
  architecture: 'architecture of the run (study rows)',
  depth: 'depth of the run (study rows)',
};

/** Every column: its name and what it holds (for table headers and data dictionaries). */
export const SUMMARY_COLUMNS: {
  readonly run: Readonly<Record<keyof StudySummaryRow, string>>;
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
