import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFormatError, FileReadError, InvalidArgumentError } from '../../../src/errors.ts';
import {
  readSingleTensor,
  readTensorFile,
  writeJsonFile,
  writeNpyFile,
  writeNpzFile,
  writeSafetensorsFile,
} from '../../../src/node/files.ts';
import { encodeNpy } from '../../../src/io/npy.ts';
import { EXPECTED, expectTensor, fixture, FIXTURES, sampleTensor, valuesOf } from './helpers.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-files-'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('readTensorFile', () => {
  it('reads .npy as one tensor named after the file stem', async () => {
    const tensors = await readTensorFile(join(FIXTURES, 'f8_le.npy'));
    expect([...tensors.keys()]).toEqual(['f8_le']);
    expectTensor(tensors.get('f8_le')!, EXPECTED.f8_le!);
  });

  it('reads .npz and .safetensors', async () => {
    expect([...(await readTensorFile(join(FIXTURES, 'deflated.npz'))).keys()]).toEqual(['weights', 'labels', 'mask', 'half', 'scalar']);
    expect((await readTensorFile(join(FIXTURES, 'mixed.safetensors'))).size).toBe(6);
  });

  it('detects the format from the content when the extension is unknown', async () => {
    for (const [name, source] of [
      ['a.bin', 'i4_le.npy'],
      ['b.data', 'stored.npz'],
      ['c', 'mixed.safetensors'],
    ] as const) {
      writeFileSync(join(dir, name), fixture(source));
      expect((await readTensorFile(join(dir, name))).size).toBeGreaterThan(0);
    }
    expect([...(await readTensorFile(join(dir, 'a.bin'))).keys()]).toEqual(['a']);
  });

  it('refuses an unknown format with FileFormatError', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'just some text');
    const error = await rejection(readTensorFile(path));
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as FileFormatError).file).toBe(path);
    expect((error as Error).message).toMatch(/unknown tensor file format/);
  });

  it('reports malformed content with FileFormatError naming the path', async () => {
    const path = join(dir, 'bad.npy');
    writeFileSync(path, fixture('f8_le.npy').subarray(0, 150));
    const error = await rejection(readTensorFile(path));
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as FileFormatError).file).toBe(path);
    expect((error as Error).message).toMatch(/truncated data/);
  });

  it('a missing file gives FileReadError', async () => {
    const path = join(dir, 'missing.npy');
    const error = await rejection(readTensorFile(path));
    expect(error).toBeInstanceOf(FileReadError);
    expect((error as FileReadError).code).toBe('GRSD_FILE_READ');
    expect((error as FileReadError).file).toBe(path);
    expect((error as Error).message).toMatch(/no such file or directory/);
  });

  it('a directory gives FileReadError', async () => {
    const path = join(dir, 'sub.npz');
    mkdirSync(path);
    const error = await rejection(readTensorFile(path));
    expect(error).toBeInstanceOf(FileReadError);
    expect((error as FileReadError).file).toBe(path);
    expect((error as Error).message).toMatch(/is a directory/);
  });

  it('an unreadable file gives FileReadError', async (ctx) => {
    if (process.getuid?.() === 0) {
      ctx.skip('running as root: file permissions do not stop reading');
      return;
    }
    const path = join(dir, 'secret.npy');
    writeFileSync(path, fixture('f8_le.npy'));
    chmodSync(path, 0);
    const error = await rejection(readTensorFile(path));
    expect(error).toBeInstanceOf(FileReadError);
    expect((error as Error).message).toMatch(/permission denied/);
  });
});

describe('readSingleTensor', () => {
  it('returns the one tensor of a file, or the named one', async () => {
    expectTensor(await readSingleTensor(join(FIXTURES, 'u2_be.npy')), EXPECTED.u2_be!);
    expectTensor(await readSingleTensor(join(FIXTURES, 'stored.npz'), 'mask'), EXPECTED['stored.npz:mask']!);
  });

  it('asks for a name when the file holds several, listing them', async () => {
    const error = await rejection(readSingleTensor(join(FIXTURES, 'stored.npz')));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('name');
    expect((error as Error).message).toMatch(/holds 5 tensors \('weights', 'labels', 'mask', 'half', 'scalar'\)/);
  });

  it('refuses a name the file does not hold', async () => {
    const error = await rejection(readSingleTensor(join(FIXTURES, 'stored.npz'), 'nope'));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/holds no tensor 'nope'; it holds 'weights', 'labels'/);
  });

  it('refuses an empty archive', async () => {
    const path = join(dir, 'empty.npz');
    await writeNpzFile(path, {});
    const error = await rejection(readSingleTensor(path));
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toMatch(/holds no tensors/);
  });
});

describe('writers', () => {
  it('writeNpyFile writes what encodeNpy encodes, and nothing else', async () => {
    const t = sampleTensor('i16', [3, 2]);
    const path = join(dir, 'x.npy');
    await writeNpyFile(path, t);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeNpy(t)))).toBe(true);
    expect(readdirSync(dir)).toEqual(['x.npy']);
  });

  it('writeNpzFile and writeSafetensorsFile round-trip through readTensorFile', async () => {
    const tensors = { a: sampleTensor('f32', [4]), b: sampleTensor('u64', [2, 2]) };
    await writeNpzFile(join(dir, 'x.npz'), tensors, { compress: true });
    await writeSafetensorsFile(join(dir, 'x.safetensors'), tensors, { k: 'v' });
    for (const file of ['x.npz', 'x.safetensors']) {
      const back = await readTensorFile(join(dir, file));
      expect(valuesOf(back.get('b')!)).toEqual(valuesOf(tensors.b));
    }
    expect(readdirSync(dir).sort()).toEqual(['x.npz', 'x.safetensors']);
  });

  it('writeJsonFile writes toJsonText output and replaces an existing file', async () => {
    const path = join(dir, 'r.json');
    writeFileSync(path, 'old');
    await writeJsonFile(path, { eigenvalues: new Float64Array([2, 1]) });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ eigenvalues: [2, 1] });
    expect(readdirSync(dir)).toEqual(['r.json']);
  });

  it('a value that cannot be JSON leaves no file and no temporary file behind', async () => {
    const path = join(dir, 'r.json');
    const error = await rejection(writeJsonFile(path, { a: [1, NaN] }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/a\[1\] is NaN/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an existing file survives a failed write untouched', async () => {
    const path = join(dir, 'r.json');
    writeFileSync(path, '{"keep": true}');
    await rejection(writeJsonFile(path, { bad: Infinity }));
    await rejection(writeNpyFile(path, { dtype: 'f32', shape: [2], data: new Float32Array(1) }));
    expect(readFileSync(path, 'utf8')).toBe('{"keep": true}');
    expect(readdirSync(dir)).toEqual(['r.json']);
  });

  it('a write that fails in the file system gives FileReadError and leaves no temporary file', async () => {
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    const error = await rejection(writeJsonFile(target, { a: 1 }));
    expect(error).toBeInstanceOf(FileReadError);
    expect((error as FileReadError).file).toBe(target);
    expect((error as Error).message).toMatch(/cannot write/);
    expect(readdirSync(dir)).toEqual(['taken']);

    const missingDir = join(dir, 'no', 'such', 'dir', 'x.npy');
    const error2 = await rejection(writeNpyFile(missingDir, sampleTensor('f32', [1])));
    expect(error2).toBeInstanceOf(FileReadError);
    expect((error2 as Error).message).toMatch(/cannot write: no such file or directory/);
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
