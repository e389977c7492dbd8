/**
 * Renormalized shell couplings and log-shift invariance (docs/conditions.md, C4):
 *
 *   𝒦_αβ = ⟨T_αβ⟩_W / √(⟨E_α⟩_W ⟨E_β⟩_W),   𝒦̂_αβ = 𝒦_αβ / √(λ̄_α λ̄_β),
 *
 * time-averaged over a window W of intervals (T weighted by Δt, energies by the trapezoid rule over
 * the checkpoints the window spans: docs/math.md, "Time averages over a window"); the LSI
 * statistic ε_LSI (how far 𝒦 is from ρ^{(α+β)/2}κ(α−β), i.e. Toeplitz after a geometric
 * reweighting), ρ̂_k, the geometric consistency δ_ρ, a seeded null test, and the implied velocity
 * exponent a = 1 + ln ρ̂/h. The coupling normalization and the statistic are this library's
 * constructions (the papers' definitions were not available).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { Random } from '../util/random.ts';
import { minimizeScalar } from './regression.ts';
import type { CheckpointResult, IntervalResult } from './series.ts';
import type { ShellGrid } from './shellGrid.ts';
import { timeAveragedEnergy, timeAveragedTransport } from './timeAverage.ts';

/** Renormalized couplings on the window shells (count × count, row-major). */
export interface RenormalizedCouplings {
  /** 𝒦 (units 1/time). */
  readonly couplings: Float64Array;
  /** 𝒦̂ (dimensionless). */
  readonly dimensionless: Float64Array;
  /** ⟨T_αβ⟩_W, the Δt-weighted mean transport between window shells (units energy/time). */
  readonly meanTransport: Float64Array;
  /** ⟨E_α⟩_W per window shell (trapezoid rule in time). */
  readonly meanEnergy: Float64Array;
  /** Window shells: 𝒦 and 𝒦̂ are count × count. */
  readonly count: number;
  /** Intervals averaged. */
  readonly intervals: readonly number[];
}

/**
 * 𝒦 over the intervals `from` … `to − 1` (default all): ⟨T⟩_W = Σ T_i Δt_i / Σ Δt_i and ⟨E⟩_W the
 * trapezoid rule over checkpoints `from` … `to` (docs/math.md, "Time averages over a window"), so
 * that the couplings do not depend on the checkpoint schedule.
 */
export function renormalizedCouplings(
  grid: ShellGrid,
  checkpoints: readonly CheckpointResult[],
  intervals: readonly IntervalResult[],
  from = 0,
  to = intervals.length,
): RenormalizedCouplings {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= intervals.length && to > from))
    throw new InvalidArgumentError('window', `needs integers 0 ≤ from < to ≤ ${intervals.length}, got [${from}, ${to})`);
  if (checkpoints.length < to + 1)
    throw new InvalidArgumentError('checkpoints', `the window [${from}, ${to}) spans checkpoints ${from}…${to}, got ${checkpoints.length}`);
  if (checkpoints[from]!.t !== intervals[from]!.t0 || checkpoints[to]!.t !== intervals[to - 1]!.t1)
    throw new InvalidArgumentError(
      'checkpoints',
      `checkpoint i must open interval i: checkpoints[${from}].t = ${checkpoints[from]!.t} and checkpoints[${to}].t = ${checkpoints[to]!.t} ` +
        `against the window's t0 = ${intervals[from]!.t0} and t1 = ${intervals[to - 1]!.t1}`,
    );
  const c = grid.count;
  const used = intervals.slice(from, to);
  const meanTransport = timeAveragedTransport(used, c, grid.size);
  const meanEnergy = timeAveragedEnergy(checkpoints.slice(from, to + 1), c);
  const centers = grid.centers;
  const couplings = new Float64Array(c * c);
  const dimensionless = new Float64Array(c * c);
  for (let a = 0; a < c; a++) {
    for (let b = 0; b < c; b++) {
      const e = Math.sqrt(meanEnergy[a]! * meanEnergy[b]!);
      const k = e > 0 ? meanTransport[a * c + b]! / e : 0;
      couplings[a * c + b] = k;
      dimensionless[a * c + b] = k / Math.sqrt(centers[a]! * centers[b]!);
    }
  }
  return { couplings, dimensionless, meanTransport, meanEnergy, count: c, intervals: used.map((iv) => iv.index) };
}

/**
 * The inertial window: the longest contiguous run of window shells whose mean energy is at least
 * `energyFloor` (default 1e-6) of the largest. Returns [first, last + 1).
 */
export function inertialWindow(meanEnergy: ArrayLike<number>, energyFloor = 1e-6): [number, number] {
  let max = 0;
  for (let i = 0; i < meanEnergy.length; i++) max = Math.max(max, meanEnergy[i]!);
  let best: [number, number] = [0, 0];
  let start = -1;
  for (let i = 0; i <= meanEnergy.length; i++) {
    const ok = i < meanEnergy.length && max > 0 && meanEnergy[i]! >= energyFloor * max;
    if (ok && start < 0) start = i;
    if (!ok && start >= 0) {
      if (i - start > best[1] - best[0]) best = [start, i];
      start = -1;
    }
  }
  return best;
}

/** The sub-matrix of an n×n matrix on rows/columns [lo, hi). */
export function subMatrix(m: ArrayLike<number>, n: number, lo: number, hi: number): Float64Array {
  const k = hi - lo;
  return Float64Array.from({ length: k * k }, (_, e) => m[(lo + Math.floor(e / k)) * n + lo + (e % k)]!);
}

/** The LSI statistic of an m×m coupling matrix (docs/conditions.md, C4). */
export interface LsiStatistic {
  /** mean_k ε_k. */
  readonly epsilon: number;
  /** ε_k for shifts k = 1…kMax (0 when the shifted block is identically zero). */
  readonly epsilons: readonly number[];
  /** ρ̂_k for shifts k = 1…kMax: the least-squares ratio of shifted to unshifted couplings (0 when the unshifted block is zero). */
  readonly rho: readonly number[];
  /** max_k |ln ρ̂_k − k ln ρ̂₁|/k when all ρ̂_k > 0, else null. */
  readonly deltaRho: number | null;
  /** a = 1 + ln ρ̂₁/h implied by LSI (null when ρ̂₁ ≤ 0). */
  readonly impliedExponent: number | null;
}

/**
 * For shifts k = 1…kMax: X_k, Y_k = the off-diagonal entries of the top-left and bottom-right
 * (m−k)×(m−k) blocks; ρ̂_k = ⟨X,Y⟩/⟨X,X⟩; ε_k = ‖Y − ρ̂_kX‖/‖Y‖; ε_LSI = mean ε_k.
 * `width` is the shell width h (for the implied exponent).
 */
export function lsiStatistic(k: ArrayLike<number>, m: number, width: number, kMax = 3): LsiStatistic {
  if (m < kMax + 2) throw new InvalidArgumentError('couplings', `need at least ${kMax + 2} shells for kMax = ${kMax}, got ${m}`);
  const epsilons: number[] = [];
  const rho: number[] = [];
  for (let shift = 1; shift <= kMax; shift++) {
    const size = m - shift;
    let xy = 0;
    let xx = 0;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let a = 0; a < size; a++) {
      for (let b = 0; b < size; b++) {
        if (a === b) continue;
        const x = k[a * m + b]!;
        const y = k[(a + shift) * m + b + shift]!;
        xs.push(x);
        ys.push(y);
        xy += x * y;
        xx += x * x;
      }
    }
    const r = xx > 0 ? xy / xx : 0;
    let num = 0;
    let den = 0;
    xs.forEach((x, i) => {
      num += (ys[i]! - r * x) ** 2;
      den += ys[i]! ** 2;
    });
    rho.push(r);
    epsilons.push(den > 0 ? Math.sqrt(num / den) : 0);
  }
  const deltaRho = rho.every((r) => r > 0)
    ? Math.max(...rho.map((r, i) => Math.abs(Math.log(r) - (i + 1) * Math.log(rho[0]!)) / (i + 1)))
    : null;
  return {
    epsilon: epsilons.reduce((s, e) => s + e, 0) / epsilons.length,
    epsilons,
    rho,
    deltaRho,
    impliedExponent: rho[0]! > 0 ? 1 + Math.log(rho[0]!) / width : null,
  };
}

/** The LSI model fitted to a coupling matrix: 𝒦̂_αβ = ρ^{(α+β)/2} κ(α − β), least squares. */
export interface LsiProjection {
  /** The fitted per-shell growth ρ (dimensionless; ρ = e^{(a−1)h} for velocity exponent a). */
  readonly rho: number;
  /** κ(d) for d = −(m−1) … m−1 at index d + m − 1. */
  readonly kappa: Float64Array;
  /** The fitted matrix (m × m). */
  readonly fitted: Float64Array;
}

/**
 * Least-squares fit of the LSI family ρ^{(α+β)/2}κ(α − β) to an m×m matrix (off-diagonal
 * entries): κ(d) in closed form for each ρ, ρ by a one-dimensional search over ln ρ ∈ [−5, 5].
 */
export function lsiProjection(k: ArrayLike<number>, m: number): LsiProjection {
  const kappaFor = (lnRho: number): Float64Array => {
    const num = new Float64Array(2 * m - 1);
    const den = new Float64Array(2 * m - 1);
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) {
        if (a === b) continue;
        const w = Math.exp((lnRho * (a + b)) / 2);
        num[a - b + m - 1]! += k[a * m + b]! * w;
        den[a - b + m - 1]! += w * w;
      }
    return num.map((v, i) => (den[i]! > 0 ? v / den[i]! : 0));
  };
  const residual = (lnRho: number): number => {
    const kappa = kappaFor(lnRho);
    let r = 0;
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) if (a !== b) r += (k[a * m + b]! - Math.exp((lnRho * (a + b)) / 2) * kappa[a - b + m - 1]!) ** 2;
    return r;
  };
  const lnRho = minimizeScalar(residual, -5, 5, { grid: 101, tol: 1e-10 });
  const kappa = kappaFor(lnRho);
  const fitted = Float64Array.from({ length: m * m }, (_, e) => {
    const a = Math.floor(e / m);
    const b = e % m;
    return a === b ? 0 : Math.exp((lnRho * (a + b)) / 2) * kappa[a - b + m - 1]!;
  });
  return { rho: Math.exp(lnRho), kappa, fitted };
}

/** The result of {@link lsiPermutationTest}. */
export interface PermutationTest {
  /** p = (1 + #{ε_null ≤ ε_obs})/(1 + permutations); small means more LSI than H₀ allows (its floor is 1/(1 + permutations)). */
  readonly pValue: number;
  /** Null draws. */
  readonly permutations: number;
  /** The 1st percentile of ε_LSI under the null. */
  readonly nullPercentile1: number;
  /** The 5th percentile of ε_LSI under the null. */
  readonly nullPercentile5: number;
  /** The null's noise-to-signal ratio. */
  readonly nullRatio: number;
}

/**
 * The LSI significance test (docs/conditions.md, "LSI null test"). H₀: the couplings hold at
 * least as much noise as log-shift-invariant signal (noise-to-signal ratio ≥ `nullRatio`,
 * default 1, where ε_LSI ≈ 0.84). Null matrices are the LSI model fitted to the data plus iid
 * antisymmetric Gaussian noise of norm nullRatio·‖signal‖, where ‖signal‖ = ‖fit‖/√(1 + r²q/M)
 * corrects for the noise the fit absorbs (q = m parameters of the family, M = m(m−1)/2 free
 * entries); p = (1 + #{ε_null ≤ ε_obs})/(1 + permutations). On Toeplitz-plus-noise matrices at
 * ratio 1 p is close to uniform; at ratio < 1 and on exact LSI it is small; iid and
 * shell-permuted matrices (deeper in H₀) give p near 1.
 *
 * It replaces a shell-label permutation null, which only tests "the shell order matters": any
 * local coupling matrix is more shift-predictable than its permutations, so p sat at its floor
 * even at ε_LSI = 0.87.
 *
 * `permutations` null draws (default 1000), seeded; `nullRatio` sets H₀'s noise-to-signal ratio.
 */
export function lsiPermutationTest(
  k: ArrayLike<number>,
  m: number,
  width: number,
  options: { permutations?: number; seed?: number; kMax?: number; nullRatio?: number } = {},
): PermutationTest {
  const permutations = options.permutations ?? 1000;
  const ratio = options.nullRatio ?? 1;
  const rng = new Random(options.seed ?? 0);
  const observed = lsiStatistic(k, m, width, options.kMax).epsilon;
  const { fitted } = lsiProjection(k, m);
  let fitNorm = 0;
  for (const v of fitted) fitNorm += v * v;
  fitNorm = Math.sqrt(fitNorm);
  const free = (m * (m - 1)) / 2;
  const signal = fitNorm / Math.sqrt(1 + (ratio * ratio * m) / free);
  const noise = new Float64Array(m * m);
  const draw = new Float64Array(m * m);
  const nulls: number[] = [];
  let atMost = 0;
  for (let p = 0; p < permutations; p++) {
    let norm = 0;
    for (let a = 0; a < m; a++)
      for (let b = 0; b < a; b++) {
        const v = rng.normal();
        noise[a * m + b] = v;
        noise[b * m + a] = -v;
        norm += 2 * v * v;
      }
    const scale = norm > 0 ? (ratio * signal) / Math.sqrt(norm) : 0;
    for (let e = 0; e < m * m; e++) draw[e] = fitted[e]! + scale * noise[e]!;
    const e = lsiStatistic(draw, m, width, options.kMax).epsilon;
    nulls.push(e);
    if (e <= observed) atMost++;
  }
  nulls.sort((a, b) => a - b);
  const pct = (q: number) => nulls[Math.min(nulls.length - 1, Math.floor(q * nulls.length))]!;
  return {
    pValue: (1 + atMost) / (1 + permutations),
    permutations,
    nullPercentile1: pct(0.01),
    nullPercentile5: pct(0.05),
    nullRatio: ratio,
  };
}
