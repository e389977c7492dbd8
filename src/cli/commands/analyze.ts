/**
 * `grsd analyze RUN [--json [FILE]]`: the GRSD pipeline over a run directory (manifest.json +
 * tensors; docs/formats.md): per-checkpoint shell energies, dissipation and counts, per-interval
 * flow and transport matrices, flux and velocity, with the run-time invariant checks (exit 1
 * when one fails, docs/cli.md); then `analyzeGrsd` (fits, theory, conditions, warnings;
 * docs/conditions.md). The summary prints what the JSON holds.
 * @module
 */
import { InvalidArgumentError as CommanderArgumentError, type Command } from 'commander';
import {
  COMPLEMENT_WARNING_SHARE,
  GrsdSeries,
  runLambdaMaxBound,
  type CheckpointData,
  type CheckpointResult,
  type SeriesOptions,
  type SeriesResult,
} from '../../analysis/series.ts';
import type { StopReason } from '../../algorithms/eigsh.ts';
import { analyzeGrsd, type GrsdAnalysis } from '../../analysis/grsdAnalysis.ts';
import { analysisJson } from '../../io/analysisJson.ts';
import type { RunManifest } from '../../io/manifest.ts';
import { renderAnalysisReport } from '../../io/report.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { writeFileAtomic } from '../../node/files.ts';
import { loadCheckpoint, readManifest } from '../../node/run.ts';
import { backendOption, chooseBackend, describeBackend, type BackendChoice, type ComputeBackend, type WorkEstimate } from '../backend.ts';
import { EXIT } from '../exitCodes.ts';
import { note, type CliIo } from '../io.ts';
import { intInRange, nonNegativeInt, OPTION_LIMITS, positiveInt, positiveNumber, seedOption } from '../options.ts';
import { checkJsonDestination, jsonOnStdout, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { createProgress } from '../progress.ts';
import { seriesWork } from '../workEstimates.ts';

interface AnalyzeOptions {
  json?: JsonOptionValue;
  report?: string;
  permutations: number;
  rank?: number | 'auto';
  capture?: number;
  steps?: number;
  lambdaMax?: number;
  headroom?: number;
  shellsPerDecade?: number;
  floorRelative?: number;
  lambdaRef?: number;
  fitWindow: 'auto' | readonly [number, number];
  seed: number;
  backend?: ComputeBackend;
  root?: string;
}

/** Parses `--rank`: a positive integer or `auto`. */
function rankOption(value: string): number | 'auto' {
  return value.trim() === 'auto' ? 'auto' : positiveInt(value);
}

/** Parses `--capture`: a share in (0, 1]. */
function shareOption(value: string): number {
  const v = Number(value);
  if (!(v > 0 && v <= 1)) throw new CommanderArgumentError(`expected a share in (0, 1], got "${value}"`);
  return v;
}

/** Where `rank: 'auto'` starts (src/analysis/series.ts: min(n, 256)). */
const AUTO_RANK_START = 256;

/** Parses --fit-window: `auto` or `tmin:tmax` with 0 ≤ tmin < tmax. */
export function fitWindow(value: string): 'auto' | readonly [number, number] {
  if (value.trim() === 'auto') return 'auto';
  const parts = value.split(':').map((v) => Number(v));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! >= 0 && parts[1]! > parts[0]!))
    throw new CommanderArgumentError(`expected "auto" or tmin:tmax with 0 ≤ tmin < tmax, got "${value}"`);
  return [parts[0]!, parts[1]!];
}

/**
 * Checks --rank and --steps against n (the run's residual length): a rank above n, or steps
 * outside [rank, n], would otherwise be clamped or raised silently by the solver.
 */
function checkRankAndSteps(options: Pick<AnalyzeOptions, 'rank' | 'steps'>, n: number): void {
  const { rank, steps } = options;
  if (typeof rank === 'number' && rank > n)
    throw new InvalidArgumentError('--rank', `cannot exceed n = ${n} (the run's residual length), got ${rank}`);
  if (steps === undefined) return;
  if (typeof rank !== 'number')
    throw new InvalidArgumentError('--steps', 'needs a numeric --rank (with --rank auto the Lanczos steps follow the rank it grows to)');
  if (steps < rank || steps > n) throw new InvalidArgumentError('--steps', `must be between the rank (${rank}) and n = ${n}, got ${steps}`);
}

/** Options that shape the series and its analysis (shared by `grsd analyze` and `grsd serve`). */
export type RunAnalysisOptions = Omit<AnalyzeOptions, 'json' | 'report'>;

/**
 * The series options `grsd analyze` uses on a run whose λ_max bound is `lambdaMax`. `grsd serve`
 * builds its live series with the same function, so that its analysis equals `grsd analyze`'s.
 */
export function runSeriesOptions(manifest: RunManifest, options: Omit<RunAnalysisOptions, 'fitWindow'>, lambdaMax: number): SeriesOptions {
  return {
    timeScale: manifest.timeScale,
    seed: options.seed,
    ...(manifest.probePoints === undefined ? {} : { probePoints: manifest.probePoints }),
    rank: options.rank ?? 'auto',
    ...(options.capture === undefined ? {} : { captureShare: options.capture }),
    ...(options.steps === undefined ? {} : { steps: options.steps }),
    gridOptions: {
      ...(options.shellsPerDecade === undefined ? {} : { shellsPerDecade: options.shellsPerDecade }),
      ...(options.floorRelative === undefined ? {} : { floorRelative: options.floorRelative }),
      ...(options.lambdaRef === undefined ? {} : { lambdaRef: options.lambdaRef }),
      lambdaMax,
      headroom: options.headroom ?? 1,
    },
  };
}

/**
 * Fits, theory, conditions and warnings of a series, and the JSON document `grsd analyze --json`
 * writes (docs/formats.md; `timeUnit` from the manifest). Shared with `grsd serve`.
 */
export function analysisDocument(
  result: SeriesResult,
  backend: Record<string, unknown>,
  timeUnit: string | undefined,
  options: Pick<RunAnalysisOptions, 'permutations' | 'seed' | 'fitWindow'>,
): { analysis: GrsdAnalysis; json: Record<string, unknown> } {
  const analysis = analyzeGrsd(result, {
    lsi: { permutations: options.permutations, seed: options.seed },
    fitWindow: options.fitWindow,
    eigenvalueTail: { bootstrap: 100, seed: options.seed },
  });
  return { analysis, json: analysisJson(result, backend, { ...analysis, ...(timeUnit ? { timeUnit } : {}) }) };
}

/**
 * The work of analysing a run, for the measured choice of the `auto` backend: `checkpoints`
 * checkpoints like `first` (its n and kernel or Jacobian) at the rank asked for (auto starts at min(n, 256)).
 * Shared with `grsd serve`, which measures at the run's first checkpoint.
 */
export function runWork(first: CheckpointData, checkpoints: number, options: Pick<RunAnalysisOptions, 'rank'>): WorkEstimate {
  const n = first.residual.length;
  const { kernel, jacobian } = first;
  return seriesWork({
    n,
    rank: typeof options.rank === 'number' ? options.rank : Math.min(n, AUTO_RANK_START),
    checkpoints,
    // Checkpoints read from a run are flat (loadCheckpoint); shaped ones are measured on random data of their size.
    ...(kernel && !('shape' in kernel) ? { kernel } : {}),
    ...(jacobian ? { jacobian: 'shape' in jacobian ? { p: jacobian.shape[1]! } : jacobian } : {}),
  });
}

/**
 * Runs the pipeline on a run directory (exported for tests). Unless `lambdaMax` is given, a first
 * pass bounds λ_max over every checkpoint, so that the shell grid covers the whole run; the rank
 * defaults to `auto` (eigenpairs holding `capture` = 99% of ‖e‖² per checkpoint). The backend is
 * chosen once the first checkpoint is read: its n sizes the measurement of `auto`
 * (src/cli/backend.ts); `given` is a backend already chosen, which the caller keeps and disposes.
 */
export async function analyzeRun(
  run: string,
  options: Omit<RunAnalysisOptions, 'fitWindow'>,
  onProgress?: (done: number, total: number, phase: string) => void,
  io: CliIo = { out() {}, err() {}, setExitCode() {}, quiet: true },
  given?: BackendChoice,
): Promise<{ result: SeriesResult; backend: Record<string, unknown>; lambdaMaxFromRun: boolean; timeUnit?: string }> {
  const manifest = await readManifest(run);
  const readOptions = options.root === undefined ? {} : { root: options.root };
  const first = await loadCheckpoint(run, manifest.checkpoints[0]!, 0, { ...readOptions, layers: false });
  checkRankAndSteps(options, first.residual.length);
  const { ctx, selection } = given ?? (await chooseBackend(options.backend, io, runWork(first, manifest.checkpoints.length, options)));
  try {
    const total = manifest.checkpoints.length;
    let lambdaMax = options.lambdaMax;
    if (lambdaMax === undefined) {
      const phase = 'bounding λ_max';
      onProgress?.(0, total, phase);
      // One checkpoint at a time (the run need not fit in memory), the first one as read above.
      const all = async function* () {
        for (const [i, entry] of manifest.checkpoints.entries())
          yield i === 0 ? first : await loadCheckpoint(run, entry, i, { ...readOptions, layers: false });
      };
      lambdaMax = await runLambdaMaxBound(ctx ?? 'cpu', all(), { timeScale: manifest.timeScale, seed: options.seed }, (done) =>
        onProgress?.(done, total, phase),
      );
    }
    using series = new GrsdSeries(ctx ?? 'cpu', runSeriesOptions(manifest, options, lambdaMax));
    onProgress?.(0, total, 'checkpoints');
    for (const [i, entry] of manifest.checkpoints.entries()) {
      await series.push(await loadCheckpoint(run, entry, i, readOptions));
      onProgress?.(i + 1, total, 'checkpoints');
    }
    return {
      result: series.result(),
      backend: describeBackend(ctx, selection),
      lambdaMaxFromRun: options.lambdaMax === undefined,
      ...(manifest.timeUnit ? { timeUnit: manifest.timeUnit } : {}),
    };
  } finally {
    if (!given) ctx?.dispose();
  }
}

/** Whether any run-time invariant check of any interval failed. */
function checksFailed(r: SeriesResult): boolean {
  return r.intervals.some((iv) => Object.values(iv.checks).some((c) => !c.pass));
}

/** x to `digits` decimals, without the sign of a value that rounds to zero (⊥ = ‖e‖² − Σ captured can be −1e-15). */
function fixed(x: number, digits: number): string {
  const text = x.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

/** The summary lines on the grid's coverage, the eigenpairs and the complement shell ⊥ (loud when they need attention). */
function coverageLines(r: SeriesResult, lambdaMaxFromRun: boolean): string[] {
  const c = r.coverage;
  const lines = [
    `Grid: λ_max = ${c.grid.lambdaMax === null ? 'given grid' : c.grid.lambdaMax.toPrecision(4)}${lambdaMaxFromRun ? ' (bound over the whole run)' : c.grid.lambdaMax === null ? '' : ' (--lambda-max)'}, top boundary ${c.grid.top.toPrecision(4)}; ${c.clampedAbove} eigenvalue(s) clamped into the top shell.`,
  ];
  const returned = r.checkpoints.map((cp) => cp.capture.returned);
  const range = (v: number[]) => (Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)}`);
  lines.push(
    `Eigenpairs per checkpoint: ${range(returned)} of n = ${r.checkpoints[0]!.counts.reduce((a, v) => a + v, 0)}; ⊥ holds at most ${fixed(100 * c.maxComplementShare, 2)}% of ‖e‖², ∅ at most ${fixed(100 * c.maxFloorShare, 2)}%` +
      (c.rankShortfalls > 0 ? `; ${c.rankShortfalls} checkpoint(s) returned fewer than asked for.` : '.'),
  );
  lines.push(...eigensolverLines(r.checkpoints));
  for (const w of c.warnings) lines.push(`WARNING: ${w}`);
  return lines;
}

/** Why an eigensolver stopped, in words (docs/accuracy.md, "stopReason"). */
const STOP_REASONS: Record<StopReason, string> = {
  converged: 'every pair converged',
  exhausted: 'the basis spans the whole space: exact up to rounding',
  maxApplies: 'the operator-application limit was reached first',
  steps: 'the fixed --steps were taken',
  floor: 'the rounding floor exceeds half the tolerance',
};

/**
 * The summary lines on the eigensolver (GPU backend): the method, whether every checkpoint got the
 * pairs asked for, all converged, why each stopped, and a WARNING naming the checkpoints that got
 * fewer pairs or unconverged ones (and why). None on the float64 backend (a dense decomposition).
 */
export function eigensolverLines(checkpoints: readonly Pick<CheckpointResult, 'index' | 't' | 'lanczos' | 'capture'>[]): string[] {
  const solved = checkpoints.filter((c) => c.lanczos !== null);
  if (solved.length === 0) return [];
  const methods = [...new Set(solved.map((c) => (c.lanczos!.method === 'golubKahan' ? 'Golub–Kahan on J' : 'Lanczos on K')))];
  const stops = new Map<StopReason, number>();
  for (const c of solved) stops.set(c.lanczos!.stopReason, (stops.get(c.lanczos!.stopReason) ?? 0) + 1);
  const breakdowns = solved.filter((c) => c.lanczos!.breakdown).length;
  const troubled = solved.filter((c) => c.capture.returned < c.capture.requested || c.capture.unconverged > 0);
  const lines = [
    `Eigensolver (${methods.join(', ')}): ${troubled.length === 0 ? 'every checkpoint got all the pairs asked for, all converged' : `${troubled.length} of ${solved.length} checkpoint(s) got fewer pairs than asked for or unconverged ones`}; ` +
      `stopped: ${[...stops].map(([reason, count]) => `${reason} at ${count}`).join(', ')}` +
      (breakdowns > 0 ? `; an invariant subspace met and continued from at ${breakdowns}` : '') +
      '.',
  ];
  if (troubled.length > 0) {
    const shown = troubled
      .slice(0, 6)
      .map(
        (c) =>
          `${c.index} (t = ${c.t}: ${c.capture.returned} of ${c.capture.requested} pairs, ${c.capture.unconverged} unconverged; ${c.lanczos!.stopReason}: ${STOP_REASONS[c.lanczos!.stopReason]})`,
      );
    lines.push(
      `WARNING: eigensolver: checkpoints ${shown.join(', ')}${troubled.length > 6 ? `, … (${troubled.length} in all)` : ''}: ` +
        'the energies of unconverged pairs are less certain (their error bounds are in the JSON) and missing pairs go to ⊥',
    );
  }
  return lines;
}

const fmt = (v: number, digits = 4): string => v.toFixed(digits);

/** The human summary: the same numbers as the JSON's coverage, checks, fits, theory, conditions and warnings. */
export function summary(run: string, r: SeriesResult, a: GrsdAnalysis, lambdaMaxFromRun: boolean): string {
  const g = r.grid;
  const lines = [
    `${run}: ${r.checkpoints.length} checkpoints, ${r.intervals.length} intervals, ${g.count} shells of width ${g.width.toFixed(4)} from λ = ${g.floor.toPrecision(3)} (+ ∅, ⊥)`,
  ];
  lines.push('       t          loss     ‖e‖² in: top shell   ∅          ⊥');
  for (const c of r.checkpoints) {
    const e2 = c.residualNorm2 || 1;
    const top = c.energy.subarray(0, g.count).reduce((m, v) => Math.max(m, v), 0);
    lines.push(
      `  ${c.t.toPrecision(6).padStart(10)}  ${c.loss.toExponential(3).padStart(10)}   ${fixed(top / e2, 3).padStart(9)}    ${fixed(c.energy[g.floorIndex]! / e2, 3)}   ${fixed(c.energy[g.complementIndex]! / e2, 3)}`,
    );
  }
  lines.push(...coverageLines(r, lambdaMaxFromRun));
  const byStatus = (status: string) =>
    r.intervals.flatMap((iv) =>
      Object.entries(iv.checks)
        .filter(([, c]) => c.status === status)
        .map(([k, c]) => ({ iv: iv.index, name: k, check: c })),
    );
  const failed = byStatus('fail');
  const notApplicable = byStatus('not-applicable');
  if (failed.length) {
    lines.push(`Checks failed (${failed.length}): something is wrong with the data or the estimate.`);
    for (const f of failed)
      lines.push(
        `  interval ${f.iv} ${f.name} = ${f.check.value.toExponential(2)} (threshold ${f.check.threshold.toExponential(2)}): ${f.check.message ?? f.check.description}`,
      );
  } else lines.push(`All invariant checks passed or do not apply (${r.intervals.length} intervals).`);
  for (const name of [...new Set(notApplicable.map((f) => f.name))]) {
    const of = notApplicable.filter((f) => f.name === name);
    lines.push(`  ${name} not applicable in ${of.length} of ${r.intervals.length} intervals: ${of[0]!.check.message ?? ''}`);
  }
  const f = a.fits;
  const le = f.lossExponent;
  lines.push(
    `Loss exponent ξ (loss curve): ${le.ok ? `${fmt(le.xi)} ± ${fmt(le.xiStdErr)} over t ∈ [${le.tMin.toPrecision(3)}, ${le.tMax.toPrecision(3)}] (${le.points} checkpoints, ${le.window} window, ${le.model} model; plain power law ${fmt(le.xiPowerLaw)})` : le.reason}`,
  );
  lines.push(
    `  from the initial spectrum: ${f.spectrumExponent.ok ? `${fmt(f.spectrumExponent.xi)} ± ${fmt(f.spectrumExponent.xiStdErr)}` : f.spectrumExponent.reason}; Tauberian: ${f.tauberian.ok ? fmt(f.tauberian.xi) : f.tauberian.reason}`,
  );
  lines.push(
    `Velocity exponent a: ${f.rigidity.ok ? `${fmt(f.rigidity.aMean)} ± ${fmt(f.rigidity.aStd)} (${f.rigidity.windows} windows${f.interior ? `, interior boundaries ${f.interior.lambdaMin.toPrecision(3)}…${f.interior.lambdaMax.toPrecision(3)}` : ''})` : f.rigidity.reason}`,
  );
  if (f.drift.ok && !f.drift.scaleFreeExponent)
    lines.push(`Scale-free drift v = c₀λ/t: does not apply, the windows' velocity exponent a = ${fmt(f.drift.velocityExponent)} is not 1`);
  else if (f.drift.ok) {
    const d = f.drift;
    lines.push(
      `Scale-free drift v = c₀λ/t: c₀ = ${fmt(d.c0)} ± ${fmt(d.c0StdErr)}${d.constant === null ? '' : d.constant ? ', constant across windows' : ', NOT constant across windows'}${d.lossExponent ? `; predicted ξ = ${fmt(d.lossExponent.conservative)} (conservative form), ${fmt(d.lossExponent.advective)} (advective form, as the paper is reported)` : ''}`,
    );
  }
  lines.push(
    `ε_LSI: ${a.theory.lsi ? `${fmt(a.theory.lsi.epsilon)} (null-test p = ${a.theory.permutation?.pValue.toPrecision(3)})` : (a.theory.reason ?? '—')}`,
  );
  const rem = a.theory.renormalizability;
  lines.push(
    `Renormalizability remainder |R_α|/D_α (local-flux closure): ${rem.ok ? `median ${rem.median.toPrecision(3)}, max ${rem.max.toPrecision(3)} over ${rem.shells} shells` : rem.reason}`,
  );
  lines.push('Conditions:');
  for (const [name, c] of Object.entries(a.conditions)) lines.push(`  ${name} ${c.verdict.padEnd(15)} ${c.reason}`);
  for (const w of a.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}

/** Adds the options that shape the analysis (shared by `grsd analyze` and `grsd serve`, so they cannot drift apart). */
export function addRunAnalysisOptions(command: Command): Command {
  return command
    .option(
      '--permutations <N>',
      `null draws of the LSI null test (1 … ${OPTION_LIMITS.permutations}, docs/conditions.md)`,
      intInRange(1, OPTION_LIMITS.permutations),
      1000,
    )
    .option(
      '--fit-window <tmin:tmax|auto>',
      'checkpoints the loss exponent is fitted on (default auto: λ_max·t ≥ 1 and 2λ_min·t ≤ 1, docs/conditions.md)',
      fitWindow,
      'auto' as const,
    )
    .option(
      '--rank <r|auto>',
      'eigenpairs per checkpoint, or auto (default): the fewest (from 256, doubling up to n) that hold --capture of ‖e‖²; the rest goes to the complement shell ⊥',
      rankOption,
    )
    .option(
      '--capture <share>',
      `with --rank auto: share of ‖e‖² the eigenpairs must hold (default 0.99; ⊥ above ${COMPLEMENT_WARNING_SHARE} is warned about)`,
      shareOption,
    )
    .option(
      '--lambda-max <λ>',
      'largest λ = timeScale·θ the shell grid must hold (default: an upper bound over the whole run, from a first pass)',
      positiveNumber,
    )
    .option('--headroom <k>', 'extra shells above λ_max (default 1)', nonNegativeInt)
    .option('--steps <m>', 'Lanczos steps per checkpoint, between a numeric --rank and n (default adaptive)', positiveInt)
    .option('--shells-per-decade <k>', 'shell width h = ln10/k (default 4)', positiveNumber)
    .option(
      '--floor-relative <f>',
      'floor λ_floor = f·λ_max (default: 1e-5 on the GPU, 100·n·u on the float64 cpu backend; docs/accuracy.md)',
      positiveNumber,
    )
    .option('--lambda-ref <λ>', 'grid anchor λ_ref (default 1)', positiveNumber)
    .option('--seed <seed>', 'seed of the Lanczos start vectors (0 … 2^32 − 1)', seedOption, 0)
    .option('--root <DIR>', 'allow the manifest to name files under DIR, a directory above RUN (default: only files inside RUN)')
    .addOption(backendOption());
}

/** Registers `analyze` on `program`. */
export function registerAnalyze(program: Command, io: CliIo): void {
  const command = program
    .command('analyze')
    .description('GRSD analysis of a run directory: shell energies, dissipation, transport, flux and velocity per checkpoint interval')
    .argument('<RUN>', 'directory with manifest.json and the tensor files it names (docs/formats.md)')
    .addOption(jsonOption('the versioned analysis JSON (docs/formats.md)'))
    .option('--report <FILE.html>', 'write a self-contained HTML report with SVG plots');
  addRunAnalysisOptions(command).action(async (run: string, options: AnalyzeOptions) => {
    checkJsonDestination(options.json);
    const progress = createProgress(io, 'grsd analyze');
    try {
      const { result, backend, lambdaMaxFromRun, timeUnit } = await analyzeRun(
        run,
        options,
        (done, total, phase) => (done === 0 ? progress.start(total, phase) : progress.update(done, phase)),
        io,
      );
      progress.stop();
      const { analysis, json } = analysisDocument(result, backend, timeUnit, options);
      const jsonFile = await writeJsonOutput(io, options.json, json);
      if (options.report) await writeFileAtomic(options.report, await renderAnalysisReport(json, { title: `GRSD analysis of ${run}` }));
      const wrote = [jsonFile, options.report].filter(Boolean);
      const wroteLine = wrote.length ? `Wrote ${wrote.join(', ')}` : '';
      writeTextReport(io, options.json, summary(run, result, analysis, lambdaMaxFromRun) + (wroteLine ? `\n${wroteLine}` : ''));
      if (jsonOnStdout(options.json) && wroteLine) note(io, wroteLine);
      if (checksFailed(result)) {
        if (jsonOnStdout(options.json)) io.err('grsd analyze: run-time invariant checks failed (see "checks" in the JSON)');
        io.setExitCode(EXIT.FAILURE);
      }
    } finally {
      progress.stop();
    }
  });
}
