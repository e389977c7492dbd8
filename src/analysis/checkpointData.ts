/**
 * What one checkpoint of a run is ({@link CheckpointData}) and the one validation every backend
 * relies on ({@link validateCheckpoint}): the float64 and the GPU backend refuse the same inputs
 * with the same typed errors, naming the checkpoint (and its file, through `label`).
 * @module
 */
import { assertFinite, assertSymmetric, type HostMatrixData, type MatrixInput, type SymmetricOperator } from '../algorithms/operators.ts';
import { InvalidArgumentError } from '../errors.ts';

/**
 * A matrix with its shape, row-major: the `{ data, shape }` form of {@link MatrixInput} that
 * `eigsh` and `matrixOperator` take, as numpy and scipy users hold matrices; a grsd `Tensor` (from
 * `readSingleTensor`) is one. Float32Array and Float64Array data is used as it is (float64 stays
 * float64 on the `'cpu'` backend); Float16Array data becomes float32, integer typed arrays and number
 * arrays float64 (exactly); 64-bit integer arrays are refused.
 */
export interface ShapedMatrix {
  /** The entries, row-major (C order). */
  readonly data: ArrayLike<number> | BigInt64Array | BigUint64Array;
  /** The dimensions: [n, n] for a kernel, [n, p] for a Jacobian (n = the residual's length). */
  readonly shape: readonly number[];
}

/** A kernel K (n×n): `{ data, shape: [n, n] }` (preferred), or its n² values alone, row-major. */
export type KernelInput = ShapedMatrix | HostMatrixData;

/** A Jacobian J (n×p): `{ data, shape: [n, p] }` (preferred), or `{ p, data }`, row-major. */
export type JacobianInput =
  | ShapedMatrix
  | {
      /** p, the number of columns (parameters). */
      readonly p: number;
      /** J's n·p entries, row-major. */
      readonly data: HostMatrixData;
    };

/**
 * One checkpoint of a run. Exactly one of `kernel`, `operator` and `jacobian`. Matrices are given
 * preferably with their shape, `{ data, shape }` as `eigsh` and `matrixOperator` take them
 * (a `Tensor` is one); the flat forms (`kernel` as n² values, `jacobian` as `{ p, data }`) work too.
 */
export interface CheckpointData {
  /** Time (strictly increasing along the series), in the run's time unit. */
  readonly t: number;
  /**
   * Dense empirical NTK K (n×n, symmetric): `{ data, shape: [n, n] }` or the n² values, row-major.
   * Float64 data stays float64 on the `'cpu'` backend.
   */
  readonly kernel?: KernelInput;
  /** The NTK as a GPU operator (borrowed; GPU backend only). */
  readonly operator?: SymmetricOperator;
  /** Jacobian J (n×p), K = J Jᵀ: `{ data, shape: [n, p] }` or `{ p, data }`, row-major. */
  readonly jacobian?: JacobianInput;
  /** Residual e = f(X) − Y (n values). */
  readonly residual: ArrayLike<number>;
  /** Per-layer kernels K_l (n×n each, Σ_l K_l = K) for the exact Kato split (docs/math.md), each in a form `kernel` takes. */
  readonly layers?: readonly KernelInput[];
  /** Name used in error messages (e.g. the file it came from). */
  readonly label?: string;
}

/**
 * A {@link CheckpointData} with its matrices in the flat forms: `kernel` and each layer as n²
 * values, `jacobian` as `{ p, data }`, row-major. `loadCheckpoint` (grsd/node) returns this form,
 * and a series works on it once it has validated a checkpoint and flattened its matrices.
 */
export interface FlatCheckpointData extends CheckpointData {
  /** K's n² entries, row-major. */
  readonly kernel?: HostMatrixData;
  /** J (n×p). */
  readonly jacobian?: {
    /** p, the number of columns (parameters). */
    readonly p: number;
    /** J's n·p entries, row-major. */
    readonly data: HostMatrixData;
  };
  /** Each K_l's n² entries, row-major. */
  readonly layers?: readonly HostMatrixData[];
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
 * InvalidArgumentError naming `checkpoints[i] (label).field`. Returns n, the label and the
 * checkpoint with its matrices flat.
 */
export function validateCheckpoint(cp: CheckpointData, s: SeriesContext): { n: number; label: string; checkpoint: FlatCheckpointData } {
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
  const square = (input: KernelInput, field: string): HostMatrixData => {
    const data = isShaped(input) ? shapedData(input, `${where}.${field}`, n, n) : input;
    if (data.length !== n * n)
      throw new InvalidArgumentError(
        `${where}.${field}`,
        `has ${data.length} values; the residual has n = ${n}, so n² = ${n * n} are needed`,
      );
    assertFinite(data, `${where}.${field}`, n, n);
    assertSymmetric(data, n, 1, `${where}.${field}`);
    return data;
  };
  const kernel = cp.kernel === undefined ? undefined : square(cp.kernel, 'kernel');
  if (cp.operator && cp.operator.n !== n)
    throw new InvalidArgumentError(`${where}.operator`, `has n = ${cp.operator.n} but the residual has ${n} values`);
  if (cp.operator && cp.operator.batch !== 1)
    throw new InvalidArgumentError(`${where}.operator`, `must hold one operator, got a batch of ${cp.operator.batch}`);
  const jacobian = cp.jacobian === undefined ? undefined : validJacobian(cp.jacobian, `${where}.jacobian`, n);
  const layers = cp.layers?.map((layer, l) => square(layer, `layers[${l}]`));
  if (s.layers !== undefined && (cp.layers?.length ?? 0) !== s.layers)
    throw new InvalidArgumentError(
      `${where}.layers`,
      `has ${cp.layers?.length ?? 0} layer kernels but the previous checkpoint had ${s.layers}`,
    );
  const checkpoint: FlatCheckpointData = {
    t: cp.t,
    residual: cp.residual,
    ...(kernel ? { kernel } : {}),
    ...(cp.operator ? { operator: cp.operator } : {}),
    ...(jacobian ? { jacobian } : {}),
    ...(layers ? { layers } : {}),
    ...(cp.label === undefined ? {} : { label: cp.label }),
  };
  return { n, label, checkpoint };
}

/** The Jacobian's p and flat data, from either form, with its size checked against n. */
function validJacobian(input: JacobianInput, argument: string, n: number): { p: number; data: HostMatrixData } {
  let p: number;
  let data: HostMatrixData;
  if (isShaped(input)) {
    const [rows, cols] = Array.isArray(input.shape) && input.shape.length === 2 ? input.shape : [NaN, NaN];
    p = cols!;
    if (rows !== n && cols === n)
      throw new InvalidArgumentError(
        `${argument}.shape`,
        `is ${shapeText(input.shape)}: J looks transposed (pass J, not Jᵀ): it must be [n, p], one row per residual entry, n = ${n}`,
      );
    if (rows !== n || !(Number.isInteger(p) && p >= 1))
      throw new InvalidArgumentError(
        `${argument}.shape`,
        `must be [n, p] with n = ${n} (the residual's length) and p ≥ 1, got ${shapeText(input.shape)}`,
      );
    data = shapedData(input, argument, n, p, '[n, p]');
    const given = (input as { p?: unknown }).p;
    if (given !== undefined && given !== p) throw new InvalidArgumentError(`${argument}.p`, `is ${String(given)} but shape says p = ${p}`);
  } else {
    ({ p, data } = input);
    if (!(Number.isInteger(p) && p >= 1)) throw new InvalidArgumentError(`${argument}.p`, `must be a positive integer, got ${p}`);
    if (data.length !== n * p) throw new InvalidArgumentError(argument, `has ${data.length} values; n·p = ${n}·${p} = ${n * p} are needed`);
  }
  assertFinite(data, argument, n, p);
  return { p, data };
}

/** Whether a matrix comes with its shape (`{ data, shape }`) rather than as flat values or `{ p, data }`. */
function isShaped(input: KernelInput | JacobianInput): input is ShapedMatrix {
  return typeof input === 'object' && input !== null && !ArrayBuffer.isView(input) && !Array.isArray(input) && 'shape' in input;
}

function shapeText(shape: unknown): string {
  return Array.isArray(shape) ? `[${shape.join(', ')}]` : (JSON.stringify(shape) ?? String(shape));
}

/**
 * The flat data of a shaped matrix that must be rows × cols (`argument.shape` and `argument.data`
 * named in the errors): Float32/Float64 data as it is, Float16 data as float32, other numbers
 * converted to float64.
 */
function shapedData(input: ShapedMatrix, argument: string, rows: number, cols: number, names = '[n, n]'): HostMatrixData {
  const { shape, data } = input;
  if (!Array.isArray(shape) || shape.length !== 2 || shape[0] !== rows || shape[1] !== cols) {
    const wanted = `${names} = [${rows}, ${cols}]`;
    throw new InvalidArgumentError(`${argument}.shape`, `must be ${wanted} (n = ${rows}, the residual's length), got ${shapeText(shape)}`);
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array)
    throw new InvalidArgumentError(`${argument}.data`, 'holds 64-bit integers: convert the matrix to float32 or float64');
  if (typeof data !== 'object' || data === null || typeof data.length !== 'number')
    throw new InvalidArgumentError(`${argument}.data`, 'must be a typed array or an array of numbers');
  if (data.length !== rows * cols)
    throw new InvalidArgumentError(`${argument}.data`, `has ${data.length} values; shape ${shapeText(shape)} needs ${rows * cols}`);
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  // Half-precision values are exact in f32, and f32 is what their precision calls for (checkpointPrecision).
  if (Object.prototype.toString.call(data) === '[object Float16Array]') return Float32Array.from(data);
  return Float64Array.from(data);
}
