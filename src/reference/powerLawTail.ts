/**
 * Float64 power-law tail fitting after Clauset, Shalizi & Newman (2009), "Power-law distributions
 * in empirical data", SIAM Review 51:661–703 (CSN): the vectorized x_min scan (the twin of
 * shaders/analysis/powerLawScan.wgsl), the semi-parametric bootstrap sample, maximum-likelihood
 * fits of the exponentially truncated power law and the lognormal on the same tail, Vuong's
 * likelihood-ratio test, and the special functions they need (log Γ, the upper incomplete gamma
 * function Γ(a, x) for every real a, log erfc). This is the CPU path of `fitPowerLawTail`
 * (src/analysis/powerLawTail.ts) and the reference its GPU path is tested against.
 *
 * Model. Continuous power law p(x) = (α−1)/x_min · (x/x_min)^{−α} for x ≥ x_min. With the data
 * sorted ascending, x_0 ≤ … ≤ x_{N−1}, a candidate x_min = x_k (k the first index of a distinct
 * value) has the tail x_k … x_{N−1} of n = N − k points and
 *
 *   α̂_k = 1 + n / S_k,  S_k = Σ_{j≥k} ln(x_j/x_k),  σ(α̂) = (α̂−1)/√n,
 *   D_k = max_{0≤i<n} | i/n − P(x_{k+i}) |,  P(x) = 1 − (x/x_k)^{1−α̂_k}.
 *
 * D uses the empirical CDF i/n at the i-th tail point (0-based), the convention of CSN's `plfit`
 * and of the Python `powerlaw` package; it differs from the two-sided Kolmogorov–Smirnov supremum
 * by at most 1/n. S_k is computed for every k at once by the recurrence
 * S_k = S_{k+1} + (N−k−1)·ln(x_{k+1}/x_k), whose terms are all non-negative (no cancellation), so
 * every α̂_k costs O(1); the KS distances cost O(n) per candidate, O(N·C) in all — the part the
 * GPU kernel parallelizes.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Random } from '../util/random.ts';

/**
 * Default smallest tail (points ≥ x_min) a candidate x_min may have. CSN put no floor, but the KS
 * minimum over very small tails is dominated by noise (D ~ 1/√n), and σ(α̂) = (α̂−1)/√n is ≈ 0.2 at
 * n = 50 for α ≈ 2.5: below that a tail exponent says little.
 */
export const DEFAULT_MIN_TAIL = 50;

// ---------------------------------------------------------------------------------------------
// Data and candidates
// ---------------------------------------------------------------------------------------------

/**
 * Checks that `data` is a non-empty list of finite, positive numbers and returns a sorted float64
 * copy. Throws {@link InvalidArgumentError} naming `argument` otherwise.
 *
 * @example
 * ```ts
 * sortPositiveData([3, 1, 2]); // Float64Array [1, 2, 3]
 * ```
 */
export function sortPositiveData(data: ArrayLike<number>, argument = 'data'): Float64Array {
  if (!data || typeof data.length !== 'number') throw new InvalidArgumentError(argument, 'must be an array of numbers');
  if (data.length === 0) throw new InvalidArgumentError(argument, 'is empty: a power-law fit needs finite, positive values');
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new InvalidArgumentError(argument, `element ${i} is ${String(v)}; values must be finite`);
    if (!(v > 0)) throw new InvalidArgumentError(argument, `element ${i} is ${v}; values must be positive (a power law lives on x > 0)`);
    out[i] = v;
  }
  return out.sort();
}

/** Candidate x_min values of one data set: indices into the sorted data and their log sums. */
export interface PowerLawCandidates {
  /** Sorted-data index k of each candidate x_min = x_k (the first occurrence of that value), ascending. */
  readonly start: Int32Array;
  /** S_k = Σ_{j≥k} ln(x_j/x_k) per candidate, float64 (always > 0). */
  readonly logSum: Float64Array;
}

/** How candidates are chosen. */
export interface CandidateOptions {
  /** Smallest tail size n = N − k a candidate may have (integer ≥ 2). Default {@link DEFAULT_MIN_TAIL}. */
  readonly minTail?: number;
  /**
   * `'all'` (default): every distinct data value with a tail of at least `minTail` points. A number
   * m: at most m of those, evenly spaced in rank (the first, the last and m − 2 between).
   */
  readonly candidates?: 'all' | number;
}

/** Validates `minTail` and `candidates`; returns them with defaults applied. */
export function resolveCandidateOptions(options: CandidateOptions = {}): { minTail: number; candidates: 'all' | number } {
  const minTail = options.minTail ?? DEFAULT_MIN_TAIL;
  if (!Number.isInteger(minTail) || minTail < 2) throw new InvalidArgumentError('minTail', `must be an integer ≥ 2, got ${minTail}`);
  const candidates = options.candidates ?? 'all';
  if (candidates !== 'all' && (!Number.isInteger(candidates) || candidates < 1))
    throw new InvalidArgumentError('candidates', `must be 'all' or a positive integer, got ${String(candidates)}`);
  return { minTail, candidates };
}

/**
 * S_k = Σ_{j≥k} ln(x_j/x_k) for every k of the sorted data, by the cancellation-free recurrence
 * S_k = S_{k+1} + (N−k−1)·ln(x_{k+1}/x_k).
 *
 * @example
 * ```ts
 * tailLogSums(Float64Array.of(1, Math.E)); // Float64Array [1, 0]
 * ```
 */
export function tailLogSums(sorted: Float64Array): Float64Array {
  const n = sorted.length;
  const s = new Float64Array(n);
  for (let k = n - 2; k >= 0; k--) {
    const a = sorted[k]!;
    const b = sorted[k + 1]!;
    s[k] = s[k + 1]! + (n - k - 1) * Math.log1p((b - a) / a);
  }
  return s;
}

/**
 * The candidate x_min values of sorted data (see {@link CandidateOptions}). Candidates whose tail
 * is a single repeated value (S_k = 0, α̂ undefined) are left out. May be empty.
 *
 * @example
 * ```ts
 * const sorted = sortPositiveData(samples);
 * const cand = powerLawCandidates(sorted, { minTail: 50, candidates: 1000 });
 * ```
 */
export function powerLawCandidates(sorted: Float64Array, options: CandidateOptions = {}): PowerLawCandidates {
  const { minTail, candidates } = resolveCandidateOptions(options);
  const n = sorted.length;
  const sums = tailLogSums(sorted);
  const eligible: number[] = [];
  for (let k = 0; k <= n - minTail; k++) {
    if (k > 0 && sorted[k] === sorted[k - 1]) continue;
    if (sums[k]! > 0) eligible.push(k);
  }
  let chosen = eligible;
  if (candidates !== 'all' && eligible.length > candidates) {
    const m = candidates;
    chosen = [];
    const last = eligible.length - 1;
    for (let j = 0; j < m; j++) {
      const idx = m === 1 ? 0 : Math.round((j * last) / (m - 1));
      if (chosen.length === 0 || chosen[chosen.length - 1] !== eligible[idx]) chosen.push(eligible[idx]!);
    }
  }
  const start = Int32Array.from(chosen);
  const logSum = Float64Array.from(chosen, (k) => sums[k]!);
  return { start, logSum };
}

// ---------------------------------------------------------------------------------------------
// The x_min scan
// ---------------------------------------------------------------------------------------------

/** α̂, D and tail size for every candidate x_min. */
export interface PowerLawScan {
  /** Candidate x_min values (ascending). */
  readonly xmins: Float64Array;
  /** MLE exponent α̂ = 1 + n/S per candidate. */
  readonly alphas: Float64Array;
  /** KS distance D per candidate. */
  readonly ks: Float64Array;
  /** Tail size n (points ≥ x_min) per candidate. */
  readonly tailSizes: Int32Array;
}

/** α̂ per candidate, float64: 1 + n/S_k. */
export function candidateAlphas(sorted: Float64Array, cand: PowerLawCandidates): Float64Array {
  return Float64Array.from(cand.start, (k, c) => 1 + (sorted.length - k) / cand.logSum[c]!);
}

/**
 * D = max_{0≤i<n} |i/n − P(x_{k+i})| of the tail starting at sorted index k under the power law
 * of exponent `alpha` with x_min = x_k. `lnx` (ln of the sorted data) may be passed to save the
 * logarithms; `bound` stops early once D exceeds it (the returned value is then only > bound).
 */
export function powerLawKs(sorted: Float64Array, k: number, alpha: number, lnx?: Float64Array, bound = Infinity): number {
  const n = sorted.length - k;
  const a1 = alpha - 1;
  const inv = 1 / n;
  let d = 0;
  if (lnx) {
    const l0 = lnx[k]!;
    for (let i = 0; i < n; i++) {
      const diff = Math.abs(i * inv + Math.expm1(-a1 * (lnx[k + i]! - l0)));
      if (diff > d) {
        d = diff;
        if (d > bound) return d;
      }
    }
  } else {
    const x0 = sorted[k]!;
    for (let i = 0; i < n; i++) {
      const diff = Math.abs(i * inv + Math.expm1(-a1 * Math.log(sorted[k + i]! / x0)));
      if (diff > d) {
        d = diff;
        if (d > bound) return d;
      }
    }
  }
  return d;
}

/**
 * The float64 x_min scan: α̂ and D for every candidate (twin of shaders/analysis/powerLawScan.wgsl).
 *
 * @example
 * ```ts
 * const sorted = sortPositiveData(samples);
 * const scan = powerLawScan(sorted, powerLawCandidates(sorted));
 * const best = argminKs(scan.ks); // x̂_min = scan.xmins[best]
 * ```
 */
export function powerLawScan(sorted: Float64Array, cand: PowerLawCandidates): PowerLawScan {
  const lnx = Float64Array.from(sorted, Math.log);
  const alphas = candidateAlphas(sorted, cand);
  const ks = Float64Array.from(cand.start, (k, c) => powerLawKs(sorted, k, alphas[c]!, lnx));
  return {
    xmins: Float64Array.from(cand.start, (k) => sorted[k]!),
    alphas,
    ks,
    tailSizes: Int32Array.from(cand.start, (k) => sorted.length - k),
  };
}

/** Index of the smallest value (the first on ties); −1 for an empty array. */
export function argminKs(ks: ArrayLike<number>): number {
  let best = -1;
  let min = Infinity;
  for (let c = 0; c < ks.length; c++) {
    if (ks[c]! < min) {
      min = ks[c]!;
      best = c;
    }
  }
  return best;
}

/**
 * The minimum of D over the candidates only (what the bootstrap needs), with exact pruning: a
 * candidate's scan stops as soon as its running maximum exceeds the best D so far. Same result as
 * `argminKs(powerLawScan(...).ks)` (first candidate on ties), usually several times faster.
 * `hint` is a candidate index to evaluate first (a good guess makes pruning effective).
 */
export function powerLawScanMin(sorted: Float64Array, cand: PowerLawCandidates, hint = 0): { candidate: number; ks: number } {
  const count = cand.start.length;
  if (count === 0) return { candidate: -1, ks: Infinity };
  const lnx = Float64Array.from(sorted, Math.log);
  const alphaOf = (c: number): number => 1 + (sorted.length - cand.start[c]!) / cand.logSum[c]!;
  const first = Math.min(Math.max(0, Math.trunc(hint)), count - 1);
  let best = first;
  let bestD = powerLawKs(sorted, cand.start[first]!, alphaOf(first), lnx);
  for (let c = 0; c < count; c++) {
    if (c === first) continue;
    const d = powerLawKs(sorted, cand.start[c]!, alphaOf(c), lnx, bestD);
    if (d < bestD || (d === bestD && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return { candidate: best, ks: bestD };
}

/** The power-law fit at one x_min. */
export interface PowerLawAt {
  readonly xmin: number;
  readonly alpha: number;
  /** (α̂ − 1)/√n. */
  readonly alphaStdErr: number;
  readonly ks: number;
  readonly nTail: number;
}

/**
 * α̂, its standard error and D at the x_min = sorted[k] (float64), or null when the tail holds a
 * single repeated value.
 */
export function powerLawAt(sorted: Float64Array, k: number): PowerLawAt | null {
  const n = sorted.length - k;
  const x0 = sorted[k]!;
  let s = 0;
  for (let j = k; j < sorted.length; j++) s += Math.log(sorted[j]! / x0);
  if (!(s > 0) || n < 1) return null;
  const alpha = 1 + n / s;
  return { xmin: x0, alpha, alphaStdErr: (alpha - 1) / Math.sqrt(n), ks: powerLawKs(sorted, k, alpha), nTail: n };
}

// ---------------------------------------------------------------------------------------------
// Sampling (the semi-parametric bootstrap of CSN §4.1)
// ---------------------------------------------------------------------------------------------

/** One draw from the continuous power law (x_min, α > 1) by inversion: x_min (1−u)^{−1/(α−1)}. */
export function samplePowerLaw(rng: Random, xmin: number, alpha: number): number {
  return xmin * Math.pow(1 - rng.uniform(), -1 / (alpha - 1));
}

/**
 * A synthetic data set of the same size as `sorted` (CSN §4.1): each point is, with probability
 * n_tail/N, a draw from the fitted power law (x_min = sorted[k], `alpha`), and otherwise a value
 * drawn uniformly from the data below x_min (the first k sorted values). Unsorted.
 *
 * @example
 * ```ts
 * const synthetic = semiParametricSample(sorted, k, alpha, new Random(1));
 * ```
 */
export function semiParametricSample(sorted: Float64Array, k: number, alpha: number, rng: Random): Float64Array {
  const total = sorted.length;
  const pTail = (total - k) / total;
  const xmin = sorted[k]!;
  const out = new Float64Array(total);
  for (let i = 0; i < total; i++) out[i] = k === 0 || rng.uniform() < pTail ? samplePowerLaw(rng, xmin, alpha) : sorted[rng.int(k)]!;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln |Γ(x)| for real x (not a non-positive integer), by the Lanczos approximation (g = 7, 9 terms;
 * relative error ≈ 1e-15) and the reflection formula for x < 0.5.
 *
 * @example
 * ```ts
 * logGamma(5); // ln 24
 * ```
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Coefficients c_k of 1/Γ(z) = Σ_{k≥1} c_k z^k (Abramowitz & Stegun 6.1.34), from c_2 on, so that
 * 1/Γ(1+ε) = 1 + Σ_{k≥2} c_k ε^{k−1}.
 */
const RECIPROCAL_GAMMA = [
  0.5772156649015329, -0.6558780715202538, -0.0420026350340952, 0.1665386113822915, -0.0421977345555443, -0.009621971527877,
  0.007218943246663, -0.0011651675918591, -0.0002152416741149, 0.0001280502823882, -0.0000201348547807, -0.0000012504934821,
  0.000001133027232, -0.0000002056338417, 0.000000006116095, 0.0000000050020075, -0.0000000011812746, 0.0000000001043427,
  0.0000000000077823, -0.0000000000036968, 0.00000000000051, -0.0000000000000206, -0.0000000000000054, 0.0000000000000014,
  0.0000000000000001,
];

/** (Γ(1+ε) − 1)/ε for −½ ≤ ε < 1 without cancellation (−γ at ε = 0). */
function gammaOnePlusMinusOneOver(eps: number): number {
  // 1/Γ(1+ε) = 1 + ε·q(ε), q(ε) = Σ c_{k+2} ε^k  ⇒  (Γ(1+ε) − 1)/ε = −q/(1 + εq).
  let q = 0;
  for (let i = RECIPROCAL_GAMMA.length - 1; i >= 0; i--) q = q * eps + RECIPROCAL_GAMMA[i]!;
  return -q / (1 + eps * q);
}

const EPS = 2.220446049250313e-16;
const TINY = 1e-300;

/** Γ(a,x)·x^{−a}·e^{x} by the continued fraction (modified Lentz), any real a, x ≳ 1. */
function upperGammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/**
 * Γ(a,x)·x^{−a}·e^{x} for −½ ≤ a < 1 and 0 < x < 1, from Γ(a) − γ(a,x) (analytically continued
 * to a < 0) arranged without cancellation near a = 0.
 */
function upperGammaSmallScaled(a: number, x: number): number {
  const lnx = Math.log(x);
  // Γ(a) − x^a/a = (Γ(1+a) − 1)/a − (x^a − 1)/a.
  const t1 = gammaOnePlusMinusOneOver(a);
  const t2 = a === 0 ? lnx : Math.expm1(a * lnx) / a;
  // γ(a,x) − x^a/a = x^a Σ_{k≥1} (−x)^k / (k!(a+k)).
  let term = 1;
  let sum = 0;
  for (let k = 1; k < 200; k++) {
    term *= -x / k;
    const add = term / (a + k);
    sum += add;
    if (Math.abs(add) < EPS * Math.abs(sum)) break;
  }
  const xa = Math.exp(a * lnx);
  const value = t1 - t2 - xa * sum; // Γ(a, x)
  return value * Math.exp(x - a * lnx);
}

/** Regularized lower incomplete gamma P(a, x) by its power series (a > 0, x < a + 1). */
function lowerGammaSeriesP(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let i = 0; i < 10_000; i++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/**
 * ln Γ(a, x) = ln ∫_x^∞ t^{a−1} e^{−t} dt, the upper incomplete gamma function, for every real a
 * (negative included) and x > 0. Relative accuracy ≈ 1e-13 on Γ(a, x).
 *
 * Method: the continued fraction for x ≥ 1 (a < 1), x ≥ a + 1 (a ≥ 1) or a ≤ −10 (where it
 * converges in ≲ 300 terms for every x > 0); for a ≥ 1 below that, Γ(a)·(1 − P(a,x))
 * with the series for P; for a < 1 and x < 1, Γ(a', x) for a' = a (a ≥ −½) or a' = a + round(−a)
 * ∈ [−½, ½] from Γ(a') − γ(a', x) rearranged around the 1/Γ Taylor series (no cancellation as
 * a' → 0, so integer a works), then the recurrence Γ(s, x) = (Γ(s+1, x) − x^s e^{−x})/s down to a
 * (at most 10 steps, |s| ≥ ½ at each), carried on the scaled G(s) = Γ(s, x)·x^{−s}e^{x} as
 * G(s) = (x·G(s+1) − 1)/s (no overflow).
 *
 * @example
 * ```ts
 * Math.exp(logUpperIncompleteGamma(0, 1)); // E₁(1) ≈ 0.21938393439552
 * Math.exp(logUpperIncompleteGamma(-1.5, 2)); // ≈ 0.0275… (Γ(−1.5, 2))
 * ```
 */
export function logUpperIncompleteGamma(a: number, x: number): number {
  if (!Number.isFinite(a) || !(x > 0) || !Number.isFinite(x))
    throw new InvalidArgumentError('x', `needs finite a and x > 0, got a = ${a}, x = ${x}`);
  const lnx = Math.log(x);
  if (x >= (a < 1 ? 1 : a + 1) || a <= -10) return Math.log(upperGammaContinuedFraction(a, x)) + a * lnx - x;
  if (a >= 1) return logGamma(a) + Math.log1p(-lowerGammaSeriesP(a, x));
  const steps = a < -0.5 ? Math.round(-a) : 0;
  const frac = a + steps;
  let g = upperGammaSmallScaled(frac, x);
  for (let j = 1; j <= steps; j++) g = (x * g - 1) / (frac - j);
  return Math.log(g) + a * lnx - x;
}

/** Γ(a, x) for every real a and x > 0 (see {@link logUpperIncompleteGamma}); may overflow to ∞ or underflow to 0. */
export function upperIncompleteGamma(a: number, x: number): number {
  return Math.exp(logUpperIncompleteGamma(a, x));
}

const LN_SQRT_PI = 0.5 * Math.log(Math.PI);

/**
 * ln erfc(z) for every real z, accurate in the far right tail (erfc(z) = Γ(½, z²)/√π for z ≥ 0).
 *
 * @example
 * ```ts
 * logErfc(30); // ≈ −903.0, where erfc(30) underflows
 * ```
 */
export function logErfc(z: number): number {
  if (z === 0) return 0;
  if (z > 0) return logUpperIncompleteGamma(0.5, z * z) - LN_SQRT_PI;
  if (z < -6) return Math.log(2); // erfc(−6) = 2 − 2e-17
  return Math.log(2 - Math.exp(logUpperIncompleteGamma(0.5, z * z) - LN_SQRT_PI));
}

// ---------------------------------------------------------------------------------------------
// Likelihoods and fits on a tail
// ---------------------------------------------------------------------------------------------

/** Sufficient statistics of a tail y_i ≥ x_min in units z = y/x_min, w = ln z. */
export interface TailStatistics {
  readonly n: number;
  readonly xmin: number;
  /** Σ ln y. */
  readonly sumLogY: number;
  /** Σ w = Σ ln(y/x_min). */
  readonly sumW: number;
  /** Σ (w − w̄)². */
  readonly varSumW: number;
  /** Σ z = Σ y/x_min. */
  readonly sumZ: number;
  /** max z. */
  readonly maxZ: number;
}

/** The sufficient statistics of `tail` (every value ≥ xmin > 0). */
export function tailStatistics(tail: ArrayLike<number>, xmin: number): TailStatistics {
  const n = tail.length;
  let sumLogY = 0;
  let sumW = 0;
  let sumZ = 0;
  let maxZ = 0;
  for (let i = 0; i < n; i++) {
    const y = tail[i]!;
    sumLogY += Math.log(y);
    sumW += Math.log(y / xmin);
    sumZ += y / xmin;
    maxZ = Math.max(maxZ, y / xmin);
  }
  const mean = sumW / n;
  let varSumW = 0;
  for (let i = 0; i < n; i++) varSumW += (Math.log(tail[i]! / xmin) - mean) ** 2;
  return { n, xmin, sumLogY, sumW, varSumW, sumZ, maxZ };
}

/** Pointwise ln p(y) of the power law (x_min, α). */
export function powerLawLogPdf(tail: ArrayLike<number>, xmin: number, alpha: number): Float64Array {
  const c = Math.log(alpha - 1) - Math.log(xmin);
  return Float64Array.from({ length: tail.length }, (_, i) => c - alpha * Math.log(tail[i]! / xmin));
}

/**
 * ln Z of the truncated power law x^{−α}e^{−λx} on [x_min, ∞):
 * Z = ∫_{x_min}^∞ x^{−α} e^{−λx} dx = λ^{α−1} Γ(1−α, λ x_min) (λ > 0, any real α), and
 * Z = x_min^{1−α}/(α−1) at λ = 0 (α > 1).
 *
 * @example
 * ```ts
 * truncatedPowerLawLogNormalizer(2.5, 0.01, 1); // ln ∫₁^∞ x^{−2.5} e^{−0.01x} dx
 * ```
 */
export function truncatedPowerLawLogNormalizer(alpha: number, lambda: number, xmin: number): number {
  if (lambda === 0) return (1 - alpha) * Math.log(xmin) - Math.log(alpha - 1);
  return (alpha - 1) * Math.log(lambda) + logUpperIncompleteGamma(1 - alpha, lambda * xmin);
}

/** Pointwise ln p(y) of the truncated power law (x_min, α, λ). */
export function truncatedPowerLawLogPdf(tail: ArrayLike<number>, xmin: number, alpha: number, lambda: number): Float64Array {
  const lnZ = truncatedPowerLawLogNormalizer(alpha, lambda, xmin);
  return Float64Array.from({ length: tail.length }, (_, i) => -alpha * Math.log(tail[i]!) - lambda * tail[i]! - lnZ);
}

/** ln P(Y ≥ x_min) for Y lognormal (μ, σ): ln(½ erfc((ln x_min − μ)/(σ√2))). */
function lognormalLogTail(mu: number, sigma: number, xmin: number): number {
  return Math.log(0.5) + logErfc((Math.log(xmin) - mu) / (sigma * Math.SQRT2));
}

/** Pointwise ln p(y) of the lognormal (μ, σ) conditioned on y ≥ x_min. */
export function lognormalLogPdf(tail: ArrayLike<number>, xmin: number, mu: number, sigma: number): Float64Array {
  const c = -Math.log(sigma) - LN_SQRT_2PI - lognormalLogTail(mu, sigma, xmin);
  return Float64Array.from({ length: tail.length }, (_, i) => {
    const l = Math.log(tail[i]!);
    return c - l - (l - mu) ** 2 / (2 * sigma * sigma);
  });
}

/** Golden-section maximization of a unimodal f on [lo, hi]. */
function goldenMax(fn: (x: number) => number, lo: number, hi: number, relTol = 1e-11): { x: number; f: number } {
  const f = (x: number): number => {
    const v = fn(x);
    return Number.isNaN(v) ? -Infinity : v;
  };
  const r = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - r * (b - a);
  let d = a + r * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 200 && b - a > relTol * (1 + Math.abs(a) + Math.abs(b)); i++) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - r * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + r * (b - a);
      fd = f(d);
    }
  }
  // Endpoints too: the maximum of a monotone function sits on the boundary.
  const cands: [number, number][] = [
    [c, fc],
    [d, fd],
    [lo, f(lo)],
    [hi, f(hi)],
  ];
  let best = cands[0]!;
  for (const p of cands) if (p[1] > best[1]) best = p;
  return { x: best[0], f: best[1] };
}

/** MLE of the power law on a tail: α̂ = 1 + n/Σ ln(y/x_min) and its log-likelihood. */
export function fitPowerLawTailMle(stats: TailStatistics): { alpha: number; logLikelihood: number } {
  const alpha = 1 + stats.n / stats.sumW;
  return { alpha, logLikelihood: stats.n * (Math.log(alpha - 1) - Math.log(stats.xmin)) - alpha * stats.sumW };
}

/** Maximum-likelihood fit of the exponentially truncated power law on a tail. */
export interface TruncatedPowerLawFit {
  /** Exponent α (may be ≤ 1 when λ > 0: the distribution is still normalizable). */
  readonly alpha: number;
  /** Cutoff rate λ ≥ 0 (0: the plain power law is the best member of the family). */
  readonly lambda: number;
  /** Log-likelihood of the fit on the tail (natural log, summed over its points). */
  readonly logLikelihood: number;
}

/**
 * Maximum-likelihood fit of p(y) = y^{−α}e^{−λy}/Z on y ≥ x_min (Z from
 * {@link truncatedPowerLawLogNormalizer}). The log-likelihood is jointly concave in (α, λ) (an
 * exponential family), so the profile over α is maximized by golden section (α ∈ [−20, max(20,
 * α̂_PL + 5)]) inside a golden section over ln(λ·x_min) ∈ [ln(1e-8/z_max), ln(1e3·n/Σ(z−1))]; the
 * plain power law (λ = 0, α̂_PL) is taken when it is at least as likely.
 *
 * @example
 * ```ts
 * const tail = sorted.subarray(k);
 * const tpl = fitTruncatedPowerLaw(tail, sorted[k]!); // { alpha, lambda, logLikelihood }
 * ```
 */
export function fitTruncatedPowerLaw(tail: ArrayLike<number>, xmin: number, stats = tailStatistics(tail, xmin)): TruncatedPowerLawFit {
  const { n, sumW, sumZ, maxZ } = stats;
  const pl = fitPowerLawTailMle(stats);
  // ℓ in units z = y/x_min: −α Σw − λ' Σz − n ln Z'(α, λ') − n ln x_min, Z' = λ'^{α−1} Γ(1−α, λ').
  const lnXmin = Math.log(xmin);
  const ell = (alpha: number, lam: number): number =>
    -alpha * sumW - lam * sumZ - n * ((alpha - 1) * Math.log(lam) + logUpperIncompleteGamma(1 - alpha, lam)) - n * lnXmin;
  const alphaHi = Math.max(20, pl.alpha + 5);
  const profile = (t: number): { alpha: number; f: number } => {
    const lam = Math.exp(t);
    const r = goldenMax((a) => ell(a, lam), -20, alphaHi, 1e-10);
    return { alpha: r.x, f: r.f };
  };
  const excess = Math.max(sumZ - n, 1e-300);
  const tLo = Math.log(1e-8 / maxZ);
  const tHi = Math.max(tLo + 1, Math.log((1e3 * n) / excess));
  const outer = goldenMax((t) => profile(t).f, tLo, tHi, 1e-10);
  const inner = profile(outer.x);
  if (!(inner.f > pl.logLikelihood)) return { alpha: pl.alpha, lambda: 0, logLikelihood: pl.logLikelihood };
  return { alpha: inner.alpha, lambda: Math.exp(outer.x) / xmin, logLikelihood: inner.f };
}

/** Maximum-likelihood fit of the lognormal conditioned on y ≥ x_min. */
export interface LognormalFit {
  /** μ of ln y (of the untruncated lognormal; may lie far below ln x_min). */
  readonly mu: number;
  /** σ of ln y. */
  readonly sigma: number;
  /** Log-likelihood of the fit on the tail (natural log, summed over its points). */
  readonly logLikelihood: number;
}

/**
 * Maximum-likelihood fit of the lognormal (μ, σ) conditioned on y ≥ x_min, i.e. a normal in
 * w = ln(y/x_min) truncated to w ≥ 0. Concave in the natural parameters (μ/σ², −1/2σ²): golden
 * section over m = μ − ln x_min for each σ inside a golden section over ln σ ∈
 * [ln(1e-3·s), ln(1e4·s)], s = max(sd(w), mean(w)). (The lognormal tends to the power law as
 * σ → ∞, m → −∞: on power-law data the optimum drifts to the upper end of the σ range.)
 *
 * @example
 * ```ts
 * const ln = fitLognormal(tail, xmin); // { mu, sigma, logLikelihood }
 * ```
 */
export function fitLognormal(tail: ArrayLike<number>, xmin: number, stats = tailStatistics(tail, xmin)): LognormalFit {
  const { n, sumW, varSumW, sumLogY } = stats;
  let maxW = 0;
  for (let i = 0; i < tail.length; i++) maxW = Math.max(maxW, Math.log(tail[i]! / xmin));
  const meanW = sumW / n;
  const scale = Math.max(Math.sqrt(varSumW / n), meanW);
  const ell = (m: number, sigma: number): number => {
    const lnQ = Math.log(0.5) + logErfc(-m / (sigma * Math.SQRT2));
    const quad = varSumW + n * (meanW - m) ** 2;
    return -sumLogY - n * (Math.log(sigma) + LN_SQRT_2PI + lnQ) - quad / (2 * sigma * sigma);
  };
  const profile = (s: number): { m: number; f: number } => {
    const sigma = Math.exp(s);
    const lo = (-50 * (sigma * sigma)) / Math.max(meanW, 1e-300) - 50 * sigma;
    const hi = maxW + 50 * sigma;
    const r = goldenMax((m) => ell(m, sigma), Math.max(lo, -1e12), hi, 1e-12);
    return { m: r.x, f: r.f };
  };
  const outer = goldenMax((s) => profile(s).f, Math.log(1e-3 * scale), Math.log(1e4 * scale), 1e-10);
  const inner = profile(outer.x);
  return { mu: inner.m + Math.log(xmin), sigma: Math.exp(outer.x), logLikelihood: inner.f };
}

/** Vuong's test of two non-nested models from their pointwise log-likelihoods on the same data. */
export interface VuongTest {
  /** Normalized log-likelihood ratio R/(σ√n): > 0 favours the first model. 0 when the models agree pointwise. */
  readonly R: number;
  /** Σ_i (ℓ₁ᵢ − ℓ₂ᵢ). */
  readonly logLikelihoodRatio: number;
  /** Two-sided p-value erfc(|R|/(σ√(2n))) that the sign of R is due to chance (1 when σ = 0). */
  readonly p: number;
}

/**
 * Vuong's normalized log-likelihood-ratio test (CSN §5.1, eq. (C.6)): with d_i = ℓ₁ᵢ − ℓ₂ᵢ,
 * R = Σd, σ² = (1/n)Σ(d_i − d̄)², R_norm = R/(σ√n), p = erfc(|R|/(σ√(2n))).
 *
 * @example
 * ```ts
 * const v = vuongTest(powerLawLogPdf(tail, xmin, alpha), lognormalLogPdf(tail, xmin, mu, sigma));
 * ```
 */
export function vuongTest(logLik1: ArrayLike<number>, logLik2: ArrayLike<number>): VuongTest {
  const n = logLik1.length;
  if (logLik2.length !== n) throw new InvalidArgumentError('logLik2', `length ${logLik2.length} differs from ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += logLik1[i]! - logLik2[i]!;
  const mean = sum / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (logLik1[i]! - logLik2[i]! - mean) ** 2;
  v /= n;
  // Pointwise differences at rounding level are agreement, not evidence.
  if (!(v > 1e-24) || n === 0) return { R: 0, logLikelihoodRatio: sum, p: 1 };
  const sd = Math.sqrt(v);
  return {
    R: sum / (sd * Math.sqrt(n)),
    logLikelihoodRatio: sum,
    p: Math.min(1, Math.exp(logErfc(Math.abs(sum) / (sd * Math.sqrt(2 * n))))),
  };
}

/**
 * p-value of the likelihood-ratio test of a nested model (the power law, λ = 0) against its
 * one-parameter extension (the truncated power law) where the null sits on the boundary λ = 0:
 * 2Δℓ ~ ½χ²₀ + ½χ²₁ (Self & Liang 1987), so p = ½·P(χ²₁ ≥ 2Δℓ) = ½ erfc(√Δℓ) for Δℓ > 0, 1 otherwise.
 * (The Python `powerlaw` package reports the uncorrected P(χ²₁ ≥ 2Δℓ), twice this value.)
 *
 * @example
 * ```ts
 * nestedBoundaryP(tpl.logLikelihood - pl.logLikelihood);
 * ```
 */
export function nestedBoundaryP(deltaLogLikelihood: number): number {
  if (!(deltaLogLikelihood > 0)) return 1;
  return 0.5 * Math.exp(logErfc(Math.sqrt(deltaLogLikelihood)));
}
