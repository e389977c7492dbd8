/** Matrices with known spectra for eigensolver tests (float64, then rounded to f32 as the GPU sees them). */
import { matrixWithSpectrum } from '../../src/reference/linalg.ts';
import { symmetricEigen } from '../../src/reference/symmetricEigen.ts';
import { rng } from './data.ts';

/** A dense symmetric test matrix rounded to f32, and its exact (float64) eigenvalues ascending. */
export interface TestMatrix {
  readonly n: number;
  readonly data: Float32Array;
  readonly values: Float64Array;
}

/** Q diag(values) Qᵀ rounded to f32 (symmetric), with the true eigenvalues of the rounded matrix. */
export function withSpectrum(values: ArrayLike<number>, label: string): TestMatrix {
  const n = values.length;
  const a = matrixWithSpectrum(values, rng(label));
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
  const data = Float32Array.from(a);
  return { n, data, values: symmetricEigen(Float64Array.from(data), n).values };
}

/** A dense matrix given entrywise (f32), with its float64 eigenvalues. */
export function fromEntries(n: number, entry: (i: number, j: number) => number): TestMatrix {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = entry(i, j);
  return { n, data, values: symmetricEigen(Float64Array.from(data), n).values };
}

/** Distance from each computed value to the nearest true eigenvalue. */
export function nearestDistances(computed: ArrayLike<number>, truth: Float64Array): Float64Array {
  return Float64Array.from({ length: computed.length }, (_, i) => {
    let best = Number.POSITIVE_INFINITY;
    for (const t of truth) best = Math.min(best, Math.abs(t - computed[i]!));
    return best;
  });
}

/** Stacks matrices into one [batch][n][n] array. */
export function stack(ms: readonly TestMatrix[]): Float32Array {
  const n = ms[0]!.n;
  const out = new Float32Array(ms.length * n * n);
  ms.forEach((m, b) => out.set(m.data, b * n * n));
  return out;
}
