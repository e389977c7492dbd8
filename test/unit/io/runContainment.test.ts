/**
 * Reading a run directory safely (issue 16 items 3 and 9, docs/formats.md "Security and limits"):
 * every path a manifest names stays inside the run directory, or inside an explicit root above
 * it, with symbolic links resolved; nothing outside is read or echoed. The entry's `tensor` field
 * picks a tensor in files that hold several, and leaves single-tensor files (the .npy residual) alone.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileFormatError, InvalidArgumentError, PathOutsideRootError } from '../../../src/errors.ts';
import { encodeNpy } from '../../../src/io/npy.ts';
import { encodeNpz } from '../../../src/io/npz.ts';
import type { ManifestCheckpoint } from '../../../src/io/manifest.ts';
import { loadCheckpoint } from '../../../src/node/run.ts';

let base = '';
let run = '';
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'grsd-contain-'));
  run = join(base, 'runs', 'a');
  mkdirSync(run, { recursive: true });
  mkdirSync(join(base, 'runs', 'data'));
  mkdirSync(join(base, 'outside'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const eye = (n: number) => ({
  dtype: 'f32' as const,
  shape: [n, n],
  data: Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)),
});
const vec = (n: number) => ({ dtype: 'f32' as const, shape: [n], data: Float32Array.from({ length: n }, (_, i) => i + 1) });

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a refusal').toBeInstanceOf(Error);
  return error as Error;
}

describe('manifest paths are confined to the run directory', () => {
  it('"../../outside/k.npy" is refused, naming the field, without reading the file', async () => {
    writeFileSync(join(base, 'outside', 'k.npy'), encodeNpy(eye(3)));
    writeFileSync(join(run, 'e.npy'), encodeNpy(vec(3)));
    const entry: ManifestCheckpoint = { t: 0, kernel: '../../outside/k.npy', residual: 'e.npy' };
    const error = await refusal(loadCheckpoint(run, entry, 2));
    expect(error).toBeInstanceOf(PathOutsideRootError);
    expect((error as PathOutsideRootError).field).toBe('checkpoints[2].kernel');
    expect((error as PathOutsideRootError).code).toBe('GRSD_FILE_READ');
    expect(error.message).toMatch(/checkpoints\[2\]\.kernel: "\.\.\/\.\.\/outside\/k\.npy" lies outside the run directory .*--root DIR/);
  });

  it('an absolute path to a file outside (/etc/passwd) is refused and none of its bytes appear in the message', async () => {
    writeFileSync(join(run, 'e.npy'), encodeNpy(vec(3)));
    const secret = join(base, 'outside', 'passwd');
    writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash\n');
    for (const kernel of [secret, '/etc/passwd']) {
      const error = await refusal(loadCheckpoint(run, { t: 0, kernel, residual: 'e.npy' }, 0));
      expect(error).toBeInstanceOf(PathOutsideRootError);
      expect(error.message).not.toMatch(/root:x/);
    }
  });

  it('a symbolic link inside the run that leads outside is refused; one that stays inside is followed', async () => {
    writeFileSync(join(base, 'outside', 'k.npy'), encodeNpy(eye(3)));
    writeFileSync(join(run, 'real.npy'), encodeNpy(eye(3)));
    writeFileSync(join(run, 'e.npy'), encodeNpy(vec(3)));
    symlinkSync(join(base, 'outside', 'k.npy'), join(run, 'escape.npy'));
    symlinkSync('real.npy', join(run, 'alias.npy'));
    const error = await refusal(loadCheckpoint(run, { t: 0, kernel: 'escape.npy', residual: 'e.npy' }, 0));
    expect(error).toBeInstanceOf(PathOutsideRootError);
    expect(error.message).toMatch(/checkpoints\[0\]\.kernel: "escape\.npy" is a symbolic link that leads outside the run directory/);
    const ok = await loadCheckpoint(run, { t: 0, kernel: 'alias.npy', residual: 'e.npy' }, 0);
    expect(Array.from(ok.kernel!)).toEqual(Array.from(eye(3).data));
    // A symlinked directory that leads outside is refused the same way.
    symlinkSync(join(base, 'outside'), join(run, 'sub'));
    expect(await refusal(loadCheckpoint(run, { t: 0, kernel: 'sub/k.npy', residual: 'e.npy' }, 0))).toBeInstanceOf(PathOutsideRootError);
  });

  it('root: a directory above the run shares data files; paths outside the root are still refused', async () => {
    const data = join(base, 'runs', 'data');
    writeFileSync(join(data, 'k.npy'), encodeNpy(eye(3)));
    writeFileSync(join(data, 'e.npy'), encodeNpy(vec(3)));
    writeFileSync(join(base, 'outside', 'k.npy'), encodeNpy(eye(3)));
    const shared: ManifestCheckpoint = { t: 0, kernel: '../data/k.npy', residual: '../data/e.npy' };
    expect(await refusal(loadCheckpoint(run, shared, 0))).toBeInstanceOf(PathOutsideRootError);
    const cp = await loadCheckpoint(run, shared, 0, { root: join(base, 'runs') });
    expect(cp.residual.length).toBe(3);
    const error = await refusal(loadCheckpoint(run, { ...shared, kernel: '../../outside/k.npy' }, 0, { root: join(base, 'runs') }));
    expect(error).toBeInstanceOf(PathOutsideRootError);
    expect(error.message).toMatch(/lies outside the root directory/);
    // A root that does not contain the run is a usage error.
    const misplaced = await refusal(loadCheckpoint(run, shared, 0, { root: join(base, 'outside') }));
    expect(misplaced).toBeInstanceOf(InvalidArgumentError);
    expect(misplaced.message).toMatch(/`root`: .* must contain the run directory/);
  });
});

describe('the manifest "tensor" field', () => {
  it('picks the tensor of a several-tensor archive and leaves the .npy residual alone (the documented layout)', async () => {
    writeFileSync(join(run, 'two.npz'), encodeNpz({ K: eye(4), J: { dtype: 'f32', shape: [4, 2], data: new Float32Array(8) } }));
    writeFileSync(join(run, 'e0.npy'), encodeNpy(vec(4)));
    const cp = await loadCheckpoint(run, { t: 0, kernel: 'two.npz', tensor: 'K', residual: 'e0.npy' }, 0);
    expect(Array.from(cp.kernel!)).toEqual(Array.from(eye(4).data));
    expect(Array.from(cp.residual)).toEqual([1, 2, 3, 4]);
  });

  it('a several-tensor file without a "tensor" field, or naming a missing one, is an input fault naming the field', async () => {
    writeFileSync(join(run, 'two.npz'), encodeNpz({ K: eye(4), L: eye(4) }));
    writeFileSync(join(run, 'e0.npy'), encodeNpy(vec(4)));
    let error = await refusal(loadCheckpoint(run, { t: 0, kernel: 'two.npz', residual: 'e0.npy' }, 1));
    expect(error).toBeInstanceOf(FileFormatError);
    expect(error.message).toMatch(/checkpoints\[1\]\.kernel: the file holds 2 tensors \(K, L\); name one with the entry's "tensor" field/);
    error = await refusal(loadCheckpoint(run, { t: 0, kernel: 'two.npz', tensor: 'X', residual: 'e0.npy' }, 1));
    expect(error.message).toMatch(/no tensor "X"/);
  });

  it('a kernel whose shape does not match the residual is an input fault (exit 4), naming the field', async () => {
    writeFileSync(join(run, 'k.npy'), encodeNpy(eye(2)));
    writeFileSync(join(run, 'e.npy'), encodeNpy(vec(3)));
    const error = await refusal(loadCheckpoint(run, { t: 0, kernel: 'k.npy', residual: 'e.npy' }, 0));
    expect(error).toBeInstanceOf(FileFormatError);
    expect(error.message).toMatch(/checkpoints\[0\]\.kernel has shape \[2, 2\] but the residual \(e\.npy\) has n = 3/);
  });
});
