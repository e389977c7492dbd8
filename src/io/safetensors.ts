/**
 * `.safetensors` files (Hugging Face): an 8-byte little-endian u64 header length N, N bytes of
 * UTF-8 JSON describing the tensors, then the data region. The JSON maps each tensor name to
 * `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the data region) and may
 * hold `__metadata__`, an object of strings. Elements are little-endian, in C order.
 *
 * The reader is as strict as the reference implementation: the tensors must tile the data region
 * exactly (no overlap, no gap, no trailing bytes). Browser-safe.
 * @module
 */
import { FileFormatError, InvalidArgumentError } from '../errors.ts';
import { checkTensor, DTYPE_ITEMSIZE, type DType, type Tensor } from './tensor.ts';
import { concatBytes, decodeElements, encodeElementsLE, shapeSize } from './binary.ts';

/** The largest header accepted, as in the reference implementation: 100 MB. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

const ST_TYPES: Readonly<Record<string, DType>> = {
  F16: 'f16',
  BF16: 'bf16',
  F32: 'f32',
  F64: 'f64',
  I8: 'i8',
  I16: 'i16',
  I32: 'i32',
  I64: 'i64',
  U8: 'u8',
  U16: 'u16',
  U32: 'u32',
  U64: 'u64',
  BOOL: 'bool',
};

const ST_NAMES: Readonly<Record<DType, string>> = {
  f16: 'F16',
  bf16: 'BF16',
  f32: 'F32',
  f64: 'F64',
  i8: 'I8',
  i16: 'I16',
  i32: 'I32',
  i64: 'I64',
  u8: 'U8',
  u16: 'U16',
  u32: 'U32',
  u64: 'U64',
  bool: 'BOOL',
};

/** safetensors dtypes that exist but are not read (8-, 6- and 4-bit floats, complex). */
const ST_UNSUPPORTED = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F6_E2M3', 'F6_E3M2', 'F4', 'E8M0', 'C64']);

const SUPPORTED = 'supported: F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, BOOL';

interface Entry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly count: number;
  readonly begin: number;
  readonly end: number;
}

interface Header {
  readonly entries: Entry[];
  readonly metadata: Record<string, string>;
  readonly dataStart: number;
}

/**
 * Reads a `.safetensors` file.
 *
 * @param bytes - the whole file.
 * @param file - names the file in errors.
 * @returns the tensors by name, in the order of the header's JSON object (as `JSON.parse` gives
 *   it: names that are array indices, like `"0"`, come first in numeric order). `__metadata__` is
 *   not a tensor: see {@link parseSafetensorsMetadata}. `F16` and `BF16` give decoded
 *   `Float32Array`s.
 * @throws {@link FileFormatError} naming `file` and the fault: a file shorter than 8 bytes; a
 *   header length past the end of the file or over 100 MB; a header that is not UTF-8 JSON or not
 *   an object; an entry with missing or mistyped fields; an unknown or unsupported dtype; an
 *   absurd shape; `data_offsets` with begin > end, past the data region, not matching
 *   `prod(shape) × itemsize`, overlapping another tensor, or leaving a gap; trailing bytes. No
 *   partial result is ever returned.
 * @example
 * const tensors = parseSafetensors(bytes, 'model.safetensors');
 * tensors.get('embedding')?.shape; // e.g. [50257, 768]
 */
export function parseSafetensors(bytes: Uint8Array, file: string): Map<string, Tensor> {
  const header = readHeader(bytes, file);
  const out = new Map<string, Tensor>();
  for (const e of header.entries) {
    const data = decodeElements(bytes, header.dataStart + e.begin, e.dtype, e.count, true);
    out.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return out;
}

/**
 * The `__metadata__` of a `.safetensors` file (an empty object when it has none). The whole header
 * is validated, as by {@link parseSafetensors}, but no tensor data is decoded.
 *
 * @throws {@link FileFormatError} as {@link parseSafetensors} does.
 */
export function parseSafetensorsMetadata(bytes: Uint8Array, file: string): Record<string, string> {
  return readHeader(bytes, file).metadata;
}

function readHeader(bytes: Uint8Array, file: string): Header {
  const fail = (fault: string): never => {
    throw new FileFormatError(file, fault);
  };
  if (bytes.length < 8) fail(`truncated file: ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    fail(`absurd header length ${headerLength} (more than ${SAFETENSORS_MAX_HEADER_BYTES} bytes): not a safetensors file, or corrupted`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) fail(`truncated file: the header length ${n} exceeds the ${bytes.length - 8} bytes after the length field`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`the header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(`the header is not a JSON object (found ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json})`);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`'__metadata__' must be an object of strings`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`'__metadata__' must be an object of strings, but '${k}' is ${JSON.stringify(v)}`);
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(`${where}: the entry must be an object { dtype, shape, data_offsets }`);
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    for (const field of ['dtype', 'shape', 'data_offsets'] as const) {
      if (!(field in info)) fail(`${where}: the entry is missing '${field}'`);
    }
    if (typeof info.dtype !== 'string') return fail(`${where}: 'dtype' must be a string, found ${JSON.stringify(info.dtype)}`);
    const dtype = ST_TYPES[info.dtype];
    if (dtype === undefined) {
      return fail(
        ST_UNSUPPORTED.has(info.dtype)
          ? `${where}: unsupported dtype '${info.dtype}' (${SUPPORTED})`
          : `${where}: unknown dtype '${info.dtype.slice(0, 40)}' (${SUPPORTED})`,
      );
    }
    if (!Array.isArray(info.shape) || !info.shape.every((d) => typeof d === 'number' && Number.isInteger(d))) {
      return fail(`${where}: 'shape' must be an array of integers, found ${JSON.stringify(info.shape)?.slice(0, 80)}`);
    }
    const shape = info.shape as number[];
    const negative = shape.find((d) => d < 0);
    if (negative !== undefined) fail(`${where}: negative dimension ${negative} in shape [${shape.join(', ')}]`);
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      return fail(
        `${where}: 'data_offsets' must be two non-negative integers [begin, end], found ${JSON.stringify(offsets)?.slice(0, 80)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const size = shapeSize(shape, DTYPE_ITEMSIZE[dtype], (s) => `[${s.join(', ')}]`);
    if (!size.ok) return fail(`${where}: ${size.fault}`);
    if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] begin after they end`);
    if (end > dataLength) fail(`${where}: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data region`);
    if (end - begin !== size.bytes) {
      fail(
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape [${shape.join(', ')}] of ${info.dtype} needs ${size.bytes}`,
      );
    }
    entries.push({ name, dtype, shape: [...shape], count: size.count, begin, end });
  }
  // The tensors must tile the data region: sorted by offset, each begins where the previous ends.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      fail(`tensors '${previous?.name}' and '${e.name}' overlap: [${previous?.begin}, ${previous?.end}] and [${e.begin}, ${e.end}]`);
    }
    if (e.begin > covered) fail(`gap in the data region: no tensor covers bytes [${covered}, ${e.begin}) before '${e.name}'`);
    covered = e.end;
    if (e.end > e.begin || previous === undefined) previous = e;
  }
  if (covered !== dataLength) fail(`size mismatch: the tensors cover ${covered} bytes of the ${dataLength}-byte data region`);
  return { entries, metadata, dataStart };
}

/**
 * Encodes tensors as a `.safetensors` file, readable by the `safetensors` Python and Rust
 * libraries. The header lists the tensors in the object's key order (`__metadata__` first when
 * given) and is padded with spaces to a multiple of 8 bytes; the data is laid out by decreasing
 * item size (stable), so that every tensor is aligned to its item size. `f16` and `bf16` tensors
 * (whose data is a `Float32Array`) are rounded to their 2-byte formats, to nearest, ties to even:
 * exact for values decoded from such files.
 *
 * @param tensors - the tensors by name; `__metadata__` and the empty string are not valid names.
 * @param metadata - optional string-to-string metadata, written as `__metadata__`.
 * @throws {@link InvalidArgumentError} (`tensors.<name>`) for a malformed tensor; (`tensors`) for
 *   a reserved name; (`metadata`) for metadata that is not an object of strings.
 * @example
 * const bytes = encodeSafetensors({ w: { dtype: 'f32', shape: [2], data: new Float32Array([1, 2]) } }, { source: 'grsd' });
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) throw new InvalidArgumentError('tensors', 'expected an object of tensors by name');
  // Built as [key, value] pairs, not an object: a tensor may be called `__proto__`.
  const header: [string, unknown][] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new InvalidArgumentError('metadata', 'expected an object of strings');
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new InvalidArgumentError('metadata', `'${k}' is ${typeof v}; metadata values must be strings`);
    }
    header.push(['__metadata__', Object.fromEntries(Object.entries(metadata))]);
  }
  const items = Object.entries(tensors).map(([name, value]) => {
    if (name === '__metadata__' || name === '') throw new InvalidArgumentError('tensors', `'${name}' is not a valid tensor name`);
    return { name, tensor: checkTensor(value, `tensors.${name}`) };
  });
  const layout = [...items].sort((a, b) => DTYPE_ITEMSIZE[b.tensor.dtype] - DTYPE_ITEMSIZE[a.tensor.dtype]);
  const offsets = new Map<string, [number, number]>();
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const { name, tensor } of layout) {
    const bytes = encodeElementsLE(tensor);
    offsets.set(name, [at, at + bytes.length]);
    parts.push(bytes);
    at += bytes.length;
  }
  for (const { name, tensor } of items) {
    header.push([name, { dtype: ST_NAMES[tensor.dtype], shape: [...tensor.shape], data_offsets: offsets.get(name) }]);
  }
  let json = new TextEncoder().encode(`{${header.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  const padding = (8 - (json.length % 8)) % 8;
  if (padding > 0) {
    const padded = new Uint8Array(json.length + padding).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
  return concatBytes([prefix, json, ...parts]);
}
