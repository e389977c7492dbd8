/**
 * The renormalizability remainder of the GRSD paper's shell balance (docs/conditions.md,
 * "Renormalizability remainder"). The paper writes dE_α/dt = −D_α + J_{≤α} − J_{≤α−1} + R_α with
 * |R_α| ≪ D_α: the cross-shell exchange closes into a boundary flux up to a small remainder. The
 * library's flux Π is the exact net transfer, so with it R ≡ 0 and nothing is tested. The
 * measurable form closes the balance with the local flux Π^loc_w (transfers between shells at most
 * w apart, the series' `locality`, default 1) — a closure chosen by this library, not taken from
 * the paper:
 *
 *   R_α = ΔE_α/Δt + D_α − (Π^loc_{α−½} − Π^loc_{α+½})   (J^loc_{≤α} = −Π^loc_{α+½}),
 *
 * which equals the divergence of the non-local flux plus the exchange with ⊥. Reported per shell
 * as |R_α|/D_α and summarized over the inertial window.
 * @module
 */
import { median } from './regression.ts';
import type { FitFailure } from './fits.ts';
import type { IntervalResult } from './series.ts';
import type { ShellGrid } from './shellGrid.ts';

/** |R_α|/D_α per shell and its summary. */
export interface RenormalizabilityRemainder {
  /** Always true: at least one window shell had dissipation above the floor. */
  readonly ok: true;
  /** The inertial window [first, last + 1) of window-shell indices the summary covers. */
  readonly window: readonly [number, number];
  /** R_α (rate) per window shell per interval. */
  readonly remainder: readonly (readonly number[])[];
  /** |R_α|/D_α per window shell per interval (null where D_α is below the floor). */
  readonly ratios: readonly (readonly (number | null)[])[];
  /** Σ_i|R_α,i|Δt_i / Σ_i D_α,i Δt_i per window shell over the run (null below the floor). */
  readonly perShell: readonly (number | null)[];
  /** Median run ratio (`perShell`) over the inertial window's shells. */
  readonly median: number;
  /** Largest run ratio over those shells. */
  readonly max: number;
  /** Shells that entered the summary. */
  readonly shells: number;
}

/**
 * R_α per interval from the shell energies' change, the interval dissipation and the local flux.
 * `dissipationFloor` (default 1e-6) drops shells whose dissipation is below that fraction of the
 * interval's largest (their ratio is not defined).
 */
export function renormalizabilityRemainder(
  grid: ShellGrid,
  intervals: readonly IntervalResult[],
  window: readonly [number, number],
  options: { dissipationFloor?: number } = {},
): RenormalizabilityRemainder | FitFailure {
  if (intervals.length === 0) return { ok: false, reason: 'no interval' };
  const [lo, hi] = window;
  if (hi <= lo) return { ok: false, reason: 'the inertial window is empty' };
  const floor = options.dissipationFloor ?? 1e-6;
  const c = grid.count;
  const remainder: number[][] = [];
  const ratios: (number | null)[][] = [];
  const absR = new Float64Array(c);
  const dis = new Float64Array(c);
  let maxD = 0;
  for (const iv of intervals) for (let a = 0; a < c; a++) maxD = Math.max(maxD, iv.dissipation[a]!);
  for (const iv of intervals) {
    const dt = iv.t1 - iv.t0;
    const r = Array.from({ length: c }, (_, a) => {
      const up = a + 1 < c ? iv.fluxLocal[a + 1]! : 0;
      return iv.energyChange[a]! / dt + iv.dissipation[a]! - (iv.fluxLocal[a]! - up);
    });
    remainder.push(r);
    ratios.push(r.map((v, a) => (iv.dissipation[a]! > floor * maxD ? Math.abs(v) / iv.dissipation[a]! : null)));
    for (let a = 0; a < c; a++) {
      absR[a]! += Math.abs(r[a]!) * dt;
      dis[a]! += iv.dissipation[a]! * dt;
    }
  }
  let maxDis = 0;
  for (let a = 0; a < c; a++) maxDis = Math.max(maxDis, dis[a]!);
  const perShell = Array.from(dis, (d, a) => (d > floor * maxDis ? absR[a]! / d : null));
  const inWindow = perShell.slice(lo, hi).filter((v): v is number => v !== null);
  if (inWindow.length === 0) return { ok: false, reason: 'no shell of the inertial window dissipates above the floor' };
  return {
    ok: true,
    window,
    remainder,
    ratios,
    perShell,
    median: median(inWindow),
    max: Math.max(...inWindow),
    shells: inWindow.length,
  };
}
