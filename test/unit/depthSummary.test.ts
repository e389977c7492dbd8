/**
 * The depth study's summary over seeds (src/experiments/depthSummary.ts) on synthetic outcomes
 * with a known answer: a clear effect (residual falls below the threshold with depth, plain does
 * not), no effect (the same values for both), missing values, verdict shares and slopes.
 */
import { describe, expect, test } from 'vitest';
import type { Verdict } from '../../src/analysis/conditions.ts';
import { summarizeDepthStudy, type RunOutcome } from '../../src/experiments/depthSummary.ts';
import { welchTest } from '../../src/experiments/statistics.ts';

const depths = [2, 4, 8, 16];
const seeds = [1, 2, 3];

function outcomes(epsilon: (arch: string, depth: number, seed: number) => number | null, c3: Verdict = 'pass'): RunOutcome[] {
  return ['residual', 'plain'].flatMap((architecture) =>
    depths.flatMap((depth) =>
      seeds.map((seed) => {
        const e = epsilon(architecture, depth, seed);
        return {
          architecture,
          depth,
          seed,
          epsilonLSI: e,
          xi: 0.5 + 0.01 * seed,
          velocityExponent: 1,
          finalLoss: 0.01 * seed,
          sharpness: 0.5,
          verdicts: { C1: 'pass', C2: seed === 1 ? 'fail' : 'pass', C3: c3, C4: e !== null && e <= 0.3 ? 'pass' : 'fail' },
          ...(e === null ? { lsiReason: 'transport below resolution' } : {}),
        } satisfies RunOutcome;
      }),
    ),
  );
}

const options = { architectures: ['residual', 'plain'], depths, seeds, threshold: 0.3, bootstrapReplicates: 500, seed: 1 };
const jitter = (seed: number) => 0.01 * (seed - 2); // −0.01, 0, +0.01

describe('depth study summary', () => {
  test('a clear effect: residual ε = 0.8·(2/L)^½ (below 0.3 from L = 16), plain ≈ 0.95 flat', () => {
    const s = summarizeDepthStudy(
      outcomes((a, L, seed) => (a === 'residual' ? 0.8 * Math.sqrt(2 / L) : 0.95) + jitter(seed)),
      options,
    );
    const cell = s.cells.find((c) => c.architecture === 'residual' && c.depth === 16)!;
    const e16 = 0.8 * Math.sqrt(2 / 16); // 0.283
    expect(cell.epsilonLSI.mean).toBeCloseTo(e16, 12);
    expect(cell.epsilonLSI.standardError).toBeCloseTo(0.01 / Math.sqrt(3), 12); // sd 0.01 over 3 seeds
    expect(cell.epsilonLSI.seeds).toEqual(seeds);
    expect(cell.epsilonLSI.values.map((v) => v!.toFixed(3))).toEqual(['0.273', '0.283', '0.293']);
    expect(cell.verdicts.C2).toEqual({ pass: 2, marginal: 0, fail: 1, notComputable: 0, passFraction: 2 / 3 });
    expect(cell.verdicts.C4.passFraction).toBe(1);
    const c16 = s.comparisons.find((c) => c.depth === 16)!;
    expect(c16.difference).toBeCloseTo(0.95 - e16, 12);
    expect(c16.standardError).toBeCloseTo(Math.hypot(0.01 / Math.sqrt(3), 0.01 / Math.sqrt(3)), 12);
    const ref = welchTest([0.94, 0.95, 0.96], [e16 - 0.01, e16, e16 + 0.01])!;
    expect(c16.welch!.pGreater).toBeCloseTo(ref.pGreater, 12);
    expect(c16.permutation!.pValue).toBeCloseTo(1 / 20, 15); // the most extreme of the 20 splits
    const res = s.scans.find((x) => x.architecture === 'residual')!;
    expect(res.criticalDepth).toBe(16); // 0.8·√(2/8) = 0.4 > 0.3, 0.8·√(2/16) = 0.28
    expect(res.criticalDepthInterval.lower).toBe(16);
    expect(res.criticalDepthInterval.upper).toBe(16);
    // Per-seed slopes of 0.8·√(2/L) ± 0.01 are ≈ −0.5 (the jitter bends them a little).
    expect(res.slope.mean!).toBeCloseTo(-0.5, 1);
    expect(s.scans.find((x) => x.architecture === 'plain')!.criticalDepth).toBeNull();
    expect(s.finding.effect).toBe('found');
    expect(s.finding.depth).toBe(16);
    expect(s.finding.sentence).toMatch(
      /^Residual networks realize log-shift invariance beyond a depth threshold and plain networks do not/,
    );
    expect(s.finding.sentence).toMatch(/L\* = 16/);
    expect(s.finding.sentence).toMatch(/plain ε_LSI reaches ≤ 0\.3 at no depth/);
  });

  test('a significant difference without reaching the threshold is said so', () => {
    const s = summarizeDepthStudy(
      outcomes((a, _L, seed) => (a === 'residual' ? 0.7 : 0.95) + jitter(seed)),
      options,
    );
    expect(s.finding.effect).toBe('found');
    expect(s.finding.sentence).toMatch(
      /^At depth 16, residual networks have a significantly lower ε_LSI than plain ones .* but neither reaches the ε_LSI ≤ 0\.3 of log-shift invariance at any depth \(L\* = none\); across depths residual ε_LSI changes with slope d ln ε\/d ln L = 0\.00 ± 0\.00/,
    );
    // 3 seeds: the permutation test's floor is 1/20, said as a caveat; no network is past the edge of stability.
    expect(s.finding.caveats).toHaveLength(1);
    expect(s.finding.caveats[0]).toMatch(/cannot go below p = 0\.050/);
  });

  test('networks at the edge of stability (max λ(M) > 2) are named in a caveat', () => {
    const unstable = outcomes((a, _L, seed) => (a === 'residual' ? 0.4 : 0.9) + jitter(seed)).map((o) =>
      o.architecture === 'plain' && o.depth >= 8 ? { ...o, sharpness: 3 + o.depth / 8 } : o,
    );
    const s = summarizeDepthStudy(unstable, options);
    expect(s.cells.find((c) => c.architecture === 'plain' && c.depth === 16)!.sharpness.mean).toBe(5);
    expect(s.finding.caveats[0]).toMatch(
      /^Plain networks at depths 8, 16 train at the edge of stability at this learning rate \(max λ\(M\) 4\.00–5\.00 > 2: .*\), residual ones do not \(≤ 0\.50\)/,
    );
  });

  test('no effect: the same ε for both architectures → "not found", with the reasons the runs give', () => {
    const s = summarizeDepthStudy(
      outcomes((_a, _L, seed) => 0.7 + jitter(seed), 'fail'),
      options,
    );
    expect(s.comparisons.every((c) => Math.abs(c.difference!) < 1e-12)).toBe(true);
    expect(s.finding.effect).toBe('not-found');
    expect(s.finding.sentence).toMatch(/^The effect was not found: at depth 16/);
    expect(s.finding.sentence).toMatch(/C3 .* fails in 24 of 24 runs/);
    expect(s.scans.every((x) => x.criticalDepth === null && x.criticalDepthInterval.noneFraction === 1)).toBe(true);
  });

  test('missing ε_LSI: null values, means over the rest, the reason in the sentence', () => {
    const s = summarizeDepthStudy(
      outcomes((a, _L, seed) => (a === 'residual' && seed === 3 ? null : 0.7 + jitter(seed))),
      options,
    );
    const cell = s.cells.find((c) => c.architecture === 'residual' && c.depth === 2)!;
    expect(cell.epsilonLSI.values).toEqual([0.69, 0.7, null]);
    expect(cell.epsilonLSI.mean).toBeCloseTo(0.695, 12);
    expect(s.finding.sentence).toMatch(/not computable in 4 of 24 runs \(transport below resolution\)/);
  });

  test('one architecture: nothing to compare, said plainly', () => {
    const s = summarizeDepthStudy(
      outcomes(() => 0.5).filter((o) => o.architecture === 'residual'),
      { ...options, architectures: ['residual'] },
    );
    expect(s.comparisons).toEqual([]);
    expect(s.finding.effect).toBe('undetermined');
    expect(s.finding.sentence).toMatch(/^The effect could not be tested: the study has no residual and plain pair/);
  });
});
