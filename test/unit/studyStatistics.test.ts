/**
 * The depth study's statistics over seeds (src/experiments/statistics.ts) on cases with a known
 * answer: means and standard errors by hand, Student-t tails and Welch tests against scipy
 * (values printed by scipy.stats 1.x, pasted below), exact permutation p-values counted by hand,
 * and the coverage of the percentile bootstrap on synthetic data (positive and negative control).
 */
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  binomial,
  bootstrapInterval,
  criticalDepth,
  logLogSlope,
  mean,
  twoSamplePermutationTest,
  regularizedBeta,
  seedSummary,
  studentTUpperTail,
  welchTest,
} from '../../src/experiments/statistics.ts';
import { Random } from '../../src/util/random.ts';

describe('seed summaries', () => {
  test('mean and standard error over the seeds with a value; missing values kept as null', () => {
    const s = seedSummary([1, 2, 3, 4], [1, 2, 3, null]);
    expect(s.mean).toBe(2);
    expect(s.standardError).toBeCloseTo(1 / Math.sqrt(3), 15); // sd 1 over 3 values
    expect(s.seeds).toEqual([1, 2, 3, 4]);
    expect(s.values).toEqual([1, 2, 3, null]);
    expect(seedSummary([1, 2], [Number.NaN, 5])).toEqual({ mean: 5, standardError: null, seeds: [1, 2], values: [null, 5] });
    expect(seedSummary([1], [null])).toEqual({ mean: null, standardError: null, seeds: [1], values: [null] });
    expect(() => seedSummary([1, 2], [1])).toThrow(InvalidArgumentError);
  });
});

describe('Student t and Welch (against scipy)', () => {
  test('regularized incomplete beta and t tails', () => {
    expect(regularizedBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.01892712407194565, 13);
    expect(regularizedBeta(0.9, 10, 3)).toBeCloseTo(0.889130022255, 11);
    expect(studentTUpperTail(1.7, 3.3)).toBeCloseTo(0.08966163945354022, 13);
    expect(studentTUpperTail(-0.4, 7)).toBeCloseTo(0.6494591664147975, 13);
    expect(studentTUpperTail(12, 2)).toBeCloseTo(0.00343646683857923, 14);
    expect(studentTUpperTail(0, 5)).toBeCloseTo(0.5, 15);
    expect(() => studentTUpperTail(1, 0)).toThrow(InvalidArgumentError);
  });

  test('Welch t, degrees of freedom and p-values', () => {
    const w = welchTest([0.99, 0.97, 0.98], [0.3, 0.28, 0.35])!;
    expect(w.difference).toBeCloseTo(0.67, 14);
    expect(w.t).toBeCloseTo(31.014973342380483, 10);
    expect(w.pGreater).toBeCloseTo(0.00022473650734836328, 12);
    expect(w.pTwoSided).toBeCloseTo(0.00044947301469672657, 12);
    const v = welchTest([1.2, 0.4, 2.2, 1.9, 0.7], [0.1, 0.8, -0.3, 0.5])!;
    expect(v.t).toBeCloseTo(2.4045287139304476, 12);
    expect(v.pGreater).toBeCloseTo(0.024291403253371677, 12);
    // The other direction: p(greater) of b − a is the complement.
    expect(welchTest([0.1, 0.8, -0.3, 0.5], [1.2, 0.4, 2.2, 1.9, 0.7])!.pGreater).toBeCloseTo(1 - 0.024291403253371677, 12);
  });

  test('Welch is undefined with one value or no spread', () => {
    expect(welchTest([1], [2, 3])).toBeNull();
    expect(welchTest([1, 1], [2, 2])).toBeNull();
  });
});

describe('permutation test', () => {
  test('3 vs 3: 20 splits, the most extreme gives p = 1/20 one-sided, 2/20 two-sided', () => {
    expect(binomial(6, 3)).toBe(20);
    const p = twoSamplePermutationTest([4, 5, 6], [1, 2, 3])!;
    expect(p.exact).toBe(true);
    expect(p.arrangements).toBe(20);
    expect(p.pValue).toBeCloseTo(1 / 20, 15);
    expect(p.smallestPValue).toBeCloseTo(1 / 20, 15);
    const two = twoSamplePermutationTest([4, 5, 6], [1, 2, 3], { alternative: 'two-sided' })!;
    expect(two.pValue).toBeCloseTo(2 / 20, 15);
    expect(two.smallestPValue).toBeCloseTo(2 / 20, 15);
    // Wrong direction: every split is at least as large, p = 1.
    expect(twoSamplePermutationTest([1, 2, 3], [4, 5, 6])!.pValue).toBe(1);
  });

  test('a hand count: {3, 4, 5} vs {1, 2, 6}: 7 of the 20 splits have a sum ≥ 12, p = 7/20', () => {
    // {4,5,6} 15, {3,5,6} 14, {3,4,6} 13, {2,5,6} 13, {3,4,5} 12, {2,4,6} 12, {1,5,6} 12.
    expect(twoSamplePermutationTest([3, 4, 5], [1, 2, 6])!.pValue).toBeCloseTo(7 / 20, 15);
  });

  test('against scipy.stats.permutation_test (5 vs 4, exact): p = 5/126', () => {
    const p = twoSamplePermutationTest([1.2, 0.4, 2.2, 1.9, 0.7], [0.1, 0.8, -0.3, 0.5])!;
    expect(p.arrangements).toBe(126);
    expect(p.pValue).toBeCloseTo(0.03968253968253968, 15);
  });

  test('Monte Carlo relabelling agrees with the exact count within its sampling error', () => {
    const a = [1.2, 0.4, 2.2, 1.9, 0.7];
    const b = [0.1, 0.8, -0.3, 0.5];
    const mc = twoSamplePermutationTest(a, b, { maxExact: 10, samples: 20_000, seed: 3 })!;
    expect(mc.exact).toBe(false);
    const exact = 5 / 126;
    expect(Math.abs(mc.pValue - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 20_000));
    expect(mc.smallestPValue).toBeCloseTo(1 / 20_001, 15);
  });

  test('negative control: equal samples give no evidence', () => {
    expect(twoSamplePermutationTest([1, 2, 3], [1, 2, 3])!.pValue).toBeGreaterThanOrEqual(0.5);
  });
});

describe('percentile bootstrap', () => {
  const coverage = (level: number): number => {
    const rng = new Random(11);
    const datasets = 1000;
    let covered = 0;
    for (let k = 0; k < datasets; k++) {
      const xs = Array.from({ length: 20 }, () => 5 + 2 * rng.normal());
      const ci = bootstrapInterval(xs.length, (idx) => mean(idx.map((i) => xs[i]!)), { replicates: 1000, level, seed: k });
      if (ci.lower <= 5 && 5 <= ci.upper) covered++;
    }
    return covered / datasets;
  };

  test('95% intervals of a mean cover the truth ≈ 93% of the time (n = 20, 1000 data sets)', () => {
    // Percentile intervals at n = 20 under-cover: P(|t₁₉| ≤ 1.96·√(19/20)) = 0.929 (z instead of t, the
    // plug-in variance); the rate over 1000 data sets has a binomial sd ≈ 0.008.
    const c = coverage(0.95);
    expect(c).toBeGreaterThan(0.89);
    expect(c).toBeLessThan(0.96);
  });

  test('negative control: 50% intervals cover ≈ 48% (P(|t₁₉| ≤ 0.674·√(19/20)) = 0.481), not more', () => {
    const c = coverage(0.5);
    expect(c).toBeGreaterThan(0.43);
    expect(c).toBeLessThan(0.54);
  });

  test('order statistics: bounds are values the statistic took (a discrete statistic stays discrete); Infinity allowed', () => {
    const depths = [2, 4, 8];
    const ci = bootstrapInterval(3, (idx) => depths[Math.max(...idx)]!, { replicates: 500, seed: 1 });
    expect(depths).toContain(ci.lower);
    expect(depths).toContain(ci.upper);
    expect(ci.estimate).toBe(8);
    const none = bootstrapInterval(3, () => Number.POSITIVE_INFINITY, { replicates: 10 });
    expect(none.lower).toBe(Number.POSITIVE_INFINITY);
    expect(none.infiniteFraction).toBe(1);
    expect(ci.infiniteFraction).toBe(0);
    expect(() => bootstrapInterval(0, () => 0)).toThrow(InvalidArgumentError);
  });
});

describe('depth threshold and slopes', () => {
  test('L* is the smallest depth at or below the threshold', () => {
    expect(criticalDepth([2, 4, 8, 16], [0.9, 0.5, 0.3, 0.2], 0.3)).toBe(8);
    expect(criticalDepth([16, 2, 8], [0.2, 0.25, 0.9], 0.3)).toBe(2);
    expect(criticalDepth([2, 4], [0.9, null], 0.3)).toBeNull();
  });

  test('d ln y / d ln x of an exact power law; nulls and non-positive values skipped', () => {
    const x = [2, 4, 8, 16];
    expect(
      logLogSlope(
        x,
        x.map((v) => 3 * v ** -0.5),
      ),
    ).toBeCloseTo(-0.5, 14);
    expect(logLogSlope(x, [0.4, null, 0.1, -1])).toBeCloseTo(Math.log(0.25) / Math.log(4), 14);
    expect(logLogSlope([2, 2], [1, 2])).toBeNull();
  });
});
