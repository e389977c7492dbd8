/**
 * summary() and checkpointSummary(): flat rows that project the analysis exactly (same numbers as
 * the nested result), carry only finite numbers, strings, booleans and null, have the columns that
 * SUMMARY_COLUMNS describes, and split each checkpoint's ‖e‖² into window, ∅ and ⊥ shares that add
 * up to 1. Run on the T1 lazy-diagonal case (docs/math.md) on the float64 backend.
 */
import { describe, expect, test } from 'vitest';
import { analyzeGrsd, type GrsdAnalysis } from '../../src/analysis/grsdAnalysis.ts';
import { analyzeSeries, type SeriesResult } from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { checkpointSummary, summary, SUMMARY_COLUMNS } from '../../src/analysis/summary.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { lazyDiagonal } from '../helpers/grsdCases.ts';

const times = [0, 1, 2, 4, 8, 16, 32, 64];

async function lazyRun(n: number, rank: number): Promise<{ series: SeriesResult; analysis: GrsdAnalysis }> {
  const { checkpoints } = lazyDiagonal(n, times, { Lambda: 1.3 });
  const series = await analyzeSeries('cpu', checkpoints, { grid: ShellGrid.create({ floor: 1e-4, lambdaMax: 1.3 }), rank });
  return { series, analysis: analyzeGrsd(series, { lsi: { permutations: 50 } }) };
}

const flat = (row: Record<string, unknown>): boolean =>
  Object.values(row).every(
    (v) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)),
  );

describe('summary rows', () => {
  test('summary(analysis) is one flat row that repeats the analysis numbers exactly', async () => {
    const { analysis } = await lazyRun(40, 40);
    const rows = summary(analysis);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(flat(row)).toBe(true);
    const { lossExponent, rigidity } = analysis.fits;
    expect(lossExponent.ok).toBe(true);
    expect(row.xi).toBe(lossExponent.ok ? lossExponent.xi : NaN);
    expect(row.a).toBe(rigidity.ok ? rigidity.aMean : null);
    expect(row.epsilonLSI).toBe(analysis.theory.lsi?.epsilon ?? null);
    expect([row.C1, row.C2, row.C3, row.C4]).toEqual(['C1', 'C2', 'C3', 'C4'].map((c) => analysis.conditions[c as 'C1'].verdict));
    expect(row.aWindows).toBe(analysis.fits.velocity.filter((f) => f.ok).length);
    // Every column is described, and nothing else is.
    expect(Object.keys(row).every((k) => k in SUMMARY_COLUMNS.run)).toBe(true);
  });

  test('summary({ series, analysis }) adds the run columns; a study leads every row with architecture and depth', async () => {
    const a = await lazyRun(40, 40);
    const b = await lazyRun(24, 24);
    const [run] = summary(a);
    expect(run).toMatchObject({ checkpoints: times.length, tFirst: 0, tLast: 64, lossFirst: a.series.checkpoints[0]!.loss });
    expect(run!.lossFinal).toBe(a.series.checkpoints.at(-1)!.loss);
    const study = {
      runs: [
        { architecture: 'residual', depth: 2, ...a },
        { architecture: 'plain', depth: 4, ...b },
      ],
    };
    const rows = summary(study);
    expect(rows.map((r) => [r.architecture, r.depth])).toEqual([
      ['residual', 2],
      ['plain', 4],
    ]);
    expect(rows[0]).toEqual({ architecture: 'residual', depth: 2, ...run });
    expect(Object.keys(rows[0]!).sort()).toEqual(Object.keys(SUMMARY_COLUMNS.run).sort());
  });

  test('checkpointSummary: one row per checkpoint; window + ∅ + ⊥ shares of ‖e‖² add up to 1', async () => {
    // rank < n: part of the energy is outside the computed eigenvectors (⊥), part below the floor (∅).
    const { series } = await lazyRun(40, 30);
    const rows = checkpointSummary(series);
    expect(rows.map((r) => r.t)).toEqual(times);
    let complement = 0;
    for (const [i, r] of rows.entries()) {
      expect(flat(r)).toBe(true);
      const c = series.checkpoints[i]!;
      expect(r).toMatchObject({ index: i, loss: c.loss, residualNorm2: c.residualNorm2, eigenpairs: 30, lambdaMax: c.eigenvalues[0] });
      expect(r.lanczosSteps).toBeNull(); // the cpu backend runs no Lanczos
      expect(Math.abs(r.energyWindow! + r.energyFloor! + r.energyComplement! - 1)).toBeLessThan(1e-12);
      complement += r.energyComplement!;
    }
    expect(complement).toBeGreaterThan(0);
    expect(Object.keys(rows[0]!).every((k) => k in SUMMARY_COLUMNS.checkpoint)).toBe(true);
    const study = checkpointSummary({ runs: [{ architecture: 'linear', depth: 1, series, analysis: analyzeGrsd(series) }] });
    expect(study[3]).toEqual({ architecture: 'linear', depth: 1, ...rows[3] });
  });

  test('non-finite values become null, never NaN; anything else is refused by name', async () => {
    const { analysis } = await lazyRun(24, 24);
    const broken: GrsdAnalysis = {
      ...analysis,
      conditions: { ...analysis.conditions, C2: { ...analysis.conditions.C2, value: Number.NaN } },
    };
    expect(summary(broken)[0]!.C2Value).toBeNull();
    const zero = await lazyRun(24, 24);
    const zeroResidual = { ...zero.series, checkpoints: zero.series.checkpoints.map((c) => ({ ...c, residualNorm2: 0 })) };
    expect(checkpointSummary(zeroResidual)[0]!.energyWindow).toBeNull();
    expect(() => summary({} as GrsdAnalysis)).toThrow(InvalidArgumentError);
    expect(() => checkpointSummary(null as unknown as SeriesResult)).toThrow(/series result/);
  });
});
