/**
 * Statistics over seeds for the depth study (docs/lab.md, "The claim as a statistic"): mean and
 * standard error with the per-seed values, Welch's t-test and an exact permutation test for a
 * difference of means, the percentile bootstrap, the depth threshold and per-seed slopes.
 * Everything is float64 on the host and deterministic (seeded).
 * @module
 */
import { fitLine } from '../analysis/regression.ts';
import { InvalidArgumentError } from '../errors.ts';
import { logGamma } from '../reference/powerLawTail.ts';
import { Random } from '../util/random.ts';

/** A quantity measured once per seed: the values and their mean and standard error. */
export interface SeedSummary {
  /** Mean over the seeds with a value; null when none has one. */
  readonly mean: number | null;
  /** Sample standard deviation / √m over the m seeds with a value; null when m < 2. */
  readonly standardError: number | null;
  /** The seeds, in the order of `values`. */
  readonly seeds: readonly number[];
  /** The value of each seed (null where it could not be computed). */
  readonly values: readonly (number | null)[];
}

/** Arithmetic mean (NaN for an empty list). */
export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Unbiased sample variance Σ(x − x̄)²/(m − 1) (NaN for m < 2). */
export function sampleVariance(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

/** The finite entries of `values`. */
export function finiteValues(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

/** {@link SeedSummary} of per-seed `values` (null or non-finite entries count as missing). */
export function seedSummary(seeds: readonly number[], values: readonly (number | null)[]): SeedSummary {
  if (seeds.length !== values.length) {
    throw new InvalidArgumentError('values', `must have one entry per seed (${seeds.length}), got ${values.length}`);
  }
  const ok = finiteValues(values);
  return {
    mean: ok.length ? mean(ok) : null,
    standardError: ok.length >= 2 ? Math.sqrt(sampleVariance(ok) / ok.length) : null,
    seeds: [...seeds],
    values: values.map((v) => (v !== null && Number.isFinite(v) ? v : null)),
  };
}

/**
 * Regularized incomplete beta function I_x(a, b), by the continued fraction of Numerical Recipes
 * §6.4 (modified Lentz), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it converges faster.
 * Relative accuracy ≈ 1e-14 for the a, b of t-tests.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new InvalidArgumentError('a, b', `must be positive, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError('x', `must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** P(T > t) for Student's t with `df` > 0 degrees of freedom (df need not be an integer). */
export function studentTUpperTail(t: number, df: number): number {
  if (!(df > 0)) throw new InvalidArgumentError('df', `must be positive, got ${df}`);
  if (Number.isNaN(t)) throw new InvalidArgumentError('t', 'must be a number, got NaN');
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Welch's two-sample t-test of mean(a) − mean(b). */
export interface WelchTest {
  /** mean(a) − mean(b). */
  readonly difference: number;
  /** √(s_a²/m_a + s_b²/m_b). */
  readonly standardError: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly degreesOfFreedom: number;
  /** Welch's t statistic, difference/standardError. */
  readonly t: number;
  /** P(T ≥ t): evidence that mean(a) > mean(b). */
  readonly pGreater: number;
  /** P(|T| ≥ |t|). */
  readonly pTwoSided: number;
}

/**
 * {@link WelchTest} of a against b; null when either has fewer than 2 values or the standard
 * error is 0 (no spread in either sample: the test is not defined).
 */
export function welchTest(a: readonly number[], b: readonly number[]): WelchTest | null {
  if (a.length < 2 || b.length < 2) return null;
  const va = sampleVariance(a) / a.length;
  const vb = sampleVariance(b) / b.length;
  const se = Math.sqrt(va + vb);
  if (!(se > 0)) return null;
  const difference = mean(a) - mean(b);
  const t = difference / se;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const pGreater = studentTUpperTail(t, df);
  return {
    difference,
    standardError: se,
    degreesOfFreedom: df,
    t,
    pGreater,
    pTwoSided: Math.min(1, 2 * Math.min(pGreater, 1 - pGreater)),
  };
}

/** A permutation test of mean(a) − mean(b) over the relabellings of the pooled values. */
export interface TwoSamplePermutationTest {
  /** mean(a) − mean(b). */
  readonly difference: number;
  /** `greater`: H₁ mean(a) > mean(b); `two-sided`: H₁ mean(a) ≠ mean(b). */
  readonly alternative: 'greater' | 'two-sided';
  /** Exact: share of relabellings at least as extreme as observed; Monte Carlo: (1 + count)/(1 + samples). */
  readonly pValue: number;
  /** Every relabelling enumerated (true), or a Monte Carlo sample of them. */
  readonly exact: boolean;
  /** Relabellings enumerated (C(m_a + m_b, m_a)) or sampled. */
  readonly arrangements: number;
  /**
   * The smallest p-value this test can give with these sample sizes (distinct values):
   * 1/C(m_a + m_b, m_a) one-sided, twice that two-sided with m_a = m_b; 1/(samples + 1) by Monte Carlo.
   */
  readonly smallestPValue: number;
}

/** C(n, k) as a float (exact below 2⁵³). */
export function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/**
 * Permutation test of mean(a) − mean(b): exact (every split of the pooled values into groups of
 * the original sizes, the observed one included) when there are at most `maxExact` splits, else
 * `samples` random relabellings (p = (1 + #{≥ observed})/(1 + samples)). Ties count as extreme.
 */
export function twoSamplePermutationTest(
  a: readonly number[],
  b: readonly number[],
  options: { alternative?: 'greater' | 'two-sided'; maxExact?: number; samples?: number; seed?: number } = {},
): TwoSamplePermutationTest | null {
  if (a.length < 1 || b.length < 1) return null;
  const alternative = options.alternative ?? 'greater';
  const pooled = [...a, ...b];
  const na = a.length;
  const nb = b.length;
  const total = pooled.reduce((s, x) => s + x, 0);
  const diffOf = (sumA: number): number => sumA / na - (total - sumA) / nb;
  const observed = diffOf(a.reduce((s, x) => s + x, 0));
  const scale = pooled.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
  const tol = 1e-12 * Math.max(scale, 1e-300);
  const extreme = (d: number): boolean => (alternative === 'greater' ? d >= observed - tol : Math.abs(d) >= Math.abs(observed) - tol);
  const splits = binomial(na + nb, na);
  const maxExact = options.maxExact ?? 200_000;
  if (splits <= maxExact) {
    let count = 0;
    const choose = (start: number, left: number, sum: number): void => {
      if (left === 0) {
        if (extreme(diffOf(sum))) count++;
        return;
      }
      for (let i = start; i <= pooled.length - left; i++) choose(i + 1, left - 1, sum + pooled[i]!);
    };
    choose(0, na, 0);
    return {
      difference: observed,
      alternative,
      pValue: count / splits,
      exact: true,
      arrangements: splits,
      smallestPValue: (alternative === 'two-sided' && na === nb ? 2 : 1) / splits,
    };
  }
  const samples = options.samples ?? 10_000;
  const rng = new Random(options.seed ?? 0);
  const order = Int32Array.from({ length: pooled.length }, (_, i) => i);
  let count = 0;
  for (let s = 0; s < samples; s++) {
    rng.shuffle(order);
    let sum = 0;
    for (let i = 0; i < na; i++) sum += pooled[order[i]!]!;
    if (extreme(diffOf(sum))) count++;
  }
  return {
    difference: observed,
    alternative,
    pValue: (1 + count) / (1 + samples),
    exact: false,
    arrangements: samples,
    smallestPValue: 1 / (1 + samples),
  };
}

/** A percentile bootstrap interval. */
export interface BootstrapInterval {
  /** Lower and upper bound (inverse empirical CDF of the replicates at (1 ∓ level)/2; may be ±Infinity). */
  readonly lower: number;
  /** Upper bound, the replicates' quantile at (1 + level)/2 (may be +Infinity). */
  readonly upper: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
  /** Bootstrap resamples. */
  readonly replicates: number;
  /** The statistic on the original sample. */
  readonly estimate: number;
  /** Fraction of replicates whose statistic was ±Infinity (e.g. "no depth reached the threshold"). */
  readonly infiniteFraction: number;
}

/**
 * Percentile bootstrap over `units` resampling units (e.g. seeds): `statistic(indices)` is
 * evaluated on `replicates` resamples of the indices 0…units−1 drawn with replacement. The
 * statistic may return ±Infinity (e.g. "no depth reached the threshold"); the bounds are order
 * statistics (no interpolation), so a statistic on a discrete set (depths) gives bounds in it.
 */
export function bootstrapInterval(
  units: number,
  statistic: (indices: readonly number[]) => number,
  options: { replicates?: number; level?: number; seed?: number } = {},
): BootstrapInterval {
  if (!Number.isInteger(units) || units < 1) throw new InvalidArgumentError('units', `must be a positive integer, got ${units}`);
  const replicates = options.replicates ?? 2000;
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError('level', `must be in (0, 1), got ${level}`);
  const rng = new Random(options.seed ?? 0);
  const values = new Float64Array(replicates);
  const sample = new Array<number>(units);
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < units; i++) sample[i] = Math.floor(rng.uniform() * units);
    values[r] = statistic(sample);
  }
  values.sort();
  const infinite = values.filter((v) => !Number.isFinite(v)).length;
  const at = (q: number): number => values[Math.min(replicates - 1, Math.max(0, Math.ceil(q * replicates) - 1))]!;
  return {
    lower: at((1 - level) / 2),
    upper: at((1 + level) / 2),
    level,
    replicates,
    estimate: statistic(Array.from({ length: units }, (_, i) => i)),
    infiniteFraction: infinite / replicates,
  };
}

/** L* = the smallest depth whose value is ≤ `threshold` (null if none; depths need not be sorted). */
export function criticalDepth(depths: readonly number[], values: readonly (number | null)[], threshold: number): number | null {
  let best: number | null = null;
  depths.forEach((d, i) => {
    const v = values[i];
    if (v !== null && v !== undefined && v <= threshold && (best === null || d < best)) best = d;
  });
  return best;
}

/**
 * Least-squares slope of ln y against ln x over the points with x, y > 0 (null with fewer than
 * two distinct x).
 */
export function logLogSlope(x: readonly number[], y: readonly (number | null)[]): number | null {
  const pts: [number, number][] = [];
  x.forEach((xi, i) => {
    const yi = y[i];
    if (xi > 0 && yi !== null && yi !== undefined && yi > 0) pts.push([xi, yi]);
  });
  if (new Set(pts.map((p) => p[0])).size < 2) return null;
  return fitLine(
    pts.map((p) => Math.log(p[0])),
    pts.map((p) => Math.log(p[1])),
  ).slope;
}
