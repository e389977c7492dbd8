/**
 * Closed-form GRSD test cases (docs/conditions.md, Calibration: T1–T4), as checkpoint series (float64, rounded to f32 where the
 * GPU would see them).
 */
import {
  seriesCoverage,
  type CheckpointData,
  type CheckpointResult,
  type IntervalResult,
  type SeriesResult,
} from '../../src/analysis/series.ts';
import type { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { randomOrthogonal } from '../../src/reference/linalg.ts';
import { Random } from '../../src/util/random.ts';
import { antisymmetricNoise, permuteLabels, syntheticCheckpoint, syntheticInterval } from './calibration.ts';

/** Dense matrix product (n×n). */
export function mul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const o = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let l = 0; l < n; l++) {
      const v = a[i * n + l]!;
      if (v !== 0) for (let j = 0; j < n; j++) o[i * n + j]! += v * b[l * n + j]!;
    }
  return o;
}

/** e^{tA} for a small dense matrix (scaling and squaring with a Taylor series; float64). */
export function expm(a: ArrayLike<number>, t: number, n: number): Float64Array {
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(a[i]! * t));
  const squarings = Math.max(0, Math.ceil(Math.log2(norm * n + 1)) + 4);
  const scale = t / 2 ** squarings;
  let res: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) res[i * n + i] = 1;
  let term: Float64Array = Float64Array.from(res);
  const m = Float64Array.from({ length: n * n }, (_, e) => a[e]! * scale);
  for (let k = 1; k < 25; k++) {
    term = mul(term, m, n).map((v) => v / k);
    res = res.map((v, e) => v + term[e]!);
  }
  for (let s = 0; s < squarings; s++) res = mul(res, res, n);
  return res;
}

/** λ values that sit at least `margin` (in ln λ) away from every boundary of a grid (λref, h). */
export function offBoundary(values: Float64Array, lambdaRef: number, h: number, margin = 1e-2): boolean {
  return values.every((v) => {
    const x = Math.log(v / lambdaRef) / h;
    const f = x - Math.floor(x);
    return Math.min(f, 1 - f) * h > margin;
  });
}

/** T1: M = diag(λ_k), λ_k = Λk^{−ν}, c_k(0)² = C k^{−(1+κ)}; e(t) = e^{−Mt} e(0). */
export function lazyDiagonal(n: number, times: readonly number[], { Lambda = 1, nu = 1.5, kappa = 1, C = 1 } = {}) {
  const lambda = Float64Array.from({ length: n }, (_, k) => Lambda * (k + 1) ** -nu);
  const c0 = Float64Array.from({ length: n }, (_, k) => Math.sqrt(C * (k + 1) ** -(1 + kappa)));
  const kernel = new Float64Array(n * n);
  for (let k = 0; k < n; k++) kernel[k * n + k] = lambda[k]!;
  const checkpoints: CheckpointData[] = times.map((t) => ({
    t,
    kernel: Float32Array.from(kernel),
    residual: Float32Array.from(c0, (c, k) => c * Math.exp(-lambda[k]! * t)),
  }));
  return { lambda, c0, checkpoints };
}

/**
 * T2: M(t) = Q(t) Λ Q(t)ᵀ with Q(t) = e^{Ωt}U0, c(t) = e^{−(Λ+A)t} c(0), A = U0ᵀΩU0, e = Q c.
 * Returns the checkpoints, and the exact Kato coupling T_{kj} = −2 A_kj c_k c_j at time t (mode level).
 */
export function rotatingBasis(n: number, lambda: Float64Array, omegaScale: number, seed: number, amplitudes?: ArrayLike<number>) {
  const r = new Random(seed);
  const u0 = randomOrthogonal(n, r);
  const omega = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = omegaScale * r.normal();
      omega[i * n + j] = v;
      omega[j * n + i] = -v;
    }
  }
  const u0t = Float64Array.from({ length: n * n }, (_, e) => u0[(e % n) * n + Math.floor(e / n)]!);
  const a = mul(mul(u0t, omega, n), u0, n);
  const c0 = amplitudes ? Float64Array.from(amplitudes) : r.normals(n);
  const generator = Float64Array.from({ length: n * n }, (_, e) => -((Math.floor(e / n) === e % n ? lambda[e % n]! : 0) + a[e]!));
  const at = (t: number) => {
    const q = mul(expm(omega, t, n), u0, n);
    const kernel = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) kernel[i * n + j]! += q[i * n + k]! * lambda[k]! * q[j * n + k]!;
    const ec = expm(generator, t, n);
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[i]! += ec[i * n + j]! * c0[j]!;
    const e = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) e[i]! += q[i * n + k]! * c[k]!;
    const exactT = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) if (k !== j) exactT[k * n + j] = -2 * a[k * n + j]! * c[k]! * c[j]!;
    return { kernel, residual: e, c, exactT, basis: q };
  };
  return { at, a, c0 };
}

/** Sums a mode-level matrix into shells: out[σ][τ] += m[k][j] for shell(k) = σ, shell(j) = τ. */
export function toShells(m: Float64Array, shellOf: (k: number) => number, n: number, size: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[shellOf(k) * size + shellOf(j)]! += m[k * n + j]!;
  return out;
}

/** Frobenius norm. */
export const fro = (m: ArrayLike<number>): number => Math.sqrt(Array.from(m).reduce((s, v) => s + v * v, 0));

/** Options of {@link lsiModeRun}. */
export interface LsiModeRunOptions {
  /** Modes = shells (one mode per shell). Default 16. */
  readonly modes?: number;
  /** Shell width h. Default ln10/4. */
  readonly width?: number;
  /** Geometric factor ρ of the couplings (the LSI positive) — ignored by the negatives. */
  readonly rho?: number;
  /** Energy profile E_k(0) = e^{ξ k h}. Default 0.4. */
  readonly xi?: number;
  /** Coupling decay length (in shells) of ω(d) = sgn(d) e^{−|d|/ℓ}. Default 1.5. */
  readonly ell?: number;
  /** 'lsi' (default): Ω_kj = ω₀ ρ^{(k+j)/2} ω(k − j); 'iid': iid antisymmetric Gaussian Ω of the same Frobenius norm; 'permuted': the LSI Ω with shuffled mode labels. */
  readonly kind?: 'lsi' | 'iid' | 'permuted';
  /** ‖Ω‖_F·Δt per interval. Default 0.02. */
  readonly rotationPerInterval?: number;
  /** ‖Ω‖_F / λ_max: how far rotation dominates decay. Default 20 (λ_max·Δt = 1e-3 per interval). */
  readonly rotationToDecay?: number;
  /** Checkpoints (intervals + 1), every Δt. Default 4. */
  readonly checkpoints?: number;
  /** Checkpoint times in units of Δt (ascending, e.g. [0, 1, 2, 4, 8] for a geometric schedule); overrides `checkpoints`. */
  readonly steps?: readonly number[];
  readonly seed?: number;
}

/**
 * T3 at the mode level, through the whole pipeline: one mode per shell at the shell centres
 * λ_k = e^{(k+½)h}, U₀ = I, a rigidly rotating basis M(t) = e^{Ωt} Λ e^{−Ωt} with the exact
 * amplitudes c(t) = e^{−(Λ+Ω)t} c(0) (T2), c_k(0) = e^{ξkh/2} > 0. With the LSI Ω the
 * couplings 𝒦_kj = −2Ω_kj are exactly ρ^{(k+j)/2}κ(k − j) at every t (signs never flip over the
 * short run), so ε_LSI → 0 and a = 1 + ln ρ/h up to the O(Δt) error of T^Δ/Δt.
 */
export function lsiModeRun(options: LsiModeRunOptions = {}) {
  const m = options.modes ?? 16;
  const h = options.width ?? Math.log(10) / 4;
  const rho = options.rho ?? 1;
  const xi = options.xi ?? 0.4;
  const ell = options.ell ?? 1.5;
  const kind = options.kind ?? 'lsi';
  const rng = new Random(options.seed ?? 1);
  const lambda = Float64Array.from({ length: m }, (_, k) => Math.exp((k + 0.5) * h));
  let omega = new Float64Array(m * m);
  for (let k = 0; k < m; k++)
    for (let j = 0; j < m; j++) if (k !== j) omega[k * m + j] = rho ** ((k + j) / 2) * Math.sign(k - j) * Math.exp(-Math.abs(k - j) / ell);
  if (kind === 'iid') {
    const norm = fro(omega);
    const g = new Float64Array(m * m);
    for (let k = 0; k < m; k++) for (let j = 0; j < k; j++) ((g[k * m + j] = rng.normal()), (g[j * m + k] = -g[k * m + j]!));
    const s = norm / fro(g);
    omega = g.map((v) => v * s);
  } else if (kind === 'permuted') {
    const p = rng.shuffle(Int32Array.from({ length: m }, (_, i) => i));
    const o = omega;
    omega = Float64Array.from({ length: m * m }, (_, e) => o[p[Math.floor(e / m)]! * m + p[e % m]!]!);
  }
  const scale = ((options.rotationToDecay ?? 20) * lambda[m - 1]!) / fro(omega);
  omega = omega.map((v) => v * scale);
  const dt = (options.rotationPerInterval ?? 0.02) / fro(omega);
  const c0 = Float64Array.from({ length: m }, (_, k) => Math.exp((xi * k * h) / 2));
  const generator = Float64Array.from({ length: m * m }, (_, e) => -((Math.floor(e / m) === e % m ? lambda[e % m]! : 0) + omega[e]!));
  const steps = options.steps ?? Array.from({ length: options.checkpoints ?? 4 }, (_, i) => i);
  const checkpoints: CheckpointData[] = steps.map((step) => {
    const t = step * dt;
    const q = expm(omega, t, m);
    const kernel = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) for (let k = 0; k < m; k++) kernel[a * m + b]! += q[a * m + k]! * lambda[k]! * q[b * m + k]!;
    const ec = expm(generator, t, m);
    const c = new Float64Array(m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) c[a]! += ec[a * m + b]! * c0[b]!;
    const residual = new Float64Array(m);
    for (let a = 0; a < m; a++) for (let k = 0; k < m; k++) residual[a]! += q[a * m + k]! * c[k]!;
    return { t, kernel, residual };
  });
  return {
    checkpoints,
    lambda,
    omega,
    dt,
    /** The exponent LSI implies, a = 1 + ln ρ/h (the positive only). */
    exponent: 1 + Math.log(rho) / h,
    gridOptions: { lambdaRef: 1, width: h },
  };
}

/** Options of {@link transientLsiShellRun}. */
export interface TransientLsiShellRunOptions {
  /** 'lsi' (default): the window-averaged couplings are ρ^{(α+β)/2}κ(α − β); 'iid' / 'permuted': the negatives of {@link lsiModeRun}. */
  readonly kind?: 'lsi' | 'iid' | 'permuted';
  /** Geometric factor ρ (the LSI positive). Default 1.3. */
  readonly rho?: number;
  /** Energy profile E_α(t₀) = e^{ξαh}. Default 0.4. */
  readonly xi?: number;
  /** Coupling decay length (in shells) of κ(d) = sgn(d) e^{−|d|/ℓ}. Default 1. */
  readonly ell?: number;
  /** γ: shell α decays as e^{−γ_α(t − t₀)}, γ_α = γ(α + 1)/count (so the shells' energies do not keep their ratios). Default 0.01. */
  readonly decay?: number;
  /** β: amplitude of the transient, relative to the couplings' norm. Default 2. */
  readonly transient?: number;
  readonly seed?: number;
}

/**
 * T4, schedule invariance: a continuous-time shell-level run on [t₀, t_n] (the first and last of
 * `times`), sampled at `times`. Energies E_α(t) = e^{ξαh} e^{−γ_α(t − t₀)}; transport
 *
 *   T(t) = (𝒦* + b(t) N) ∘ √(Ē_α Ē_β),   b(t) = β (1/t − ln(t_n/t₀)/(t_n − t₀)),
 *
 * with Ē the exact time means of the energies, 𝒦* the couplings of `kind` and N an iid
 * antisymmetric matrix of the same norm: a transient that is not log-shift invariant, large early
 * and of zero time mean. The time-averaged couplings of the whole window are therefore exactly
 * 𝒦* (ε_LSI = 0 for the positive), however the window is sampled. Each interval carries the exact
 * interval mean of T (as T^Δ/Δt does for a real run), each checkpoint the exact energies; the only
 * discretization error of the time-weighted estimator is the trapezoid rule's on ⟨E⟩, bounded by
 * `epsilonBound`. An equal weight per interval instead over-weights the early intervals of a
 * geometric schedule and picks up the transient.
 */
export function transientLsiShellRun(grid: ShellGrid, times: readonly number[], options: TransientLsiShellRunOptions = {}) {
  const c = grid.count;
  const s = grid.size;
  const h = grid.width;
  const rho = options.rho ?? 1.3;
  const xi = options.xi ?? 0.4;
  const ell = options.ell ?? 1;
  const gamma = options.decay ?? 0.01;
  const beta = options.transient ?? 2;
  const kind = options.kind ?? 'lsi';
  const seed = options.seed ?? 5;
  const t0 = times[0]!;
  const tn = times.at(-1)!;
  const span = tn - t0;
  const lnSpan = Math.log(tn / t0);
  const rate = Float64Array.from({ length: c }, (_, a) => (gamma * (a + 1)) / c);
  const energyAt = (t: number) => Float64Array.from({ length: s }, (_, a) => (a < c ? Math.exp(xi * a * h - rate[a]! * (t - t0)) : 0));
  const meanEnergy = Float64Array.from(
    { length: c },
    (_, a) => Math.exp(xi * a * h) * (rate[a]! > 0 ? -Math.expm1(-rate[a]! * span) / (rate[a]! * span) : 1),
  );
  let core: Float64Array = Float64Array.from({ length: c * c }, (_, e) => {
    const d = Math.floor(e / c) - (e % c);
    return d === 0 ? 0 : rho ** ((Math.floor(e / c) + (e % c)) / 2) * Math.sign(d) * Math.exp(-Math.abs(d) / ell);
  });
  if (kind === 'iid') {
    const g = antisymmetricNoise(c, new Random(seed + 100));
    const scale = fro(core) / fro(g);
    core = g.map((v) => v * scale);
  } else if (kind === 'permuted') core = permuteLabels(core, c, seed + 200);
  const noise = antisymmetricNoise(c, new Random(seed));
  const noiseScale = fro(core) / fro(noise);
  const checkpoints: CheckpointResult[] = times.map((t, i) => syntheticCheckpoint(i, t, energyAt(t)));
  const intervals: IntervalResult[] = times.slice(1).map((t1, i) => {
    const ta = times[i]!;
    const dt = t1 - ta;
    const b = beta * noiseScale * (Math.log(t1 / ta) / dt - lnSpan / span);
    const transport = new Float64Array(s * s);
    for (let a = 0; a < c; a++)
      for (let q = 0; q < c; q++)
        transport[a * s + q] = (core[a * c + q]! + b * noise[a * c + q]!) * Math.sqrt(meanEnergy[a]! * meanEnergy[q]!);
    const e0 = checkpoints[i]!.energy;
    const e1 = checkpoints[i + 1]!.energy;
    const iv = syntheticInterval(
      grid,
      transport,
      Float64Array.from({ length: c }, (_, a) => (e0[a]! + e1[a]!) / 2),
      i,
    );
    const flow = new Float64Array(s * s);
    for (let a = 0; a < c; a++) flow[a * s + a] = e1[a]!;
    return { ...iv, t0: ta, t1, flow };
  });
  const series: SeriesResult = { grid, timeScale: 1, checkpoints, intervals, coverage: seriesCoverage(grid, null, checkpoints) };
  // Trapezoid rule on e^{−γt} over a step Δ: ratio to the exact integral x·coth x, x = γΔ/2, so
  // ⟨E_α⟩ is off by a factor 1 + δ_α, 0 ≤ δ_α ≤ x_max coth x_max − 1. 𝒦 is then off by
  // (1 + η_α)(1 + η_β) with |η| ≤ 1 − (1 + δ)^{−1/2}, entrywise within z = 2η + η², and
  // ε_k ≤ ‖Y' − ρ^kX'‖/‖Y'‖ ≤ 2z/(1 − z) (Y = ρ^kX exactly for the positive).
  const maxStep = Math.max(...times.slice(1).map((t, i) => t - times[i]!));
  const x = (Math.max(...rate) * maxStep) / 2;
  const delta = x > 0 ? x / Math.tanh(x) - 1 : 0;
  const eta = 1 - 1 / Math.sqrt(1 + delta);
  const z = 2 * eta + eta * eta;
  return { series, couplings: core, meanEnergy, epsilonBound: (2 * z) / (1 - z), exponent: 1 + Math.log(rho) / h };
}

/**
 * The renormalized couplings as they were computed before the time weighting (kept as the negative
 * control of the schedule test): ⟨T⟩ with equal weight per interval, ⟨E⟩ with equal weight per
 * checkpoint, on the window shells.
 */
export function equalWeightCouplings(series: Pick<SeriesResult, 'grid' | 'checkpoints' | 'intervals'>): Float64Array {
  const { grid, checkpoints, intervals } = series;
  const c = grid.count;
  const s = grid.size;
  const meanT = new Float64Array(c * c);
  for (const iv of intervals)
    for (let e = 0; e < c * c; e++) meanT[e]! += iv.transport[Math.floor(e / c) * s + (e % c)]! / intervals.length;
  const meanE = new Float64Array(c);
  for (const cp of checkpoints) for (let a = 0; a < c; a++) meanE[a]! += cp.energy[a]! / checkpoints.length;
  return meanT.map((v, e) => {
    const d = Math.sqrt(meanE[Math.floor(e / c)]! * meanE[e % c]!);
    return d > 0 ? v / d : 0;
  });
}
