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
import { checkContract } from '../helpers/eigenContract.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

useGpu();

const TOL = 1e-5;

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
