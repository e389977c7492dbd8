/**
 * NumPy `.npz` archives (`numpy.savez`, `numpy.savez_compressed`): zip files whose members are
 * `.npy` files. The zip container is read here (central directory, ZIP64 records, CRC-32 check);
 * deflated members are inflated with fflate's streaming inflater, a bounded chunk at a time, so
 * that no member ever produces more than its directory claims and the limits allow
 * (docs/formats.md, Security and limits). Browser-safe.
 * @module
 */
import { Inflate, deflateSync } from 'fflate';
import { FileFormatError, InvalidArgumentError } from '../errors.ts';
import { checkTensor, type Tensor } from './tensor.ts';
import { parseNpy, encodeNpy } from './npy.ts';
import { concatBytes, crc32, describeStart, MAX_TENSOR_BYTES } from './binary.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;

/** Limits on what reading one archive may produce (docs/formats.md, Security and limits). */
export interface NpzLimits {
  /** The most bytes one member may hold uncompressed. Default {@link NPZ_LIMITS}`.maxMemberBytes`. */
  readonly maxMemberBytes?: number;
  /** The most bytes all members together may hold uncompressed. Default {@link NPZ_LIMITS}`.maxArchiveBytes`. */
  readonly maxArchiveBytes?: number;
}

/**
 * The default limits: one member may hold a maximal tensor (2 GiB, the readers' limit) plus 1 MiB
 * for its `.npy` header; the whole archive 4 GiB. Both are checked against the directory before
 * anything is inflated, and inflation stops as soon as a member produces more than it claims.
 */
export const NPZ_LIMITS: Readonly<Required<NpzLimits>> = Object.freeze({
  maxMemberBytes: MAX_TENSOR_BYTES + 2 ** 20,
  maxArchiveBytes: 2 ** 32,
});

/** Compressed bytes given to the inflater at a time: one push produces at most ~1032× this (16.5 MiB). */
const INFLATE_CHUNK = 16 * 1024;

function resolveLimits(limits: NpzLimits): Required<NpzLimits> {
  const out = { ...NPZ_LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
  for (const key of ['maxMemberBytes', 'maxArchiveBytes'] as const) {
    const v = out[key];
    if (!(Number.isSafeInteger(v) && v >= 0)) throw new InvalidArgumentError(`limits.${key}`, `must be a non-negative integer, got ${v}`);
  }
  return out;
}

/** One member of a zip archive, as its central directory describes it. */
interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

/**
 * Reads a `.npz` archive: every member is parsed as a `.npy` file.
 *
 * Members may be stored or deflated (ZIP64 records, as numpy writes them, are understood); each
 * member's CRC-32 is verified. Keys are the member names without their `.npy` suffix, in archive
 * order; directory entries are skipped.
 *
 * Limits ({@link NpzLimits}, defaults {@link NPZ_LIMITS}): the sizes the directory claims are
 * checked first (each member, and their sum), so an archive over a limit is refused before
 * anything is inflated; a deflated member is inflated in bounded chunks and refused as soon as it
 * produces more bytes than it claims (a "deflate bomb" costs at most one chunk of extra work).
 *
 * @param bytes - the whole file.
 * @param file - names the file in errors.
 * @param limits - the most bytes one member and the whole archive may hold uncompressed.
 * @returns the tensors by name, in archive order.
 * @throws {@link FileFormatError} naming `file` for archive faults (not a zip: bad magic; truncated
 *   archive; a damaged central directory; encryption, multi-disk archives or compression methods
 *   other than stored/deflate; duplicate names; more uncompressed bytes than `maxArchiveBytes`),
 *   and naming `file:member` for member faults (more than `maxMemberBytes`, corrupted deflate
 *   data, data that inflates to more or less than claimed, CRC-32 mismatch, member data past the
 *   end, a member that is not a valid `.npy` file). No partial result is ever returned.
 *   {@link InvalidArgumentError} (`limits.*`) for a limit that is not a non-negative integer.
 * @example
 * const tensors = parseNpz(bytes, 'run.npz');
 * const w = tensors.get('weights'); // from weights.npy in the archive
 */
export function parseNpz(bytes: Uint8Array, file: string, limits: NpzLimits = {}): Map<string, Tensor> {
  const { maxMemberBytes, maxArchiveBytes } = resolveLimits(limits);
  const entries = readCentralDirectory(bytes, file).filter((e) => !(e.name.endsWith('/') && e.size === 0));
  let claimed = 0;
  for (const entry of entries) {
    if (entry.size > maxMemberBytes) {
      throw new FileFormatError(
        `${file}:${entry.name}`,
        `member claims ${entry.size} bytes uncompressed, more than the ${maxMemberBytes}-byte limit per member (NpzLimits.maxMemberBytes)`,
      );
    }
    claimed += entry.size;
  }
  if (claimed > maxArchiveBytes) {
    throw new FileFormatError(
      file,
      `the members claim ${claimed} bytes uncompressed in all, more than the ${maxArchiveBytes}-byte limit per archive (NpzLimits.maxArchiveBytes)`,
    );
  }
  const out = new Map<string, Tensor>();
  for (const entry of entries) {
    const key = entry.name.endsWith('.npy') ? entry.name.slice(0, -4) : entry.name;
    if (out.has(key)) throw new FileFormatError(file, `duplicate member '${entry.name}'`);
    const memberFile = `${file}:${entry.name}`;
    out.set(key, parseNpy(extractMember(bytes, entry, memberFile), memberFile));
  }
  return out;
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
/** A little-endian u64 as a number, or Infinity when it exceeds 2^53 (no valid offset or size in memory does). */
function u64(b: Uint8Array, at: number): number {
  const v = u32(b, at) + u32(b, at + 4) * 2 ** 32;
  return Number.isSafeInteger(v) ? v : Infinity;
}

function readCentralDirectory(bytes: Uint8Array, file: string): ZipEntry[] {
  const fail = (fault: string): never => {
    throw new FileFormatError(file, fault);
  };
  const n = bytes.length;
  const head = n >= 4 ? u32(bytes, 0) : -1;
  if (n < 4 || (head !== SIG_LOCAL && head !== SIG_EOCD)) {
    const isPrefix = n < 4 && [0x50, 0x4b, 0x03, 0x04].slice(0, n).every((b, i) => bytes[i] === b);
    fail(
      isPrefix ? `truncated archive: only ${n} bytes` : `not a zip archive: ${describeStart(bytes)}, not with the zip magic "PK\\x03\\x04"`,
    );
  }
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let at = n - 22; at >= Math.max(0, n - 22 - 0xffff); at--) {
    if (u32(bytes, at) === SIG_EOCD && at + 22 + u16(bytes, at + 20) === n) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return fail('truncated archive: no end-of-central-directory record');
  let diskNumber = u16(bytes, eocd + 4);
  let cdDisk = u16(bytes, eocd + 6);
  let entriesOnDisk = u16(bytes, eocd + 8);
  let entryCount = u16(bytes, eocd + 10);
  let cdSize = u32(bytes, eocd + 12);
  let cdOffset = u32(bytes, eocd + 16);
  let cdEnd = eocd;
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || entriesOnDisk === 0xffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(bytes, locator) !== SIG_ZIP64_LOCATOR)
      return fail('damaged archive: the ZIP64 end-of-central-directory locator is missing');
    const at = u64(bytes, locator + 8);
    if (at + 56 > locator || u32(bytes, at) !== SIG_ZIP64_EOCD)
      return fail('damaged archive: the ZIP64 end-of-central-directory record is missing');
    diskNumber = u32(bytes, at + 16);
    cdDisk = u32(bytes, at + 20);
    entriesOnDisk = u64(bytes, at + 24);
    entryCount = u64(bytes, at + 32);
    cdSize = u64(bytes, at + 40);
    cdOffset = u64(bytes, at + 48);
    cdEnd = at;
  }
  if (diskNumber !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) fail('multi-disk (split) archives are not supported');
  if (cdOffset + cdSize > cdEnd) {
    fail(`truncated archive: the central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the data`);
  }
  // Every entry takes at least 46 bytes: a count beyond that is a lie, and nothing is allocated for it.
  if (entryCount * 46 > cdSize) fail(`damaged archive: ${entryCount} entries cannot fit in a ${cdSize}-byte central directory`);

  const entries: ZipEntry[] = [];
  let at = cdOffset;
  const cdLimit = cdOffset + cdSize;
  for (let i = 0; i < entryCount; i++) {
    if (at + 46 > cdLimit || u32(bytes, at) !== SIG_CENTRAL) fail(`damaged archive: central directory entry ${i} is missing or corrupt`);
    const flags = u16(bytes, at + 8);
    const method = u16(bytes, at + 10);
    const crc = u32(bytes, at + 16);
    let compressedSize = u32(bytes, at + 20);
    let size = u32(bytes, at + 24);
    const nameLength = u16(bytes, at + 28);
    const extraLength = u16(bytes, at + 30);
    const commentLength = u16(bytes, at + 32);
    let disk = u16(bytes, at + 34);
    let localOffset = u32(bytes, at + 42);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > cdLimit) fail(`damaged archive: central directory entry ${i} runs past the directory`);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    let name: string;
    if (flags & 0x800) {
      try {
        name = new TextDecoder('utf-8', { fatal: true }).decode(nameBytes);
      } catch {
        return fail(`damaged archive: the name of entry ${i} is not valid UTF-8`);
      }
    } else {
      name = cp437(nameBytes);
    }
    // ZIP64 extended information: the 64-bit values of the fields set to all ones, in this order.
    let e = at + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = u16(bytes, e);
      const length = u16(bytes, e + 2);
      const dataEnd = e + 4 + length;
      if (dataEnd > extraEnd) fail(`damaged archive: the extra field of '${name}' is truncated`);
      if (id === 0x0001) {
        let p = e + 4;
        const take = (): number => {
          if (p + 8 > dataEnd) return fail(`damaged archive: the ZIP64 field of '${name}' is too short`);
          const v = u64(bytes, p);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
        if (disk === 0xffff) {
          if (p + 4 > dataEnd) fail(`damaged archive: the ZIP64 field of '${name}' is too short`);
          disk = u32(bytes, p);
        }
      }
      e = dataEnd;
    }
    if (disk !== 0) fail('multi-disk (split) archives are not supported');
    entries.push({ name, method, flags, crc, compressedSize, size, localOffset });
    at = next;
  }
  return entries;
}

/** The uncompressed, CRC-checked bytes of one member. */
function extractMember(bytes: Uint8Array, entry: ZipEntry, memberFile: string): Uint8Array {
  const fail = (fault: string): never => {
    throw new FileFormatError(memberFile, fault);
  };
  if (entry.flags & 0x1) fail('encrypted members are not supported');
  if (entry.method !== 0 && entry.method !== 8) {
    fail(`unsupported compression method ${entry.method} (only stored and deflate are supported)`);
  }
  const local = entry.localOffset;
  if (local + 30 > bytes.length) fail(`truncated archive: the local header at ${local} is past the end of the data`);
  if (u32(bytes, local) !== SIG_LOCAL) fail(`damaged archive: no local header at offset ${local}`);
  const start = local + 30 + u16(bytes, local + 26) + u16(bytes, local + 28);
  const end = start + entry.compressedSize;
  if (end > bytes.length) fail(`truncated archive: the member's ${entry.compressedSize} bytes at ${start} run past the end of the data`);
  const compressed = bytes.subarray(start, end);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) fail(`stored member has ${entry.compressedSize} bytes but claims ${entry.size} uncompressed`);
    data = compressed;
  } else {
    // DEFLATE expands by at most 1032:1; a larger claim is a corrupt header, not a reason to allocate.
    if (entry.size > entry.compressedSize * 1032 + 1024) {
      fail(`member claims ${entry.size} bytes uncompressed from ${entry.compressedSize} compressed, impossible for deflate`);
    }
    data = inflateBounded(compressed, entry.size, fail);
  }
  const crc = crc32(data);
  if (crc !== entry.crc) fail(`CRC-32 mismatch: stored ${hex32(entry.crc)}, computed ${hex32(crc)} (the member is corrupted)`);
  return data;
}

/**
 * Inflates raw DEFLATE data that must produce exactly `size` bytes, a chunk of
 * {@link INFLATE_CHUNK} compressed bytes at a time, stopping as soon as the output passes `size`:
 * the work and memory spent on a lying member are bounded by `size` plus one chunk's expansion.
 */
function inflateBounded(compressed: Uint8Array, size: number, fail: (fault: string) => never): Uint8Array {
  const out = new Uint8Array(size);
  let written = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    if (written + chunk.length > size) fail(`corrupted deflate data: it inflates to more than ${size} bytes, the directory says ${size}`);
    out.set(chunk, written);
    written += chunk.length;
    if (final) finished = true;
  });
  try {
    for (let at = 0; at < compressed.length; at += INFLATE_CHUNK) {
      const stop = Math.min(at + INFLATE_CHUNK, compressed.length);
      inflater.push(compressed.subarray(at, stop), stop === compressed.length);
    }
    if (compressed.length === 0) inflater.push(compressed, true);
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    return fail(`corrupted deflate data (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!finished || written !== size) fail(`corrupted deflate data: it inflates to ${written} bytes, the directory says ${size}`);
  return out;
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** Decodes a zip name without the UTF-8 flag: code page 437, as Python's zipfile does. */
function cp437(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  return s;
}

/** Options of {@link encodeNpz}. */
export interface EncodeNpzOptions {
  /** Deflate the members, as `numpy.savez_compressed` does. Default: false (stored, as `numpy.savez`). */
  readonly compress?: boolean;
}

/**
 * Encodes tensors as a `.npz` archive: one `<name>.npy` member per entry (written by
 * {@link encodeNpy}), in the object's key order, stored or deflated. The output is deterministic
 * (member times are 1980-01-01 00:00, as numpy writes them).
 *
 * @param tensors - the tensors by name; names must be non-empty.
 * @throws {@link InvalidArgumentError} (`tensors.<name>`) for a malformed tensor or one `encodeNpy`
 *   does not write (f16, bf16); (`tensors`) for an empty name or an archive past 4 GiB (ZIP64 is
 *   not written).
 * @example
 * const bytes = encodeNpz({ x: { dtype: 'f32', shape: [2], data: new Float32Array([1, 2]) } }, { compress: true });
 * // numpy.load(...)['x'] → array([1., 2.], dtype=float32)
 */
export function encodeNpz(tensors: Record<string, Tensor>, options: EncodeNpzOptions = {}): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) throw new InvalidArgumentError('tensors', 'expected an object of tensors by name');
  const compress = options.compress ?? false;
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [key, value] of Object.entries(tensors)) {
    if (key === '') throw new InvalidArgumentError('tensors', 'a tensor name is empty');
    let npy: Uint8Array;
    try {
      npy = encodeNpy(checkTensor(value, `tensors.${key}`));
    } catch (error) {
      if (error instanceof InvalidArgumentError && error.argument === 'tensor') {
        throw new InvalidArgumentError(`tensors.${key}`, error.message.replace(/^Invalid argument `tensor`: /, ''));
      }
      throw error;
    }
    const name = encoder.encode(`${key}.npy`);
    if (name.length > 0xffff) throw new InvalidArgumentError('tensors', `the name '${key.slice(0, 40)}…' is too long for a zip member`);
    const data = compress ? deflateSync(npy, { level: 6 }) : npy;
    const crc = crc32(npy);
    const utf8 = /[^\x00-\x7f]/.test(key) ? 0x800 : 0;
    const method = compress ? 8 : 0;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, utf8, true);
    lv.setUint16(8, method, true);
    lv.setUint16(10, 0, true); // 00:00:00
    lv.setUint16(12, 0x21, true); // 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, npy.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, (3 << 8) | 20, true); // made by: Unix, zip 2.0
    cv.setUint16(6, 20, true);
    cv.setUint16(8, utf8, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, npy.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, 0o100644 * 65536, true); // external attributes: a regular file, rw-r--r--
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
    if (offset > 0xffffffff) throw new InvalidArgumentError('tensors', 'the archive would exceed 4 GiB, which needs ZIP64 (not written)');
  }
  const directory = concatBytes(centrals);
  if (offset + directory.length > 0xffffffff || centrals.length > 0xffff) {
    throw new InvalidArgumentError('tensors', 'the archive would exceed 4 GiB or 65535 members, which needs ZIP64 (not written)');
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, centrals.length, true);
  ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, directory.length, true);
  ev.setUint32(16, offset, true);
  return concatBytes([...locals, directory, end]);
}
