import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { matrixWithSpectrum, matVec, orthonormalityError, symmetrize } from '../../../src/reference/linalg.ts';
import { isSymmetric, symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { Random } from '../../../src/util/random.ts';
import { list, numpy } from './numpy.ts';

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max_j ‖A v_j − λ_j v_j‖_∞. */
function residual(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < n; j++) {
    const v = vectors.subarray(j * n, (j + 1) * n);
    const av = matVec(a, n, n, v);
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(av[i]! - values[j]! * v[i]!));
  }
  return worst;
}

function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

describe('symmetricEigen', () => {
  const rng = new Random(2024);
  const n = 60;
  const spectra: Record<string, Float64Array> = {
    'log-uniform over 6 decades': Float64Array.from({ length: n }, () => 10 ** (-6 * rng.uniform())),
    clustered: Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 + 1e-10 * rng.normal() : 2 + 1e-9 * rng.normal())),
    degenerate: Float64Array.from({ length: n }, (_, i) => [0, 1, 1, 1, 3][i % 5]!),
    negative: Float64Array.from({ length: n }, () => -5 + 3 * rng.normal()),
  };

  for (const [name, spectrum] of Object.entries(spectra)) {
    test(`recovers a known spectrum (${name}) to 1e-12 · ‖A‖`, () => {
      const a = matrixWithSpectrum(spectrum, new Random(name.length));
      const norm = maxAbs(spectrum);
      const { values, vectors } = symmetricEigen(a, n, { vectors: true });
      const exact = sorted(spectrum);
      let err = 0;
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(values[i]! - exact[i]!));
      expect(err / norm).toBeLessThan(1e-12);
      expect(orthonormalityError(vectors!, n, n)).toBeLessThan(1e-13);
      expect(residual(a, n, values, vectors!) / norm).toBeLessThan(1e-13);
      expect(Array.from(symmetricEigen(a, n).values)).toEqual(Array.from(values));
      for (let j = 0; j < n; j++) expect(vectors!.subarray(j * n, (j + 1) * n).find((x) => x !== 0)!).toBeGreaterThan(0);
    });
  }

  test('agrees with numpy eigh on random symmetric matrices (n = 1, 2, 50, 200)', () => {
    const r = new Random(5);
    for (const size of [1, 2, 50, 200]) {
      const a = symmetrize(r.normals(size * size), size);
      const { values, vectors } = symmetricEigen(a, size, { vectors: true });
      const ref = numpy<number[]>('out = np.linalg.eigvalsh(np.array(data["a"]).reshape(data["n"], data["n"])).tolist()', {
        a: list(a),
        n: size,
      });
      const norm = Math.max(Math.abs(values[0]!), Math.abs(values[size - 1]!));
      if (ref) {
        let err = 0;
        for (let i = 0; i < size; i++) err = Math.max(err, Math.abs(values[i]! - ref[i]!));
        expect(err / norm).toBeLessThan(1e-12);
      }
      expect(orthonormalityError(vectors!, size, size)).toBeLessThan(1e-12);
      expect(residual(a, size, values, vectors!) / norm).toBeLessThan(1e-12);
    }
  });

  test('small cases', () => {
    expect(Array.from(symmetricEigen(new Float64Array([-2]), 1, { vectors: true }).vectors!)).toEqual([1]);
    const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2, { vectors: true });
    expect(values[0]).toBeCloseTo(1, 15);
    expect(values[1]).toBeCloseTo(3, 15);
    expect(vectors![0]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(vectors![1]).toBeCloseTo(-Math.SQRT1_2, 15);
    const zero = symmetricEigen(new Float64Array(9), 3, { vectors: true });
    expect(Array.from(zero.values)).toEqual([0, 0, 0]);
    expect(orthonormalityError(zero.vectors!, 3, 3)).toBe(0);
    const diag = symmetricEigen(new Float64Array([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3, { vectors: true });
    expect(Array.from(diag.values)).toEqual([-1, 2, 3]);
  });

  test('uses the symmetric part', () => {
    const a = new Float64Array([1, 2, 0, 3]); // symmetric part [[1, 1], [1, 3]]
    const s = symmetricEigen(a, 2).values;
    expect(s[0]).toBeCloseTo(2 - Math.SQRT2, 14);
    expect(s[1]).toBeCloseTo(2 + Math.SQRT2, 14);
  });

  test('isSymmetric', () => {
    expect(isSymmetric(new Float64Array([1, 2, 2, 1]), 2, 0)).toBe(true);
    expect(isSymmetric(new Float64Array([1, 2, 2 + 1e-12, 1]), 2, 0)).toBe(false);
    expect(isSymmetric(new Float64Array([1, 2, 2 + 1e-12, 1]), 2, 1e-10)).toBe(true);
    expect(isSymmetric(new Float64Array([1, NaN, 2, 1]), 2, 1)).toBe(false);
  });

  test('validates its arguments', () => {
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(InvalidArgumentError);
    expect(() => symmetricEigen(new Float64Array(0), 0)).toThrow(/n/);
    expect(() => symmetricEigen(new Float64Array([1, Infinity, 0, 1]), 2)).toThrow(/a/);
  });
});
