/**
 * Float64 twin of the batchedDot kernel (shaders/linalg/batchedDot.wgsl).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/**
 * `out[b] = Σ_i x[b·n+i]·y[b·n+i]` in float64 (`y = null`: `Σ_i x[b·n+i]`), summed with
 * Neumaier compensation so that the reference is accurate to a few ulps of float64.
 *
 * @param x - shape [batch, n], row-major.
 * @param y - shape [batch, n], row-major, or null for plain sums.
 * @example
 * ```ts
 * batchedDot(new Float64Array([1, 2, 3, 4]), null, { n: 2, batch: 2 }); // Float64Array [3, 7]
 * ```
 */
export function batchedDot(
  x: ArrayLike<number>,
  y: ArrayLike<number> | null,
  shape: { readonly n: number; readonly batch: number },
): Float64Array {
  const { n, batch } = shape;
  if (x.length !== n * batch) throw new InvalidArgumentError('x', `expected ${n * batch} elements (batch × n), got ${x.length}`);
  if (y && y.length !== n * batch) throw new InvalidArgumentError('y', `expected ${n * batch} elements (batch × n), got ${y.length}`);
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    let comp = 0;
    for (let i = b * n; i < (b + 1) * n; i++) {
      const term = y ? x[i]! * y[i]! : x[i]!;
      const t = sum + term;
      comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
      sum = t;
    }
    out[b] = sum + comp;
  }
  return out;
}

/**
 * The forward-error bound of an f32 dot product (or sum) of row `b`: γ_n Σ_i |x_i y_i| with
 * γ_n = n u / (1 − n u), u = 2⁻²⁴. It holds for any summation order, with or without FMA.
 */
export function batchedDotErrorBound(
  x: ArrayLike<number>,
  y: ArrayLike<number> | null,
  shape: { readonly n: number; readonly batch: number },
): Float64Array {
  const { n, batch } = shape;
  const u = 2 ** -24;
  const gamma = (n * u) / (1 - n * u);
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let i = b * n; i < (b + 1) * n; i++) s += Math.abs(y ? x[i]! * y[i]! : x[i]!);
    out[b] = gamma * s;
  }
  return out;
}
