/**
 * From a checkpoint pair's flow matrix to the GRSD interval quantities, in float64 on the host
 * (they are (S+2)² small): transport T^Δ = F − Fᵀ, old-basis energies Ẽ, dissipation
 * D^Δ = E^{(i)} − Ẽ, rates over Δt, flux Π at the shell boundaries with its local/non-local
 * split, the flux-defined velocity v_ℓ, v, and the run-time invariants that need one interval only
 * (docs/math.md; the checks that need both spectra are in checks.ts, docs/conditions.md).
 * @module
 */
import { shellArrayLength } from '../reference/shells.ts';
import { check, type Check } from './checks.ts';
import type { ShellGrid } from './shellGrid.ts';

export type { Check, CheckStatus } from './checks.ts';

/**
 * Flux Π across the window's boundaries b_{alphaMin+i}, i = 0 … count−1, from a transport-rate
 * matrix over [window shells, ∅, ⊥] (size count+2): Π_i = Σ_{β below} Σ_{γ above} T_γβ over the
 * ordered shells [∅, 0, …, count−1] (⊥ excluded), with the local part keeping |γ − β| ≤ locality.
 */
export function fluxFromTransport(
  transport: ArrayLike<number>,
  count: number,
  locality = 1,
): {
  /** Π_i at boundary b_{alphaMin+i} (energy per unit time when `transport` holds rates). */
  flux: Float64Array;
  /** The part of Π_i between shells at most `locality` apart. */
  fluxLocal: Float64Array;
  /** flux − fluxLocal. */
  fluxNonlocal: Float64Array;
} {
  const s = shellArrayLength(count);
  const pos = (idx: number): number => (idx === count ? -1 : idx);
  const ordered = [count, ...Array.from({ length: count }, (_, i) => i)];
  const flux = new Float64Array(count);
  const fluxLocal = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let total = 0;
    let local = 0;
    for (const gamma of ordered) {
      if (pos(gamma) < i) continue;
      for (const beta of ordered) {
        if (pos(beta) >= i) continue;
        const t = transport[gamma * s + beta]!;
        total += t;
        if (pos(gamma) - pos(beta) <= locality) local += t;
      }
    }
    flux[i] = total;
    fluxLocal[i] = local;
  }
  return { flux, fluxLocal, fluxNonlocal: Float64Array.from(flux, (f, i) => f - fluxLocal[i]!) };
}

/**
 * Flux-defined velocity at the interior boundaries b_{alphaMin+i}, i = 1 … count−1 (docs/math.md, Flux and velocity):
 * v_ℓ = Π/ĝ with ĝ = (E_{i−1} + E_i)/(2h) from the shell energies `energy` (window shells), and
 * v = λ_b·v_ℓ; boundaries with ĝ < gEpsilon·max ĝ are invalid (velocity 0, valid 0).
 */
export function velocityFromFlux(
  grid: Pick<ShellGrid, 'count' | 'width' | 'edges'>,
  flux: ArrayLike<number>,
  energy: ArrayLike<number>,
  gEpsilon = 1e-6,
): {
  /** v_ℓ = Π/ĝ at boundary i + 1 (units 1/time); 0 where invalid. */
  velocityLog: Float64Array;
  /** v = λ_b·v_ℓ (units 1/time²); 0 where invalid. */
  velocity: Float64Array;
  /** 1 where ĝ ≥ gEpsilon·max ĝ, else 0. */
  velocityValid: Uint8Array;
  /** The boundaries λ_b = b_{alphaMin+i+1}. */
  velocityBoundaries: Float64Array;
} {
  const c = grid.count;
  const g = Float64Array.from({ length: Math.max(0, c - 1) }, (_, i) => (energy[i]! + energy[i + 1]!) / (2 * grid.width));
  const gMax = g.reduce((m, v) => Math.max(m, v), 0);
  const edges = grid.edges;
  const velocityBoundaries = Float64Array.from({ length: Math.max(0, c - 1) }, (_, i) => edges[i + 1]!);
  const velocityValid = Uint8Array.from(g, (v) => (gMax > 0 && v >= gEpsilon * gMax ? 1 : 0));
  const velocityLog = Float64Array.from(g, (v, i) => (velocityValid[i] ? flux[i + 1]! / v : 0));
  const velocity = Float64Array.from(velocityLog, (v, i) => v * velocityBoundaries[i]!);
  return { velocityLog, velocity, velocityValid, velocityBoundaries };
}

/** Options of {@link intervalQuantities}. */
export interface IntervalOptions {
  /** Π^loc keeps transfers between shells at most this far apart. Default 1. */
  readonly locality?: number;
  /** Velocity is skipped where ĝ < gEpsilon·max ĝ. Default 1e-6. */
  readonly gEpsilon?: number;
}

/** Interval quantities (all rates per unit of the run's time). Shell arrays: window, ∅, ⊥. */
export interface IntervalQuantities {
  /** Time of the interval's first checkpoint. */
  readonly t0: number;
  /** Time of its second checkpoint. */
  readonly t1: number;
  /** F[σ][τ] (row σ = new shell, column τ = old shell), (S+2)², row-major. */
  readonly flow: Float64Array;
  /** T^Δ/Δt, antisymmetric, (S+2)², row-major: rate into σ from τ. */
  readonly transport: Float64Array;
  /** D^Δ/Δt per shell (S+2). */
  readonly dissipation: Float64Array;
  /** Energy change per shell over the interval, E^{(i+1)} − E^{(i)} (S+2). */
  readonly energyChange: Float64Array;
  /**
   * Π at the window's boundaries b_{alphaMin+i}, i = 0 … count−1 (rate): net transport from ∅ and
   * the shells below the boundary into the shells above it.
   */
  readonly flux: Float64Array;
  /** The part of `flux` between shells at most `locality` apart (∅ counts as the shell below the window). */
  readonly fluxLocal: Float64Array;
  /** flux − fluxLocal: transfers across the boundary between shells more than `locality` apart. */
  readonly fluxNonlocal: Float64Array;
  /** Exchange rate with the complement shell per window/∅ shell: T_{σ⊥}. */
  readonly complementExchange: Float64Array;
  /** v_ℓ = Π/ĝ at the window's interior boundaries b_{alphaMin+i}, i = 1 … count−1 (index i−1); 0 where invalid. */
  readonly velocityLog: Float64Array;
  /** v = λ_b·v_ℓ at the same boundaries. */
  readonly velocity: Float64Array;
  /** 1 where the velocity is defined (ĝ above its floor), 0 where skipped. */
  readonly velocityValid: Uint8Array;
  /** The boundaries λ_b of `velocity`. */
  readonly velocityBoundaries: Float64Array;
  /** The run-time invariants of this interval, by name (docs/conditions.md, "Interval checks"). */
  readonly checks: Record<string, Check>;
}

/**
 * Computes the interval quantities from the flow matrix and the shell energies at both ends
 * (energy arrays of length S+2; `flow` (S+2)² as returned by `completeFlow`).
 */
export function intervalQuantities(
  grid: ShellGrid,
  t0: number,
  t1: number,
  flow: Float64Array,
  energyOld: Float64Array,
  energyNew: Float64Array,
  options: IntervalOptions = {},
): IntervalQuantities {
  const s = grid.size;
  const c = grid.count;
  const dt = t1 - t0;
  const locality = options.locality ?? 1;
  const gEps = options.gEpsilon ?? 1e-6;
  const transport = new Float64Array(s * s);
  const tilde = new Float64Array(s);
  const rows = new Float64Array(s);
  for (let a = 0; a < s; a++) {
    for (let b = 0; b < s; b++) {
      transport[a * s + b] = (flow[a * s + b]! - flow[b * s + a]!) / dt;
      tilde[b]! += flow[a * s + b]!;
      rows[a]! += flow[a * s + b]!;
    }
  }
  const dissipation = Float64Array.from({ length: s }, (_, a) => (energyOld[a]! - tilde[a]!) / dt);
  const energyChange = Float64Array.from({ length: s }, (_, a) => energyNew[a]! - energyOld[a]!);

  const { flux, fluxLocal, fluxNonlocal } = fluxFromTransport(transport, c, locality);
  const complementExchange = Float64Array.from({ length: c + 1 }, (_, a) => transport[a * s + c + 1]!);
  const mean = Float64Array.from({ length: c }, (_, a) => 0.5 * (energyOld[a]! + energyNew[a]!));
  const { velocityLog, velocity, velocityValid, velocityBoundaries } = velocityFromFlux(grid, flux, mean, gEps);

  // Invariants (docs/conditions.md, Interval checks).
  let sumT = 0;
  let sumAbsT = 0;
  let maxAbsT = 0;
  let antisym = 0;
  for (let a = 0; a < s; a++) {
    for (let b = 0; b < s; b++) {
      const t = transport[a * s + b]!;
      sumT += t;
      sumAbsT += Math.abs(t);
      maxAbsT = Math.max(maxAbsT, Math.abs(t));
      antisym = Math.max(antisym, Math.abs(t + transport[b * s + a]!));
    }
  }
  const totalEnergy = energyOld.reduce((x, v) => x + Math.abs(v), 0) + 1e-300;
  let budget = 0;
  let rowErr = 0;
  for (let a = 0; a < s; a++) {
    let tin = 0;
    for (let b = 0; b < s; b++) tin += transport[a * s + b]!;
    budget = Math.max(budget, Math.abs(energyChange[a]! - dt * (-dissipation[a]! + tin)));
    rowErr = Math.max(rowErr, Math.abs(rows[a]! - energyNew[a]!));
  }
  const estimatorBug =
    'T^Δ = F − Fᵀ is antisymmetric by construction: this is a defect of the estimator or non-finite input, not of the data; please report it with the run';
  const closure =
    'the flow matrix does not close with the shell energies: on the GPU path the f32 flow has lost this interval (use --backend cpu, which is float64); on the CPU backend it is a defect, please report it';
  const ratio = (value: number, threshold: number, description: string, message: string): Check =>
    value <= threshold ? check(value, threshold, 'pass', description) : check(value, threshold, 'fail', description, message);
  const checks: Record<string, Check> = {
    transportSum: ratio(Math.abs(sumT) / (sumAbsT + 1e-300), 1e-5, '|Σ T| / Σ|T|', estimatorBug),
    antisymmetry: ratio(antisym / (maxAbsT + 1e-300), 1e-12, 'max |T + Tᵀ| / max |T|', estimatorBug),
    budget: ratio(
      budget / totalEnergy,
      1e-5,
      'max_α |ΔE_α − Δt(−D_α + Σ_β T_αβ)| / Σ E (exact on the CPU backend, to f32 precision on the GPU)',
      closure,
    ),
    rowSums: ratio(rowErr / totalEnergy, 1e-5, 'max_σ |Σ_τ F_στ − E^{(i+1)}_σ| / Σ E (f32 flow vs energies)', closure),
  };
  return {
    t0,
    t1,
    flow,
    transport,
    dissipation,
    energyChange,
    flux,
    fluxLocal,
    fluxNonlocal,
    complementExchange,
    velocityLog,
    velocity,
    velocityValid,
    velocityBoundaries,
    checks,
  };
}
