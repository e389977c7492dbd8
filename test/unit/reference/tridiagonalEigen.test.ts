import { describe, expect, test } from 'vitest';
import { InternalError, InvalidArgumentError } from '../../../src/errors.ts';
import { matmul, transpose } from '../../../src/reference/linalg.ts';
import { tql2InPlace, tridiagonalEigen } from '../../../src/reference/tridiagonalEigen.ts';
import { Random } from '../../../src/util/random.ts';
import { list, numpy } from './numpy.ts';

function dense(alpha: Float64Array, beta: Float64Array): Float64Array {
  const m = alpha.length;
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    t[i * m + i] = alpha[i]!;
    if (i < m - 1) {
      t[i * m + i + 1] = beta[i]!;
      t[(i + 1) * m + i] = beta[i]!;
    }
  }
  return t;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** ‖T − Vᵀ diag(λ) V‖_max for eigenvectors as rows of V. */
function reconstructionError(alpha: Float64Array, beta: Float64Array, values: Float64Array, vectors: Float64Array): number {
  const m = alpha.length;
  const scaled = new Float64Array(m * m);
  for (let j = 0; j < m; j++) for (let i = 0; i < m; i++) scaled[j * m + i] = values[j]! * vectors[j * m + i]!;
  const r = matmul(transpose(vectors, m, m), scaled, m, m, m);
  const t = dense(alpha, beta);
  let worst = 0;
  for (let i = 0; i < m * m; i++) worst = Math.max(worst, Math.abs(r[i]! - t[i]!));
  return worst;
}

function orthoError(v: Float64Array, m: number): number {
  const g = matmul(v, transpose(v, m, m), m, m, m);
  let worst = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) worst = Math.max(worst, Math.abs(g[i * m + j]! - (i === j ? 1 : 0)));
  return worst;
}

function checkSigns(vectors: Float64Array, m: number): void {
  for (let j = 0; j < m; j++) {
    const row = vectors.subarray(j * m, (j + 1) * m);
    const first = row.find((x) => x !== 0)!;
    expect(first).toBeGreaterThan(0);
  }
}

describe('tridiagonalEigen', () => {
  test('(−1, 2, −1) Toeplitz, n = 50: closed-form eigenvalues and eigenvectors to 1e-13', () => {
    const n = 50;
    const alpha = new Float64Array(n).fill(2);
    const beta = new Float64Array(n - 1).fill(-1);
    const { values, vectors } = tridiagonalEigen(alpha, beta, { vectors: 'all' });
    let valueErr = 0;
    let vectorErr = 0;
    for (let k = 1; k <= n; k++) {
      const lambda = 2 - 2 * Math.cos((k * Math.PI) / (n + 1));
      valueErr = Math.max(valueErr, Math.abs(values[k - 1]! - lambda));
      // Eigenvector k: √(2/(n+1)) sin(jkπ/(n+1)), j = 1..n, up to sign.
      const row = vectors!.subarray((k - 1) * n, k * n);
      const exact = Array.from({ length: n }, (_, j) => Math.sqrt(2 / (n + 1)) * Math.sin(((j + 1) * k * Math.PI) / (n + 1)));
      const sign = Math.sign(row[0]!) * Math.sign(exact[0]!);
      for (let j = 0; j < n; j++) vectorErr = Math.max(vectorErr, Math.abs(row[j]! - sign * exact[j]!));
    }
    expect(valueErr).toBeLessThan(1e-13);
    expect(vectorErr).toBeLessThan(1e-13);
    checkSigns(vectors!, n);
  });

  test('random tridiagonals agree with numpy eigh to 1e-12 · ‖T‖', () => {
    const rng = new Random(101);
    for (const m of [1, 2, 3, 10, 57, 150]) {
      const alpha = rng.normals(m);
      const beta = rng.normals(m - 1);
      const { values, vectors } = tridiagonalEigen(alpha, beta, { vectors: 'all' });
      const ref = numpy<number[]>('out = np.linalg.eigvalsh(np.array(data["t"]).reshape(data["m"], data["m"])).tolist()', {
        t: list(dense(alpha, beta)),
        m,
      });
      const norm = maxAbs(alpha) + 2 * maxAbs(beta);
      if (ref) {
        let err = 0;
        for (let i = 0; i < m; i++) err = Math.max(err, Math.abs(values[i]! - ref[i]!));
        expect(err / norm).toBeLessThan(1e-12);
      }
      expect(reconstructionError(alpha, beta, values, vectors!) / norm).toBeLessThan(1e-13);
      expect(orthoError(vectors!, m)).toBeLessThan(1e-13);
      for (let i = 1; i < m; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
      checkSigns(vectors!, m);
    }
  });

  test('m = 1', () => {
    const r = tridiagonalEigen(new Float64Array([-3.5]), new Float64Array(0), { vectors: 'all' });
    expect(Array.from(r.values)).toEqual([-3.5]);
    expect(Array.from(r.vectors!)).toEqual([1]);
    const e = tridiagonalEigen(new Float64Array([2]), new Float64Array(0), { vectors: 'ends' });
    expect(Array.from(e.first!)).toEqual([1]);
    expect(Array.from(e.last!)).toEqual([1]);
    expect(tridiagonalEigen(new Float64Array([7]), new Float64Array(0)).vectors).toBeUndefined();
  });

  test('decoupled blocks (zero off-diagonals)', () => {
    const alpha = new Float64Array([3, 1, -2, 5, 0.5, 4]);
    const beta = new Float64Array([0.5, 0, 1, 0, -0.25]);
    const all = tridiagonalEigen(alpha, beta, { vectors: 'all' });
    const ref = numpy<number[]>('out = np.linalg.eigvalsh(np.array(data["t"]).reshape(6, 6)).tolist()', { t: list(dense(alpha, beta)) });
    if (ref) for (let i = 0; i < 6; i++) expect(Math.abs(all.values[i]! - ref[i]!)).toBeLessThan(1e-14 * 6);
    expect(reconstructionError(alpha, beta, all.values, all.vectors!)).toBeLessThan(1e-14);
    checkSigns(all.vectors!, 6);
    // A diagonal matrix: the identity's permutation.
    const diag = tridiagonalEigen(new Float64Array([3, -1, 2]), new Float64Array([0, 0]), { vectors: 'all' });
    expect(Array.from(diag.values)).toEqual([-1, 2, 3]);
    expect(Array.from(diag.vectors!)).toEqual([0, 1, 0, 0, 0, 1, 1, 0, 0]);
    const ends = tridiagonalEigen(alpha, beta, { vectors: 'ends' });
    expect(Array.from(ends.first!)).toEqual(Array.from(all.first!));
    expect(Array.from(ends.last!)).toEqual(Array.from(all.last!));
  });

  test('degenerate and clustered eigenvalues', () => {
    // Wilkinson W21+: pairs of eigenvalues agreeing to many digits.
    const m = 21;
    const alpha = Float64Array.from({ length: m }, (_, i) => Math.abs(10 - i));
    const beta = new Float64Array(m - 1).fill(1);
    const r = tridiagonalEigen(alpha, beta, { vectors: 'all' });
    const ref = numpy<number[]>('out = np.linalg.eigvalsh(np.array(data["t"]).reshape(21, 21)).tolist()', { t: list(dense(alpha, beta)) });
    if (ref) for (let i = 0; i < m; i++) expect(Math.abs(r.values[i]! - ref[i]!)).toBeLessThan(1e-12 * 12);
    expect(r.values[20]! - r.values[19]!).toBeLessThan(1e-12); // the famous near-degenerate top pair
    expect(orthoError(r.vectors!, m)).toBeLessThan(1e-13);
    expect(reconstructionError(alpha, beta, r.values, r.vectors!)).toBeLessThan(1e-13 * 12);
    // Exactly degenerate: constant diagonal with decoupled blocks.
    const deg = tridiagonalEigen(new Float64Array([1, 1, 1, 1]), new Float64Array([0, 0, 0]), { vectors: 'all' });
    expect(Array.from(deg.values)).toEqual([1, 1, 1, 1]);
    expect(orthoError(deg.vectors!, 4)).toBe(0);
    // Repeated eigenvalue of a coupled matrix: [[1,1,0],[1,1,0],[0,0,2]] has 0, 2, 2.
    const rep = tridiagonalEigen(new Float64Array([1, 1, 2]), new Float64Array([1, 0]), { vectors: 'all' });
    expect(Math.abs(rep.values[0]!)).toBeLessThan(1e-15);
    expect(Math.abs(rep.values[1]! - 2)).toBeLessThan(1e-15);
    expect(Math.abs(rep.values[2]! - 2)).toBeLessThan(1e-15);
    expect(orthoError(rep.vectors!, 3)).toBeLessThan(1e-15);
  });

  test('negative and wide-range values; reconstruction', () => {
    const rng = new Random(7);
    const m = 80;
    const alpha = Float64Array.from({ length: m }, () => -1e3 * 10 ** (-6 * rng.uniform()));
    const beta = Float64Array.from({ length: m - 1 }, () => 10 ** (-6 * rng.uniform()));
    const r = tridiagonalEigen(alpha, beta, { vectors: 'all' });
    const norm = maxAbs(alpha) + 2 * maxAbs(beta);
    expect(reconstructionError(alpha, beta, r.values, r.vectors!) / norm).toBeLessThan(1e-14);
    expect(orthoError(r.vectors!, m)).toBeLessThan(1e-13);
    const ref = numpy<number[]>('out = np.linalg.eigvalsh(np.array(data["t"]).reshape(80, 80)).tolist()', { t: list(dense(alpha, beta)) });
    if (ref) for (let i = 0; i < m; i++) expect(Math.abs(r.values[i]! - ref[i]!) / norm).toBeLessThan(1e-13);
    expect(r.values[0]!).toBeLessThan(-100);
  });

  test("'ends' equals the first and last components of 'all'", () => {
    const rng = new Random(9);
    for (const m of [1, 2, 5, 40, 200]) {
      const alpha = rng.normals(m);
      const beta = rng.normals(m - 1);
      const all = tridiagonalEigen(alpha, beta, { vectors: 'all' });
      const ends = tridiagonalEigen(alpha, beta, { vectors: 'ends' });
      expect(ends.vectors).toBeUndefined();
      expect(Array.from(ends.values)).toEqual(Array.from(all.values));
      for (let j = 0; j < m; j++) {
        expect(ends.first![j]).toBe(all.vectors![j * m]);
        expect(ends.last![j]).toBe(all.vectors![j * m + m - 1]);
      }
      expect(Array.from(tridiagonalEigen(alpha, beta).values)).toEqual(Array.from(all.values));
    }
  });

  test('validates its arguments', () => {
    expect(() => tridiagonalEigen(new Float64Array(0), new Float64Array(0))).toThrow(InvalidArgumentError);
    expect(() => tridiagonalEigen(new Float64Array(3), new Float64Array(3))).toThrow(/beta/);
    expect(() => tridiagonalEigen(new Float64Array([1, NaN]), new Float64Array(1))).toThrow(/alpha/);
    expect(() => tridiagonalEigen(new Float64Array([1, 2]), new Float64Array([Infinity]))).toThrow(/beta/);
  });
});

describe('tql2InPlace failure', () => {
  test('a QL sweep limit that is reached throws a typed GrsdError (InternalError), not a plain Error', () => {
    const d = Float64Array.from([4, 1, 3, 2]);
    const e = Float64Array.from([1, 1, 1, 0]);
    let error: unknown;
    try {
      tql2InPlace(d, e, null, 0, 0);
    } catch (x) {
      error = x;
    }
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).code).toBe('GRSD_INTERNAL');
  });
});
