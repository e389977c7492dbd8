/**
 * The GPU Golub–Kahan eigensolver (`eigshJacobian`: block thick-restart Golub–Kahan on J) and the
 * GPU Lanczos eigensolver on K = J Jᵀ (`eigsh` on the same `jacobianOperator`, applied as J(Jᵀx))
 * satisfy the same contract on the Jacobian catalogue (src/bench/eigenCatalogue.ts), float64 truth
 * from an SVD of the f32 entries: all k values returned with multiplicity, the i-th within
 * 1e-5·‖K‖ of the i-th wanted eigenvalue, nothing flagged converged that is not, every bound
 * holds. The float64 twins meet the same contract in test/unit/reference/eigshJacobianF64.test.ts.
 */
import { describe, expect } from 'vitest';
import { eigsh } from '../../src/algorithms/eigsh.ts';
import { eigshJacobian } from '../../src/algorithms/golubKahan.ts';
import { jacobianOperator } from '../../src/algorithms/operators.ts';
import { jacobianCatalogue } from '../../src/bench/eigenCatalogue.ts';
import { benchJacobian } from '../../src/bench/groups/eigshJacobian.ts';
import { kernelFromJacobianF64 } from '../../src/reference/spectralCheckpoint.ts';
import { symmetricEigen } from '../../src/reference/symmetricEigen.ts';
import { checkContract } from '../helpers/eigenContract.ts';
import { twelveDecadeJacobian } from '../helpers/jacobianDecades.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

useGpu();

const TOL = 1e-5;
const U = 2 ** -24;

describe(`eigshJacobian and eigsh on K = J Jᵀ on ${gpuBackend}: the same contract on the Jacobian catalogue`, () => {
  for (const c of jacobianCatalogue('test')) {
    gpuTest(`${c.name} (J ${c.n}×${c.cols}, ${c.which} ${c.k})`, async (ctx) => {
      using op = await jacobianOperator(ctx, { n: c.n, p: c.cols, data: c.jacobian });
      const options = { k: c.k, which: c.which, tolerance: TOL };
      using gk = await eigshJacobian(op, options);
      checkContract(c, gk.results[0]!, TOL);
      using lz = await eigsh(op, options);
      checkContract(c, lz.results[0]!, TOL);
      // A rank-deficient J continues past its invariant subspaces (breakdown) on both routes.
      if (c.name.startsWith('J rank-deficient')) expect([gk.results[0]!.breakdown, lz.results[0]!.breakdown]).toEqual([true, true]);
      // With cols > n (one-sided Golub–Kahan) the holes are in U: Golub–Kahan continues past them.
      if (c.name.startsWith('J wide rank-deficient')) expect(gk.results[0]!.breakdown).toBe(true);
    });
  }
});

describe(`one-sided Golub–Kahan at P ≫ n on ${gpuBackend}`, () => {
  gpuTest(
    'λ over 12 decades (48 × 256; all 48 pairs, and the 8 smallest, below the Jᵀ hole level 64u√n·‖J‖): every bound holds',
    async (ctx) => {
      const { n, cols, jacobian, truth } = twelveDecadeJacobian();
      using op = await jacobianOperator(ctx, { n, p: cols, data: jacobian });
      // The truth's own error (≈ n·ε·λ_max) is far below any f32 bound.
      for (const [k, which] of [
        [n, 'largest'],
        [8, 'smallest'],
      ] as const) {
        using gk = await eigshJacobian(op, { k, which, tolerance: TOL });
        const r = gk.results[0]!;
        expect(r.eigenvalues).toHaveLength(k);
        for (let i = 0; i < k; i++) {
          const v = r.eigenvalues[i]!;
          let near = Infinity;
          for (const t of truth) near = Math.min(near, Math.abs(t - v));
          expect(near, `${which} ${i}: ${v} outside its bound ${r.errorBounds[i]}`).toBeLessThanOrEqual(r.errorBounds[i]!);
        }
      }
    },
  );

  gpuTest(
    'all 48 pairs of a 48 × 768 J (λ over 8 decades): within 4u·√(λ_max·λ) of the float64 truth; Lanczos on J(Jᵀx) is not',
    async (ctx) => {
      const [n, cols] = [48, 768];
      const jacobian = benchJacobian(n, cols);
      const k = kernelFromJacobianF64(jacobian, n, cols);
      // Truth: eigenvalues of the float64 Gram matrix of the f32 entries (absolute error ≈ ε·λ_max).
      const truth = symmetricEigen(k, n).values.slice().reverse();
      expect(truth[n - 1]! / truth[0]!).toBeLessThan(1e-7);
      using op = await jacobianOperator(ctx, { n, p: cols, data: jacobian });
      // σ is accurate to ≈ u·σ_max, so λ = σ² to ≈ 2u·√(λ_max·λ) (docs/accuracy.md, "Golub–Kahan"): 2× that.
      const worst = (values: Float64Array): number => {
        let w = 0;
        for (let i = 0; i < n; i++) w = Math.max(w, Math.abs(values[i]! - truth[i]!) / (4 * U * Math.sqrt(truth[0]! * truth[i]!)));
        return w;
      };
      using gk = await eigshJacobian(op, { k: n, which: 'largest' });
      const r = gk.results[0]!;
      expect(r.eigenvalues).toHaveLength(n);
      for (let i = 0; i < n; i++) expect(Math.abs(r.eigenvalues[i]! - truth[i]!), `bound ${i}`).toBeLessThanOrEqual(r.errorBounds[i]!);
      expect(worst(r.eigenvalues)).toBeLessThanOrEqual(1);
      // Negative control: the same J through Lanczos on K misses the small eigenvalues by far more.
      using lz = await eigsh(op, { k: n, which: 'largest' });
      expect(worst(lz.results[0]!.eigenvalues)).toBeGreaterThan(4);
    },
  );
});
