/**
 * NumPy `.npy` files: a strict reader for format versions 1.0, 2.0 and 3.0, and a writer that
 * produces exactly the bytes `numpy.save` writes (version 1.0, little-endian, C order).
 *
 * Format (numpy.lib.format): the magic `\x93NUMPY`, a major and a minor version byte, the header
 * length (u16 little-endian in 1.0, u32 in 2.0 and 3.0), the header (a Python dict literal with
 * the keys `descr`, `fortran_order` and `shape`, latin-1 in 1.0/2.0 and UTF-8 in 3.0, padded
 * with spaces and a newline), then the raw elements. Browser-safe.
 * @module
 */
import { FileFormatError, InvalidArgumentError } from '../errors.ts';
import { checkTensor, DTYPE_ITEMSIZE, type DType, type Tensor, type TensorData } from './tensor.ts';
import {
  concatBytes,
  copyBytes,
  decodeOwned,
  encodeElementsLE,
  formatShape,
  fortranToC,
  HOST_LITTLE_ENDIAN,
  shapeSize,
  describeStart,
} from './binary.ts';

/** The six bytes every `.npy` file starts with. */
export const NPY_MAGIC: Uint8Array = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** The `.npy` element types the reader understands, by descr without byte order, and the dtype each becomes. */
const NPY_TYPES: Readonly<Record<string, DType>> = {
  f2: 'f16',
  f4: 'f32',
  f8: 'f64',
  i1: 'i8',
  i2: 'i16',
  i4: 'i32',
  i8: 'i64',
  u1: 'u8',
  u2: 'u16',
  u4: 'u32',
  u8: 'u64',
  b1: 'bool',
};

/** The descr `encodeNpy` writes for each dtype (numpy's `dtype.str`). */
const NPY_DESCR: Readonly<Partial<Record<DType, string>>> = {
  f32: '<f4',
  f64: '<f8',
  i8: '|i1',
  i16: '<i2',
  i32: '<i4',
  i64: '<i8',
  u8: '|u1',
  u16: '<u2',
  u32: '<u4',
  u64: '<u8',
  bool: '|b1',
};

const SUPPORTED = 'supported: f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1, little- or big-endian';

/**
 * Reads a `.npy` file.
 *
 * Accepts format versions 1.0, 2.0 and 3.0; the descrs `f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1`
 * in either byte order (`<`, `>`, or `|` for one-byte types); `fortran_order` True (the elements
 * are reordered to C order) or False; 0-d and empty arrays. The result owns fresh memory
 * (`bytes` can be reused); see {@link Tensor} for the typed array of each dtype (`f2` gives
 * dtype `f16` with a decoded `Float32Array`).
 *
 * @param bytes - the whole file.
 * @param file - names the file in errors.
 * @throws {@link FileFormatError} naming `file` and the fault: bad magic, unsupported version,
 *   truncated header, a header that is not a valid dict literal or lacks a key, an unknown or
 *   unsupported dtype (complex, strings, objects, structured…), a negative or non-integer
 *   dimension, an absurd shape (more than 2^31 bytes: refused before allocating), truncated data,
 *   or data longer than the shape needs. No partial result is ever returned.
 * @example
 * const t = parseNpy(new Uint8Array(await (await fetch('x.npy')).arrayBuffer()), 'x.npy');
 * t.shape; // e.g. [3, 4]
 */
export function parseNpy(bytes: Uint8Array, file: string): Tensor {
  const fail = (fault: string): never => {
    throw new FileFormatError(file, fault);
  };
  const magicLength = Math.min(bytes.length, NPY_MAGIC.length);
  for (let i = 0; i < magicLength; i++) {
    if (bytes[i] !== NPY_MAGIC[i]) fail(`not a .npy file: ${describeStart(bytes)}, not with the .npy magic "\\x93NUMPY"`);
  }
  if (bytes.length < 8) fail(`truncated header: the file is only ${bytes.length} bytes long`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (minor !== 0 || major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) fail(`truncated header: the header length field is cut off (file is ${bytes.length} bytes)`);
  const headerLength =
    major === 1 ? bytes[8]! | (bytes[9]! << 8) : (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16) | (bytes[11]! << 24)) >>> 0;
  const dataStart = prefix + headerLength;
  if (dataStart > bytes.length) {
    fail(`truncated header: the header claims ${headerLength} bytes but only ${bytes.length - prefix} follow the length field`);
  }
  const headerBytes = bytes.subarray(prefix, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return fail('header is not valid UTF-8');
    }
  } else {
    text = latin1(headerBytes);
  }

  const { dtype, littleEndian, descr, fortran, shape } = readHeader(text, fail);
  const size = shapeSize(shape, DTYPE_ITEMSIZE[dtype]);
  if (!size.ok) return fail(size.fault);
  const available = bytes.length - dataStart;
  if (available < size.bytes) {
    fail(`truncated data: shape ${formatShape(shape)} of '${descr}' needs ${size.bytes} bytes, only ${available} follow the header`);
  }
  if (available > size.bytes) {
    fail(
      `size mismatch: shape ${formatShape(shape)} of '${descr}' needs ${size.bytes} bytes, but ${available} follow the header (${available - size.bytes} extra)`,
    );
  }
  let raw = copyBytes(bytes, dataStart, dataStart + size.bytes);
  if (fortran) raw = fortranToC(raw, shape, DTYPE_ITEMSIZE[dtype]);
  const data: TensorData = decodeOwned(raw, dtype, size.count, littleEndian);
  return { dtype, shape, data };
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

interface NpyHeader {
  readonly dtype: DType;
  readonly littleEndian: boolean;
  readonly descr: string;
  readonly fortran: boolean;
  readonly shape: number[];
}

/** Validates the header dict of a `.npy` file. */
function readHeader(text: string, fail: (fault: string) => never): NpyHeader {
  let dict: PyValue;
  try {
    dict = parsePythonLiteral(text);
  } catch (e) {
    if (e instanceof LiteralError) return fail(`header is not a valid Python dict literal: ${e.message}`);
    throw e;
  }
  if (dict.t !== 'dict') return fail(`header is not a dict: it is a ${pyTypeName(dict)}`);
  const entries = new Map<string, PyValue>();
  for (const [key, value] of dict.entries) {
    if (key.t !== 'str') return fail(`header is not a valid dict: the key ${pyRepr(key)} is not a string`);
    if (entries.has(key.v)) return fail(`header is not a valid dict: the key '${key.v}' appears twice`);
    entries.set(key.v, value);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!entries.has(key)) fail(`header is missing the key '${key}'`);
  }
  for (const key of entries.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') fail(`header has an unexpected key '${key}'`);
  }
  const descrValue = entries.get('descr')!;
  const fortranValue = entries.get('fortran_order')!;
  const shapeValue = entries.get('shape')!;

  if (fortranValue.t !== 'bool') return fail(`'fortran_order' must be True or False, found ${pyRepr(fortranValue)}`);

  if (shapeValue.t !== 'tuple') return fail(`'shape' must be a tuple of integers, found ${pyRepr(shapeValue)}`);
  const shape: number[] = [];
  for (const dim of shapeValue.items) {
    if (dim.t === 'float') return fail(`non-integer dimension ${pyRepr(dim)} in shape ${pyRepr(shapeValue)}`);
    if (dim.t !== 'int') return fail(`'shape' must be a tuple of integers, found ${pyRepr(shapeValue)}`);
    if (dim.v < 0n) return fail(`negative dimension ${dim.v} in shape ${pyRepr(shapeValue)}`);
    if (dim.v > BigInt(Number.MAX_SAFE_INTEGER))
      return fail(`absurd shape ${pyRepr(shapeValue)}: dimension ${dim.v} is not a safe integer`);
    shape.push(Number(dim.v));
  }

  if (descrValue.t === 'list') {
    return fail(`unsupported dtype ${truncate(pyRepr(descrValue))}: structured (record) arrays are not supported (${SUPPORTED})`);
  }
  if (descrValue.t !== 'str') return fail(`'descr' must be a dtype string, found ${pyRepr(descrValue)}`);
  const descr = descrValue.v;
  const match = /^([<>|=]?)([A-Za-z])(\d*)(.*)$/s.exec(descr);
  const order = match?.[1] ?? '';
  const code = match ? `${match[2]}${match[3]}` : '';
  const dtype = match && match[4] === '' ? NPY_TYPES[code] : undefined;
  if (dtype === undefined) {
    const why = match ? unsupportedReason(match[2]!, match[3]!, match[4]!) : undefined;
    if (why) return fail(`unsupported dtype '${truncate(descr)}': ${why} (${SUPPORTED})`);
    return fail(`unknown dtype '${truncate(descr)}' (${SUPPORTED})`);
  }
  const littleEndian = order === '<' ? true : order === '>' ? false : HOST_LITTLE_ENDIAN;
  return { dtype, littleEndian, descr, fortran: fortranValue.v, shape };
}

/** Why a numpy dtype is not read, or undefined when numpy would not understand it either. */
function unsupportedReason(kind: string, size: string, rest: string): string | undefined {
  switch (kind) {
    case 'c':
      return 'complex numbers are not supported';
    case 'U':
    case 'S':
    case 'a':
      return 'strings are not supported';
    case 'O':
      return 'object arrays are not supported (they hold pickled Python objects)';
    case 'V':
      return 'raw void/structured dtypes are not supported';
    case 'M':
    case 'm':
      return 'datetime and timedelta dtypes are not supported';
    case 'f':
      return (size === '12' || size === '16') && rest === '' ? 'extended-precision (long double) floats are not supported' : undefined;
    default:
      return undefined;
  }
}

function truncate(s: string, limit = 60): string {
  return s.length > limit ? `${s.slice(0, limit)}…` : s;
}

/**
 * Encodes a tensor as a `.npy` file, version 1.0, little-endian, C order, byte for byte as
 * `numpy.save` writes it: the header is `{'descr': …, 'fortran_order': False, 'shape': …, }`
 * with numpy's growth padding, padded with spaces and a newline so that the data starts at a
 * multiple of 64 bytes. (Should the header not fit version 1.0's 65535 bytes, version 2.0 is
 * written, as numpy does.)
 *
 * Accepts any `{ dtype, shape, data }` whose data is the dtype's typed array (see {@link Tensor})
 * with exactly `elementCount(shape)` elements; bool elements are written as 0/1 bytes.
 *
 * @throws {@link InvalidArgumentError} (`tensor`) for a malformed tensor (unknown dtype, bad
 *   shape, wrong typed array, data length not matching the shape), and for dtypes `f16` and
 *   `bf16`, which this writer does not encode (convert them to `f32`).
 * @example
 * const bytes = encodeNpy({ dtype: 'f64', shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) });
 * // numpy.load reads it back as array([[1., 2.], [3., 4.]])
 */
export function encodeNpy(tensor: Tensor): Uint8Array {
  const t = checkTensor(tensor, 'tensor');
  const descr = NPY_DESCR[t.dtype];
  if (descr === undefined) {
    throw new InvalidArgumentError(
      'tensor',
      `encodeNpy does not write dtype ${t.dtype}; it writes f32, f64, integer and bool tensors (the data of an ${t.dtype} tensor already is a Float32Array: write it as dtype f32)`,
    );
  }
  const shape = t.shape;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  // The header is ASCII: one byte per character.
  let version = 1;
  let prefixLength = 10;
  const align = (prefix: number): number => 64 - ((prefix + header.length + 1) % 64);
  if (header.length + 1 + align(10) > 0xffff) {
    version = 2;
    prefixLength = 12;
  }
  const padding = align(prefixLength);
  const total = header.length + padding + 1;
  const head = new Uint8Array(prefixLength + total);
  head.set(NPY_MAGIC, 0);
  head[6] = version;
  head[7] = 0;
  const view = new DataView(head.buffer);
  if (version === 1) view.setUint16(8, total, true);
  else view.setUint32(8, total, true);
  for (let i = 0; i < header.length; i++) head[prefixLength + i] = header.charCodeAt(i);
  head.fill(0x20, prefixLength + header.length, head.length - 1);
  head[head.length - 1] = 0x0a;
  return concatBytes([head, encodeElementsLE(t)]);
}

// ---------------------------------------------------------------------------------------------
// A parser for the Python literals that appear in .npy headers: dicts, tuples, lists, strings,
// integers (with Python 2's optional `L` suffix), floats, True, False and None.

type PyValue =
  | { readonly t: 'dict'; readonly entries: readonly (readonly [PyValue, PyValue])[] }
  | { readonly t: 'tuple'; readonly items: readonly PyValue[] }
  | { readonly t: 'list'; readonly items: readonly PyValue[] }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'int'; readonly v: bigint }
  | { readonly t: 'float'; readonly v: number; readonly text: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'none' };

class LiteralError extends Error {}

const MAX_DEPTH = 32;

function parsePythonLiteral(text: string): PyValue {
  let pos = 0;
  const error = (what: string): never => {
    const found = pos < text.length ? `${JSON.stringify(text.slice(pos, pos + 12))}` : 'the end of the header';
    throw new LiteralError(`${what} at offset ${pos}, found ${found}`);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r\f\v'.includes(text[pos]!)) pos++;
  };
  const expectChar = (c: string): void => {
    skipSpace();
    if (text[pos] !== c) error(`expected '${c}'`);
    pos++;
  };
  const sequence = (close: string, depth: number): { items: PyValue[]; comma: boolean } => {
    const items: PyValue[] = [];
    let comma = false;
    skipSpace();
    if (text[pos] === close) {
      pos++;
      return { items, comma };
    }
    for (;;) {
      items.push(value(depth + 1));
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return { items, comma };
      }
      if (text[pos] !== ',') error(`expected ',' or '${close}'`);
      pos++;
      comma = true;
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return { items, comma };
      }
    }
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) error('nesting too deep');
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries: (readonly [PyValue, PyValue])[] = [];
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return { t: 'dict', entries };
      }
      for (;;) {
        const key = value(depth + 1);
        expectChar(':');
        entries.push([key, value(depth + 1)]);
        skipSpace();
        if (text[pos] === '}') {
          pos++;
          return { t: 'dict', entries };
        }
        if (text[pos] !== ',') error(`expected ',' or '}'`);
        pos++;
        skipSpace();
        if (text[pos] === '}') {
          pos++;
          return { t: 'dict', entries };
        }
      }
    }
    if (c === '(') {
      pos++;
      const { items, comma } = sequence(')', depth);
      // `(x)` is a parenthesized value, not a tuple.
      if (items.length === 1 && !comma) return items[0]!;
      return { t: 'tuple', items };
    }
    if (c === '[') {
      pos++;
      return { t: 'list', items: sequence(']', depth).items };
    }
    if (c === "'" || c === '"') return { t: 'str', v: str(c) };
    const number = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[lL]?/y;
    number.lastIndex = pos;
    const m = number.exec(text);
    if (m) {
      pos = number.lastIndex;
      const token = m[0];
      if (/[.eE]/.test(token)) {
        if (/[lL]$/.test(token)) error('invalid number');
        return { t: 'float', v: Number(token), text: token };
      }
      return { t: 'int', v: BigInt(token.replace(/[lL]$/, '').replace(/^\+/, '')) };
    }
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = pos;
    const w = word.exec(text);
    if (w) {
      if (w[0] === 'True' || w[0] === 'False') {
        pos = word.lastIndex;
        return { t: 'bool', v: w[0] === 'True' };
      }
      if (w[0] === 'None') {
        pos = word.lastIndex;
        return { t: 'none' };
      }
    }
    return error('expected a value');
  };
  const str = (quote: string): string => {
    pos++;
    let s = '';
    for (;;) {
      if (pos >= text.length) error('unterminated string');
      const c = text[pos++]!;
      if (c === quote) return s;
      if (c === '\n') error('unterminated string');
      if (c !== '\\') {
        s += c;
        continue;
      }
      const e = text[pos++];
      if (e === undefined) return error('unterminated string');
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e in simple) s += simple[e];
      else if (e === 'x' || e === 'u') {
        const n = e === 'x' ? 2 : 4;
        const hex = text.slice(pos, pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) error('invalid escape');
        s += String.fromCharCode(parseInt(hex, 16));
        pos += n;
      } else s += `\\${e}`;
    }
  };
  const result = value(0);
  skipSpace();
  if (pos < text.length) error('unexpected text after the dict');
  return result;
}

function pyTypeName(v: PyValue): string {
  return v.t === 'none' ? 'None' : v.t;
}

function pyRepr(v: PyValue): string {
  switch (v.t) {
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
    case 'tuple':
      return v.items.length === 1 ? `(${pyRepr(v.items[0]!)},)` : `(${v.items.map(pyRepr).join(', ')})`;
    case 'list':
      return `[${v.items.map(pyRepr).join(', ')}]`;
    case 'str':
      return `'${v.v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'int':
      return String(v.v);
    case 'float':
      return v.text;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
  }
}
