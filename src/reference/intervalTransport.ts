/**
 * Float64 twin of the series' per-interval GPU work (`intervalTransport` in
 * src/algorithms/intervalTransport.ts), for one checkpoint pair (i, i+1) with old eigenvectors U
 * (rOld × n), new V (rNew × n) and the residual a = e_{i+1} (docs/math.md, "Transport between
 * checkpoints"):
 *
 * - the flow matrix F ((shells+1)², ⊥ last) of the discrete transport estimator;
 * - the overlap O = U Vᵀ (rOld × rNew), for the projector change per shell;
 * - the Kato projections G = U (K_new − K_old) Uᵀ (rOld × rOld) of each kernel pair given
 *   (the whole kernel and each layer), un-scaled: the caller divides by Δt.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { checkCount, checkLength, matmul, transpose } from './linalg.ts';
import { completeFlow, shellFlowReduce, shellFlowRows } from './transport.ts';

/** Inputs of {@link intervalTransportF64}. */
export interface IntervalTransportF64Input {
  /** Old eigenvectors [rOld][n]. */
  readonly u: ArrayLike<number>;
  /** New eigenvectors [rNew][n]. */
  readonly v: ArrayLike<number>;
  /** Residual a = e_{i+1}, length n. */
  readonly a: ArrayLike<number>;
  /** Shell index of each old eigenvector, in [0, shells). */
  readonly oldIndex: ArrayLike<number>;
  /** Shell index of each new eigenvector, in [0, shells). */
  readonly newIndex: ArrayLike<number>;
  /** Computed shells: the window and ∅ (`ShellGrid.computedCount`). */
  readonly shells: number;
  /** Kernel pairs [K_new, K_old] (n×n each) whose Kato projections are wanted; none by default. */
  readonly kernels?: readonly (readonly [ArrayLike<number>, ArrayLike<number>])[];
}

/** What one interval's transport work produces (the same from the GPU and the float64 path). */
export interface IntervalTransport {
  /** Flow matrix F[σ][τ], (shells+1)² row-major, row = new shell, column = old shell, ⊥ last. */
  readonly flow: Float64Array;
  /** O = U Vᵀ, [rOld][rNew]. */
  readonly overlap: Float64Array;
  /** G = U (K_new − K_old) Uᵀ per kernel pair, [rOld][rOld] each. */
  readonly projections: Float64Array[];
}

/** G = U (K_new − K_old) Uᵀ for U = `u` (r × n) — the Kato-form estimator's projected kernel change, un-scaled. */
export function katoProjectionF64(
  u: ArrayLike<number>,
  r: number,
  n: number,
  kNew: ArrayLike<number>,
  kOld: ArrayLike<number>,
): Float64Array {
  checkLength('kNew', kNew, n * n, `n × n = ${n}×${n}`);
  checkLength('kOld', kOld, n * n, `n × n = ${n}×${n}`);
  const uu = Float64Array.from(u);
  const diff = Float64Array.from({ length: n * n }, (_, e) => kNew[e]! - kOld[e]!);
  return matmul(uu, matmul(diff, transpose(uu, r, n), n, n, r), r, n, r);
}

/** The flow matrix, overlap and Kato projections of one interval, in float64 (see the module documentation). */
export function intervalTransportF64(input: IntervalTransportF64Input): IntervalTransport {
  const { a, oldIndex, newIndex, shells } = input;
  const n = a.length;
  const rOld = oldIndex.length;
  const rNew = newIndex.length;
  checkCount('shells', shells, 1);
  checkLength('u', input.u, rOld * n, `oldIndex.length × n = ${rOld}×${n}`);
  checkLength('v', input.v, rNew * n, `newIndex.length × n = ${rNew}×${n}`);
  for (const [name, index] of [
    ['oldIndex', oldIndex],
    ['newIndex', newIndex],
  ] as const) {
    for (let i = 0; i < index.length; i++)
      if (!(Number.isInteger(index[i]) && index[i]! >= 0 && index[i]! < shells))
        throw new InvalidArgumentError(name, `entry ${i} is ${index[i]}; shell indices must be integers in [0, ${shells})`);
  }
  const u = Float64Array.from(input.u);
  const v = Float64Array.from(input.v);
  const av = Float64Array.from(a);
  const alpha = matmul(u, av, rOld, n, 1);
  const beta = matmul(v, av, rNew, n, 1);
  const overlap = matmul(u, transpose(v, rNew, n), rOld, n, rNew);
  const g = matmul(transpose(overlap, rOld, rNew), alpha, rNew, rOld, 1);
  const core = shellFlowReduce(shellFlowRows(overlap, beta, newIndex, rOld, shells), alpha, oldIndex, shells);
  let norm2 = 0;
  for (let i = 0; i < n; i++) norm2 += av[i]! ** 2;
  const flow = completeFlow({ core, shells, alpha, beta, g, oldIndex, newIndex, norm2 });
  const projections = (input.kernels ?? []).map(([kNew, kOld]) => katoProjectionF64(u, rOld, n, kNew, kOld));
  return { flow, overlap, projections };
}
