/**
 * Statistics of benchmark samples: order statistics (median, quartiles, IQR, MAD) and the
 * least-squares power-law fit `t ≈ c·x^p` (a straight line in log-log coordinates) used for the
 * scaling exponents.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** Summary of a set of timing samples (all in milliseconds). */
export interface SampleStats {
  /** Median (middle value; mean of the two middle values for an even count). */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Interquartile range Q3 − Q1 (linear interpolation between order statistics; 0 for one sample). */
  readonly spread: number;
  /** What {@link spread} is: always `"iqr"` here. */
  readonly spreadKind: 'iqr';
  /** Median absolute deviation from the median (unscaled). */
  readonly mad: number;
  /** Arithmetic mean. */
  readonly mean: number;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of `sorted` (ascending) by linear interpolation between order
 * statistics (the "type 7" rule of R and numpy's default).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new InvalidArgumentError('samples', 'need at least one sample');
  if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError('q', `must be in [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Median, extremes, IQR, MAD and mean of `samples` (at least one, all finite). */
export function summarize(samples: readonly number[]): SampleStats {
  if (samples.length === 0) throw new InvalidArgumentError('samples', 'need at least one sample');
  for (const s of samples) if (!Number.isFinite(s)) throw new InvalidArgumentError('samples', `must be finite, got ${s}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantileSorted(sorted, 0.5);
  const deviations = sorted.map((s) => Math.abs(s - median)).sort((a, b) => a - b);
  return {
    median,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    spread: quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25),
    spreadKind: 'iqr',
    mad: quantileSorted(deviations, 0.5),
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}

/** A least-squares fit of log y = log c + p·log x. */
export interface PowerLawFit {
  /** The exponent p. */
  readonly exponent: number;
  /** The prefactor c. */
  readonly coefficient: number;
  /** Coefficient of determination of the fit in log-log coordinates (1 for two points). */
  readonly r2: number;
  /** Number of points fitted. */
  readonly points: number;
}

/**
 * Fits `y ≈ c·x^p` by least squares on (log x, log y). Needs at least two points with distinct
 * x; every x and y must be finite and positive.
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit {
  if (xs.length !== ys.length) throw new InvalidArgumentError('ys', `expected ${xs.length} values, got ${ys.length}`);
  if (xs.length < 2) throw new InvalidArgumentError('xs', `need at least two points, got ${xs.length}`);
  for (const [name, values] of [
    ['xs', xs],
    ['ys', ys],
  ] as const) {
    for (const v of values)
      if (!(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(name, `must be finite and positive, got ${v}`);
  }
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const n = xs.length;
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = lx[i]! - mx;
    const dy = ly[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new InvalidArgumentError('xs', 'need at least two distinct x values');
  const exponent = sxy / sxx;
  const intercept = my - exponent * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ly[i]! - intercept - exponent * lx[i]!) ** 2;
  return { exponent, coefficient: Math.exp(intercept), r2: syy === 0 ? 1 : 1 - sse / syy, points: n };
}
