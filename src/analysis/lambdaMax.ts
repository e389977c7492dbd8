/**
 * Cheap upper bounds on a checkpoint's largest kernel eigenvalue θ_max (un-scaled), for a shell
 * grid that covers a whole run before its first checkpoint is analysed (docs/math.md, "Shells").
 *
 * The bound is the smaller of two: the Lanczos estimate plus its error bound (30 steps from the
 * seeded random start vector: an eigenvalue lies within the bound of the estimate, and a random
 * start vector sees the top of the spectrum first), and a bound that holds for every matrix — the
 * largest absolute row sum (Gershgorin) of a dense K, or tr K = ‖J‖_F² of K = J Jᵀ. A GPU operator
 * given as such has only the first.
 * @module
 */
import { eigsh } from '../algorithms/eigsh.ts';
import { denseOperator, jacobianOperator } from '../algorithms/operators.ts';
import type { GpuContext } from '../gpu/context.ts';
import { denseCpuOperator, eigshF64, type CpuOperator } from '../reference/eigsh.ts';
import { validateCheckpoint, type CheckpointData, type FlatCheckpointData } from './checkpointData.ts';

/** Lanczos steps of the estimate. */
const STEPS = 30;

/** max_i Σ_j |K_ij| of a dense K (≥ every |eigenvalue|), or tr K = ‖J‖_F² of K = J Jᵀ (≥ λ_max since K ⪰ 0). */
export function normBound(cp: Pick<FlatCheckpointData, 'kernel' | 'jacobian' | 'residual'>): number {
  const n = cp.residual.length;
  if (cp.kernel) {
    let bound = 0;
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let j = 0; j < n; j++) row += Math.abs(cp.kernel[i * n + j]!);
      bound = Math.max(bound, row);
    }
    return bound;
  }
  if (cp.jacobian) {
    let frobenius2 = 0;
    for (const v of cp.jacobian.data) frobenius2 += v * v;
    return frobenius2;
  }
  return Number.POSITIVE_INFINITY;
}

/** K = J Jᵀ applied as J (Jᵀ x) in float64, without forming K. */
function jacobianCpuOperator(n: number, p: number, data: ArrayLike<number>): CpuOperator {
  const w = new Float64Array(p);
  return {
    n,
    batch: 1,
    apply(_b, x, y) {
      w.fill(0);
      for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) w[c]! += data[i * p + c]! * x[i]!;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < p; c++) s += data[i * p + c]! * w[c]!;
        y[i] = s;
      }
    },
  };
}

/**
 * An upper bound on θ_max of a checkpoint's kernel (see the module documentation): in float64 on
 * the host for the `'cpu'` backend, by f32 Lanczos on the GPU otherwise. The checkpoint is
 * validated as a series would (InvalidArgumentError naming the field).
 */
export async function largestEigenvalueBound(backend: GpuContext | 'cpu', cp: CheckpointData, seed = 0): Promise<number> {
  return validLambdaMaxBound(backend, validateCheckpoint(cp, { index: 0, cpu: backend === 'cpu' }).checkpoint, seed);
}

/** {@link largestEigenvalueBound} of a checkpoint that {@link validateCheckpoint} returned. */
export async function validLambdaMaxBound(backend: GpuContext | 'cpu', cp: FlatCheckpointData, seed = 0): Promise<number> {
  const n = cp.residual.length;
  const steps = Math.min(n, STEPS);
  const rigorous = normBound(cp);
  let estimate: number;
  if (backend === 'cpu') {
    const op = cp.kernel ? denseCpuOperator(n, 1, cp.kernel) : jacobianCpuOperator(n, cp.jacobian!.p, cp.jacobian!.data);
    const r = eigshF64(op, { k: 1, steps, seed })[0]!;
    estimate = (r.eigenvalues[0] ?? 0) + r.errorBounds[0]!;
  } else {
    let op = cp.operator;
    const owned = !op;
    if (!op)
      op = cp.kernel
        ? await denseOperator(backend, { n, data: cp.kernel })
        : await jacobianOperator(backend, { n, p: cp.jacobian!.p, data: cp.jacobian!.data });
    try {
      using sol = await eigsh(op, { k: 1, steps, seed });
      const r = sol.results[0]!;
      estimate = (r.eigenvalues[0] ?? 0) + r.errorBounds[0]!;
    } finally {
      if (owned) op.dispose();
    }
  }
  return Math.min(estimate, rigorous);
}
