/**
 * Internal byte-level helpers of the readers and writers: element decoding and encoding with
 * byte-order handling, f16/bf16 conversion, Fortran-to-C reordering, CRC-32, and the size checks
 * done before any allocation. Not part of the public API. Browser-safe.
 * @module
 */
import { invariant } from '../errors.ts';
import { DTYPE_ITEMSIZE, type DType, type Tensor, type TensorData } from './tensor.ts';

/** Whether this platform stores multi-byte numbers little-endian (every current browser and Node platform does). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The largest tensor payload the readers accept: 2^31 bytes. Anything larger is refused before allocating. */
export const MAX_TENSOR_BYTES = 2 ** 31;

/**
 * The element count and byte size of a shape, or the reason it cannot be read. Dimensions must be
 * non-negative safe integers (the caller reports non-integers); the payload (elements × itemsize) must not exceed
 * {@link MAX_TENSOR_BYTES}. Nothing is allocated. `format` renders the shape in messages.
 */
export function shapeSize(
  shape: readonly number[],
  itemsize: number,
  format: (shape: readonly number[]) => string = formatShape,
): { readonly ok: true; readonly count: number; readonly bytes: number } | { readonly ok: false; readonly fault: string } {
  let count = 1;
  let zero = false;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim)) return { ok: false, fault: `absurd shape ${format(shape)}: dimension ${dim} is not a safe integer` };
    if (dim < 0) return { ok: false, fault: `negative dimension ${dim} in shape ${format(shape)}` };
    if (dim === 0) zero = true;
  }
  if (zero) return { ok: true, count: 0, bytes: 0 };
  for (const dim of shape) {
    count *= dim;
    if (count * itemsize > MAX_TENSOR_BYTES) {
      return {
        ok: false,
        fault: `absurd shape ${format(shape)}: ${bigProduct(shape) * BigInt(itemsize)} bytes exceed the ${MAX_TENSOR_BYTES}-byte (2 GiB) limit`,
      };
    }
  }
  return { ok: true, count, bytes: count * itemsize };
}

function bigProduct(shape: readonly number[]): bigint {
  let p = 1n;
  for (const d of shape) p *= BigInt(d);
  return p;
}

/** A shape as Python writes it: `()`, `(3,)`, `(3, 4)`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Reverses the byte order of every `itemsize`-byte element of `bytes`, in place. */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  for (let i = 0; i < bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** The value of an IEEE 754 binary16 bit pattern. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The binary16 bit pattern nearest to `x` after rounding it to f32 (round to nearest, ties to even; overflow → ±Infinity). */
export function numberToF16Bits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const e = (bits >>> 23) & 0xff;
  let m = bits & 0x7fffff;
  if (e === 255) return sign | 0x7c00 | (m ? 0x200 : 0);
  const exponent = e - 112; // rebias 127 → 15
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    m |= 0x800000;
    const shift = 14 - exponent;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (exponent << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** The bfloat16 bit pattern nearest to `x` after rounding it to f32 (round to nearest, ties to even). */
export function numberToBf16Bits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return Math.floor((bits + 0x7fff + ((bits >>> 16) & 1)) / 65536);
}

/**
 * Decodes `count` elements of `dtype` stored at `bytes[offset…]` into a new typed array
 * (see {@link Tensor} for which). The caller has checked that the bytes are present.
 */
export function decodeElements(bytes: Uint8Array, offset: number, dtype: DType, count: number, littleEndian: boolean): TensorData {
  const size = count * DTYPE_ITEMSIZE[dtype];
  invariant(offset >= 0 && offset + size <= bytes.length, `decodeElements: ${size} bytes at ${offset} past ${bytes.length}`);
  return decodeOwned(copyBytes(bytes, offset, offset + size), dtype, count, littleEndian);
}

/**
 * A fresh copy of `bytes[start, end)`. (Not `bytes.slice`: on a Node `Buffer`, `slice` returns
 * a view into the same memory, often at an odd offset of Node's shared pool.)
 */
export function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

/**
 * Decodes `count` elements of `dtype` held in `raw`, a fresh copy the caller gives up (it is
 * byte-swapped in place and may become the result's memory).
 */
export function decodeOwned(raw: Uint8Array<ArrayBuffer>, dtype: DType, count: number, littleEndian: boolean): TensorData {
  const itemsize = DTYPE_ITEMSIZE[dtype];
  invariant(raw.byteOffset === 0 && raw.length === count * itemsize, `decodeOwned: ${raw.length} bytes for ${count} × ${itemsize}`);
  if (itemsize > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(raw, itemsize);
  return typedFromRaw(raw, dtype, count);
}

/** Wraps (or converts) freshly copied native-endian bytes as the dtype's typed array. */
function typedFromRaw(raw: Uint8Array<ArrayBuffer>, dtype: DType, count: number): TensorData {
  const buffer = raw.buffer;
  switch (dtype) {
    case 'f16': {
      const half = new Uint16Array(buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16BitsToNumber(half[i]!);
      return out;
    }
    case 'bf16': {
      const half = new Uint16Array(buffer, 0, count);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = half[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'f32':
      return new Float32Array(buffer, 0, count);
    case 'f64':
      return new Float64Array(buffer, 0, count);
    case 'i8':
      return new Int8Array(buffer, 0, count);
    case 'i16':
      return new Int16Array(buffer, 0, count);
    case 'i32':
      return new Int32Array(buffer, 0, count);
    case 'i64':
      return new BigInt64Array(buffer, 0, count);
    case 'u8':
      return raw;
    case 'u16':
      return new Uint16Array(buffer, 0, count);
    case 'u32':
      return new Uint32Array(buffer, 0, count);
    case 'u64':
      return new BigUint64Array(buffer, 0, count);
    case 'bool':
      for (let i = 0; i < count; i++) if (raw[i] !== 0) raw[i] = 1;
      return raw;
  }
}

/**
 * The elements of a (checked) tensor as little-endian bytes in C order, `itemsize` bytes each:
 * `f16` and `bf16` values are rounded to their 2-byte formats; bool is written as 0/1 bytes.
 */
export function encodeElementsLE(t: Tensor): Uint8Array {
  const { dtype, data } = t;
  const count = data.length;
  if (dtype === 'f16' || dtype === 'bf16') {
    const half = new Uint16Array(count);
    const src = data as Float32Array;
    const convert = dtype === 'f16' ? numberToF16Bits : numberToBf16Bits;
    for (let i = 0; i < count; i++) half[i] = convert(src[i]!);
    const bytes = new Uint8Array(half.buffer);
    if (!HOST_LITTLE_ENDIAN) swapBytes(bytes, 2);
    return bytes;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (dtype === 'bool') {
    for (let i = 0; i < count; i++) if (bytes[i] !== 0) bytes[i] = 1;
  } else if (!HOST_LITTLE_ENDIAN && DTYPE_ITEMSIZE[dtype] > 1) {
    swapBytes(bytes, DTYPE_ITEMSIZE[dtype]);
  }
  return bytes;
}

/**
 * Reorders the elements of `src` (a Fortran-order array of `shape`, `itemsize` bytes each) into C
 * order. Returns `src` itself when the two orders coincide (fewer than two dimensions, or empty).
 */
export function fortranToC(src: Uint8Array<ArrayBuffer>, shape: readonly number[], itemsize: number): Uint8Array<ArrayBuffer> {
  const n = shape.length;
  let count = 1;
  for (const d of shape) count *= d;
  if (n < 2 || count <= 1) return src;
  const unit = itemsize === 8 ? 4 : itemsize;
  const words = itemsize / unit;
  const make = (b: Uint8Array<ArrayBuffer>): Uint8Array | Uint16Array | Uint32Array =>
    unit === 1
      ? b
      : unit === 2
        ? new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2)
        : new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const dst = new Uint8Array(src.length);
  // The bytes of src may start at any offset: copy them to an aligned buffer first when needed.
  const aligned = src.byteOffset % unit === 0 ? src : copyBytes(src, 0, src.length);
  const S = make(aligned);
  const D = make(dst);
  const stride: number[] = [];
  let s = 1;
  for (const d of shape) {
    stride.push(s);
    s *= d;
  }
  const index = new Array<number>(n).fill(0);
  const last = n - 1;
  const rowLength = shape[last]!;
  const rowStride = stride[last]!;
  let inOffset = 0;
  for (let out = 0; out < count; out += rowLength) {
    for (let k = 0; k < rowLength; k++) {
      const a = (inOffset + k * rowStride) * words;
      const b = (out + k) * words;
      for (let w = 0; w < words; w++) D[b + w] = S[a + w]!;
    }
    for (let j = last - 1; j >= 0; j--) {
      index[j]!++;
      inOffset += stride[j]!;
      if (index[j]! < shape[j]!) break;
      inOffset -= shape[j]! * stride[j]!;
      index[j] = 0;
    }
  }
  return dst;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, as in zip and gzip) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * What the first bytes of a file look like, in words, never echoing them: error messages about
 * a file that is not what it should be must not print its content (it may be someone else's
 * file: docs/formats.md, Security and limits).
 */
export function describeStart(bytes: Uint8Array): string {
  const starts = (magic: readonly number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (bytes.length === 0) return 'the file is empty';
  if (starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06])) return 'it starts like a zip archive (.npz)';
  if (starts([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'it starts like a .npy file';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0) return 'it starts like a .safetensors file';
  const head = bytes.subarray(0, 64);
  const text = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d || b >= 0x80);
  return text ? 'it starts with text' : 'it starts with binary data';
}
