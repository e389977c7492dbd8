/**
 * Time averages over a window of intervals (docs/math.md, "Time averages over a window"). Interval
 * rates (transport T, units energy/time) are averaged with weights Δt_i; checkpoint quantities
 * (energies) by the trapezoid rule over the same window, i.e. the Δt-weighted mean of the interval
 * means (E_i + E_{i+1})/2. Both are time averages over [t_from, t_to], so they do not depend on how
 * densely or evenly the checkpoints sample the window: with a geometric schedule the equal-weight
 * mean per interval over-weighted the early intervals. On a uniform schedule the transport average
 * is the equal-weight mean; the energies differ from the equal-weight mean per checkpoint by the
 * trapezoid's half weights on the two end checkpoints.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/**
 * The weights Δt_i / Σ Δt_i of the intervals (all Δt_i must be positive). `argument` names the
 * input in errors.
 */
export function intervalTimeWeights(
  intervals: readonly { readonly t0: number; readonly t1: number }[],
  argument = 'intervals',
): Float64Array {
  if (intervals.length === 0) throw new InvalidArgumentError(argument, 'a time average needs at least one interval');
  const dt = Float64Array.from(intervals, (iv) => iv.t1 - iv.t0);
  let total = 0;
  dt.forEach((d, i) => {
    if (!(d > 0 && Number.isFinite(d)))
      throw new InvalidArgumentError(argument, `span ${i} has t1 − t0 = ${d}: a time average needs increasing times`);
    total += d;
  });
  return dt.map((d) => d / total);
}

/**
 * ⟨T⟩_W = Σ_i T_i Δt_i / Σ_i Δt_i on the first `count` rows and columns of each interval's
 * `size × size` transport (row-major): the window shells of a shell grid.
 */
export function timeAveragedTransport(
  intervals: readonly { readonly t0: number; readonly t1: number; readonly transport: ArrayLike<number> }[],
  count: number,
  size: number,
): Float64Array {
  const w = intervalTimeWeights(intervals);
  const out = new Float64Array(count * count);
  intervals.forEach((iv, i) => {
    for (let a = 0; a < count; a++) for (let b = 0; b < count; b++) out[a * count + b]! += w[i]! * iv.transport[a * size + b]!;
  });
  return out;
}

/**
 * ⟨E⟩_W = (1/(t_n − t_0)) ∫ E dt by the trapezoid rule over checkpoints 0…n (n ≥ 1), on the first
 * `count` entries of each checkpoint's `energy`.
 */
export function timeAveragedEnergy(
  checkpoints: readonly { readonly t: number; readonly energy: ArrayLike<number> }[],
  count: number,
): Float64Array {
  if (checkpoints.length < 2) throw new InvalidArgumentError('checkpoints', 'a time average needs at least two checkpoints');
  const spans = checkpoints.slice(1).map((cp, i) => ({ t0: checkpoints[i]!.t, t1: cp.t }));
  const w = intervalTimeWeights(spans, 'checkpoints');
  const out = new Float64Array(count);
  w.forEach((wi, i) => {
    const e0 = checkpoints[i]!.energy;
    const e1 = checkpoints[i + 1]!.energy;
    for (let a = 0; a < count; a++) out[a]! += (wi * (e0[a]! + e1[a]!)) / 2;
  });
  return out;
}
