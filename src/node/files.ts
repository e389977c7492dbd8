/**
 * Tensor and JSON files on disk (Node only): reading `.npy`, `.npz` and `.safetensors` files
 * (regular files only, size-checked before anything is read: docs/formats.md, Security and
 * limits), and writing `.npy`, `.npz`, `.safetensors` and JSON files atomically (a temporary file
 * in the same directory, renamed into place, so that an error never leaves a partial file behind).
 * @module
 */
import { constants, type Stats } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FileFormatError, FileReadError, InvalidArgumentError } from '../errors.ts';
import type { Tensor } from '../io/tensor.ts';
import { parseNpy, encodeNpy, NPY_MAGIC } from '../io/npy.ts';
import { parseNpz, encodeNpz, NPZ_LIMITS, type EncodeNpzOptions, type NpzLimits } from '../io/npz.ts';
import { parseSafetensors, encodeSafetensors } from '../io/safetensors.ts';
import { toJsonText } from '../io/json.ts';

/** The tensor file formats {@link readTensorFile} understands. */
export type TensorFileFormat = 'npy' | 'npz' | 'safetensors';

/** Explains a Node file-system error in words (`no such file`, `is a directory`, …). */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Limits on what reading one file may cost (docs/formats.md, Security and limits). */
export interface ReadLimits extends NpzLimits {
  /** The largest file read, in bytes. Default {@link READ_LIMITS}`.maxFileBytes` (4 GiB). */
  readonly maxFileBytes?: number;
}

/** The default {@link ReadLimits}: files up to 4 GiB, and the `.npz` limits of `NPZ_LIMITS`. */
export const READ_LIMITS: Readonly<Required<ReadLimits>> = Object.freeze({ maxFileBytes: 2 ** 32, ...NPZ_LIMITS });

/** What a non-regular file is, in words. */
function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Bytes read per `read` call: below Node's 2 GiB limit on one read. */
const READ_CHUNK = 2 ** 30;

/**
 * Reads a whole regular file of at most `maxFileBytes` bytes. The file is opened without
 * blocking (a FIFO never hangs the reader), checked on the open handle (a regular file, not too
 * large: /dev/zero, pipes and devices are refused before a byte is read), and read to exactly the
 * size it had when opened.
 *
 * @throws {@link FileReadError} naming `path` for every file-system failure and refusal.
 */
export async function readFileBounded(path: string, maxFileBytes: number = READ_LIMITS.maxFileBytes): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new FileReadError(path, describeFsError(error), { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new FileReadError(path, 'is a directory, not a file');
    if (!stats.isFile()) throw new FileReadError(path, `is ${describeKind(stats)}: grsd reads only regular files`);
    if (stats.size > maxFileBytes) {
      throw new FileReadError(path, `is ${stats.size} bytes, more than the ${maxFileBytes}-byte limit on one input file (maxFileBytes)`);
    }
    const bytes = new Uint8Array(stats.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, Math.min(bytes.length - at, READ_CHUNK), at);
      if (bytesRead === 0) throw new FileReadError(path, `the file shrank while it was read (${at} of ${bytes.length} bytes)`);
      at += bytesRead;
    }
    return bytes;
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw new FileReadError(path, describeFsError(error), { cause: error });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The format of a tensor file, by extension, else by its first bytes; undefined when neither tells. */
export function detectTensorFormat(path: string, bytes: Uint8Array): TensorFileFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.npz') return 'npz';
  if (ext === '.safetensors') return 'safetensors';
  if (bytes.length >= 6 && NPY_MAGIC.every((b, i) => bytes[i] === b)) return 'npy';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && bytes[3] === bytes[2] + 1)
    return 'npz';
  if (bytes.length >= 9) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b /* { */) return 'safetensors';
  }
  return undefined;
}

/** The file name without directory and extension: the key of a `.npy` file's one tensor. */
function stem(path: string): string {
  const base = basename(path);
  const ext = extname(base);
  return ext ? base.slice(0, -ext.length) : base;
}

/**
 * Reads a tensor file: `.npy` (a map with one entry, named after the file stem), `.npz` or
 * `.safetensors`, chosen by extension, or by content when the extension is none of these.
 *
 * Only regular files are read, and only up to `limits.maxFileBytes`; a `.npz` archive is held to
 * the `.npz` limits (see `parseNpz`). Defaults: {@link READ_LIMITS}.
 *
 * @returns the tensors by name, in file order.
 * @throws {@link FileReadError} naming `path` when it is missing, a directory, a device, a FIFO,
 *   unreadable or larger than `maxFileBytes`; {@link FileFormatError} when the format is unknown
 *   or the content is malformed or over a `.npz` limit (see `parseNpy`, `parseNpz`,
 *   `parseSafetensors`).
 * @example
 * const tensors = await readTensorFile('features.npz');
 * for (const [name, t] of tensors) console.log(name, t.dtype, t.shape);
 */
export async function readTensorFile(path: string, limits: ReadLimits = {}): Promise<Map<string, Tensor>> {
  const { maxFileBytes, ...npzLimits } = limits;
  const bytes = await readFileBounded(path, maxFileBytes ?? READ_LIMITS.maxFileBytes);
  switch (detectTensorFormat(path, bytes)) {
    case 'npy':
      return new Map([[stem(path), parseNpy(bytes, path)]]);
    case 'npz':
      return parseNpz(bytes, path, npzLimits);
    case 'safetensors':
      return parseSafetensors(bytes, path);
    case undefined:
      throw new FileFormatError(path, 'unknown tensor file format: expected a .npy, .npz or .safetensors file (by extension or content)');
  }
}

/**
 * Reads one tensor from a tensor file (see {@link readTensorFile}).
 *
 * @param name - which tensor, for files that hold several; may be omitted when the file holds
 *   exactly one.
 * @param limits - as for {@link readTensorFile}.
 * @throws {@link FileReadError} and {@link FileFormatError} as {@link readTensorFile};
 *   {@link FileFormatError} when the file holds no tensor; {@link InvalidArgumentError} (`name`)
 *   when `name` is not in the file, or is omitted while the file holds several (the message lists
 *   their names).
 * @example
 * const ntk = await readSingleTensor('run.safetensors', 'gram');
 */
export async function readSingleTensor(path: string, name?: string, limits: ReadLimits = {}): Promise<Tensor> {
  const tensors = await readTensorFile(path, limits);
  const list = (): string => {
    const names = [...tensors.keys()];
    const shown = names.slice(0, 20).map((n) => `'${n}'`);
    return shown.join(', ') + (names.length > 20 ? `, … (${names.length} in all)` : '');
  };
  if (name !== undefined) {
    const t = tensors.get(name);
    if (t === undefined) {
      throw new InvalidArgumentError('name', `${path} holds no tensor '${name}'; it holds ${tensors.size ? list() : 'none'}`);
    }
    return t;
  }
  if (tensors.size === 0) throw new FileFormatError(path, 'the file holds no tensors');
  if (tensors.size > 1) {
    throw new InvalidArgumentError('name', `${path} holds ${tensors.size} tensors (${list()}); say which one to read`);
  }
  return tensors.values().next().value as Tensor;
}

/**
 * Writes `bytes` to `path` atomically: into a temporary file next to it (flushed to disk), then
 * renamed over `path`. On failure the temporary file is removed and `path` is left untouched.
 *
 * @throws {@link FileReadError} naming `path` when the file cannot be written (the error code is
 *   `GRSD_FILE_READ`: grsd has one code for file-system failures).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, 'wx', 0o644);
    created = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    created = false;
  } catch (error) {
    if (created) await unlink(temp).catch(() => undefined);
    throw new FileReadError(path, `cannot write: ${describeFsError(error)}`, { cause: error });
  }
}

/**
 * Writes a tensor as a `.npy` file (see `encodeNpy`), atomically.
 *
 * @throws {@link InvalidArgumentError} (`tensor`) for a tensor `encodeNpy` refuses (nothing is
 *   written); {@link FileReadError} when the file cannot be written.
 * @example
 * await writeNpyFile('eigenvalues.npy', { dtype: 'f64', shape: [3], data: new Float64Array([3, 2, 1]) });
 */
export async function writeNpyFile(path: string, tensor: Tensor): Promise<void> {
  await writeFileAtomic(path, encodeNpy(tensor));
}

/**
 * Writes tensors as a `.npz` archive (see `encodeNpz`), atomically.
 *
 * @throws {@link InvalidArgumentError} for tensors `encodeNpz` refuses (nothing is written);
 *   {@link FileReadError} when the file cannot be written.
 */
export async function writeNpzFile(path: string, tensors: Record<string, Tensor>, options: EncodeNpzOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeNpz(tensors, options));
}

/**
 * Writes tensors as a `.safetensors` file (see `encodeSafetensors`), atomically.
 *
 * @throws {@link InvalidArgumentError} for tensors or metadata `encodeSafetensors` refuses
 *   (nothing is written); {@link FileReadError} when the file cannot be written.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Writes `value` as pretty JSON (compact with `pretty: false`; see `toJsonText`: NaN, ±Infinity, BigInt… are refused with
 * the path of the bad value; typed arrays become arrays), atomically.
 *
 * @throws {@link InvalidArgumentError} (`value`) when the value cannot be written as JSON (nothing
 *   is written); {@link FileReadError} when the file cannot be written.
 * @example
 * await writeJsonFile('result.json', { eigenvalues: new Float64Array([2, 1]) });
 */
export async function writeJsonFile(path: string, value: unknown, options: { readonly pretty?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, toJsonText(value, path, options));
}
