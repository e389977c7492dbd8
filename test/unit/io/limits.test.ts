/**
 * Hostile inputs to the readers (issue 16, docs/formats.md "Security and limits"): deflate bombs,
 * archives over the size limits. Each test here failed before the fix it guards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileReadError, InvalidArgumentError } from '../../../src/errors.ts';
import { encodeNpy, parseNpy } from '../../../src/io/npy.ts';
import { readSingleTensor, readTensorFile } from '../../../src/node/files.ts';
import { crc32 } from '../../../src/io/binary.ts';
import { encodeNpz, NPZ_LIMITS, parseNpz } from '../../../src/io/npz.ts';
import { deflateBomb, zipArchive } from '../../helpers/hostile.ts';
import { expectFormatError, fixture, sampleTensor } from './helpers.ts';

describe('parseNpz bounds what an archive may inflate to', () => {
  // 4 MiB of DEFLATE that inflates to 4.3 GB while the directory claims 1 KiB: an unbounded
  // inflater decodes all of it (minutes of CPU); a bounded one stops after one chunk. The
  // timeout is a hang guard three orders of magnitude above the bounded reader's cost.
  it('a deflate bomb that claims 1 KiB is refused after at most one chunk of extra output', { timeout: 60_000 }, () => {
    const bomb = deflateBomb(16_000_000);
    expect(bomb.size).toBeGreaterThan(4e9);
    const zip = zipArchive([{ name: 'k.npy', data: bomb.data, method: 8, size: 1024 }]);
    expectFormatError(() => parseNpz(zip, 'bomb.npz'), 'bomb.npz:k.npy', /inflates to more than 1024 bytes/);
  });

  it('members whose claimed sizes add up past the archive limit are refused before anything is inflated', () => {
    // Five honest-looking 1 GiB members (about 1 MiB of deflate each, a ratio deflate allows).
    const copies = Math.ceil(2 ** 30 / 258);
    const bomb = deflateBomb(copies);
    const members = Array.from({ length: 5 }, (_, i) => ({ name: `m${i}.npy`, data: bomb.data, method: 8 as const, size: bomb.size }));
    const zip = zipArchive(members);
    expect(5 * bomb.size).toBeGreaterThan(NPZ_LIMITS.maxArchiveBytes);
    expectFormatError(
      () => parseNpz(zip, 'many.npz'),
      'many.npz',
      /claim \d+ bytes uncompressed in all, more than the 4294967296-byte limit per archive/,
    );
  });

  it('the limits are settable: a member or an archive over a lower limit is refused, under it is read', () => {
    const bytes = fixture('deflated.npz');
    expect(parseNpz(bytes, 'ok.npz', { maxMemberBytes: 4096, maxArchiveBytes: 1 << 20 }).size).toBe(5);
    expectFormatError(
      () => parseNpz(bytes, 'small.npz', { maxMemberBytes: 100 }),
      'small.npz:weights.npy',
      /more than the 100-byte limit per member/,
    );
    expectFormatError(
      () => parseNpz(bytes, 'small.npz', { maxArchiveBytes: 300 }),
      'small.npz',
      /more than the 300-byte limit per archive/,
    );
    const stored = encodeNpz({ a: sampleTensor('f64', [64]) });
    expectFormatError(() => parseNpz(stored, 'stored.npz', { maxMemberBytes: 200 }), 'stored.npz:a.npy', /200-byte limit per member/);
    expect(() => parseNpz(bytes, 'x.npz', { maxMemberBytes: -1 })).toThrow(InvalidArgumentError);
    expect(() => parseNpz(bytes, 'x.npz', { maxArchiveBytes: 1.5 })).toThrow(/limits\.maxArchiveBytes/);
  });

  it('a bomb within the claimed size is inflated exactly (the bounded inflater loses nothing)', () => {
    const bomb = deflateBomb(40_000); // 10 MB from about 10 KB, several inflater chunks
    const zip = zipArchive([{ name: 'z.bin', data: bomb.data, method: 8, size: bomb.size, crc: crc32(new Uint8Array(bomb.size)) }]);
    // Zeros are not a .npy file: the member is refused for that, after inflating to the exact
    // size and CRC the directory claims.
    expectFormatError(() => parseNpz(zip, 'z.npz'), 'z.npz:z.bin', /not a \.npy file/);
  });
});

describe('readTensorFile reads only regular files of bounded size', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grsd-limits-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function refusal(promise: Promise<unknown>): Promise<FileReadError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FileReadError);
    return error as FileReadError;
  }

  // Before: /dev/zero was read until V8 died of out-of-memory (39 s, 6.4 GB); a FIFO hung for
  // ever. The timeouts are hang guards.
  it.runIf(existsSync('/dev/zero'))('/dev/zero is refused as a device before a byte is read', { timeout: 20_000 }, async () => {
    const error = await refusal(readTensorFile('/dev/zero'));
    expect(error.file).toBe('/dev/zero');
    expect(error.message).toMatch(/is a character device: grsd reads only regular files/);
  });

  it.runIf(process.platform !== 'win32')('a FIFO is refused without waiting for a writer', { timeout: 20_000 }, async () => {
    const fifo = join(dir, 'pipe.npy');
    execFileSync('mkfifo', [fifo]);
    const error = await refusal(readTensorFile(fifo));
    expect(error.message).toMatch(/is a FIFO \(named pipe\): grsd reads only regular files/);
  });

  it('a file over maxFileBytes is refused before it is read (a sparse 5 GiB file by default, 1 KiB when set)', async () => {
    const huge = join(dir, 'huge.npy');
    writeFileSync(huge, '');
    truncateSync(huge, 5 * 2 ** 30); // sparse: no disk space used
    expect((await refusal(readTensorFile(huge))).message).toMatch(
      /is 5368709120 bytes, more than the 4294967296-byte limit on one input file/,
    );
    const small = join(dir, 'small.npy');
    writeFileSync(small, encodeNpy(sampleTensor('f64', [512])));
    expect((await readTensorFile(small)).size).toBe(1);
    expect((await refusal(readTensorFile(small, { maxFileBytes: 1024 }))).message).toMatch(/more than the 1024-byte limit/);
    await expect(readSingleTensor(small, undefined, { maxFileBytes: 1024 })).rejects.toThrow(FileReadError);
  });

  it('the .npz limits pass through readTensorFile', async () => {
    const path = join(dir, 'a.npz');
    writeFileSync(path, fixture('deflated.npz'));
    await expect(readTensorFile(path, { maxMemberBytes: 100 })).rejects.toThrow(/100-byte limit per member/);
  });
});

describe('errors never echo the content of a file that is not what it should be', () => {
  const secret = new TextEncoder().encode('root:x:0:0:root:/root:/bin/bash\n');
  it.each([
    ['.npy', 'passwd.npy', () => parseNpy(secret, 'passwd.npy')],
    ['.npz', 'passwd.npz', () => parseNpz(secret, 'passwd.npz')],
    [
      'a .npz member',
      'a.npz:k.npy',
      () => parseNpz(zipArchive([{ name: 'k.npy', data: secret, method: 0, size: secret.length }]), 'a.npz'),
    ],
  ])('%s: the fault says what the bytes look like, not what they are', (_, file, read) => {
    const error = expectFormatError(read, file, /it starts with text/);
    expect(error.message).not.toMatch(/root/);
  });
});
