/**
 * `grsd analyze RUN [--json FILE]`: the GRSD pipeline over a run directory (manifest.json +
 * tensors; docs/formats.md): per-checkpoint shell energies, dissipation and counts, per-interval
 * flow and transport matrices, flux and velocity, with the run-time invariant checks.
 * @module
 */
import { InvalidArgumentError as CommanderArgumentError, type Command } from 'commander';
import { COMPLEMENT_WARNING_SHARE, GrsdSeries, runLambdaMaxBound, type SeriesOptions, type SeriesResult } from '../../analysis/series.ts';
import { ShellGrid } from '../../analysis/shellGrid.ts';
import { analyzeGrsd, type GrsdAnalysis } from '../../analysis/grsdAnalysis.ts';
import { fitPowerLawTail } from '../../analysis/powerLawTail.ts';
import { analysisJson } from '../../io/analysisJson.ts';
import type { RunManifest } from '../../io/manifest.ts';
import { renderAnalysisReport } from '../../io/report.ts';
import { writeFileAtomic, writeJsonFile } from '../../node/files.ts';
import { loadCheckpoint, readManifest } from '../../node/run.ts';
import { backendOption, contextFor, describeBackend, type ComputeBackend } from '../backend.ts';
import type { CliIo } from '../io.ts';
import { nonNegativeInt, positiveInt, positiveNumber } from '../options.ts';
import { createProgress } from '../progress.ts';

interface AnalyzeOptions {
  json?: string;
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

/** Options that shape the series and its analysis (shared by `grsd analyze` and `grsd serve`). */
export type RunAnalysisOptions = Omit<AnalyzeOptions, 'json' | 'report'>;

/**
 * The series options `grsd analyze` uses on a run whose λ_max bound is `lambdaMax`. `grsd serve`
 * builds its live series with the same function, so that its analysis equals `grsd analyze`'s.
 */
export function runSeriesOptions(manifest: RunManifest, options: RunAnalysisOptions, lambdaMax: number): SeriesOptions {
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
 * The shell grid a series with these options builds (as GrsdSeries does from `gridOptions`), so
 * that `grsd serve` can tell whether a larger λ_max bound changes the grid.
 */
export function runGrid(series: SeriesOptions): ShellGrid {
  const o = series.gridOptions!;
  return ShellGrid.create({
    ...(o.lambdaRef === undefined ? {} : { lambdaRef: o.lambdaRef }),
    ...(o.width === undefined ? {} : { width: o.width }),
    ...(o.shellsPerDecade === undefined ? {} : { shellsPerDecade: o.shellsPerDecade }),
    floor: o.floor ?? (o.floorRelative ?? 1e-5) * o.lambdaMax!,
    lambdaMax: o.lambdaMax!,
    headroom: o.headroom ?? 1,
  });
}

/**
 * Fits, theory and conditions of a series, and the JSON document `grsd analyze --json` writes
 * (docs/formats.md). Shared with `grsd serve`.
 */
export async function analysisDocument(
  result: SeriesResult,
  backend: Record<string, unknown>,
  timeUnit: string | undefined,
  options: Pick<RunAnalysisOptions, 'permutations' | 'seed'>,
): Promise<{ analysis: GrsdAnalysis; json: Record<string, unknown> }> {
  const analysis = analyzeGrsd(result, { lsi: { permutations: options.permutations, seed: options.seed } });
  // Power-law tail of the last checkpoint's eigenvalue distribution (CSN), on the CPU (r ≤ a few hundred values).
  const last = result.checkpoints.at(-1)!;
  const positive = Array.from(last.eigenvalues).filter((v) => v > 0);
  const eigenvalueTail = await fitPowerLawTail(positive.length ? positive : [1], {
    context: 'cpu',
    bootstrap: 100,
    seed: options.seed,
    minTail: Math.min(50, Math.max(10, Math.floor(positive.length / 4))),
  });
  const fits = { ...analysis.fits, eigenvalueTail: { checkpoint: last.index, ...eigenvalueTail } };
  return { analysis, json: analysisJson(result, backend, { ...analysis, fits, ...(timeUnit ? { timeUnit } : {}) }) };
}

/**
 * Runs the pipeline on a run directory (exported for `grsd demo` and tests). Unless `lambdaMax` is
 * given, a first pass bounds λ_max over every checkpoint, so that the shell grid covers the whole
 * run; the rank defaults to `auto` (eigenpairs holding `capture` = 99% of ‖e‖² per checkpoint).
 */
export async function analyzeRun(
  run: string,
  options: RunAnalysisOptions,
  onProgress?: (done: number, total: number, phase: string) => void,
): Promise<{ result: SeriesResult; backend: Record<string, unknown>; lambdaMaxFromRun: boolean; timeUnit?: string }> {
  const manifest = await readManifest(run);
  const ctx = await contextFor(options.backend);
  const readOptions = options.root === undefined ? {} : { root: options.root };
  try {
    const total = manifest.checkpoints.length;
    let lambdaMax = options.lambdaMax;
    if (lambdaMax === undefined) {
      const phase = 'bounding λ_max';
      onProgress?.(0, total, phase);
      const all = async function* () {
        for (const [i, entry] of manifest.checkpoints.entries())
          yield await loadCheckpoint(run, entry, i, { ...readOptions, layers: false });
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
      backend: describeBackend(ctx),
      lambdaMaxFromRun: options.lambdaMax === undefined,
      ...(manifest.timeUnit ? { timeUnit: manifest.timeUnit } : {}),
    };
  } finally {
    ctx?.dispose();
  }
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
    `Eigenpairs per checkpoint: ${range(returned)} of n = ${r.checkpoints[0]!.counts.reduce((a, v) => a + v, 0)}; ⊥ holds at most ${(100 * c.maxComplementShare).toFixed(2)}% of ‖e‖², ∅ at most ${(100 * c.maxFloorShare).toFixed(2)}%` +
      (c.rankShortfalls > 0 ? `; ${c.rankShortfalls} checkpoint(s) returned fewer than asked for.` : '.'),
  );
  for (const w of c.warnings) lines.push(`WARNING: ${w}`);
  return lines;
}

function summary(run: string, r: SeriesResult, a: GrsdAnalysis, lambdaMaxFromRun: boolean): string {
  const g = r.grid;
  const lines = [
    `${run}: ${r.checkpoints.length} checkpoints, ${r.intervals.length} intervals, ${g.count} shells of width ${g.width.toFixed(4)} from λ = ${g.floor.toPrecision(3)} (+ ∅, ⊥)`,
  ];
  lines.push('       t          loss     ‖e‖² in: top shell   ∅          ⊥');
  for (const c of r.checkpoints) {
    const e2 = c.residualNorm2 || 1;
    const top = c.energy.subarray(0, g.count).reduce((m, v) => Math.max(m, v), 0);
    lines.push(
      `  ${c.t.toPrecision(6).padStart(10)}  ${c.loss.toExponential(3).padStart(10)}   ${(top / e2).toFixed(3).padStart(9)}    ${(c.energy[g.floorIndex]! / e2).toFixed(3)}   ${(c.energy[g.complementIndex]! / e2).toFixed(3)}`,
    );
  }
  lines.push(...coverageLines(r, lambdaMaxFromRun));
  const failed = r.intervals.flatMap((iv) =>
    Object.entries(iv.checks)
      .filter(([, c]) => !c.pass)
      .map(([k, c]) => `interval ${iv.index} ${k} = ${c.value.toExponential(2)} (threshold ${c.threshold})`),
  );
  lines.push(failed.length ? `Checks failed:\n  ${failed.join('\n  ')}` : `All invariant checks passed (${r.intervals.length} intervals).`);
  const f = a.fits;
  lines.push(
    `Loss exponent ξ: ${f.lossExponent.ok ? `${f.lossExponent.xi.toFixed(4)} ± ${f.lossExponent.xiStdErr.toFixed(4)}` : f.lossExponent.reason}`,
  );
  lines.push(
    `Velocity exponent a: ${f.rigidity.ok ? `${f.rigidity.aMean.toFixed(4)} ± ${f.rigidity.aStd.toFixed(4)} (${f.rigidity.windows} windows)` : f.rigidity.reason}`,
  );
  lines.push(`ε_LSI: ${a.theory.lsi ? a.theory.lsi.epsilon.toFixed(4) : (a.theory.reason ?? '—')}`);
  lines.push('Conditions:');
  for (const [name, c] of Object.entries(a.conditions)) lines.push(`  ${name} ${c.verdict.padEnd(15)} ${c.reason}`);
  return lines.join('\n');
}

/** Adds the options that shape the analysis (shared by `grsd analyze` and `grsd serve`, so they cannot drift apart). */
export function addRunAnalysisOptions(command: Command): Command {
  return command
    .option('--permutations <N>', 'permutations of the LSI shell-permutation test', positiveInt, 1000)
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
    .option('--steps <m>', 'Lanczos steps per checkpoint (default adaptive)', positiveInt)
    .option('--shells-per-decade <k>', 'shell width h = ln10/k (default 4)', positiveNumber)
    .option('--floor-relative <f>', 'floor λ_floor = f·λ_max (default 1e-5)', positiveNumber)
    .option('--lambda-ref <λ>', 'grid anchor λ_ref (default 1)', positiveNumber)
    .option('--seed <seed>', 'seed of the Lanczos start vectors', nonNegativeInt, 0)
    .option('--root <DIR>', 'allow the manifest to name files under DIR, a directory above RUN (default: only files inside RUN)')
    .addOption(backendOption());
}

/** Registers `analyze` on `program`. */
export function registerAnalyze(program: Command, io: CliIo): void {
  const command = program
    .command('analyze')
    .description('GRSD analysis of a run directory: shell energies, dissipation, transport, flux and velocity per checkpoint interval')
    .argument('<RUN>', 'directory with manifest.json and the tensor files it names (docs/formats.md)')
    .option('--json <FILE>', 'write the versioned analysis JSON (docs/formats.md) to FILE')
    .option('--report <FILE.html>', 'write a self-contained HTML report with SVG plots');
  addRunAnalysisOptions(command).action(async (run: string, options: AnalyzeOptions) => {
    const progress = createProgress();
    try {
      const { result, backend, lambdaMaxFromRun, timeUnit } = await analyzeRun(run, options, (done, total, phase) =>
        done === 0 ? progress.start(total, phase) : progress.update(done, phase),
      );
      progress.stop();
      const { analysis, json } = await analysisDocument(result, backend, timeUnit, options);
      if (options.json) await writeJsonFile(options.json, json);
      if (options.report) await writeFileAtomic(options.report, await renderAnalysisReport(json, { title: `GRSD analysis of ${run}` }));
      const wrote = [options.json, options.report].filter(Boolean);
      io.out(summary(run, result, analysis, lambdaMaxFromRun) + (wrote.length ? `\nWrote ${wrote.join(', ')}` : ''));
    } finally {
      progress.stop();
    }
  });
}
