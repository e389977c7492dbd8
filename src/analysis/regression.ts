/**
 * Small float64 statistics used by the fits: weighted least squares for a line with standard
 * errors and R², a seeded bootstrap confidence interval of the slope, and summary helpers.
 * @module
 */
import { Random } from '../util/random.ts';

/** A fitted line y = intercept + slope·x. */
export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  readonly slopeStdErr: number;
  readonly interceptStdErr: number;
  readonly r2: number;
  readonly n: number;
}

/**
 * (Weighted) least squares for y = a + b x. Standard errors use the residual variance with n − 2
 * degrees of freedom (0 when n = 2). Requires n ≥ 2 distinct x; the caller checks.
 */
export function fitLine(x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>): LineFit {
  const n = x.length;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    sw += wi;
    sx += wi * x[i]!;
    sy += wi * y[i]!;
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    sxx += wi * (x[i]! - mx) ** 2;
    sxy += wi * (x[i]! - mx) * (y[i]! - my);
    syy += wi * (y[i]! - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (w ? w[i]! : 1) * (y[i]! - intercept - slope * x[i]!) ** 2;
  const dof = Math.max(1, n - 2);
  const sigma2 = (sse / dof) * (n / sw); // weights normalized to mean 1
  const slopeStdErr = n > 2 && sxx > 0 ? Math.sqrt((sigma2 * (sw / n)) / sxx) : 0;
  const interceptStdErr = n > 2 && sxx > 0 ? Math.sqrt(sigma2 * (1 / n + (mx * mx * (sw / n)) / sxx)) : 0;
  const r2 = syy > 0 ? 1 - sse / syy : 1;
  return { slope, intercept, slopeStdErr, interceptStdErr, r2, n };
}

/**
 * Percentile bootstrap (seeded) confidence interval of the slope: resamples points with
 * replacement (resamples with a single distinct x are skipped). Null when no resample is usable.
 */
export function bootstrapSlope(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: { samples?: number; level?: number; seed?: number; weights?: ArrayLike<number> } = {},
): [number, number] | null {
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  const rng = new Random(options.seed ?? 0);
  const n = x.length;
  const slopes: number[] = [];
  const bx = new Float64Array(n);
  const by = new Float64Array(n);
  const bw = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      bx[i] = x[j]!;
      by[i] = y[j]!;
      bw[i] = options.weights ? options.weights[j]! : 1;
    }
    let min = Infinity;
    let max = -Infinity;
    for (const v of bx) ((min = Math.min(min, v)), (max = Math.max(max, v)));
    if (max > min) slopes.push(fitLine(bx, by, bw).slope);
  }
  if (slopes.length === 0) return null;
  slopes.sort((a, b) => a - b);
  const lo = slopes[Math.floor(((1 - level) / 2) * (slopes.length - 1))]!;
  const hi = slopes[Math.ceil(((1 + level) / 2) * (slopes.length - 1))]!;
  return [lo, hi];
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Sample standard deviation (0 for fewer than 2 values). */
export function stdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

/** Digamma ψ(x) for x > 0 (recurrence to x ≥ 6, then the asymptotic series; |error| < 1e-12). */
export function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

/** Γ(x) for x > 0 (Lanczos approximation, relative error < 1e-13). */
export function gamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return Math.sqrt(2 * Math.PI) * t ** (x + 0.5) * Math.exp(-t) * a;
}

/**
 * Σ(y_i − m_i − c)² at the best offset c = mean(y − m): the residual of a profile least-squares
 * fit y ≈ c + m(θ) whose additive constant is solved in closed form. Without `model`, Σ(y_i − ȳ)².
 */
export function offsetResidualSS(y: readonly number[], model?: readonly number[]): number {
  const r = model ? y.map((v, i) => v - model[i]!) : y;
  const mean = r.reduce((acc, v) => acc + v, 0) / r.length;
  return r.reduce((acc, v) => acc + (v - mean) ** 2, 0);
}

/**
 * Minimizes a function of one variable on [lo, hi]: a scan of `grid` (default 64) equally spaced
 * points brackets the smallest value, then golden-section search narrows the bracket to `tol`
 * (default 1e-10·(hi − lo)). Non-finite values count as +∞. For the one-parameter profile fits
 * (the other parameters solved in closed form at each point), whose objectives are smooth.
 */
export function minimizeScalar(f: (x: number) => number, lo: number, hi: number, options: { grid?: number; tol?: number } = {}): number {
  const grid = Math.max(3, options.grid ?? 64);
  const value = (x: number): number => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let best = 0;
  let bestValue = Infinity;
  const step = (hi - lo) / (grid - 1);
  for (let i = 0; i < grid; i++) {
    const v = value(lo + i * step);
    if (v < bestValue) ((bestValue = v), (best = i));
  }
  let a = lo + Math.max(0, best - 1) * step;
  let b = lo + Math.min(grid - 1, best + 1) * step;
  const tol = options.tol ?? 1e-10 * (hi - lo);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = value(c);
  let fd = value(d);
  while (b - a > tol) {
    if (fc <= fd) ((b = d), (d = c), (fd = fc), (c = b - g * (b - a)), (fc = value(c)));
    else ((a = c), (c = d), (fc = fd), (d = a + g * (b - a)), (fd = value(d)));
  }
  return 0.5 * (a + b);
}
