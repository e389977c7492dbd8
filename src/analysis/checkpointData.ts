/**
 * What one checkpoint of a run is ({@link CheckpointData}) and the one validation every backend
 * relies on ({@link validateCheckpoint}): the float64 and the GPU backend refuse the same inputs
 * with the same typed errors, naming the checkpoint (and its file, through `label`).
 * @module
 */
import { assertFinite, assertSymmetric, type HostMatrixData, type SymmetricOperator } from '../algorithms/operators.ts';
import { InvalidArgumentError } from '../errors.ts';

/** One checkpoint of a run. Exactly one of `kernel`, `operator` and `jacobian`. */
export interface CheckpointData {
  /** Time (strictly increasing along the series), in the run's time unit. */
  readonly t: number;
  /** Dense empirical NTK K (n×n, row-major, symmetric). Float64 data stays float64 on the `'cpu'` backend. */
  readonly kernel?: HostMatrixData;
  /** The NTK as a GPU operator (borrowed; GPU backend only). */
  readonly operator?: SymmetricOperator;
  /** Jacobian J (n×p, row-major): K = J Jᵀ. */
  readonly jacobian?: { readonly p: number; readonly data: HostMatrixData };
  /** Residual e = f(X) − Y (n values). */
  readonly residual: ArrayLike<number>;
  /** Per-layer kernels K_l (n×n each, Σ_l K_l = K) for the exact Kato split (docs/math.md). */
  readonly layers?: readonly HostMatrixData[];
  /** Name used in error messages (e.g. the file it came from). */
  readonly label?: string;
}

/** What the series knows before a checkpoint arrives. */
export interface SeriesContext {
  /** Position of the checkpoint in the series. */
  readonly index: number;
  /** Whether the backend is the float64 CPU one (GPU operators need a GPU). */
  readonly cpu: boolean;
  /** Time of the previous checkpoint, if any. */
  readonly previousT?: number;
  /** n of the earlier checkpoints, if any. */
  readonly n?: number;
  /** Number of layer kernels of the previous checkpoint, if any. */
  readonly layers?: number;
}

/**
 * Checks everything about a checkpoint that can be checked on the host: one source, finite and
 * increasing t, residual length and finiteness, kernel/Jacobian/layer shapes, finiteness and
 * symmetry (|K_ij − K_ji| ≤ 1e-5·max|K|, the GPU operators' tolerance). Throws
 * InvalidArgumentError naming `checkpoints[i] (label).field`. Returns n and the label.
 */
export function validateCheckpoint(cp: CheckpointData, s: SeriesContext): { n: number; label: string } {
  const label = cp.label ?? `checkpoint ${s.index}`;
  const where = `checkpoints[${s.index}] (${label})`;
  const sources = [cp.kernel, cp.operator, cp.jacobian].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new InvalidArgumentError(where, 'give exactly one of `kernel`, `operator` and `jacobian`');
  if (cp.operator && s.cpu) throw new InvalidArgumentError(where, 'a GPU operator needs the GPU backend');
  if (!Number.isFinite(cp.t)) throw new InvalidArgumentError(`${where}.t`, `must be finite, got ${cp.t}`);
  if (s.previousT !== undefined && !(cp.t > s.previousT))
    throw new InvalidArgumentError(`${where}.t`, `times must increase strictly: ${cp.t} after ${s.previousT}`);
  const n = cp.residual.length;
  if (n < 1) throw new InvalidArgumentError(`${where}.residual`, 'is empty');
  if (s.n !== undefined && n !== s.n)
    throw new InvalidArgumentError(
      `${where}.residual`,
      `has ${n} values but earlier checkpoints have n = ${s.n} (all checkpoints must use the same probe set)`,
    );
  assertFinite(cp.residual, `${where}.residual`, 1, n);
  const square = (data: HostMatrixData, field: string): void => {
    if (data.length !== n * n)
      throw new InvalidArgumentError(
        `${where}.${field}`,
        `has ${data.length} values; the residual has n = ${n}, so n² = ${n * n} are needed`,
      );
    assertFinite(data, `${where}.${field}`, n, n);
    assertSymmetric(data, n, 1, `${where}.${field}`);
  };
  if (cp.kernel) square(cp.kernel, 'kernel');
  if (cp.operator && cp.operator.n !== n)
    throw new InvalidArgumentError(`${where}.operator`, `has n = ${cp.operator.n} but the residual has ${n} values`);
  if (cp.operator && cp.operator.batch !== 1)
    throw new InvalidArgumentError(`${where}.operator`, `must hold one operator, got a batch of ${cp.operator.batch}`);
  if (cp.jacobian) {
    const { p, data } = cp.jacobian;
    if (!(Number.isInteger(p) && p >= 1)) throw new InvalidArgumentError(`${where}.jacobian.p`, `must be a positive integer, got ${p}`);
    if (data.length !== n * p)
      throw new InvalidArgumentError(`${where}.jacobian`, `has ${data.length} values; n·p = ${n}·${p} = ${n * p} are needed`);
    assertFinite(data, `${where}.jacobian`, n, p);
  }
  cp.layers?.forEach((layer, l) => square(layer, `layers[${l}]`));
  if (s.layers !== undefined && (cp.layers?.length ?? 0) !== s.layers)
    throw new InvalidArgumentError(
      `${where}.layers`,
      `has ${cp.layers?.length ?? 0} layer kernels but the previous checkpoint had ${s.layers}`,
    );
  return { n, label };
}
