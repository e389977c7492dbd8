/**
 * The mode-level calibration controls of docs/conditions.md through the GPU path (f32 eigsh,
 * flow estimator, Kato projections): exactly log-shift-invariant runs pass C4 with the velocity
 * exponent within 0.05 of 1 + ln ρ/h, iid and shell-permuted couplings fail, no check fails, and
 * the lazy run gives no velocity exponent. The float64 twins are the same cases in
 * test/unit/analysis-calibration.test.ts.
 */
import { describe, expect } from 'vitest';
import { analyzeGrsd } from '../../src/analysis/grsdAnalysis.ts';
import { analyzeSeries } from '../../src/analysis/series.ts';
import { lazyRun, logTimes } from '../helpers/calibration.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { lsiModeRun } from '../helpers/grsdCases.ts';

const getCtx = useGpu();

const failed = (intervals: readonly { checks: Record<string, { status: string }> }[]): string[] =>
  intervals.flatMap((iv, i) =>
    Object.entries(iv.checks)
      .filter(([, c]) => c.status === 'fail')
      .map(([k]) => `${i}:${k}`),
  );

describe(`calibration controls on ${gpuBackend}`, () => {
  gpuTest('mode-level exact LSI (ρ = 0.7, 1, 1.3): C4 passes, a within 0.05 of 1 + ln ρ/h; iid and shell-permuted fail C4', async () => {
    const cases = [
      ...[0.7, 1, 1.3].map((rho) => ({ kind: 'lsi' as const, rho })),
      { kind: 'iid' as const, rho: 1 },
      { kind: 'permuted' as const, rho: 1 },
    ];
    for (const { kind, rho } of cases) {
      // 16 modes span 3.75 decades: the smallest eigenvalue is 1.8e-4·λ_max, above the f32 floor 1e-5·λ_max.
      const run = lsiModeRun({ rho, kind, ell: 1 });
      const series = await analyzeSeries(getCtx(), run.checkpoints, { gridOptions: run.gridOptions, rank: 16 });
      const a = analyzeGrsd(series, { lsi: { permutations: 300 }, eigenvalueTail: false });
      const label = `${kind} ρ = ${rho}`;
      expect(failed(series.intervals), label).toEqual([]);
      if (kind === 'lsi') {
        expect(a.conditions.C4.verdict, `${label}: ${a.conditions.C4.reason}`).toBe('pass');
        expect(a.fits.rigidity.ok, label).toBe(true);
        if (a.fits.rigidity.ok) expect(Math.abs(a.fits.rigidity.aMean - run.exponent), label).toBeLessThan(0.05);
      } else expect(a.conditions.C4.verdict, label).toBe('fail');
    }
  });

  gpuTest('a lazy run (rotated eigenbasis): transport below the f32 resolution, no velocity exponent, no failed check', async () => {
    const series = await analyzeSeries(getCtx(), lazyRun({ n: 48, nu: 1.3, kappa: 0.65 }, logTimes(300, 5), 3), { rank: 48 });
    const a = analyzeGrsd(series, { lsi: { permutations: 20 }, eigenvalueTail: false });
    expect(failed(series.intervals)).toEqual([]);
    expect(a.fits.velocity.some((v) => v.ok)).toBe(false);
    expect(a.theory.resolvedIntervals).toEqual([]);
    expect(a.conditions.C4.verdict).toBe('not-computable');
  });
});
