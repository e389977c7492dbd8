import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { parseNpz, encodeNpz } from '../../../src/io/npz.ts';
import { encodeNpy } from '../../../src/io/npy.ts';
import type { Tensor } from '../../../src/io/tensor.ts';
import {
  EXPECTED,
  byteStream,
  expectFormatError,
  expectTensor,
  fixture,
  npyWith,
  NUMPY,
  returnsOrFormatError,
  runPython,
  sampleTensor,
  valuesOf,
  WRITABLE,
} from './helpers.ts';

const MEMBERS = ['weights', 'labels', 'mask', 'half', 'scalar'];

/** Offset of the first occurrence of `needle` in `hay` at or after `from`. */
function find(hay: Uint8Array, needle: number[] | string, from = 0): number {
  const n = typeof needle === 'string' ? [...new TextEncoder().encode(needle)] : needle;
  outer: for (let i = from; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return i;
  }
  throw new Error(`not found: ${String(needle)}`);
}
const CENTRAL = [0x50, 0x4b, 0x01, 0x02];
const EOCD = [0x50, 0x4b, 0x05, 0x06];
function patch(bytes: Uint8Array, at: number, value: number, size: 1 | 2 | 4): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (size === 1) view.setUint8(at, value);
  else if (size === 2) view.setUint16(at, value, true);
  else view.setUint32(at, value, true);
  return copy;
}

describe('parseNpz on archives written by numpy', () => {
  it.each(['stored.npz', 'deflated.npz'])('%s has every member with its exact values, in archive order', (file) => {
    const tensors = parseNpz(fixture(file), file);
    expect([...tensors.keys()]).toEqual(MEMBERS);
    for (const name of MEMBERS) expectTensor(tensors.get(name)!, EXPECTED[`${file}:${name}`]!);
  });

  it('reads archives written by another zip writer (fflate), with directories skipped', () => {
    const t = sampleTensor('i32', [2, 2]);
    const zip = zipSync(
      { 'a.npy': encodeNpy(t), 'dir/': new Uint8Array(0), 'dir/b.npy': [encodeNpy(t), { level: 0 }], c: encodeNpy(t) } as never,
      { level: 9 },
    );
    const tensors = parseNpz(zip, 'fflate.npz');
    expect([...tensors.keys()]).toEqual(['a', 'dir/b', 'c']);
    expect(valuesOf(tensors.get('dir/b')!)).toEqual(valuesOf(t));
  });

  it('reads an empty archive', () => {
    expect(parseNpz(encodeNpz({}), 'empty.npz').size).toBe(0);
  });
});

describe('encodeNpz', () => {
  const tensors: Record<string, Tensor> = {};
  WRITABLE.forEach((dtype, i) => {
    tensors[`t_${dtype}`] = sampleTensor(dtype, [[3, 4], [5], [], [0, 2]][i % 4]!, i + 1);
  });
  tensors['σ/unicode name'] = sampleTensor('f64', [2]);

  it.each([false, true])('round-trips with compress: %s', (compress) => {
    const bytes = encodeNpz(tensors, { compress });
    const back = parseNpz(bytes, 'rt.npz');
    expect([...back.keys()]).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      expect(back.get(name)!.dtype).toBe(t.dtype);
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(valuesOf(back.get(name)!)).toEqual(valuesOf(t));
    }
  });

  it('compresses when asked and is deterministic', () => {
    const big = { zeros: { dtype: 'f64', shape: [1000], data: new Float64Array(1000) } as Tensor };
    expect(encodeNpz(big, { compress: true }).length).toBeLessThan(encodeNpz(big).length / 10);
    expect(Buffer.from(encodeNpz(tensors, { compress: true })).equals(Buffer.from(encodeNpz(tensors, { compress: true })))).toBe(true);
  });

  it('refuses malformed tensors and f16, naming the member', () => {
    expect(() => encodeNpz({ ok: sampleTensor('f32', [1]), bad: { dtype: 'f32', shape: [2], data: new Float32Array(3) } })).toThrow(
      expect.objectContaining({ argument: 'tensors.bad', code: 'GRSD_INVALID_ARGUMENT' }),
    );
    expect(() => encodeNpz({ h: { dtype: 'f16', shape: [1], data: new Float32Array(1) } })).toThrow(InvalidArgumentError);
    expect(() => encodeNpz({ h: { dtype: 'f16', shape: [1], data: new Float32Array(1) } })).toThrow(/tensors\.h.*does not write dtype f16/);
    expect(() => encodeNpz({ '': sampleTensor('f32', [1]) })).toThrow(/name is empty/);
  });

  it('is read back by numpy.load, stored and compressed', (ctx) => {
    if (!NUMPY.ok) {
      ctx.skip(`numpy is not available (${NUMPY.why}): cannot check that numpy reads encodeNpz output`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'grsd-npz-'));
    try {
      const paths = [false, true].map((compress) => {
        const path = join(dir, `${compress}.npz`);
        writeFileSync(path, encodeNpz(tensors, { compress }));
        return path;
      });
      const script = `
import sys, json, zipfile, numpy as np
out = []
for p in sys.argv[1:]:
    assert zipfile.ZipFile(p).testzip() is None
    z = np.load(p, allow_pickle=False)
    out.append({k: [str(int(v)) if z[k].dtype.kind in 'iu' and z[k].dtype.itemsize == 8 else (int(v) if z[k].dtype.kind in 'iub' else float(v)) for v in z[k].reshape(-1)] for k in z.files})
print(json.dumps(out))`;
      const result = runPython(script, paths) as Record<string, unknown[]>[];
      for (const r of result) {
        expect(Object.keys(r)).toEqual(Object.keys(tensors));
        for (const [name, t] of Object.entries(tensors)) expect(r[name]).toEqual(valuesOf(t));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseNpz refuses malformed archives with FileFormatError', () => {
  const stored = fixture('stored.npz');
  const deflated = fixture('deflated.npz');
  const firstCentral = find(stored, CENTRAL);
  const eocd = find(stored, EOCD);
  // Where the first member's data starts: numpy's local headers carry a 20-byte ZIP64 extra field.
  const firstMemberData = 30 + 'weights.npy'.length + 20;

  const archiveFaults: [string, Uint8Array, RegExp][] = [
    ['an empty file', new Uint8Array(0), /truncated archive: only 0 bytes/],
    ['a .npy file', fixture('f8_le.npy'), /not a zip archive: it starts like a \.npy file, not with the zip magic "PK\\x03\\x04"/],
    ['flipped magic', patch(stored, 2, 0x07, 1), /not a zip archive: it starts with binary data/],
    ['a truncated archive', stored.subarray(0, stored.length - 10), /truncated archive: no end-of-central-directory record/],
    ['trailing garbage', new Uint8Array([...stored, 0, 0, 0]), /no end-of-central-directory record/],
    [
      'the directory offset past the end',
      patch(stored, eocd + 16, 0xfffffff0, 4),
      /truncated archive: the central directory \(\d+ bytes at 4294967280\) runs past/,
    ],
    [
      'an absurd entry count',
      patch(patch(stored, eocd + 10, 0xfffe, 2), eocd + 8, 0xfffe, 2),
      /damaged archive: 65534 entries cannot fit in a \d+-byte central directory/,
    ],
    ['a damaged directory entry', patch(stored, firstCentral, 0, 1), /damaged archive: central directory entry 0 is missing or corrupt/],
    ['a split archive', patch(stored, eocd + 4, 1, 2), /multi-disk \(split\) archives are not supported/],
    ['a ZIP64 marker without ZIP64 record', patch(stored, eocd + 16, 0xffffffff, 4), /ZIP64 end-of-central-directory locator is missing/],
    [
      'duplicate member names',
      (() => {
        const b = encodeNpz({ a: sampleTensor('u8', [1]), b: sampleTensor('u8', [1]) });
        for (let at = 0; ;) {
          try {
            at = find(b, 'b.npy', at);
          } catch {
            return b;
          }
          b[at] = 0x61;
        }
      })(),
      /duplicate member 'a\.npy'/,
    ],
  ];
  it.each(archiveFaults)('%s', (_, bytes, fault) => {
    expectFormatError(() => parseNpz(bytes, 'bad.npz'), 'bad.npz', fault);
  });

  const memberFaults: [string, Uint8Array, string, RegExp][] = [
    ['corrupted deflate data', patch(deflated, firstMemberData, 0xff, 1), 'weights.npy', /corrupted deflate data \(invalid block type\)/],
    [
      'deflate data that inflates short',
      zipSync({ 'x.npy': encodeNpy(sampleTensor('f64', [50])) }, { level: 6 }).map((v, i, a) => (i === find(a, CENTRAL) + 24 ? v + 1 : v)),
      'x.npy',
      /corrupted deflate data: it inflates to 0?\d+ bytes, the directory says \d+/,
    ],
    [
      'deflate data that inflates long',
      zipSync({ 'x.npy': encodeNpy(sampleTensor('f64', [50])) }, { level: 6 }).map((v, i, a) => (i === find(a, CENTRAL) + 24 ? v - 1 : v)),
      'x.npy',
      /corrupted deflate data: it inflates to more than \d+ bytes/,
    ],
    [
      'a flipped data byte (CRC mismatch)',
      patch(stored, firstMemberData + 223, stored[firstMemberData + 223]! ^ 1, 1),
      'weights.npy',
      /CRC-32 mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/,
    ],
    ['a wrong stored CRC', patch(stored, firstCentral + 16, 0x12345678, 4), 'weights.npy', /CRC-32 mismatch: stored 0x12345678/],
    ['an unsupported method', patch(stored, firstCentral + 10, 12, 2), 'weights.npy', /unsupported compression method 12/],
    ['an encrypted member', patch(stored, firstCentral + 8, 1, 2), 'weights.npy', /encrypted members are not supported/],
    [
      'a local header offset past the end',
      patch(stored, firstCentral + 42, 0x7fffffff, 4),
      'weights.npy',
      /truncated archive: the local header at 2147483647/,
    ],
    ['no local header', patch(stored, firstCentral + 42, 5, 4), 'weights.npy', /damaged archive: no local header at offset 5/],
    [
      'member data past the end',
      patch(stored, firstCentral + 20, 0x7ffffff0, 4),
      'weights.npy',
      /truncated archive: the member's 2147483632 bytes/,
    ],
    [
      'an absurd uncompressed size',
      patch(deflated, find(deflated, CENTRAL) + 24, 0xfffffff0, 4),
      'weights.npy',
      /member claims 4294967280 bytes uncompressed, more than the \d+-byte limit/,
    ],
    [
      'an impossible deflate ratio',
      patch(deflated, find(deflated, CENTRAL) + 24, 0x7f000000, 4),
      'weights.npy',
      /claims 2130706432 bytes uncompressed from \d+ compressed, impossible for deflate/,
    ],
    [
      'a member that is not .npy',
      zipSync({ 'notes.txt': strToU8('hello') }),
      'notes.txt',
      /^not a \.npy file: it starts with text, not with/,
    ],
    [
      'a member with dtype <U3',
      zipSync({ 's.npy': npyWith("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12)) }),
      's.npy',
      /unsupported dtype '<U3'/,
    ],
    ['a member with truncated data', zipSync({ 't.npy': encodeNpy(sampleTensor('f32', [4])).subarray(0, 140) }), 't.npy', /truncated data/],
  ];
  it.each(memberFaults)('%s (the error names file:member)', (_, bytes, member, fault) => {
    expectFormatError(() => parseNpz(bytes, 'bad.npz'), `bad.npz:${member}`, fault);
  });

  it.each(['stored.npz', 'deflated.npz'])('every truncation of %s throws FileFormatError', (name) => {
    const bytes = fixture(name);
    for (let cut = 0; cut < bytes.length; cut++) {
      expectFormatError(() => parseNpz(bytes.subarray(0, cut), 'cut.npz'), 'cut.npz', /truncated archive/);
    }
  });

  it.each(['stored.npz', 'deflated.npz'])('random corruption of %s gives tensors or FileFormatError, never another error', (name) => {
    const bytes = fixture(name);
    const next = byteStream(11);
    for (let trial = 0; trial < 1500; trial++) {
      const copy = bytes.slice();
      const flips = 1 + (next() % 4);
      for (let k = 0; k < flips; k++) copy[(next() * 256 + next()) % copy.length] = next();
      returnsOrFormatError(() => parseNpz(copy, 'fuzz.npz'), /^fuzz\.npz(:|$)/);
    }
  });
});
