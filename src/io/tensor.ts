/**
 * The in-memory tensor that every reader returns and every writer accepts: a dtype, a shape and
 * a flat typed array in C order (row-major), native-endian. Browser-safe.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/**
 * Element types the readers understand. `f16` and `bf16` are storage types only: their values
 * are decoded to a `Float32Array` (exactly: every f16 and bf16 value is an f32 value).
 */
export type DType = 'f16' | 'bf16' | 'f32' | 'f64' | 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64' | 'bool';

/** Every {@link DType}, in a fixed order. */
export const DTYPES: readonly DType[] = ['f16', 'bf16', 'f32', 'f64', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'bool'];

/** The typed arrays that hold a {@link Tensor}'s elements. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/**
 * A dense n-dimensional array.
 *
 * - `shape` lists the dimensions, outermost first; `[]` is a 0-d array (a scalar, one element).
 * - `data` holds `elementCount(shape)` elements in C order (the last index varies fastest),
 *   native-endian. Its typed array follows the dtype: `f16`, `bf16` and `f32` → `Float32Array`,
 *   `f64` → `Float64Array`, `i8` → `Int8Array`, `i16` → `Int16Array`, `i32` → `Int32Array`,
 *   `i64` → `BigInt64Array`, `u8` → `Uint8Array`, `u16` → `Uint16Array`, `u32` → `Uint32Array`,
 *   `u64` → `BigUint64Array`, `bool` → `Uint8Array` of 0 and 1.
 */
export interface Tensor {
  /** The element type of the source (`f16`/`bf16` data is nonetheless a decoded `Float32Array`). */
  readonly dtype: DType;
  /** Dimensions, outermost first; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** The elements in C order, native-endian. */
  readonly data: TensorData;
}

/** The typed array (by its `Symbol.toStringTag`) that holds each dtype's decoded elements. */
export const DTYPE_ARRAY: Readonly<Record<DType, string>> = {
  f16: 'Float32Array',
  bf16: 'Float32Array',
  f32: 'Float32Array',
  f64: 'Float64Array',
  i8: 'Int8Array',
  i16: 'Int16Array',
  i32: 'Int32Array',
  i64: 'BigInt64Array',
  u8: 'Uint8Array',
  u16: 'Uint16Array',
  u32: 'Uint32Array',
  u64: 'BigUint64Array',
  bool: 'Uint8Array',
};

/** Bytes per element in a file (not in memory: `f16` and `bf16` take 2 bytes on disk, 4 in memory). */
export const DTYPE_ITEMSIZE: Readonly<Record<DType, number>> = {
  f16: 2,
  bf16: 2,
  f32: 4,
  f64: 8,
  i8: 1,
  i16: 2,
  i32: 4,
  i64: 8,
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
  bool: 1,
};

/** Whether `value` is one of the {@link DType} names. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_ARRAY, value);
}

/**
 * The number of elements of an array of this shape: the product of the dimensions, 1 for `[]`.
 *
 * @throws {@link InvalidArgumentError} (`shape`) when a dimension is not a non-negative integer or
 *   the product is not a safe integer.
 * @example
 * elementCount([3, 4]); // 12
 * elementCount([]); // 1
 */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new InvalidArgumentError('shape', `dimension ${i} is ${String(dim)}; expected a non-negative integer`);
    }
    count *= dim;
  }
  if (!Number.isSafeInteger(count)) {
    throw new InvalidArgumentError('shape', `[${shape.join(', ')}] has more than 2^53 elements`);
  }
  return count;
}

/** The `Symbol.toStringTag` of a typed array (robust across realms), or undefined. */
function typedArrayTag(value: unknown): string | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  return (value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
}

/**
 * Checks that `value` is a well-formed {@link Tensor}: a known dtype, a shape of non-negative
 * integers, and data of the dtype's typed array holding exactly `elementCount(shape)` elements.
 *
 * @param argument - the name used in the error.
 * @returns `value`, typed.
 * @throws {@link InvalidArgumentError} naming `argument` and the first problem found.
 */
export function checkTensor(value: unknown, argument: string): Tensor {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(
      argument,
      `expected a tensor { dtype, shape, data }, received ${value === null ? 'null' : typeof value}`,
    );
  }
  const { dtype, shape, data } = value as { dtype?: unknown; shape?: unknown; data?: unknown };
  if (!isDType(dtype)) {
    throw new InvalidArgumentError(
      argument,
      `unknown dtype ${JSON.stringify(dtype) ?? String(dtype)}; expected one of ${DTYPES.join(', ')}`,
    );
  }
  if (!Array.isArray(shape)) {
    throw new InvalidArgumentError(argument, `shape must be an array of non-negative integers`);
  }
  for (let i = 0; i < shape.length; i++) {
    const dim: unknown = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new InvalidArgumentError(argument, `shape[${i}] is ${String(dim)}; expected a non-negative integer`);
    }
  }
  let count = 1;
  for (const dim of shape as number[]) count *= dim;
  if (!Number.isSafeInteger(count)) {
    throw new InvalidArgumentError(argument, `shape [${shape.join(', ')}] has more than 2^53 elements`);
  }
  const tag = typedArrayTag(data);
  const expected = DTYPE_ARRAY[dtype];
  if (tag !== expected) {
    throw new InvalidArgumentError(argument, `dtype ${dtype} needs its data in a ${expected}, received ${tag ?? describe(data)}`);
  }
  const length = (data as TensorData).length;
  if (length !== count) {
    throw new InvalidArgumentError(
      argument,
      `data has ${length} elements but shape [${shape.join(', ')}] needs ${count}${shape.length === 0 ? ' (a 0-d array holds one element)' : ''}`,
    );
  }
  return value as Tensor;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a plain array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

const TWO_53 = 2n ** 53n;

/**
 * The tensor's elements as a new `Float64Array` in C order. Floats are widened exactly; integers
 * are converted exactly; bool gives 0 and 1.
 *
 * @param name - names the tensor in errors (e.g. the command-line option or the file member).
 * @throws {@link InvalidArgumentError} (`name`) when the tensor is malformed or a 64-bit integer
 *   lies outside ±2^53, where a double can no longer represent every integer.
 * @example
 * const t: Tensor = { dtype: 'i32', shape: [3], data: new Int32Array([1, 2, 3]) };
 * tensorToFloat64(t, 'counts'); // Float64Array [1, 2, 3]
 */
export function tensorToFloat64(t: Tensor, name: string): Float64Array {
  const { data } = checkTensor(t, name);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return bigToFloat(data, new Float64Array(data.length), name);
  const out = new Float64Array(data.length);
  out.set(data);
  return out;
}

/**
 * The tensor's elements as a `Float32Array` in C order. Integers and f64 values are rounded to
 * the nearest f32; bool gives 0 and 1.
 *
 * When the data already is a `Float32Array` (dtypes `f32`, `f16`, `bf16`), it is returned itself,
 * not copied: copy it before modifying it if the tensor must stay intact.
 *
 * @param name - names the tensor in errors.
 * @throws {@link InvalidArgumentError} (`name`) when the tensor is malformed or a 64-bit integer
 *   lies outside ±2^53.
 */
export function tensorToFloat32(t: Tensor, name: string): Float32Array {
  const { data } = checkTensor(t, name);
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return bigToFloat(data, new Float32Array(data.length), name);
  const out = new Float32Array(data.length);
  out.set(data);
  return out;
}

function bigToFloat<T extends Float32Array | Float64Array>(data: BigInt64Array | BigUint64Array, out: T, name: string): T {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as bigint;
    if (v > TWO_53 || v < -TWO_53) {
      throw new InvalidArgumentError(
        name,
        `element ${i} is ${String(data[i])}, outside ±2^53: it cannot be converted to a floating-point number exactly`,
      );
    }
    out[i] = Number(v);
  }
  return out;
}
