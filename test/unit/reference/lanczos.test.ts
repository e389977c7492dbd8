import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { denseApply, lanczosF64 } from '../../../src/reference/lanczos.ts';
import type { LanczosF64Result } from '../../../src/reference/lanczos.ts';
import { dot, matmul, matrixWithSpectrum, matVec, orthonormalityError, symmetrize, transpose } from '../../../src/reference/linalg.ts';
import { symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { tridiagonalEigen } from '../../../src/reference/tridiagonalEigen.ts';
import { Random } from '../../../src/util/random.ts';

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function noNaN(run: LanczosF64Result): void {
  for (const arr of [run.alpha, run.beta, run.basis]) for (const x of arr) expect(Number.isFinite(x)).toBe(true);
  expect(Number.isFinite(run.residualNorm)).toBe(true);
}

/** ‖A Q_kᵀ − Q_kᵀ T_k − residualNorm · q_{k+1} e_kᵀ‖_max (vectors as rows). */
function threeTermError(a: Float64Array, n: number, run: LanczosF64Result): number {
  const k = run.steps;
  let worst = 0;
  for (let j = 0; j < k; j++) {
    const aq = matVec(a, n, n, run.basis.subarray(j * n, (j + 1) * n));
    for (let i = 0; i < n; i++) {
      let t = run.alpha[j]! * run.basis[j * n + i]!;
      if (j > 0) t += run.beta[j - 1]! * run.basis[(j - 1) * n + i]!;
      const b = j < k - 1 ? run.beta[j]! : run.residualNorm;
      t += b * run.basis[(j + 1) * n + i]!;
      worst = Math.max(worst, Math.abs(aq[i]! - t));
    }
  }
  return worst;
}

describe('lanczosF64', () => {
  test('steps = n on a random symmetric matrix: Ritz values = eigenvalues, orthonormal basis, three-term relation', () => {
    const rng = new Random(11);
    const n = 80;
    const a = symmetrize(rng.normals(n * n), n);
    const run = lanczosF64(denseApply(a, n), n, rng.normals(n), n);
    expect(run.steps).toBe(n);
    expect(run.alpha.length).toBe(n);
    expect(run.beta.length).toBe(n - 1);
    expect(run.basis.length).toBe((n + 1) * n);
    noNaN(run);
    const exact = symmetricEigen(a, n).values;
    const norm = Math.max(Math.abs(exact[0]!), Math.abs(exact[n - 1]!));
    const ritz = tridiagonalEigen(run.alpha, run.beta).values;
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(ritz[i]! - exact[i]!));
    expect(err / norm).toBeLessThan(1e-10);
    expect(orthonormalityError(run.basis.subarray(0, n * n), n, n)).toBeLessThan(1e-12);
    expect(threeTermError(a, n, run) / norm).toBeLessThan(1e-12);
  });

  test('k < n: orthonormal basis including q_{k+1}, three-term relation, Ritz error bounds', () => {
    const rng = new Random(12);
    const n = 120;
    const k = 30;
    const a = symmetrize(rng.normals(n * n), n);
    const run = lanczosF64(denseApply(a, n), n, rng.normals(n), k);
    expect(run.steps).toBe(k);
    expect(run.breakdown).toBe(false);
    const norm = maxAbs(symmetricEigen(a, n).values);
    expect(orthonormalityError(run.basis, k + 1, n)).toBeLessThan(1e-12);
    expect(threeTermError(a, n, run) / norm).toBeLessThan(1e-12);
    // Each Ritz value θ_i is within residualNorm·|last_i| of an eigenvalue.
    const exact = symmetricEigen(a, n).values;
    const { values, last } = tridiagonalEigen(run.alpha, run.beta, { vectors: 'ends' });
    for (let i = 0; i < k; i++) {
      const dist = Math.min(...Array.from(exact, (l) => Math.abs(l - values[i]!)));
      expect(dist).toBeLessThanOrEqual(run.residualNorm * Math.abs(last![i]!) * (1 + 1e-8) + 1e-12 * norm);
    }
  });

  test('moments: Σ w_i θ_i^j = q_1ᵀ A^j q_1 for j ≤ 2m − 1 (m = 10) to 1e-10', () => {
    const rng = new Random(13);
    const n = 150;
    const m = 10;
    const spectrum = Float64Array.from({ length: n }, () => 0.1 + 0.9 * rng.uniform());
    const a = matrixWithSpectrum(spectrum, rng);
    const start = rng.normals(n);
    const run = lanczosF64(denseApply(a, n), n, start, m);
    const { values, first } = tridiagonalEigen(run.alpha, run.beta, { vectors: 'ends' });
    const q1 = run.basis.slice(0, n);
    let x: Float64Array = q1;
    for (let j = 0; j <= 2 * m - 1; j++) {
      const exact = dot(q1, x); // q_1ᵀ A^j q_1
      let gauss = 0;
      for (let i = 0; i < m; i++) gauss += first![i]! ** 2 * values[i]! ** j;
      expect(Math.abs(gauss - exact) / Math.abs(exact)).toBeLessThan(1e-10);
      x = matVec(a, n, n, x);
    }
  });

  test('identity: stops after 1 step with breakdown, no NaN', () => {
    const n = 20;
    const id = new Float64Array(n * n);
    for (let i = 0; i < n; i++) id[i * n + i] = 1;
    const run = lanczosF64(denseApply(id, n), n, new Random(1).normals(n), 10);
    expect(run.steps).toBe(1);
    expect(run.breakdown).toBe(true);
    expect(run.alpha.length).toBe(1);
    expect(run.beta.length).toBe(0);
    expect(run.alpha[0]).toBeCloseTo(1, 14);
    expect(run.residualNorm).toBeLessThan(1e-14);
    expect(Array.from(run.basis.subarray(n, 2 * n))).toEqual(new Array(n).fill(0));
    noNaN(run);
  });

  test('I + u uᵀ: stops after 2 steps with Ritz values {1, 1 + ‖u‖²}', () => {
    const rng = new Random(2);
    const n = 40;
    const u = rng.normals(n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? 1 : 0) + u[i]! * u[j]!;
    const run = lanczosF64(denseApply(a, n), n, rng.normals(n), 10);
    expect(run.steps).toBe(2);
    expect(run.breakdown).toBe(true);
    noNaN(run);
    const ritz = tridiagonalEigen(run.alpha, run.beta).values;
    const uu = dot(u, u);
    expect(Math.abs(ritz[0]! - 1)).toBeLessThan(1e-12 * uu);
    expect(Math.abs(ritz[1]! - (1 + uu)) / (1 + uu)).toBeLessThan(1e-13);
  });

  test('rank-deficient A = B Bᵀ (n = 60, rank 10): stops at ≤ 11 steps without NaN', () => {
    // The Krylov space of a generic start vector is invariant after r + 1 = 11 steps. In f64 the
    // residual there is not O(ε‖A‖) but ≈ ε‖A‖ / min_i |last component of Ritz vector i| (~1e-9·‖A‖
    // here: the Ritz value at 0 converged at step 2, so its last component is tiny); the default
    // tolerance (1e-12 relative) therefore fires one step later, at 12, with β ≈ ε‖A‖. A tolerance
    // of 1e-6·‖A‖ stops at 11.
    const rng = new Random(3);
    const n = 60;
    const r = 10;
    const b = rng.normals(n * r);
    const a = symmetrize(matmul(b, transpose(b, n, r), n, r, n), n);
    const exact = symmetricEigen(a, n).values;
    const norm = exact[n - 1]!;
    const start = rng.normals(n);
    for (const tolerance of [1e-6 * norm, undefined]) {
      const run = lanczosF64(denseApply(a, n), n, start, 40, tolerance === undefined ? {} : { breakdownTolerance: tolerance });
      expect(run.steps).toBeLessThanOrEqual(tolerance === undefined ? r + 2 : r + 1);
      expect(run.breakdown).toBe(true);
      noNaN(run);
      const ritz = tridiagonalEigen(run.alpha, run.beta).values;
      // The nonzero eigenvalues are all found.
      for (let i = 0; i < r; i++) expect(Math.abs(ritz[ritz.length - 1 - i]! - exact[n - 1 - i]!) / norm).toBeLessThan(1e-12);
      expect(Math.abs(ritz[0]!) / norm).toBeLessThan(1e-12);
      expect(orthonormalityError(run.basis.subarray(0, run.steps * n), run.steps, n)).toBeLessThan(1e-12);
    }
  });

  test('diagonal with log-uniform entries over 6 decades, steps = n: reproduces the entries', () => {
    const rng = new Random(4);
    const n = 100;
    const entries = Float64Array.from({ length: n }, () => 10 ** (-6 * rng.uniform()));
    const apply = (x: Float64Array, y: Float64Array): void => {
      for (let i = 0; i < n; i++) y[i] = entries[i]! * x[i]!;
    };
    const run = lanczosF64(apply, n, rng.normals(n), n);
    expect(run.steps).toBe(n);
    noNaN(run);
    const ritz = tridiagonalEigen(run.alpha, run.beta).values;
    const exact = Float64Array.from(entries).sort();
    let abs = 0;
    let rel = 0;
    for (let i = 0; i < n; i++) {
      abs = Math.max(abs, Math.abs(ritz[i]! - exact[i]!));
      rel = Math.max(rel, Math.abs(ritz[i]! - exact[i]!) / exact[i]!);
    }
    expect(abs).toBeLessThan(1e-13);
    expect(rel).toBeLessThan(1e-8);
  });

  test('steps > n is clamped; n = 1', () => {
    const run = lanczosF64(denseApply(new Float64Array([4, 1, 1, 3]), 2), 2, new Float64Array([1, 2]), 5);
    expect(run.steps).toBe(2);
    expect(run.breakdown).toBe(true);
    noNaN(run);
    const one = lanczosF64(denseApply(new Float64Array([-3]), 1), 1, new Float64Array([-2]), 3);
    expect(one.steps).toBe(1);
    expect(Array.from(one.alpha)).toEqual([-3]);
    expect(Array.from(one.basis)).toEqual([-1, 0]);
  });

  test('validates its arguments', () => {
    const apply = denseApply(new Float64Array(4), 2);
    expect(() => lanczosF64(apply, 2, new Float64Array([0, 0]), 1)).toThrow(InvalidArgumentError);
    expect(() => lanczosF64(apply, 2, new Float64Array([0, 0]), 1)).toThrow(/start/);
    expect(() => lanczosF64(apply, 2, new Float64Array([NaN, 1]), 1)).toThrow(/start/);
    expect(() => lanczosF64(apply, 2, new Float64Array([1]), 1)).toThrow(/start/);
    expect(() => lanczosF64(apply, 2, new Float64Array([1, 1]), 0)).toThrow(/steps/);
    expect(() => lanczosF64(apply, 0, new Float64Array(0), 1)).toThrow(/n/);
    expect(() => lanczosF64((_x, y) => y.fill(NaN), 2, new Float64Array([1, 1]), 1)).toThrow(/apply/);
    expect(() => denseApply(new Float64Array(3), 2)).toThrow(/a/);
  });
});
