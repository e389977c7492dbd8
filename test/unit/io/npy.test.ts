import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { parseNpy, encodeNpy } from '../../../src/io/npy.ts';
import { DTYPE_ARRAY, type DType, type Tensor } from '../../../src/io/tensor.ts';
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

const NPY_FIXTURES = Object.keys(EXPECTED).filter((k) => !k.includes(':'));

function header(descr: string, shape: string, fortran = 'False'): string {
  return `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
}

const SHAPES: number[][] = [[], [0], [5], [2, 3], [2, 0, 3], [3, 1, 2, 2]];

describe('parseNpy on files written by numpy', () => {
  it.each(NPY_FIXTURES)('%s.npy has the exact values numpy wrote', (name) => {
    const t = parseNpy(fixture(`${name}.npy`), `${name}.npy`);
    expectTensor(t, EXPECTED[name]!);
    expect(Object.prototype.toString.call(t.data)).toBe(`[object ${DTYPE_ARRAY[t.dtype]}]`);
    expect(t.data.byteOffset).toBe(0);
  });

  it('covers every dtype in both byte orders, Fortran order, 0-d, empty and versions 2.0 and 3.0', () => {
    const dtypes = new Set(NPY_FIXTURES.map((n) => EXPECTED[n]!.dtype));
    expect([...dtypes].sort()).toEqual(['bool', 'f16', 'f32', 'f64', 'i16', 'i32', 'i64', 'i8', 'u16', 'u32', 'u64', 'u8']);
    expect(NPY_FIXTURES.filter((n) => /^[fiu]\d_be$/.test(n)).length).toBe(9);
    expect(NPY_FIXTURES.filter((n) => EXPECTED[n]!.fortran).length).toBe(3);
    expect(parseNpy(fixture('scalar_f8.npy'), 's').shape).toEqual([]);
    expect(parseNpy(fixture('empty_f4.npy'), 'e').shape).toEqual([0, 3]);
    expect(fixture('v2_f4.npy')[6]).toBe(2);
    expect(fixture('v3_i2.npy')[6]).toBe(3);
  });

  it('decodes f16 exactly (0.1 → 0.0999755859375, subnormals, 65504)', () => {
    const t = parseNpy(fixture('f2_be.npy'), 'f2_be.npy');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.dtype).toBe('f16');
    expect(valuesOf(t)).toEqual(valuesOf(parseNpy(fixture('f2_le.npy'), 'f2_le.npy')));
    expect(t.data[4]).toBe(0.0999755859375);
    expect(t.data[6]).toBe(2 ** -24);
  });

  it('reorders Fortran-order arrays into C order', () => {
    const t = parseNpy(fixture('fortran_f8_le.npy'), 'f');
    expect(t.shape).toEqual([2, 3, 4]);
    // C order: element [i][j][k] at (i*3 + j)*4 + k; the fixture holds arange(24)*0.5 - 3.
    for (let i = 0; i < 24; i++) expect(t.data[i]).toBe(i * 0.5 - 3);
  });

  it('works on a subarray at an odd offset (e.g. a pooled Node Buffer)', () => {
    const bytes = fixture('f8_le.npy');
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(valuesOf(parseNpy(big.subarray(3), 'x'))).toEqual(EXPECTED.f8_le!.values);
  });
});

describe('encodeNpy', () => {
  it.each(NPY_FIXTURES.filter((n) => !/_be$|^f2|fortran|^v[23]_/.test(n)))(
    're-encodes %s.npy byte for byte as numpy.save wrote it',
    (name) => {
      const bytes = fixture(`${name}.npy`);
      expect(Buffer.from(encodeNpy(parseNpy(bytes, name))).equals(Buffer.from(bytes))).toBe(true);
    },
  );

  it('starts the data at a multiple of 64 bytes and ends the header with a newline', () => {
    for (const shape of [[], [1], [123456789], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const bytes = encodeNpy({ dtype: 'u8', shape, data: new Uint8Array(n) });
      const start = bytes.length - n;
      expect(start % 64).toBe(0);
      expect(bytes[start - 1]).toBe(0x0a);
      expect(bytes[8]! | (bytes[9]! << 8)).toBe(start - 10);
    }
  });

  it.each(WRITABLE.flatMap((d) => SHAPES.map((s) => [d, s] as const)))('round-trips %s %j', (dtype, shape) => {
    const t = sampleTensor(dtype, shape, shape.length * 31 + dtype.length);
    const back = parseNpy(encodeNpy(t), 'rt.npy');
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual(shape);
    expect(valuesOf(back)).toEqual(valuesOf(t));
  });

  it('accepts a plain { dtype, shape, data } object and subarray data', () => {
    const data = new Float64Array([9, 1, 2, 3, 4, 9]).subarray(1, 5);
    expect(valuesOf(parseNpy(encodeNpy({ dtype: 'f64', shape: [2, 2], data }), 'x'))).toEqual([1, 2, 3, 4]);
  });

  it('writes bool as 0/1 bytes', () => {
    const back = parseNpy(encodeNpy({ dtype: 'bool', shape: [3], data: new Uint8Array([0, 7, 1]) }), 'b');
    expect([...back.data]).toEqual([0, 1, 1]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['f16', { dtype: 'f16', shape: [1], data: new Float32Array(1) }, /does not write dtype f16/],
    ['bf16', { dtype: 'bf16', shape: [1], data: new Float32Array(1) }, /does not write dtype bf16/],
    ['length mismatch', { dtype: 'f32', shape: [2, 3], data: new Float32Array(5) }, /data has 5 elements but shape \[2, 3\] needs 6/],
    ['0-d with 0 elements', { dtype: 'f32', shape: [], data: new Float32Array(0) }, /needs 1/],
    [
      'wrong typed array',
      { dtype: 'f64', shape: [2], data: new Float32Array(2) },
      /needs its data in a Float64Array, received Float32Array/,
    ],
    ['plain array', { dtype: 'f64', shape: [2], data: [1, 2] }, /received a plain array/],
    ['negative dim', { dtype: 'f64', shape: [-1], data: new Float64Array(0) }, /shape\[0\] is -1/],
    ['fractional dim', { dtype: 'f64', shape: [1.5], data: new Float64Array(0) }, /shape\[0\] is 1.5/],
    ['unknown dtype', { dtype: 'c64', shape: [1], data: new Float32Array(1) }, /unknown dtype "c64"/],
    ['null', null, /expected a tensor/],
  ];
  it.each(bad)('refuses %s with InvalidArgumentError', (_, t, message) => {
    let error: unknown;
    try {
      encodeNpy(t as Tensor);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('GRSD_INVALID_ARGUMENT');
    expect((error as InvalidArgumentError).argument).toBe('tensor');
    expect((error as Error).message).toMatch(message);
  });

  it('is read back by numpy exactly', (ctx) => {
    if (!NUMPY.ok) {
      ctx.skip(`numpy is not available (${NUMPY.why}): cannot check that numpy reads encodeNpy output`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'grsd-npy-'));
    try {
      const cases = WRITABLE.flatMap((dtype, i) => [
        [dtype, [2, 3]],
        [dtype, i % 2 ? [] : [0, 4]],
      ]) as [Exclude<DType, 'f16' | 'bf16'>, number[]][];
      const paths: string[] = [];
      const tensors = cases.map(([dtype, shape], i) => {
        const t = sampleTensor(dtype, shape, 100 + i);
        const path = join(dir, `t${i}.npy`);
        writeFileSync(path, encodeNpy(t));
        paths.push(path);
        return t;
      });
      const script = `
import sys, json, numpy as np
out = []
for p in sys.argv[1:]:
    a = np.load(p, allow_pickle=False)
    vals = [str(int(v)) if a.dtype.kind in 'iu' and a.dtype.itemsize == 8 else (int(v) if a.dtype.kind in 'iub' else float(v)) for v in a.reshape(-1)]
    out.append({'descr': a.dtype.str, 'shape': list(a.shape), 'values': vals, 'c': bool(a.flags.c_contiguous)})
print(json.dumps(out))`;
      const result = runPython(script, paths) as { descr: string; shape: number[]; values: (number | string)[]; c: boolean }[];
      const descr: Record<string, string> = {
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
      result.forEach((r, i) => {
        const t = tensors[i]!;
        expect(r.descr).toBe(descr[t.dtype]);
        expect(r.shape).toEqual(t.shape);
        expect(r.values).toEqual(valuesOf(t));
        expect(r.c).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseNpy refuses malformed files with FileFormatError', () => {
  const valid = fixture('f8_le.npy');
  const f8 = (n: number): Uint8Array => new Uint8Array(new Float64Array(n).buffer);
  const withByte = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };
  const deep = `{'descr': ${'['.repeat(100)}${']'.repeat(100)}, 'fortran_order': False, 'shape': (), }`;

  const corpus: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /truncated header: the file is only 0 bytes/],
    ['flipped magic', withByte(valid, 1, 0x6e), /not a \.npy file: it starts with binary data, not with the \.npy magic "\\x93NUMPY"/],
    [
      'a text file',
      new TextEncoder().encode('hello, world\n'),
      /^not a \.npy file: it starts with text, not with the \.npy magic "\\x93NUMPY"$/,
    ],
    ['a zip file', fixture('stored.npz'), /it starts like a zip archive \(\.npz\)/],
    ['version 4.0', withByte(valid, 6, 4), /unsupported \.npy format version 4\.0/],
    ['version 1.1', withByte(valid, 7, 1), /unsupported \.npy format version 1\.1/],
    ['cut in the length field', valid.slice(0, 9), /truncated header: the header length field is cut off/],
    ['cut in the header', valid.slice(0, 50), /truncated header: the header claims 118 bytes but only 40 follow/],
    [
      'v2 header length 0xffffffff',
      npyWith(header('<f8', '(1,)'), f8(1), 2).fill(0xff, 8, 12),
      /truncated header: the header claims 4294967295 bytes/,
    ],
    ['cut data', valid.slice(0, valid.length - 3), /truncated data: shape \(2, 6\) of '<f8' needs 96 bytes, only 93 follow the header/],
    [
      'extra data',
      new Uint8Array([...valid, 1, 2, 3, 4, 5, 6, 7, 8]),
      /size mismatch: shape \(2, 6\) of '<f8' needs 96 bytes, but 104 follow the header \(8 extra\)/,
    ],
    ['shape larger than data', npyWith(header('<f8', '(4,)'), f8(3)), /truncated data: shape \(4,\) of '<f8' needs 32 bytes, only 24/],
    ['shape smaller than data', npyWith(header('<f8', '(2,)'), f8(3)), /size mismatch: shape \(2,\) of '<f8' needs 16 bytes, but 24/],
    ['0-d without data', npyWith(header('<f8', '()')), /truncated data: shape \(\) of '<f8' needs 8 bytes, only 0/],
    ['header not a dict', npyWith('[1, 2, 3]'), /header is not a dict: it is a list/],
    ['header a tuple', npyWith("('descr', '<f8')"), /header is not a dict: it is a tuple/],
    [
      'unterminated dict',
      npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (3,)"),
      /header is not a valid Python dict literal: expected ',' or '}' at offset \d+/,
    ],
    ['unterminated string', npyWith("{'descr: '<f8'}"), /header is not a valid Python dict literal/],
    [
      'bare word',
      npyWith("{'descr': f8, 'fortran_order': False, 'shape': (1,)}"),
      /not a valid Python dict literal: expected a value at offset 10, found "f8/,
    ],
    ['text after the dict', npyWith(`${header('<f8', '(1,)')} x`, f8(1)), /unexpected text after the dict/],
    ['deep nesting', npyWith(deep), /nesting too deep/],
    ['missing shape', npyWith("{'descr': '<f8', 'fortran_order': False}"), /header is missing the key 'shape'/],
    ['missing descr', npyWith("{'fortran_order': False, 'shape': ()}"), /header is missing the key 'descr'/],
    ['extra key', npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'extra': 1}"), /header has an unexpected key 'extra'/],
    ['duplicate key', npyWith("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"), /the key 'descr' appears twice/],
    ['non-string key', npyWith("{1: 2, 'descr': '<f8', 'fortran_order': False, 'shape': ()}"), /the key 1 is not a string/],
    [
      'fortran_order not bool',
      npyWith("{'descr': '<f8', 'fortran_order': 'no', 'shape': ()}"),
      /'fortran_order' must be True or False, found 'no'/,
    ],
    ['shape a list', npyWith(header('<f8', '[3]'), f8(3)), /'shape' must be a tuple of integers, found \[3\]/],
    ['shape a parenthesized int', npyWith(header('<f8', '(3)'), f8(3)), /'shape' must be a tuple of integers, found 3/],
    ['shape of strings', npyWith(header('<f8', "('3',)"), f8(3)), /'shape' must be a tuple of integers, found \('3',\)/],
    ['non-integer dim', npyWith(header('<f8', '(2.5,)')), /non-integer dimension 2\.5 in shape \(2\.5,\)/],
    ['negative dim', npyWith(header('<f8', '(-1, 3)')), /negative dimension -1 in shape \(-1, 3\)/],
    [
      'absurd shape',
      npyWith(header('<f8', '(100000000000,)')),
      /absurd shape \(100000000000,\): 800000000000 bytes exceed the 2147483648-byte \(2 GiB\) limit/,
    ],
    ['absurd 2-d shape', npyWith(header('|u1', '(65536, 65536)')), /absurd shape \(65536, 65536\): 4294967296 bytes exceed/],
    [
      'dim beyond 2^53',
      npyWith(header('<f8', '(100000000000000000000, 0)')),
      /absurd shape \(100000000000000000000, 0\): dimension 100000000000000000000 is not a safe integer/,
    ],
    [
      'complex <c16',
      npyWith(header('<c16', '(1,)'), new Uint8Array(16)),
      /unsupported dtype '<c16': complex numbers are not supported \(supported: f2, f4/,
    ],
    ['unicode <U3', npyWith(header('<U3', '(1,)'), new Uint8Array(12)), /unsupported dtype '<U3': strings are not supported/],
    ['bytes |S5', npyWith(header('|S5', '(1,)'), new Uint8Array(5)), /unsupported dtype '\|S5': strings/],
    ['object |O', npyWith(header('|O', '(1,)'), new Uint8Array(8)), /unsupported dtype '\|O': object arrays are not supported/],
    ['datetime <M8[ns]', npyWith(header('<M8[ns]', '(1,)'), new Uint8Array(8)), /unsupported dtype '<M8\[ns\]': datetime/],
    ['void |V8', npyWith(header('|V8', '(1,)'), new Uint8Array(8)), /unsupported dtype '\|V8': raw void/],
    [
      'long double <f16',
      npyWith(header('<f16', '(1,)'), new Uint8Array(16)),
      /unsupported dtype '<f16': extended-precision \(long double\) floats/,
    ],
    [
      'structured',
      npyWith("{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12)),
      /unsupported dtype \[\('a', '<i4'\), \('b', '<f8'\)\]: structured \(record\) arrays/,
    ],
    ['unknown dtype', npyWith(header('xyz', '(1,)')), /unknown dtype 'xyz'/],
    ['unknown size', npyWith(header('<f3', '(1,)')), /unknown dtype '<f3'/],
    ['descr not a string', npyWith("{'descr': 8, 'fortran_order': False, 'shape': (1,)}"), /'descr' must be a dtype string, found 8/],
    [
      'v3 header not UTF-8',
      (() => {
        const b = npyWith(header('<f8', '()'), f8(1), 3);
        b[14] = 0xff;
        return b;
      })(),
      /header is not valid UTF-8/,
    ],
  ];

  it.each(corpus)('%s', (_, bytes, fault) => {
    expectFormatError(() => parseNpy(bytes, 'bad.npy'), 'bad.npy', fault);
  });

  it('accepts what numpy tolerates: Python 2 long ints, double quotes, no trailing comma, tabs', () => {
    const t = parseNpy(npyWith(`{"descr":"<i2",\t"fortran_order":False,"shape":(2L, 1L)}`, new Uint8Array([1, 0, 2, 0])), 'py2.npy');
    expect(t.shape).toEqual([2, 1]);
    expect([...t.data]).toEqual([1, 2]);
    expect(parseNpy(npyWith(header('>i2', '(1,)'), new Uint8Array([1, 2])), 'x').data[0]).toBe(258);
    expect(parseNpy(npyWith(header('|f8', '(0,)')), 'x').shape).toEqual([0]);
  });

  it('an empty dimension makes a zero-size array, whatever the other dimensions', () => {
    const t = parseNpy(npyWith(header('<f8', '(0, 100000000000)')), 'z.npy');
    expect(t.shape).toEqual([0, 100000000000]);
    expect(t.data.length).toBe(0);
  });

  it.each(['f8_le', 'fortran_i4_be', 'scalar_f8', 'v2_f4', 'v3_i2', 'empty_f4'])(
    'every truncation of %s.npy throws FileFormatError',
    (name) => {
      const bytes = fixture(`${name}.npy`);
      for (let cut = 0; cut < bytes.length; cut++) {
        expectFormatError(() => parseNpy(bytes.subarray(0, cut), 'cut.npy'), 'cut.npy', /truncated|bad magic/);
      }
    },
  );

  it('random corruption of the header gives a tensor or FileFormatError, never another error', () => {
    const bytes = fixture('fortran_i4_be.npy');
    const next = byteStream(7);
    for (let trial = 0; trial < 3000; trial++) {
      const copy = bytes.slice();
      const flips = 1 + (next() % 3);
      for (let k = 0; k < flips; k++) copy[next() % 128] = next();
      returnsOrFormatError(() => parseNpy(copy, 'fuzz.npy'), 'fuzz.npy');
    }
  });
});
