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

/**
 * `out[b] = max_i |x[o + b·s + i]|` (the max-abs mode of the batchedDot kernel) for b < batch, with
 * row stride s (default n) and offset o (default 0); a non-finite entry makes its row non-finite
 * (NaN stays NaN, ±Inf becomes +Inf). Exact.
 *
 * @example
 * ```ts
 * batchedMaxAbs(new Float64Array([1, -3, 2, 0]), { n: 2, batch: 2 }); // Float64Array [3, 2]
 * ```
 */
export function batchedMaxAbs(
  x: ArrayLike<number>,
  shape: { readonly n: number; readonly batch: number; readonly stride?: number; readonly offset?: number },
): Float64Array {
  const { n, batch } = shape;
  const stride = shape.stride ?? n;
  const offset = shape.offset ?? 0;
  if (offset + (batch - 1) * stride + n > x.length)
    throw new InvalidArgumentError('x', `needs ${offset + (batch - 1) * stride + n} elements for this shape, got ${x.length}`);
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.abs(x[offset + b * stride + i]!);
      if (!Number.isFinite(v)) {
        m = v;
        break;
      }
      m = Math.max(m, v);
    }
    out[b] = m;
  }
  return out;
}
