/**
 * Cheap upper bounds on a checkpoint's largest kernel eigenvalue θ_max, for a shell grid that
 * covers a whole run before its first checkpoint is analysed.
 * @module
 */
import { eigsh } from '../algorithms/eigsh.ts';
import { denseOperator, jacobianOperator } from '../algorithms/operators.ts';
import type { GpuContext } from '../gpu/context.ts';
import { kernelFromJacobianF64 } from '../reference/spectralCheckpoint.ts';
import { symmetricEigen } from '../reference/symmetricEigen.ts';
import type { CheckpointData } from './checkpointData.ts';

/** θ_max of a checkpoint's kernel (un-scaled): 30 Lanczos steps plus the error bound on the GPU, exact on the CPU. */
export async function largestEigenvalueBound(backend: GpuContext | 'cpu', cp: CheckpointData): Promise<number> {
  const n = cp.residual.length;
  if (backend === 'cpu') {
    const kernel = cp.kernel ? Float64Array.from(cp.kernel) : kernelFromJacobianF64(cp.jacobian!.data, n, cp.jacobian!.p);
    const v = symmetricEigen(kernel, n).values;
    return v[n - 1]!;
  }
  let op = cp.operator;
  const owned = !op;
  if (!op)
    op = cp.kernel
      ? await denseOperator(backend, { n, data: cp.kernel })
      : await jacobianOperator(backend, { n, p: cp.jacobian!.p, data: cp.jacobian!.data });
  try {
    using sol = await eigsh(op, { k: 1, steps: Math.min(n, 30) });
    const r = sol.results[0]!;
    return (r.eigenvalues[0] ?? 0) + r.errorBounds[0]!;
  } finally {
    if (owned) op.dispose();
  }
}
