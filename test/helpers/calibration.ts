/**
 * The calibration cases of docs/conditions.md: closed-form runs whose answers are known, shared by
 * test/unit/analysis-calibration.test.ts (which asserts on them) and scripts/calibration-tables.ts
 * (which prints the tables in docs/conditions.md). Everything is float64.
 */
import {
  seriesCoverage,
  type CheckpointData,
  type CheckpointResult,
  type IntervalResult,
  type SeriesResult,
} from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { transportResolution } from '../../src/analysis/resolution.ts';
import { fluxFromTransport, velocityFromFlux } from '../../src/analysis/transport.ts';
import type { LossPoint } from '../../src/analysis/lossExponent.ts';
import { randomOrthogonal } from '../../src/reference/linalg.ts';
import { assignShell } from '../../src/reference/shells.ts';
import { Random } from '../../src/util/random.ts';

/** A lazy power law: λ_k = k^{−ν}, c_k(0)² = k^{−(1+κ)}, k = 1…n; ξ = κ/ν. */
export interface LazyCase {
  readonly n: number;
  readonly nu: number;
  readonly kappa: number;
}

/** The lazy cases of the calibration grid (ξ from 0.25 to 1.5). */
export const LAZY_SPECTRA: readonly { nu: number; kappa: number }[] = [
  { nu: 1.3, kappa: 0.65 },
  { nu: 1.5, kappa: 1.0 },
  { nu: 2.0, kappa: 0.5 },
  { nu: 1.2, kappa: 1.8 },
  { nu: 1.1, kappa: 0.3 },
];

/** t = 0 and `count − 1` log-spaced times from 1 to tMax. */
export function logTimes(tMax: number, count = 12): number[] {
  return [0, ...Array.from({ length: count - 1 }, (_, i) => 10 ** ((i * Math.log10(tMax)) / (count - 2)))];
}

export function lazySpectrum({ n, nu, kappa }: LazyCase): { lambda: Float64Array; energy: Float64Array } {
  return {
    lambda: Float64Array.from({ length: n }, (_, k) => (k + 1) ** -nu),
    energy: Float64Array.from({ length: n }, (_, k) => (k + 1) ** -(1 + kappa)),
  };
}

/** The exact lazy loss curve L(t) = Σ c_k² e^{−2λ_k t}/2 with the spectrum's ends, for fitLossExponent. */
export function lazyLossPoints(c: LazyCase, times: readonly number[]): LossPoint[] {
  const { lambda, energy } = lazySpectrum(c);
  return times.map((t) => {
    let loss = 0;
    for (let k = 0; k < c.n; k++) loss += energy[k]! * Math.exp(-2 * lambda[k]! * t);
    return { t, loss: loss / 2, lambdaMin: lambda[c.n - 1]!, lambdaMax: lambda[0]!, unresolvedShare: 0 };
  });
}

/** The initial shell energies and counts of a lazy case on a grid (for the spectrum and Tauberian fits). */
export function lazyInitialShells(c: LazyCase, grid: ShellGrid): Pick<CheckpointResult, 'energy' | 'counts' | 'eigenvalues'> {
  const { lambda, energy } = lazySpectrum(c);
  const e = new Float64Array(grid.size);
  const counts = new Float64Array(grid.size);
  lambda.forEach((l, k) => {
    const s = assignShell(l, grid).index;
    e[s]! += energy[k]!;
    counts[s]! += 1;
  });
  return { energy: e, counts, eigenvalues: lambda };
}

/** The grid the pipeline would build for a lazy case (λ_max = 1, default floor 1e-5·λ_max). */
export function lazyGrid(c: LazyCase): ShellGrid {
  return ShellGrid.create({ floor: Math.min(1e-5, 0.5 * c.n ** -c.nu), lambdaMax: 1 });
}

/**
 * A lazy run as checkpoints: K = U diag(λ) Uᵀ fixed (U random orthogonal with `rotate`, else the
 * identity), e(t) = U e^{−Λt} c(0).
 */
export function lazyRun(c: LazyCase, times: readonly number[], rotate?: number): CheckpointData[] {
  const { lambda, energy } = lazySpectrum(c);
  const n = c.n;
  const u = rotate === undefined ? null : randomOrthogonal(n, new Random(rotate));
  const kernel = new Float64Array(n * n);
  if (u) {
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += u[i * n + k]! * lambda[k]! * u[j * n + k]!;
        kernel[i * n + j] = s;
        kernel[j * n + i] = s;
      }
  } else for (let k = 0; k < n; k++) kernel[k * n + k] = lambda[k]!;
  return times.map((t) => {
    const coeff = Float64Array.from(energy, (e, k) => Math.sqrt(e) * Math.exp(-lambda[k]! * t));
    let residual = coeff;
    if (u) {
      residual = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) residual[i]! += u[i * n + k]! * coeff[k]!;
    }
    return { t, kernel, residual };
  });
}

/** A minimal interval carrying a transport matrix over grid.size shells (rates), for the analysis functions (exact: resolution 0). */
export function syntheticInterval(grid: ShellGrid, transport: Float64Array, energy: Float64Array, index = 0): IntervalResult {
  const { flux, fluxLocal, fluxNonlocal } = fluxFromTransport(transport, grid.count);
  const v = velocityFromFlux(grid, flux, energy);
  return {
    index,
    t0: index,
    t1: index + 1,
    flow: new Float64Array(grid.size ** 2),
    transport,
    dissipation: new Float64Array(grid.size),
    energyChange: new Float64Array(grid.size),
    flux,
    fluxLocal,
    fluxNonlocal,
    complementExchange: new Float64Array(grid.count + 1),
    ...v,
    checks: {},
    kato: null,
    kernelDrift: null,
    projectorChange: new Float64Array(grid.count + 1),
    resolution: transportResolution('float64', 0, 1, 0, 1, flux),
  };
}

/** The `capture` of a synthetic checkpoint (every eigenpair computed). */
export const FULL_CAPTURE = { requested: 0, returned: 0, shortfall: null, unconverged: 0, complementShare: 0, floorShare: 0 } as const;

/**
 * A shell-level synthetic checkpoint: shell energies `energy` (length grid.size, ‖e‖² their sum),
 * one mode per shell, no eigenpairs (every pair "computed": {@link FULL_CAPTURE}).
 */
export function syntheticCheckpoint(index: number, t: number, energy: Float64Array): CheckpointResult {
  const total = energy.reduce((acc, v) => acc + v, 0);
  return {
    index,
    t,
    loss: total / 2,
    residualNorm2: total,
    eigenvalues: new Float64Array(0),
    energy,
    dissipation: new Float64Array(energy.length),
    counts: new Float64Array(energy.length).fill(1),
    amplitudes: new Float64Array(0),
    shellIndex: new Int32Array(0),
    boundaryFlagged: 0,
    clampedAbove: 0,
    lanczos: null,
    ipr: null,
    layerTraceShare: null,
    layerKernelDrift: null,
    capture: FULL_CAPTURE,
  };
}

/**
 * A series whose intervals carry the transport `transport`·scale (scales = c(t) per window) on the
 * energies `energy`, exact (resolution 0), so analyzeGrsd treats the transport as resolved.
 */
export function syntheticSeries(grid: ShellGrid, transport: Float64Array, energy: Float64Array, scales: readonly number[]): SeriesResult {
  const full = new Float64Array(grid.size);
  full.set(energy);
  const checkpoints = [0, ...scales].map((_, i) => syntheticCheckpoint(i, i + 1, full));
  const intervals = scales.map((scale, i) => {
    const iv = syntheticInterval(
      grid,
      transport.map((v) => v * scale),
      energy,
      i,
    );
    const flow = new Float64Array(grid.size ** 2);
    for (let a = 0; a < grid.count; a++) flow[a * grid.size + a] = energy[a]!;
    return {
      ...iv,
      t0: i + 1,
      t1: i + 2,
      flow,
      checks: { rowSums: { value: 0, threshold: 1e-5, status: 'pass' as const, pass: true, description: 'synthetic' } },
    };
  });
  return { grid, timeScale: 1, checkpoints, intervals, coverage: seriesCoverage(grid, null, checkpoints) };
}

/** T_αβ = ρ^{(α+β)/2} κ(α−β) √(E_α E_β), κ(d) = sgn(d) e^{−|d|/ℓ}, E_α = e^{ξαh}, on the window shells of `grid` (shell level, T3). */
export function geometricTransport(
  grid: ShellGrid,
  rho: number,
  xi: number,
  ell: number,
): { transport: Float64Array; energy: Float64Array } {
  const c = grid.count;
  const s = grid.size;
  const energy = Float64Array.from({ length: c }, (_, a) => Math.exp(xi * a * grid.width));
  const transport = new Float64Array(s * s);
  for (let a = 0; a < c; a++) {
    for (let b = 0; b < c; b++) {
      const d = a - b;
      if (d === 0) continue;
      transport[a * s + b] = rho ** ((a + b) / 2) * Math.sign(d) * Math.exp(-Math.abs(d) / ell) * Math.sqrt(energy[a]! * energy[b]!);
    }
  }
  return { transport, energy };
}

/** An m×m antisymmetric Toeplitz matrix κ(d) = sgn(d) e^{−|d|/2}, times ρ^{(α+β)/2}. */
export function toeplitz(m: number, rho = 1): Float64Array {
  return Float64Array.from({ length: m * m }, (_, e) => {
    const a = Math.floor(e / m);
    const b = e % m;
    const d = a - b;
    return d === 0 ? 0 : rho ** ((a + b) / 2) * Math.sign(d) * Math.exp(-Math.abs(d) / 2);
  });
}

/** iid standard normal antisymmetric m×m matrix. */
export function antisymmetricNoise(m: number, rng: Random): Float64Array {
  const n = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b < a; b++) {
      n[a * m + b] = rng.normal();
      n[b * m + a] = -n[a * m + b]!;
    }
  return n;
}

export const frobenius = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

/** Toeplitz (× ρ geometric) plus antisymmetric noise at ‖N‖/‖signal‖ = ratio. */
export function toeplitzPlusNoise(m: number, ratio: number, seed: number, rho = 1): Float64Array {
  const t = toeplitz(m, rho);
  const n = antisymmetricNoise(m, new Random(seed));
  const scale = ratio > 0 ? (ratio * frobenius(t)) / frobenius(n) : 0;
  return t.map((v, e) => v + scale * n[e]!);
}

/** A matrix with its shell labels shuffled (rows and columns together). */
export function permuteLabels(k: Float64Array, m: number, seed: number): Float64Array {
  const p = new Random(seed).shuffle(Int32Array.from({ length: m }, (_, i) => i));
  return Float64Array.from({ length: m * m }, (_, e) => k[p[Math.floor(e / m)]! * m + p[e % m]!]!);
}

/**
 * Exact shell-level LSI couplings on energies that are not geometric: nearest-neighbour
 * 𝒦_{α+1,α} = −𝒦_{α,α+1} = ρ^{α+½}e^{−1} (every other entry 0, so 𝒦_{α+k,β+k} = ρ^k𝒦_αβ and
 * ε_LSI = 0), stationary energies with ½ln(E_{α+1}/E_α) = x_α = (−1)^α arccosh(C e^{γα}) (a zig-zag).
 * The flux across the boundary above shell α is the single transfer T_{α+1,α} = 𝒦√(E_αE_{α+1}) and
 * ĝ = (E_α + E_{α+1})/(2h), so v_ℓ = hρ^{α+½}e^{−1}/cosh x_α = (h e^{−1}/C)·(ρe^{−γ})^α·ρ^{½}: a
 * pure power law with a = 1 + (ln ρ − γ)/h, while LSI implies 1 + ln ρ/h ("LSI ⇒ power law" needs
 * E_α ∝ e^{ξαh}, docs/conditions.md). γ = 0 is the positive control (zig-zag energies, the implied
 * exponent); γ > 0 separates the two by γ/h. Three windows c(t) = 1, 2, 4 (the rigidity test).
 */
export function zigzagLsiShellSeries(
  grid: ShellGrid,
  rho: number,
  gamma: number,
  base = 2,
): { series: SeriesResult; implied: number; velocity: number } {
  const c = grid.count;
  const s = grid.size;
  const energy = new Float64Array(c);
  energy[0] = 1;
  for (let a = 0; a + 1 < c; a++) energy[a + 1] = energy[a]! * Math.exp(2 * (-1) ** a * Math.acosh(base * Math.exp(gamma * a)));
  const transport = new Float64Array(s * s);
  for (let a = 0; a + 1 < c; a++) {
    const v = rho ** (a + 0.5) * Math.exp(-1) * Math.sqrt(energy[a]! * energy[a + 1]!);
    transport[(a + 1) * s + a] = v;
    transport[a * s + a + 1] = -v;
  }
  return {
    series: syntheticSeries(grid, transport, energy, [1, 2, 4]),
    implied: 1 + Math.log(rho) / grid.width,
    velocity: 1 + (Math.log(rho) - gamma) / grid.width,
  };
}

/**
 * Shell checkpoints of a lazy power law (λ_k = k^{−ν}, c_k(0)² = k^{−(1+κ)}) at `times`, with the
 * energies of time t + offset: offset 0 is the exact lazy profile, whose peak sits at
 * λ = ξ/(2t); a clock offset t_s moves it to ξ/(2(t + t_s)) (the negative control).
 */
export function lazyProfileCheckpoints(c: LazyCase, grid: ShellGrid, times: readonly number[], offset = 0): CheckpointResult[] {
  const { lambda, energy } = lazySpectrum(c);
  return times.map((t, i) => {
    const e = new Float64Array(grid.size);
    lambda.forEach((l, k) => (e[assignShell(l, grid).index]! += energy[k]! * Math.exp(-2 * l * (t + offset))));
    return { ...syntheticCheckpoint(i, t, e), counts: lazyInitialShells(c, grid).counts, eigenvalues: lambda };
  });
}
