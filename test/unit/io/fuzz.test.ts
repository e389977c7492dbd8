/**
 * The readers under a corrupt-file corpus and a bounded, seeded mutation fuzzer (issue 16,
 * docs/formats.md "Security and limits"). The corpus is generated here: valid files of every
 * format and layout the readers accept, plus hostile ones (a deflate bomb, absurd claims). The
 * fuzzer mutates corpus files (bit flips, interesting values in size fields, truncation,
 * insertion, deletion, duplication, splicing) and feeds them to the reader their content or
 * extension selects. Every outcome must be a tensor map or a FileFormatError naming the file:
 * never another error, never a hang, never an allocation beyond the limits given.
 *
 * Also run through the CLI: every corpus file given to `grsd eig --backend cpu` exits 0, 2 or 4
 * with a one-line message, never "unexpected error".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT } from '../../../src/cli/exitCodes.ts';
import { runCli } from '../../../src/cli/program.ts';
import { FileFormatError } from '../../../src/errors.ts';
import { encodeNpy, parseNpy } from '../../../src/io/npy.ts';
import { encodeNpz, parseNpz, type NpzLimits } from '../../../src/io/npz.ts';
import { encodeSafetensors, parseSafetensors } from '../../../src/io/safetensors.ts';
import type { Tensor } from '../../../src/io/tensor.ts';
import { detectTensorFormat } from '../../../src/node/files.ts';
import { deflateBomb, zipArchive } from '../../helpers/hostile.ts';
import { byteStream, fixture, npyWith, sampleTensor, WRITABLE } from './helpers.ts';

/** Small limits: no mutated file may make the reader allocate more than a few MiB. */
const LIMITS: NpzLimits = { maxMemberBytes: 2 ** 20, maxArchiveBytes: 4 * 2 ** 20 };

interface CorpusFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The corpus: valid files of every layout, and hostile ones. */
function corpus(): CorpusFile[] {
  const files: CorpusFile[] = [];
  const add = (name: string, bytes: Uint8Array) => files.push({ name, bytes });
  const symmetric: Tensor = {
    dtype: 'f32',
    shape: [4, 4],
    data: Float32Array.from({ length: 16 }, (_, e) => ((e % 5) + Math.floor(e / 4) * 0 + 1) / 3),
  };
  for (const dtype of WRITABLE) add(`${dtype}.npy`, encodeNpy(sampleTensor(dtype, [3, 4], 7)));
  add('scalar.npy', encodeNpy(sampleTensor('f64', [], 2)));
  add('empty.npy', encodeNpy(sampleTensor('f32', [0, 3], 2)));
  add('square.npy', encodeNpy(symmetric));
  add('batch.npy', encodeNpy({ dtype: 'f64', shape: [2, 3, 3], data: Float64Array.from({ length: 18 }, (_, i) => i % 4) }));
  add('v2.npy', npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), 2));
  add(
    'fortran.npy',
    npyWith(
      "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }",
      Uint8Array.from({ length: 12 }, (_, i) => i),
    ),
  );
  for (const name of ['f8_le.npy', 'fortran_i4_be.npy', 'v3_i2.npy', 'stored.npz', 'deflated.npz', 'mixed.safetensors'])
    add(name, fixture(name));
  add('two.npz', encodeNpz({ a: symmetric, b: sampleTensor('i32', [5], 3) }));
  add('compressed.npz', encodeNpz({ a: symmetric, b: sampleTensor('u8', [64], 4) }, { compress: true }));
  add('empty.npz', encodeNpz({}));
  add('two.safetensors', encodeSafetensors({ a: symmetric, b: sampleTensor('i64', [3], 5) }, { note: 'corpus' }));
  add('empty.safetensors', encodeSafetensors({}));
  // Hostile: a bomb claiming 1 KiB, a member claiming more than the limits, a text file, nothing.
  const bomb = deflateBomb(200_000);
  add('bomb.npz', zipArchive([{ name: 'k.npy', data: bomb.data, method: 8, size: 1024 }]));
  add('claims.npz', zipArchive([{ name: 'k.npy', data: bomb.data, method: 8, size: bomb.size }]));
  add('passwd.npy', new TextEncoder().encode('root:x:0:0:root:/root:/bin/bash\n'));
  add('empty.bin', new Uint8Array(0));
  return files;
}

/** Reads `bytes` as the format its name or content selects; throws for an unknown one. */
function read(name: string, bytes: Uint8Array): Map<string, Tensor> {
  switch (detectTensorFormat(name, bytes)) {
    case 'npy':
      return new Map([['x', parseNpy(bytes, name)]]);
    case 'npz':
      return parseNpz(bytes, name, LIMITS);
    case 'safetensors':
      return parseSafetensors(bytes, name);
    case undefined:
      throw new FileFormatError(name, 'unknown format');
  }
}

/** Values that break size and offset fields. */
const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One seeded mutation of `bytes` (a new array). */
function mutate(bytes: Uint8Array, next: () => number, donor: Uint8Array): Uint8Array {
  const rand = (n: number): number => (n <= 0 ? 0 : ((next() << 16) | (next() << 8) | next()) % n);
  let out: Uint8Array = bytes.slice();
  const rounds = 1 + rand(4);
  for (let r = 0; r < rounds; r++) {
    const at = rand(out.length);
    switch (rand(8)) {
      case 0: // flip a bit
        if (out.length) out[at] = out[at]! ^ (1 << rand(8));
        break;
      case 1: // a random byte
        if (out.length) out[at] = next();
        break;
      case 2: {
        // an interesting 32-bit value, little-endian (sizes, offsets, counts)
        const v = INTERESTING_32[rand(INTERESTING_32.length)]!;
        for (let k = 0; k < 4 && at + k < out.length; k++) out[at + k] = (v >>> (8 * k)) & 0xff;
        break;
      }
      case 3: // truncate
        out = out.slice(0, at);
        break;
      case 4: {
        // delete a chunk
        const length = 1 + rand(16);
        out = concat(out.subarray(0, at), out.subarray(at + length));
        break;
      }
      case 5: {
        // insert random bytes
        const insert = Uint8Array.from({ length: 1 + rand(16) }, () => next());
        out = concat(out.subarray(0, at), insert, out.subarray(at));
        break;
      }
      case 6: {
        // duplicate a chunk in place
        const length = 1 + rand(32);
        out = concat(out.subarray(0, at), out.subarray(at, at + length), out.subarray(at));
        break;
      }
      case 7: {
        // splice the tail of another corpus file
        const from = rand(donor.length);
        out = concat(out.subarray(0, at), donor.subarray(from));
        break;
      }
    }
  }
  return out;
}

describe('corrupt-file corpus and mutation fuzzer', () => {
  const files = corpus();

  test('every corpus file gives tensors or a FileFormatError naming it', () => {
    let ok = 0;
    for (const f of files) {
      try {
        read(f.name, f.bytes);
        ok++;
      } catch (error) {
        if (!(error instanceof FileFormatError)) throw new Error(`${f.name}: ${String(error)}`);
        expect(error.file.startsWith(f.name)).toBe(true);
        expect(error.message).not.toMatch(/root:x/);
      }
    }
    expect(ok).toBeGreaterThan(20);
  });

  // 3000 seeded mutations, a few seconds. The seed is fixed, so a failure reproduces exactly.
  test('3000 seeded mutations give tensors or FileFormatError, never another error', () => {
    const next = byteStream(0x5eed);
    const outcomes = { parsed: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) {
      const f = files[i % files.length]!;
      const donor = files[(i * 7 + 3) % files.length]!.bytes;
      const bytes = mutate(f.bytes, next, donor);
      // Half the time the extension is hidden, so the content decides the reader.
      const name = i % 2 ? f.name : `mutant${i}`;
      try {
        read(name, bytes);
        outcomes.parsed++;
      } catch (error) {
        if (!(error instanceof FileFormatError)) {
          throw new Error(`mutation ${i} of ${f.name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        }
        outcomes.refused++;
      }
    }
    // The fuzzer exercises both paths (a mutator that always broke the magic would test nothing):
    // most mutants are refused, and at least 1 % still parse.
    expect(outcomes.parsed).toBeGreaterThan(30);
    expect(outcomes.refused).toBeGreaterThan(1500);
  });
});

describe('the corpus through the CLI', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grsd-corpus-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('grsd eig --backend cpu on every corpus file (and 200 mutants) exits 0, 2 or 4 with a one-line message', async () => {
    const next = byteStream(99);
    const files = corpus();
    const inputs = [
      ...files,
      ...Array.from({ length: 200 }, (_, i) => ({
        name: files[i % files.length]!.name,
        bytes: mutate(files[i % files.length]!.bytes, next, files[0]!.bytes),
      })),
    ];
    const codes = new Map<number, number>();
    for (const [i, f] of inputs.entries()) {
      const path = join(dir, `${i}-${f.name}`);
      writeFileSync(path, f.bytes);
      const err: string[] = [];
      const code = await runCli(['eig', path, '--k', '1', '--backend', 'cpu'], {
        out() {},
        err: (s) => void err.push(s),
        setExitCode() {},
      });
      codes.set(code, (codes.get(code) ?? 0) + 1);
      expect([EXIT.OK, EXIT.USAGE, EXIT.INPUT], `${f.name}: ${err.join('')}`).toContain(code);
      if (code !== EXIT.OK) {
        expect(err.join('')).not.toMatch(/unexpected error|\n\s+at /);
        expect(err.join('')).not.toMatch(/root:x/);
      }
    }
    expect(codes.get(EXIT.INPUT)).toBeGreaterThan(50);
  });
});
