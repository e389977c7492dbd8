/**
 * Golub–Kahan's float64 twin (eigshJacobianF64: block thick-restart Golub–Kahan, the bidiagonal
 * decomposition of src/reference/krylov.ts) and Lanczos on K = J Jᵀ (eigshF64 on J(Jᵀx)) satisfy
 * the same contract on the Jacobian catalogue (src/bench/eigenCatalogue.ts): all k values, the
 * i-th within 1e-5·‖K‖ of the i-th wanted eigenvalue counted with multiplicity, converged ⇒
 * within the tolerance, every bound holds; from the same start vector they build the same Krylov
 * space, so they do the same work up to the first convergence. Plus Golub–Kahan's own behaviour: restarts within a small
 * budget, breakdown continuation on a rank-deficient J, verification (negative control without
 * it), Ritz vectors, option errors.
 */
import { describe, expect, test } from 'vitest';
import { jacobianCatalogue, wantedValues, type JacobianCase } from '../../../src/bench/eigenCatalogue.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';
import {
  eigshF64,
  F64_ROUNDOFF,
  krylovSettings,
  MIN_F64_TOLERANCE,
  probeVector,
  resolveEigenOptions,
  type CpuOperator,
  type EigenOptions,
} from '../../../src/reference/eigsh.ts';
import { krylovEigen, type KrylovResponse } from '../../../src/reference/krylov.ts';
import { F64_HOLE_TOLERANCE, KrylovF64Backend } from '../../../src/reference/krylovF64.ts';
import { denseJacobianCpuOperator, eigshJacobianF64 } from '../../../src/reference/golubKahan.ts';
import { checkContract, f64Oracle, normOf } from '../../helpers/eigenContract.ts';
import { twelveDecadeJacobian } from '../../helpers/jacobianDecades.ts';

const TOL = 1e-5;

/** K = J Jᵀ applied as J(Jᵀx) in float64. */
function kernelOperator(c: JacobianCase): CpuOperator {
  const j = denseJacobianCpuOperator(c.n, c.cols, 1, c.jacobian);
  const z = new Float64Array(c.cols);
  return {
    n: c.n,
    batch: 1,
    apply(_b, x, y) {
      j.applyJt(0, x, z);
      j.applyJ(0, z, y);
    },
  };
}

const gk = (c: JacobianCase, options: Partial<EigenOptions> = {}) =>
  eigshJacobianF64(denseJacobianCpuOperator(c.n, c.cols, 1, c.jacobian), { k: c.k, which: c.which, tolerance: TOL, ...options })[0]!;

describe('eigshJacobianF64 and eigshF64 on K = J Jᵀ: the same contract on the Jacobian catalogue', () => {
  for (const c of jacobianCatalogue('test')) {
    test(`${c.name} (J ${c.n}×${c.cols}, ${c.which} ${c.k})`, () => {
      const bidiagonal = gk(c);
      const lanczos = eigshF64(kernelOperator(c), { k: c.k, which: c.which, tolerance: TOL })[0]!;
      checkContract(c, bidiagonal, TOL, 1e-5, f64Oracle(c));
      checkContract(c, lanczos, TOL, 1e-5, f64Oracle(c));
      // The same Krylov space from the same start vector: the same work to the first convergence (up to
      // the rounding that moves a check by one chunk). Verification then continues from random blocks
      // and, where the wanted values sit below the tolerance (8 decades), rounding decides how often a
      // value enters the range: its cost is not compared.
      const g = gk(c, { verify: false }).applies;
      const l = eigshF64(kernelOperator(c), { k: c.k, which: c.which, tolerance: TOL, verify: false })[0]!.applies;
      expect(Math.abs(g - l), `${g} vs ${l}`).toBeLessThanOrEqual(Math.max(4, Math.ceil(l / 8)));
    });
  }
});

describe('eigshJacobianF64: restarts, breakdown, verification, vectors, errors', () => {
  const cases = jacobianCatalogue('test');
  const byName = (name: string) => cases.find((c) => c.name.startsWith(name))!;

  test('a small memory budget restarts (thick restart of both bases) and still meets the contract', () => {
    const c = byName('J, λ over 6 decades');
    const r = gk(c, { maxVectors: c.k + 6 });
    expect(r.restarts).toBeGreaterThan(1);
    checkContract(c, r, TOL, 1e-5, f64Oracle(c));
  });

  test('rank-deficient J: all k values — the zeros of K at the smallest end, and values past the rank', () => {
    for (const name of ['J rank-deficient (n > cols)', 'J rank-deficient, k above']) {
      const c = byName(name);
      const r = gk(c);
      expect(r.eigenvalues).toHaveLength(c.k);
      expect(r.breakdown, name).toBe(true);
      checkContract(c, r, TOL, 1e-5, f64Oracle(c));
    }
  });

  test('negative control: without verification the 3-fold singular values lose copies; with it, none', () => {
    for (const name of ['J, 3-fold largest σ (diagonal)', 'J, 3-fold smallest σ (diagonal)']) {
      const c = byName(name);
      const want = wantedValues(c.values, c.k, c.which);
      const wrong = (verify: boolean) =>
        Array.from(gk(c, { verify }).eigenvalues).filter((v, i) => Math.abs(v - want[i]!) > 1e-5 * normOf(c)).length;
      expect(wrong(false), name).toBeGreaterThan(0);
      expect(wrong(true), name).toBe(0);
    }
  });

  test('one-sided Golub–Kahan: the verification lane’s V rows are orthogonal to the kept V rows (the lane measures K on the complement of the locked pairs)', () => {
    const c = byName('J, 3-fold largest σ (rotated)');
    expect(c.cols).toBeGreaterThan(c.n);
    const o = resolveEigenOptions({ k: c.k, which: c.which, tolerance: TOL }, c.n, MIN_F64_TOLERANCE);
    const backend = new KrylovF64Backend(denseJacobianCpuOperator(c.n, c.cols, 1, c.jacobian), {
      block: o.blockSize,
      capacity: o.maxVectors,
      startVector: (v) => probeVector(o.seed, v, c.n),
      seed: o.seed,
      holeTolerance: F64_HOLE_TOLERANCE,
    });
    const gen = krylovEigen(krylovSettings('bidiagonal', c.n, 1, o, false, F64_ROUNDOFF, F64_HOLE_TOLERANCE));
    let next = gen.next(null as unknown as KrylovResponse);
    let keep = -1;
    let checked = 0;
    let worst = 0;
    const p = o.blockSize;
    while (!next.done) {
      const request = next.value;
      const response = backend.handle(request);
      if (request.kind === 'restart') keep = request.clear[0] ? request.keep : -1;
      if (request.kind === 'expand' && keep >= 0) {
        const v = backend.rightBasis(0)!;
        const row = (r: number) => v.subarray(r * c.cols, (r + 1) * c.cols);
        const nonzero = (r: number) => row(r).some((x) => x !== 0);
        for (let j = keep; j < request.rows + (request.steps - 1) * p; j++) {
          if (!nonzero(j)) continue;
          for (let i = 0; i < keep; i++) {
            if (!nonzero(i)) continue;
            let d = 0;
            for (let t = 0; t < c.cols; t++) d += row(i)[t]! * row(j)[t]!;
            worst = Math.max(worst, Math.abs(d));
            checked++;
          }
        }
      }
      next = gen.next(response);
    }
    expect(checked).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-10);
  });

  test('one-sided, λ over 12 decades (48 × 256; all 48 pairs, and the 8 smallest): every bound holds against the float64 truth', () => {
    const { n, cols, jacobian, truth } = twelveDecadeJacobian();
    expect(truth[n - 1]! / truth[0]!).toBeLessThan(2e-12);
    // The truth's own error: ≈ n·ε·λ_max (float64 eigenvalues of the Gram matrix).
    const oracle = 8 * n * 2 ** -53 * truth[0]!;
    for (const [k, which] of [
      [n, 'largest'],
      [8, 'smallest'],
    ] as const) {
      const r = eigshJacobianF64(denseJacobianCpuOperator(n, cols, 1, jacobian), { k, which, tolerance: TOL })[0]!;
      expect(r.eigenvalues).toHaveLength(k);
      for (let i = 0; i < k; i++) {
        const v = r.eigenvalues[i]!;
        let near = Infinity;
        for (const t of truth) near = Math.min(near, Math.abs(t - v));
        expect(near, `${which} ${i}: ${v} outside its bound ${r.errorBounds[i]}`).toBeLessThanOrEqual(r.errorBounds[i]! + oracle);
      }
    }
  });

  test('block size 3 finds the 3-fold singular value without verification', () => {
    const c = byName('J, 3-fold largest σ (diagonal)');
    checkContract(c, gk(c, { blockSize: 3, verify: false }), TOL, 1e-5, f64Oracle(c));
  });

  test('Ritz vectors: eigenvectors of K with ‖K u − λ u‖ within the bound', () => {
    const c = byName('J, λ over 6 decades');
    const r = eigshJacobianF64(denseJacobianCpuOperator(c.n, c.cols, 1, c.jacobian), { k: c.k, tolerance: 1e-8, vectors: true })[0]!;
    const op = kernelOperator(c);
    for (let v = 0; v < c.k; v++) {
      const u = r.vectors!.subarray(v * c.n, (v + 1) * c.n) as Float64Array;
      const ku = new Float64Array(c.n);
      op.apply(0, u, ku);
      let res = 0;
      for (let i = 0; i < c.n; i++) res += (ku[i]! - r.eigenvalues[v]! * u[i]!) ** 2;
      expect(Math.sqrt(res)).toBeLessThanOrEqual(r.errorBounds[v]! + 1e-14 * normOf(c));
    }
  });

  test('small eigenvalues: σ-accuracy, not λ-accuracy — λ ≈ 1e-8·λmax to 1e-6 relative at tolerance 1e-12', () => {
    const c = byName('J, λ over 8 decades');
    const r = gk(c, { tolerance: 1e-12 });
    const want = wantedValues(c.values, c.k, c.which);
    r.eigenvalues.forEach((v, i) => expect(Math.abs(v - want[i]!) / want[i]!).toBeLessThan(1e-6));
  });

  test('bad options → InvalidArgumentError naming the argument', () => {
    const c = byName('J wide');
    const op = denseJacobianCpuOperator(c.n, c.cols, 1, c.jacobian);
    for (const [options, argument] of [
      [{ k: c.n + 1 }, 'k'],
      [{ k: 2, blockSize: c.n + 1 }, 'blockSize'],
      [{ k: 4, maxVectors: 5 }, 'maxVectors'],
    ] as const) {
      expect(() => eigshJacobianF64(op, options)).toThrow(InvalidArgumentError);
      try {
        eigshJacobianF64(op, options);
      } catch (e) {
        expect((e as InvalidArgumentError).argument).toBe(argument);
      }
    }
    const narrow = denseJacobianCpuOperator(4, 2, 1, new Float64Array(8).fill(1));
    expect(() => eigshJacobianF64(narrow, { k: 2, blockSize: 3 })).toThrow(/columns/);
  });
});
