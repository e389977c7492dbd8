/**
 * The rows of the calibration tables in docs/conditions.md, computed from the closed-form cases
 * of calibration.ts: test/unit/analysis-calibration.test.ts asserts on them and
 * scripts/calibration-tables.ts prints them as markdown.
 */
import { analyzeGrsd, type GrsdAnalysis } from '../../src/analysis/grsdAnalysis.ts';
import { fitLossExponent } from '../../src/analysis/lossExponent.ts';
import { fitSpectrumExponent, fitTauberian, fitVelocity, type VelocityFit } from '../../src/analysis/fits.ts';
import { lsiPermutationTest, lsiStatistic, subMatrix } from '../../src/analysis/lsi.ts';
import { analyzeSeries, type SeriesResult } from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import {
  antisymmetricNoise,
  geometricTransport,
  LAZY_SPECTRA,
  lazyGrid,
  lazyInitialShells,
  lazyLossPoints,
  logTimes,
  permuteLabels,
  syntheticInterval,
  syntheticSeries,
  toeplitz,
  toeplitzPlusNoise,
  type LazyCase,
} from './calibration.ts';
import { equalWeightCouplings, lsiModeRun, rotatingBasis, transientLsiShellRun } from './grsdCases.ts';
import { Random } from '../../src/util/random.ts';

/** One loss/spectrum/Tauberian calibration row of a lazy power law. */
export interface LazyRow extends LazyCase {
  readonly xi: number;
  readonly tMax: number;
  readonly loss: number | null;
  readonly lossPowerLaw: number | null;
  readonly lossPoints: number;
  readonly spectrum: number | null;
  readonly tauberian: number | null;
}

/** ξ from the three estimators on exact lazy power laws: n ∈ {100, 400, 2000}, five (ν, κ), t up to 3·10³ … 10⁶. */
export function lazyRows(ns: readonly number[] = [100, 400, 2000], tMaxes: readonly number[] = [3e3, 3e4, 1e6]): LazyRow[] {
  const rows: LazyRow[] = [];
  for (const n of ns)
    for (const { nu, kappa } of LAZY_SPECTRA) {
      const c = { n, nu, kappa };
      const grid = lazyGrid(c);
      const shells = lazyInitialShells(c, grid);
      const spectrum = fitSpectrumExponent(grid, shells.energy, { counts: shells.counts });
      const tauberian = fitTauberian(grid, shells, [], 1);
      for (const tMax of tMaxes) {
        const loss = fitLossExponent(lazyLossPoints(c, logTimes(tMax)), { bootstrap: 0 });
        rows.push({
          ...c,
          xi: kappa / nu,
          tMax,
          loss: loss.ok ? loss.xi : null,
          lossPowerLaw: loss.ok ? loss.xiPowerLaw : null,
          lossPoints: loss.ok ? loss.points : 0,
          spectrum: spectrum.ok ? spectrum.xi : null,
          tauberian: tauberian.ok ? tauberian.xi : null,
        });
      }
    }
  return rows;
}

/** The done-when run: n = 400, λ_k = k^{−1.3}, c_k(0)² = k^{−1.65}, 12 log-spaced checkpoints up to t = 3000, through the pipeline. */
export async function doneWhenLazyRun(rank = 400): Promise<{ series: SeriesResult; analysis: GrsdAnalysis }> {
  const { lazyRun } = await import('./calibration.ts');
  const series = await analyzeSeries('cpu', lazyRun({ n: 400, nu: 1.3, kappa: 0.65 }, logTimes(3000)), {
    rank,
    kato: false,
    iprCheckpoints: 'none',
  });
  return { series, analysis: analyzeGrsd(series, { lsi: { permutations: 200 }, eigenvalueTail: false }) };
}

/** One exact-LSI / negative-control row. */
export interface LsiRow {
  readonly level: 'shell' | 'mode';
  readonly kind: 'lsi' | 'iid' | 'permuted';
  readonly rho: number | null;
  /** The exponent LSI implies, 1 + ln ρ/h (positives). */
  readonly exponent: number | null;
  readonly epsilon: number;
  readonly pValue: number;
  readonly fitted: number | null;
  readonly implied: number | null;
  readonly c4: string;
  readonly failedChecks: number;
}

/** Mode-level exact LSI positives (ρ = 0.7, 1, 1.3) and negatives (iid, shell-permuted), 16 modes, through the pipeline. */
export async function modeLevelLsiRows(permutations = 500): Promise<LsiRow[]> {
  const cases = [
    ...[0.7, 1, 1.3].map((rho) => ({ kind: 'lsi' as const, rho })),
    { kind: 'iid' as const, rho: 1 },
    { kind: 'permuted' as const, rho: 1 },
  ];
  const rows: LsiRow[] = [];
  for (const { kind, rho } of cases) {
    const run = lsiModeRun({ rho, kind, ell: 1 });
    const series = await analyzeSeries('cpu', run.checkpoints, { gridOptions: run.gridOptions });
    const a = analyzeGrsd(series, { lsi: { permutations }, eigenvalueTail: false });
    rows.push(lsiRow('mode', kind, kind === 'lsi' ? rho : null, kind === 'lsi' ? run.exponent : null, a, series));
  }
  return rows;
}

function lsiRow(
  level: LsiRow['level'],
  kind: LsiRow['kind'],
  rho: number | null,
  exponent: number | null,
  a: GrsdAnalysis,
  series: SeriesResult | null,
): LsiRow {
  const details = a.conditions.C4.details as { consequences?: { exponentConsistency?: { fitted?: number; implied?: number } } };
  return {
    level,
    kind,
    rho,
    exponent,
    epsilon: a.theory.lsi?.epsilon ?? NaN,
    pValue: a.theory.permutation?.pValue ?? NaN,
    fitted: a.fits.rigidity.ok ? a.fits.rigidity.aMean : (details.consequences?.exponentConsistency?.fitted ?? null),
    implied: a.theory.lsi?.impliedExponent ?? null,
    c4: a.conditions.C4.verdict,
    failedChecks: series
      ? series.intervals.reduce((s, iv) => s + Object.values(iv.checks).filter((c) => c.status === 'fail').length, 0)
      : 0,
  };
}

/**
 * Shell-level exact LSI (T3) on 40 shells of h = ln10/4 with ℓ = 1, ξ = 0.4, three windows
 * (c(t) varying), through analyzeGrsd on a synthetic series; negatives: iid couplings and
 * shell-permuted LSI couplings of the same norm.
 */
export function shellLevelLsiRows(permutations = 500): LsiRow[] {
  const grid = ShellGrid.create({ floor: 1e-10, lambdaMax: 1, headroom: 0 });
  const rows: LsiRow[] = [];
  const cases = [
    ...[0.7, 1, 1.3].map((rho) => ({ kind: 'lsi' as const, rho })),
    { kind: 'iid' as const, rho: 1 },
    { kind: 'permuted' as const, rho: 1 },
  ];
  for (const { kind, rho } of cases) {
    const { transport, energy } = geometricTransport(grid, rho, 0.4, 1);
    const c = grid.count;
    const s = grid.size;
    let t = transport;
    if (kind !== 'lsi') {
      const core = Float64Array.from(
        { length: c * c },
        (_, e) => transport[Math.floor(e / c) * s + (e % c)]! / Math.sqrt(energy[Math.floor(e / c)]! * energy[e % c]!),
      );
      const shuffled = kind === 'iid' ? antisymmetricNoise(c, new Random(11)) : permuteLabels(core, c, 11);
      t = new Float64Array(s * s);
      for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) t[a * s + b] = shuffled[a * c + b]! * Math.sqrt(energy[a]! * energy[b]!);
    }
    const series = syntheticSeries(grid, t, energy, [1, 2, 4]);
    const a = analyzeGrsd(series, { lsi: { permutations }, eigenvalueTail: false });
    rows.push(lsiRow('shell', kind, kind === 'lsi' ? rho : null, kind === 'lsi' ? 1 + Math.log(rho) / grid.width : null, a, null));
  }
  return rows;
}

/** One Toeplitz-plus-noise row: mean ε_LSI, p-value quantiles and C4-core verdict shares over seeds. */
export interface NoiseRow {
  readonly ratio: number;
  readonly rho: number;
  readonly epsilon: number;
  readonly pBelow01: number;
  readonly pBelow05: number;
  readonly pMedian: number;
}

/** Toeplitz (ρ = 1, 1.3) plus antisymmetric noise at ratios 0 … 2, 14 shells, `seeds` seeds, and the negatives (iid, permuted). */
export function noiseRows(seeds = 40, permutations = 200, m = 14): NoiseRow[] {
  const h = Math.log(10) / 4;
  const rows: NoiseRow[] = [];
  const summarize = (ratio: number, rho: number, make: (seed: number) => Float64Array): NoiseRow => {
    const eps: number[] = [];
    const ps: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const k = make(seed);
      eps.push(lsiStatistic(k, m, h).epsilon);
      ps.push(lsiPermutationTest(k, m, h, { permutations, seed }).pValue);
    }
    ps.sort((a, b) => a - b);
    return {
      ratio,
      rho,
      epsilon: eps.reduce((s, v) => s + v, 0) / eps.length,
      pBelow01: ps.filter((p) => p <= 0.01).length / ps.length,
      pBelow05: ps.filter((p) => p <= 0.05).length / ps.length,
      pMedian: ps[Math.floor(ps.length / 2)]!,
    };
  };
  for (const rho of [1, 1.3])
    for (const ratio of [0, 0.1, 0.2, 0.3, 0.5, 1, 2])
      rows.push(summarize(ratio, rho, (seed) => toeplitzPlusNoise(m, ratio, 1000 * ratio + seed + 1, rho)));
  rows.push(summarize(Infinity, NaN, (seed) => antisymmetricNoise(m, new Random(seed + 77))));
  rows.push(summarize(-1, NaN, (seed) => permuteLabels(toeplitz(m), m, seed)));
  return rows;
}

/** One rotating-basis row: the checks on an exact run at a given step. */
export interface RotatingRow {
  readonly nu: number;
  readonly omega: number;
  /** c(0): 'random' Gaussian, or 'top' (1 on the three largest modes, 0.03 elsewhere: energy rotates into nearly empty slow shells, where D^Δ goes negative). */
  readonly amplitudes: 'random' | 'top';
  readonly dt: number;
  readonly failed: number;
  readonly katoPass: number;
  readonly katoNotApplicable: number;
  readonly katoWorst: number;
  /** The most negative D^Δ_α/‖e‖² over the intervals, and the allowance of that interval's check. */
  readonly dissipationMin: number;
  readonly dissipationAllowance: number;
}

/** Exact rotating-basis runs (T2, n = 12): which checks pass, fail or do not apply at each Δt. */
export async function rotatingRows(): Promise<RotatingRow[]> {
  const n = 12;
  const rows: RotatingRow[] = [];
  for (const [nu, omega, amplitudes] of [
    [1, 0.05, 'random'],
    [1, 0.3, 'random'],
    [2, 0.05, 'random'],
    [1.5, 1, 'random'],
    [2, 3, 'top'],
    [1, 3, 'top'],
  ] as const) {
    const lambda = Float64Array.from({ length: n }, (_, k) => (k + 1) ** -nu);
    const rb = rotatingBasis(
      n,
      lambda,
      omega,
      amplitudes === 'top' ? 5 : 3,
      amplitudes === 'top' ? Float64Array.from({ length: n }, (_, k) => (k < 3 ? 1 : 0.03)) : undefined,
    );
    for (const dt of [1e-3, 1e-2, 0.1, 1]) {
      const cps = [0, dt, 2 * dt, 3 * dt].map((t) => {
        const s = rb.at(t);
        return { t, kernel: s.kernel, residual: s.residual };
      });
      const series = await analyzeSeries('cpu', cps, { gridOptions: { floorRelative: 1e-8, lambdaRef: 1.1 } });
      const kato = series.intervals.map((iv) => iv.checks.katoConsistency!);
      rows.push({
        nu,
        omega,
        amplitudes,
        dt,
        failed: series.intervals.reduce((s, iv) => s + Object.values(iv.checks).filter((c) => c.status === 'fail').length, 0),
        katoPass: kato.filter((c) => c.status === 'pass').length,
        katoNotApplicable: kato.filter((c) => c.status === 'not-applicable').length,
        katoWorst: Math.max(...kato.filter((c) => c.status === 'pass').map((c) => c.value), 0),
        ...(() => {
          const worst = series.intervals.map((iv) => iv.checks.dissipationSign!).reduce((w, c) => (c.value < w.value ? c : w));
          return { dissipationMin: worst.value, dissipationAllowance: worst.threshold };
        })(),
      });
    }
  }
  return rows;
}

/** The velocity exponent on exactly LSI shell-level couplings at 80 shells, interior boundaries (reach 20). */
export function shellLevelExponent80(rho: number): { fitted: number; exponent: number } {
  const h = Math.log(2);
  const grid = ShellGrid.create({ floor: 1e-12, lambdaMax: 1e12, width: h, headroom: 0 });
  const { transport, energy } = geometricTransport(grid, rho, 0.4, 1.5);
  const iv = syntheticInterval(grid, transport, energy);
  const edges = grid.edges;
  const fit = fitVelocity(iv, { lambdaMin: edges[20]!, lambdaMax: edges[grid.count - 20]!, bootstrap: 20, fluxFloor: 0 }) as VelocityFit;
  return { fitted: fit.a, exponent: 1 + Math.log(rho) / h };
}

/** One negative control of the interval checks: an exact rotating-basis run with one checkpoint's residual broken. */
export interface BrokenExportRow {
  readonly name: string;
  readonly status: string;
  readonly value: number;
  readonly threshold: number;
}

/**
 * The exact run (n = 12, ν = 1.5, ‖Ω‖ scale 0.05, Δt = 0.01) with checkpoint 2's residual
 * rescaled by 1%, put in another point order, or taken from step 0; a sign flip is the control
 * (harmless: energies are quadratic). Reports the second interval's dissipationSign.
 */
export async function brokenExportRows(): Promise<BrokenExportRow[]> {
  const n = 12;
  const lambda = Float64Array.from({ length: n }, (_, k) => (k + 1) ** -1.5);
  const rb = rotatingBasis(n, lambda, 0.05, 3);
  const dt = 0.01;
  const exact = [0, dt, 2 * dt, 3 * dt].map((t) => ({ t, ...rb.at(t) }));
  const cases: [string, (r: Float64Array, i: number) => Float64Array][] = [
    ['exact', (r) => r],
    ['sign flip (control)', (r, i) => (i === 2 ? r.map((v) => -v) : r)],
    ['rescaled by 1%', (r, i) => (i === 2 ? r.map((v) => 1.01 * v) : r)],
    ['another point order', (r, i) => (i === 2 ? Float64Array.from({ length: n }, (_, j) => r[(j + 1) % n]!) : r)],
    ['residual of step 0', (r, i) => (i === 2 ? exact[0]!.residual : r)],
  ];
  const rows: BrokenExportRow[] = [];
  for (const [name, residual] of cases) {
    const series = await analyzeSeries(
      'cpu',
      exact.map((c, i) => ({ t: c.t, kernel: c.kernel, residual: residual(c.residual, i) })),
      { gridOptions: { floorRelative: 1e-8, lambdaRef: 1.1 } },
    );
    const sign = series.intervals[1]!.checks.dissipationSign!;
    rows.push({ name, status: sign.status, value: sign.value, threshold: sign.threshold });
  }
  return rows;
}

/** One schedule-invariance row (T4, docs/conditions.md): ε_LSI of one run sampled on one schedule, by both estimators. */
export interface ScheduleRow {
  readonly level: 'shell' | 'mode';
  readonly kind: 'lsi' | 'iid' | 'permuted';
  readonly rho: number | null;
  readonly schedule: string;
  /** ε_LSI of the time-weighted couplings (analyzeGrsd), of the equal-weight ones (before), and the discretization bound (shell level). */
  readonly epsilon: number;
  readonly epsilonEqualWeight: number;
  readonly bound: number | null;
  readonly c4: string;
}

/** The schedules of the T4 rows: t ∈ [1, 64], 7 checkpoints uniform or geometric. */
export const T4_SCHEDULES: readonly (readonly [string, readonly number[]])[] = [
  ['uniform, 7 checkpoints in [1, 64]', Array.from({ length: 7 }, (_, i) => 1 + (63 * i) / 6)],
  ['geometric 1, 2, 4, …, 64', [1, 2, 4, 8, 16, 32, 64]],
];

/**
 * T4 at the shell level (40 shells, ρ = 1.3, transient β = 2, γ = 0.01; iid and shell-permuted
 * negatives) on both schedules, and the mode-level rotating-basis LSI run (16 modes, ρ = 0.7, 1.3)
 * through the pipeline on steps 0…8 and 0, 1, 2, 4, 8.
 */
export async function scheduleRows(permutations = 200): Promise<ScheduleRow[]> {
  const grid = ShellGrid.create({ floor: 1e-10, lambdaMax: 1, headroom: 0 });
  const rows: ScheduleRow[] = [];
  const epsilonOf = (k: Float64Array, window: readonly [number, number], g: ShellGrid) =>
    lsiStatistic(subMatrix(k, g.count, window[0], window[1]), window[1] - window[0], g.width).epsilon;
  for (const kind of ['lsi', 'iid', 'permuted'] as const)
    for (const [schedule, times] of T4_SCHEDULES) {
      const run = transientLsiShellRun(grid, times, { kind });
      const a = analyzeGrsd(run.series, { lsi: { permutations }, eigenvalueTail: false });
      rows.push({
        level: 'shell',
        kind,
        rho: kind === 'lsi' ? 1.3 : null,
        schedule,
        epsilon: a.theory.lsi?.epsilon ?? NaN,
        epsilonEqualWeight: epsilonOf(equalWeightCouplings(run.series), a.theory.window, grid),
        bound: run.epsilonBound,
        c4: a.conditions.C4.verdict,
      });
    }
  for (const rho of [0.7, 1.3])
    for (const steps of [
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
      [0, 1, 2, 4, 8],
    ]) {
      const run = lsiModeRun({ rho, ell: 1, steps });
      const series = await analyzeSeries('cpu', run.checkpoints, { gridOptions: run.gridOptions });
      const a = analyzeGrsd(series, { lsi: { permutations }, eigenvalueTail: false });
      rows.push({
        level: 'mode',
        kind: 'lsi',
        rho,
        schedule: `steps ${steps.join(', ')}`,
        epsilon: a.theory.lsi?.epsilon ?? NaN,
        epsilonEqualWeight: epsilonOf(equalWeightCouplings(series), a.theory.window, series.grid),
        bound: null,
        c4: a.conditions.C4.verdict,
      });
    }
  return rows;
}
