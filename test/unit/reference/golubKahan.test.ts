import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { bidiagonalSingularValues, golubKahanF64 } from '../../../src/reference/golubKahan.ts';
import { denseApply, lanczosF64 } from '../../../src/reference/lanczos.ts';
import type { GolubKahanF64Result } from '../../../src/reference/golubKahan.ts';
import { matmul, matTVec, matVec, orthonormalityError, randomOrthogonal, transpose } from '../../../src/reference/linalg.ts';
import { symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { Random } from '../../../src/util/random.ts';
import { list, numpy } from './numpy.ts';

function operators(j: Float64Array, rows: number, cols: number) {
  return {
    applyJ: (x: Float64Array, y: Float64Array): void => y.set(matVec(j, rows, cols, x)),
    applyJt: (x: Float64Array, y: Float64Array): void => y.set(matTVec(j, rows, cols, x)),
  };
}

/** J = U diag(σ) Vᵀ, rows×cols (rows ≥ cols), with Haar U, V. */
function matrixWithSingularValues(sigma: Float64Array, rows: number, rng: Random): Float64Array {
  const cols = sigma.length;
  const u = randomOrthogonal(rows, rng); // rows of u: use the first cols rows as left vectors
  const v = randomOrthogonal(cols, rng);
  const us = new Float64Array(rows * cols); // (U_cols)ᵀ diag σ: column k = σ_k u_k
  for (let k = 0; k < cols; k++) for (let i = 0; i < rows; i++) us[i * cols + k] = sigma[k]! * u[k * rows + i]!;
  return matmul(us, v, rows, cols, cols);
}

/** The dense bidiagonal B (lower or upper; square or rectangular), and its shape. */
function denseBidiagonal(
  alpha: Float64Array,
  beta: Float64Array,
  shape: 'lower' | 'upper',
): { b: Float64Array; rows: number; cols: number } {
  const p = alpha.length;
  const rect = beta.length === p;
  const rows = shape === 'lower' && rect ? p + 1 : p;
  const cols = shape === 'upper' && rect ? p + 1 : p;
  const b = new Float64Array(rows * cols);
  for (let j = 0; j < p; j++) {
    b[j * cols + j] = alpha[j]!;
    if (j < beta.length) {
      if (shape === 'lower') b[(j + 1) * cols + j] = beta[j]!;
      else b[j * cols + j + 1] = beta[j]!;
    }
  }
  return { b, rows, cols };
}

/** ‖J Vᵀ − Uᵀ B‖_max for the GK relation (vectors as rows). */
function gkRelationError(j: Float64Array, rows: number, cols: number, run: GolubKahanF64Result): number {
  const k = run.steps;
  let worst = 0;
  for (let t = 0; t < k; t++) {
    const jv = matVec(j, rows, cols, run.v.subarray(t * cols, (t + 1) * cols));
    for (let i = 0; i < rows; i++) {
      const rhs = run.alpha[t]! * run.u[t * rows + i]! + run.beta[t]! * run.u[(t + 1) * rows + i]!;
      worst = Math.max(worst, Math.abs(jv[i]! - rhs));
    }
  }
  return worst;
}

describe('golubKahanF64 + bidiagonalSingularValues', () => {
  test('random 80×30 J: σ = sqrt(eig(JᵀJ)) = numpy svd to 1e-12 · σ_max; u, v orthonormal', () => {
    const rng = new Random(21);
    const rows = 80;
    const cols = 30;
    const j = rng.normals(rows * cols);
    const { applyJ, applyJt } = operators(j, rows, cols);
    const run = golubKahanF64(applyJ, applyJt, rows, cols, rng.normals(rows), cols);
    expect(run.steps).toBe(cols);
    expect(run.alpha.length).toBe(cols);
    expect(run.beta.length).toBe(cols);
    expect(run.u.length).toBe((cols + 1) * rows);
    expect(run.v.length).toBe(cols * cols);
    expect(run.residualNorm).toBe(run.beta[cols - 1]);
    const sigma = bidiagonalSingularValues(run.alpha, run.beta, 'lower').values;
    const eig = symmetricEigen(matmul(transpose(j, rows, cols), j, cols, rows, cols), cols).values;
    const smax = sigma[0]!;
    let errEig = 0;
    for (let i = 0; i < cols; i++) errEig = Math.max(errEig, Math.abs(sigma[i]! - Math.sqrt(eig[cols - 1 - i]!)));
    expect(errEig / smax).toBeLessThan(1e-12);
    const ref = numpy<number[]>('out = np.linalg.svd(np.array(data["j"]).reshape(80, 30), compute_uv=False).tolist()', { j: list(j) });
    if (ref) {
      let err = 0;
      for (let i = 0; i < cols; i++) err = Math.max(err, Math.abs(sigma[i]! - ref[i]!));
      expect(err / smax).toBeLessThan(1e-12);
    }
    expect(orthonormalityError(run.u, cols + 1, rows)).toBeLessThan(1e-12);
    expect(orthonormalityError(run.v, cols, cols)).toBeLessThan(1e-12);
    expect(gkRelationError(j, rows, cols, run) / smax).toBeLessThan(1e-12);
    // Square L_k: the Ritz values of J Jᵀ on span(u_1..u_k); with k = cols they are J's σ too.
    const square = bidiagonalSingularValues(run.alpha, run.beta.subarray(0, cols - 1), 'lower').values;
    expect(square.length).toBe(cols);
  });

  test('σ spanning 1e-8..1: σ_min relatively accurate (≤ 1e-6), unlike sqrt(λ_min(JᵀJ))', () => {
    const rng = new Random(22);
    const rows = 80;
    const cols = 30;
    const exact = Float64Array.from({ length: cols }, (_, i) => 10 ** (-8 * (i / (cols - 1))));
    const j = matrixWithSingularValues(exact, rows, rng);
    const { applyJ, applyJt } = operators(j, rows, cols);
    const run = golubKahanF64(applyJ, applyJt, rows, cols, rng.normals(rows), cols);
    expect(run.steps).toBe(cols);
    const sigma = bidiagonalSingularValues(run.alpha, run.beta, 'lower').values;
    let worstRel = 0;
    for (let i = 0; i < cols; i++) worstRel = Math.max(worstRel, Math.abs(sigma[i]! - exact[i]!) / exact[i]!);
    const minRel = Math.abs(sigma[cols - 1]! - 1e-8) / 1e-8;
    expect(minRel).toBeLessThan(1e-6);
    expect(worstRel).toBeLessThan(1e-6);
    // The squared route loses it: λ_min(JᵀJ) = 1e-16 is at the rounding level of ‖JᵀJ‖ = 1.
    const lambda = symmetricEigen(matmul(transpose(j, rows, cols), j, cols, rows, cols), cols).values;
    const viaEig = Math.sqrt(Math.max(lambda[0]!, 0));
    expect(Math.abs(viaEig - 1e-8) / 1e-8).toBeGreaterThan(minRel);
    expect(orthonormalityError(run.u, cols + 1, rows)).toBeLessThan(1e-12);
    expect(orthonormalityError(run.v, cols, cols)).toBeLessThan(1e-12);
  });

  test('k < min(rows, cols): orthonormal bases and J Vᵀ = Uᵀ B', () => {
    const rng = new Random(23);
    const rows = 50;
    const cols = 70;
    const j = rng.normals(rows * cols);
    const { applyJ, applyJt } = operators(j, rows, cols);
    const run = golubKahanF64(applyJ, applyJt, rows, cols, rng.normals(rows), 20);
    expect(run.steps).toBe(20);
    expect(run.breakdown).toBe(false);
    expect(orthonormalityError(run.u, 21, rows)).toBeLessThan(1e-12);
    expect(orthonormalityError(run.v, 20, cols)).toBeLessThan(1e-12);
    expect(gkRelationError(j, rows, cols, run)).toBeLessThan(1e-11);
  });

  test('breakdown: J of rank 3 stops without NaN; the σ are found', () => {
    const rng = new Random(24);
    const rows = 40;
    const cols = 25;
    const exact = new Float64Array(cols);
    exact.set([3, 2, 0.5]);
    const j = matrixWithSingularValues(exact, rows, rng);
    const { applyJ, applyJt } = operators(j, rows, cols);
    const run = golubKahanF64(applyJ, applyJt, rows, cols, rng.normals(rows), 20, { breakdownTolerance: 1e-8 });
    expect(run.breakdown).toBe(true);
    expect(run.steps).toBeLessThanOrEqual(4);
    for (const arr of [run.alpha, run.beta, run.u, run.v]) for (const x of arr) expect(Number.isFinite(x)).toBe(true);
    const sigma = bidiagonalSingularValues(run.alpha, run.beta, 'lower').values;
    for (let i = 0; i < 3; i++) expect(Math.abs(sigma[i]! - exact[i]!)).toBeLessThan(1e-13);
    // A start vector in the null space of Jᵀ: α_1 = 0, zero steps.
    const zero = golubKahanF64(
      (_x, y) => y.fill(0),
      (_x, y) => y.fill(0),
      3,
      2,
      new Float64Array([1, 2, 3]),
      2,
    );
    expect(zero.steps).toBe(0);
    expect(zero.breakdown).toBe(true);
    expect(zero.u.length).toBe(3);
    expect(zero.residualNorm).toBe(0);
  });

  test('bidiagonalSingularValues: all four shapes, with vectors, against numpy', () => {
    const rng = new Random(25);
    const cases: { alpha: Float64Array; beta: Float64Array; shape: 'lower' | 'upper'; b: Float64Array; rows: number; cols: number }[] = [];
    for (const shape of ['lower', 'upper'] as const) {
      for (const rect of [false, true]) {
        for (const p of [1, 2, 7, 40]) {
          const alpha = rng.normals(p);
          const beta = rng.normals(rect ? p : p - 1);
          cases.push({ alpha, beta, shape, ...denseBidiagonal(alpha, beta, shape) });
        }
      }
    }
    const refs = numpy<number[][]>(
      'out = [np.linalg.svd(np.array(c["b"]).reshape(c["r"], c["c"]), compute_uv=False).tolist() for c in data]',
      cases.map((c) => ({ b: list(c.b), r: c.rows, c: c.cols })),
    );
    for (const [index, { alpha, beta, shape, b, rows, cols }] of cases.entries()) {
      const p = alpha.length;
      const { values, u, v } = bidiagonalSingularValues(alpha, beta, shape, { vectors: true });
      expect(values.length).toBe(p);
      expect(u!.length).toBe(p * rows);
      expect(v!.length).toBe(p * cols);
      const smax = values[0]!;
      const ref = refs?.[index];
      if (ref) for (let i = 0; i < p; i++) expect(Math.abs(values[i]! - ref[i]!) / smax).toBeLessThan(1e-13);
      for (let i = 1; i < p; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
      expect(orthonormalityError(u!, p, rows)).toBeLessThan(1e-12);
      expect(orthonormalityError(v!, p, cols)).toBeLessThan(1e-12);
      // B v_i = σ_i u_i and Bᵀ u_i = σ_i v_i.
      for (let i = 0; i < p; i++) {
        const bv = matVec(b, rows, cols, v!.subarray(i * cols, (i + 1) * cols));
        const btu = matTVec(b, rows, cols, u!.subarray(i * rows, (i + 1) * rows));
        for (let t = 0; t < rows; t++) expect(Math.abs(bv[t]! - values[i]! * u![i * rows + t]!)).toBeLessThan(1e-13 * smax);
        for (let t = 0; t < cols; t++) expect(Math.abs(btu[t]! - values[i]! * v![i * cols + t]!)).toBeLessThan(1e-13 * smax);
        expect(v!.subarray(i * cols, (i + 1) * cols).find((x) => x !== 0)!).toBeGreaterThan(0);
      }
    }
  });

  test('bidiagonalSingularValues: high relative accuracy on a graded bidiagonal', () => {
    // Square: Π σ_i = Π |α_i| (the determinant), Σ σ_i² = Σ α² + Σ β² (Frobenius).
    const p = 40;
    const rng = new Random(26);
    const alpha = Float64Array.from({ length: p }, (_, i) => (0.5 + rng.uniform()) * 10 ** (-i / 2));
    const beta = Float64Array.from({ length: p - 1 }, (_, i) => (0.5 + rng.uniform()) * 10 ** (-i / 2));
    for (const shape of ['lower', 'upper'] as const) {
      const { values } = bidiagonalSingularValues(alpha, beta, shape);
      let logProd = 0;
      let logDet = 0;
      for (let i = 0; i < p; i++) {
        logProd += Math.log(values[i]!);
        logDet += Math.log(Math.abs(alpha[i]!));
      }
      expect(Math.abs(logProd - logDet)).toBeLessThan(1e-12); // relative error of the product
      expect(values[p - 1]!).toBeLessThan(1e-18);
      let fro = 0;
      for (const x of alpha) fro += x * x;
      for (const x of beta) fro += x * x;
      let s2 = 0;
      for (const x of values) s2 += x * x;
      expect(Math.abs(s2 - fro) / fro).toBeLessThan(1e-14);
    }
    // Diagonal: exact, including 1e-200.
    const diag = bidiagonalSingularValues(new Float64Array([1e-200, -3, 2]), new Float64Array([0, 0]), 'upper').values;
    for (const [i, x] of [3, 2, 1e-200].entries()) expect(Math.abs(diag[i]! - x) / x).toBeLessThan(1e-15);
    // 2×2 upper [[1, 1], [0, 1e-10]]: σ_max σ_min = 1e-10 exactly.
    const two = bidiagonalSingularValues(new Float64Array([1, 1e-10]), new Float64Array([1]), 'upper').values;
    expect(Math.abs((two[0]! * two[1]!) / 1e-10 - 1)).toBeLessThan(1e-15);
    // Zero singular values.
    expect(Array.from(bidiagonalSingularValues(new Float64Array([0, 0]), new Float64Array([0]), 'lower').values)).toEqual([0, 0]);
    expect(Array.from(bidiagonalSingularValues(new Float64Array([2, 0]), new Float64Array([0]), 'lower').values)).toEqual([2, 0]);
  });

  test('validates its arguments', () => {
    const f = (_x: Float64Array, y: Float64Array): void => {
      y.fill(1);
    };
    expect(() => golubKahanF64(f, f, 3, 2, new Float64Array(3), 1)).toThrow(InvalidArgumentError);
    expect(() => golubKahanF64(f, f, 3, 2, new Float64Array(2), 1)).toThrow(/start/);
    expect(() => golubKahanF64(f, f, 3, 0, new Float64Array(3), 1)).toThrow(/cols/);
    expect(() => golubKahanF64(f, f, 3, 2, new Float64Array([1, 0, 0]), 0)).toThrow(/steps/);
    expect(() => bidiagonalSingularValues(new Float64Array(0), new Float64Array(0), 'lower')).toThrow(/alpha/);
    expect(() => bidiagonalSingularValues(new Float64Array(3), new Float64Array(1), 'lower')).toThrow(/beta/);
    expect(() => bidiagonalSingularValues(new Float64Array(3), new Float64Array(2), 'middle' as 'lower')).toThrow(/shape/);
  });
});

describe('Golub–Kahan and Lanczos: one Krylov contract', () => {
  test('from the same start u₁, Lanczos on K = J Jᵀ gives T_k = L_k L_kᵀ (L_k: Golub–Kahan’s square bidiagonal), and the same basis', () => {
    const rows = 40;
    const cols = 55;
    const rng = new Random(21);
    const j = rng.normals(rows * cols);
    const start = rng.normals(rows);
    const k = 12;
    const gk = golubKahanF64(
      (x, y) => y.set(matVec(j, rows, cols, x)),
      (x, y) => y.set(matTVec(j, rows, cols, x)),
      rows,
      cols,
      start,
      k,
    );
    const K = matmul(j, transpose(j, rows, cols), rows, cols, rows);
    const lz = lanczosF64(denseApply(K, rows), rows, start, k);
    expect(gk.steps).toBe(k);
    expect(lz.steps).toBe(k);
    // T = L Lᵀ with L[i][i] = alpha[i], L[i+1][i] = beta[i]: T[i][i] = alpha[i]² + beta[i−1]², T[i][i+1] = alpha[i]·beta[i].
    const scale = gk.alpha.reduce((m, a) => Math.max(m, a * a), 0);
    for (let i = 0; i < k; i++) {
      const diag = gk.alpha[i]! ** 2 + (i > 0 ? gk.beta[i - 1]! ** 2 : 0);
      expect(Math.abs(lz.alpha[i]! - diag)).toBeLessThanOrEqual(1e-10 * scale);
      if (i + 1 < k) expect(Math.abs(lz.beta[i]! - gk.alpha[i]! * gk.beta[i]!)).toBeLessThanOrEqual(1e-10 * scale);
    }
    // Both bases span the same Krylov space: |u_iᵀ q_i| = 1.
    for (let i = 0; i < k; i++) {
      let d = 0;
      for (let t = 0; t < rows; t++) d += gk.u[i * rows + t]! * lz.basis[i * rows + t]!;
      expect(Math.abs(Math.abs(d) - 1)).toBeLessThan(1e-9);
    }
  });
});
