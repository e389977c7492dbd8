import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import {
  axpy,
  dot,
  matmul,
  matrixWithSpectrum,
  matTVec,
  matVec,
  norm2,
  orthonormalityError,
  randomOrthogonal,
  scale,
  symmetrize,
  transpose,
} from '../../../src/reference/linalg.ts';
import { isSymmetric, symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { Random } from '../../../src/util/random.ts';

describe('linalg helpers', () => {
  test('products and transposes', () => {
    const a = new Float64Array([1, 2, 3, 4, 5, 6]); // 2×3
    const b = new Float64Array([1, 0, 0, 1, 1, 1]); // 3×2
    expect(Array.from(matmul(a, b, 2, 3, 2))).toEqual([4, 5, 10, 11]);
    expect(Array.from(transpose(a, 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(matVec(a, 2, 3, new Float64Array([1, 1, 1])))).toEqual([6, 15]);
    expect(Array.from(matTVec(a, 2, 3, new Float64Array([1, 1])))).toEqual([5, 7, 9]);
    expect(Array.from(symmetrize(new Float64Array([1, 2, 4, 3]), 2))).toEqual([1, 3, 3, 3]);
    expect(() => matmul(a, b, 2, 2, 2)).toThrow(InvalidArgumentError);
    expect(() => matVec(a, 2, 3, new Float64Array(2))).toThrow(/x/);
  });

  test('BLAS-1', () => {
    expect(dot(new Float64Array([1, 2]), new Float64Array([3, 4]))).toBe(11);
    expect(norm2(new Float64Array([3, 4]))).toBe(5);
    expect(norm2(new Float64Array([3e200, 4e200]))).toBeCloseTo(5e200, -186);
    expect(norm2(new Float64Array([3e-200, 4e-200])) / 5e-200).toBeCloseTo(1, 14);
    expect(norm2(new Float64Array(0))).toBe(0);
    expect(Array.from(axpy(2, new Float64Array([1, 1]), new Float64Array([1, 2])))).toEqual([3, 4]);
    expect(Array.from(scale(0.5, new Float64Array([2, 4])))).toEqual([1, 2]);
    expect(() => dot(new Float64Array(2), new Float64Array(3))).toThrow(/y/);
  });

  test('randomOrthogonal is orthogonal; matrixWithSpectrum has the spectrum and is symmetric', () => {
    const rng = new Random(41);
    for (const n of [1, 2, 17, 100]) {
      const q = randomOrthogonal(n, rng);
      expect(orthonormalityError(q, n, n)).toBeLessThan(1e-14);
      expect(orthonormalityError(transpose(q, n, n), n, n)).toBeLessThan(1e-14);
    }
    const values = Float64Array.from({ length: 30 }, (_, i) => i - 10);
    const a = matrixWithSpectrum(values, rng);
    expect(isSymmetric(a, 30, 0)).toBe(true);
    const got = symmetricEigen(a, 30).values;
    for (let i = 0; i < 30; i++) expect(Math.abs(got[i]! - values[i]!)).toBeLessThan(1e-13);
    expect(orthonormalityError(new Float64Array([1, 0, 0, 2]), 2, 2)).toBe(3);
  });
});
