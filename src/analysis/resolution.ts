/**
 * What an interval's transport can resolve (docs/accuracy.md, "Transport resolution"). The flow
 * estimator's error per entry — and per block sum, which is the same kind of sum — is at most
 * ε_F = √n·u·‖a‖² on orthonormal bases (u the unit roundoff, a = e_{i+1}; the f32 bound tested in
 * test/gpu/flowEstimator.gpu.test.ts). T^Δ and every flux Π_b are differences of two such sums
 * (2ε_F), and the rounding of the eigenvectors themselves adds an error of the same order (another
 * 2ε_F), so their rates are known to 4ε_F/Δt — a resolution that does not shrink with Δt while
 * T^Δ does. A quantity is *resolved* when it is at least {@link RESOLVED_FACTOR} times its
 * resolution (one significant digit).
 * @module
 */
import { check, type Check } from './checks.ts';

/** A rate is resolved when it is at least this many times its resolution. */
export const RESOLVED_FACTOR = 10;

/** The resolution of one interval's transport, flux and velocity. */
export interface TransportResolution {
  /** The arithmetic of the eigenvectors and the flow estimator. */
  readonly precision: 'float32' | 'float64';
  /** ε_F = √n·u·‖a‖²: the error scale of any block sum of the flow matrix F (energy). */
  readonly flow: number;
  /** 4ε_F/Δt: the error scale of each transport rate T_στ and each flux Π_b (energy per time). */
  readonly rate: number;
  /** Per flux boundary: 1 where |Π_b| ≥ RESOLVED_FACTOR·rate. */
  readonly fluxResolved: Uint8Array;
  /** Per velocity boundary (the interior flux boundaries b_{alphaMin+i}, i = 1 … count−1): 1 where the flux there is resolved. */
  readonly velocityResolved: Uint8Array;
}

/** The resolution of an interval of length `dt` on `n` probe outputs with ‖a‖² = `norm2`, for unit roundoff `u`. */
export function transportResolution(
  precision: 'float32' | 'float64',
  u: number,
  n: number,
  norm2: number,
  dt: number,
  flux: ArrayLike<number>,
): TransportResolution {
  const flow = Math.sqrt(n) * u * norm2;
  const rate = (4 * flow) / dt;
  const fluxResolved = Uint8Array.from(flux as ArrayLike<number>, (p) =>
    Math.abs(p) >= RESOLVED_FACTOR * rate && rate < Infinity ? 1 : 0,
  );
  return { precision, flow, rate, fluxResolved, velocityResolved: fluxResolved.slice(1) };
}

/**
 * `transportResolution`: the resolution of the interval's largest transport rate relative to it.
 * When even the largest rate is below RESOLVED_FACTOR times its resolution, the interval's
 * transport, flux and velocity are rounding noise — a lazy interval, or Δt too short for the
 * precision. That is not an error in the data, so the check is `not-applicable` (the analysis
 * then uses no transport of this interval: docs/conditions.md, "Transport resolution"), never
 * failed.
 */
export function resolutionCheck(resolution: TransportResolution, transport: ArrayLike<number>): Check {
  let max = 0;
  for (let i = 0; i < transport.length; i++) max = Math.max(max, Math.abs(transport[i]!));
  const value = max > 0 ? resolution.rate / max : resolution.rate > 0 ? Number.MAX_VALUE : 0;
  const description = `4√n·u·‖a‖²/Δt / max|T| (${resolution.precision} resolution of the largest transport rate) ≤ ${1 / RESOLVED_FACTOR}`;
  if (value <= 1 / RESOLVED_FACTOR) return check(value, 1 / RESOLVED_FACTOR, 'pass', description);
  return check(
    value,
    1 / RESOLVED_FACTOR,
    'not-applicable',
    description,
    `the transport is below what ${resolution.precision} resolves at this Δt, so this interval's T, flux and velocity are rounding noise and are not used: a lazy interval, or Δt too short (use longer intervals or --backend cpu)`,
  );
}
