import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { parseSafetensors, parseSafetensorsMetadata, encodeSafetensors } from '../../../src/io/safetensors.ts';
import { DTYPE_ITEMSIZE, type Tensor } from '../../../src/io/tensor.ts';
import {
  EXPECTED,
  byteStream,
  expectFormatError,
  expectTensor,
  fixture,
  returnsOrFormatError,
  sampleTensor,
  valuesOf,
  WRITABLE,
} from './helpers.ts';

const FILE = 'mixed.safetensors';
const NAMES = ['embedding', 'eigenvalues', 'step', 'bf', 'flags', 'empty'];

/** A .safetensors file from a header object (serialized as given) and a data region. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: Uint8Array): Uint8Array {
  const json = rawHeader ?? new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
function headerOf(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

describe('parseSafetensors on a file written by hand in Python', () => {
  it('has every tensor with its exact values, in header order', () => {
    const tensors = parseSafetensors(fixture(FILE), FILE);
    expect([...tensors.keys()]).toEqual(NAMES);
    for (const name of NAMES) expectTensor(tensors.get(name)!, EXPECTED[`${FILE}:${name}`]!);
  });

  it('decodes BF16 exactly and I64 beyond 2^53 without loss', () => {
    const tensors = parseSafetensors(fixture(FILE), FILE);
    expect(tensors.get('bf')!.data).toBeInstanceOf(Float32Array);
    expect(tensors.get('bf')!.data[2]).toBe(0.10009765625);
    expect(tensors.get('step')!.data[1]).toBe(2n ** 53n + 3n);
  });

  it('reads the metadata', () => {
    expect(parseSafetensorsMetadata(fixture(FILE), FILE)).toEqual(EXPECTED[`${FILE}:__metadata__`]);
    expect(parseSafetensorsMetadata(encodeSafetensors({}), 'x')).toEqual({});
  });
});

describe('encodeSafetensors', () => {
  const tensors: Record<string, Tensor> = {};
  WRITABLE.forEach((dtype, i) => {
    tensors[`t_${dtype}`] = sampleTensor(dtype, [[3, 5], [7], [], [0, 2]][i % 4]!, i + 1);
  });
  tensors.half = { dtype: 'f16', shape: [5], data: new Float32Array([0, -0, 65504, 0.0999755859375, 2 ** -24]) };
  tensors.brain = { dtype: 'bf16', shape: [2, 2], data: new Float32Array([1, -2.5, 0.10009765625, 3.3895313892515355e38]) };

  it('round-trips every dtype with metadata, keeping the key order', () => {
    const bytes = encodeSafetensors(tensors, { producer: 'grsd', 'with space': 'ünïcode' });
    const back = parseSafetensors(bytes, 'rt.safetensors');
    expect([...back.keys()]).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      expect(back.get(name)!.dtype).toBe(t.dtype);
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(valuesOf(back.get(name)!)).toEqual(valuesOf(t));
    }
    expect(parseSafetensorsMetadata(bytes, 'rt')).toEqual({ producer: 'grsd', 'with space': 'ünïcode' });
  });

  it('re-encodes the Python-written file to an equivalent one', () => {
    const original = parseSafetensors(fixture(FILE), FILE);
    const bytes = encodeSafetensors(Object.fromEntries(original), parseSafetensorsMetadata(fixture(FILE), FILE));
    const back = parseSafetensors(bytes, 're');
    for (const [name, t] of original) expect(valuesOf(back.get(name)!)).toEqual(valuesOf(t));
  });

  it('pads the header to 8 bytes and aligns every tensor to its item size', () => {
    const bytes = encodeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = headerOf(bytes);
    for (const [name, t] of Object.entries(tensors)) {
      expect(header[name]!.data_offsets[0] % DTYPE_ITEMSIZE[t.dtype]).toBe(0);
    }
  });

  it('rounds f32 values to the nearest f16/bf16, ties to even', () => {
    const t = (dtype: 'f16' | 'bf16', values: number[]): number[] =>
      [
        ...parseSafetensors(encodeSafetensors({ x: { dtype, shape: [values.length], data: new Float32Array(values) } }), 'r').get('x')!
          .data,
      ] as number[];
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1); just above rounds up.
    expect(t('f16', [1 + 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 1 + 3 * 2 ** -11, 70000, 2 ** -26, 3 * 2 ** -26])).toEqual([
      1,
      1 + 2 ** -10,
      1 + 2 * 2 ** -10,
      Infinity,
      0,
      2 ** -24,
    ]);
    expect(t('bf16', [1 + 2 ** -8, 1 + 3 * 2 ** -8, 0.1])).toEqual([1, 1 + 2 ** -6, 0.10009765625]);
    expect(Number.isNaN(t('f16', [NaN])[0])).toBe(true);
    expect(Number.isNaN(t('bf16', [NaN])[0])).toBe(true);
  });

  it('handles a tensor named __proto__', () => {
    const tensors = Object.fromEntries([['__proto__', sampleTensor('f32', [2])]]);
    expect([...parseSafetensors(encodeSafetensors(tensors), 'p').keys()]).toEqual(['__proto__']);
  });

  it('refuses malformed input with InvalidArgumentError', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'f32', shape: [2], data: new Float32Array(3) } })).toThrow(
      expect.objectContaining({ argument: 'tensors.x', code: 'GRSD_INVALID_ARGUMENT' }),
    );
    expect(() => encodeSafetensors({ __metadata__: sampleTensor('f32', [1]) })).toThrow(InvalidArgumentError);
    expect(() => encodeSafetensors({}, { n: 3 as unknown as string })).toThrow(expect.objectContaining({ argument: 'metadata' }));
  });
});

describe('parseSafetensors refuses malformed files with FileFormatError', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(n * 4);
  const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });
  const lengthOnly = (n: bigint): Uint8Array => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, n, true);
    return b;
  };

  const corpus: [string, Uint8Array, RegExp][] = [
    ['an empty file', new Uint8Array(0), /truncated file: 0 bytes, shorter than the 8-byte header length/],
    ['a 7-byte file', new Uint8Array(7), /truncated file: 7 bytes/],
    ['a header length past the end', lengthOnly(9n), /truncated file: the header length 9 exceeds the 8 bytes after the length field/],
    ['an absurd header length', lengthOnly(2n ** 40n), /absurd header length 1099511627776 \(more than 100000000 bytes\)/],
    ['a header length of 2^64 - 1', lengthOnly(2n ** 64n - 1n), /absurd header length 18446744073709551615/],
    ['a .npy file', fixture('f8_le.npy'), /absurd header length|truncated file/],
    ['a non-JSON header', build(null, undefined, new TextEncoder().encode('{"a": [1, 2}')), /the header is not valid JSON/],
    ['a header that is not UTF-8', build(null, undefined, new Uint8Array([0x7b, 0xff, 0x7d])), /the header is not valid UTF-8/],
    ['a JSON array header', build([1, 2]), /the header is not a JSON object \(found an array\)/],
    ['a JSON null header', build(null), /the header is not a JSON object \(found null\)/],
    ['an entry that is a number', build({ x: 3 }), /tensor 'x': the entry must be an object/],
    ['an entry without dtype', build({ x: { shape: [1], data_offsets: [0, 4] } }, f32(1)), /tensor 'x': the entry is missing 'dtype'/],
    ['an entry without shape', build({ x: { dtype: 'F32', data_offsets: [0, 4] } }, f32(1)), /tensor 'x': the entry is missing 'shape'/],
    [
      'an entry without data_offsets',
      build({ x: { dtype: 'F32', shape: [1] } }, f32(1)),
      /tensor 'x': the entry is missing 'data_offsets'/,
    ],
    ['a numeric dtype', build({ x: entry(7 as unknown as string, [1], 0, 4) }, f32(1)), /tensor 'x': 'dtype' must be a string, found 7/],
    [
      'an unknown dtype',
      build({ x: entry('F128', [1], 0, 16) }, new Uint8Array(16)),
      /tensor 'x': unknown dtype 'F128' \(supported: F16, BF16/,
    ],
    ['an unsupported dtype', build({ x: entry('F8_E4M3', [1], 0, 1) }, new Uint8Array(1)), /tensor 'x': unsupported dtype 'F8_E4M3'/],
    [
      'a shape that is not an array',
      build({ x: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, f32(4)),
      /'shape' must be an array of integers, found 4/,
    ],
    ['a fractional dimension', build({ x: entry('F32', [1.5], 0, 4) }, f32(1)), /'shape' must be an array of integers, found \[1\.5\]/],
    ['a negative dimension', build({ x: entry('F32', [-1, 2], 0, 4) }, f32(1)), /tensor 'x': negative dimension -1 in shape \[-1, 2\]/],
    [
      'an absurd shape',
      build({ x: entry('F64', [100000000000], 0, 8) }, new Uint8Array(8)),
      /tensor 'x': absurd shape \[100000000000\]: 800000000000 bytes exceed/,
    ],
    [
      'a dimension beyond 2^53',
      build({ x: entry('F64', [1e20, 0], 0, 0) }),
      /absurd shape \[100000000000000000000, 0\]: dimension 100000000000000000000 is not a safe integer/,
    ],
    [
      'offsets that are not a pair',
      build({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, f32(1)),
      /'data_offsets' must be two non-negative integers \[begin, end\], found \[0,4,8\]/,
    ],
    ['negative offsets', build({ x: entry('F32', [1], -4, 0) }, f32(1)), /'data_offsets' must be two non-negative integers/],
    [
      'offsets past the data',
      build({ x: entry('F32', [2], 0, 8) }, f32(1)),
      /tensor 'x': data_offsets \[0, 8\] run past the 4-byte data region/,
    ],
    ['begin after end', build({ x: entry('F32', [1], 4, 0) }, f32(1)), /tensor 'x': data_offsets \[4, 0\] begin after they end/],
    [
      'a wrong length',
      build({ x: entry('F32', [3], 0, 8) }, f32(2)),
      /tensor 'x': data_offsets \[0, 8\] span 8 bytes, but shape \[3\] of F32 needs 12/,
    ],
    ['a wrong length (bf16)', build({ x: entry('BF16', [3], 0, 8) }, f32(2)), /span 8 bytes, but shape \[3\] of BF16 needs 6/],
    [
      'overlapping tensors',
      build({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, f32(3)),
      /tensors 'a' and 'b' overlap: \[0, 8\] and \[4, 12\]/,
    ],
    ['identical offsets', build({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 0, 8) }, f32(2)), /tensors 'a' and 'b' overlap/],
    [
      'a gap between tensors',
      build({ a: entry('F32', [1], 0, 4), b: entry('F32', [1], 8, 12) }, f32(3)),
      /gap in the data region: no tensor covers bytes \[4, 8\) before 'b'/,
    ],
    ['trailing bytes', build({ a: entry('F32', [1], 0, 4) }, f32(2)), /size mismatch: the tensors cover 4 bytes of the 8-byte data region/],
    ['metadata that is not an object', build({ __metadata__: 'x' }), /'__metadata__' must be an object of strings/],
    ['metadata with a number', build({ __metadata__: { n: 1 } }), /'__metadata__' must be an object of strings, but 'n' is 1/],
  ];

  it.each(corpus)('%s', (_, bytes, fault) => {
    expectFormatError(() => parseSafetensors(bytes, 'bad.safetensors'), 'bad.safetensors', fault);
    expectFormatError(() => parseSafetensorsMetadata(bytes, 'bad.safetensors'), 'bad.safetensors', fault);
  });

  it('accepts zero-size tensors anywhere, and whitespace after the JSON', () => {
    const bytes = build({ a: entry('F32', [0], 0, 0), b: entry('F32', [1], 0, 4), c: entry('U8', [2, 0], 4, 4) }, f32(1));
    expect([...parseSafetensors(bytes, 'z').keys()]).toEqual(['a', 'b', 'c']);
    const padded = build(null, f32(1), new TextEncoder().encode('{"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}   \n'));
    expect(parseSafetensors(padded, 'p').get('b')!.shape).toEqual([]);
  });

  it('every truncation of a valid file throws FileFormatError', () => {
    for (const bytes of [fixture(FILE), encodeSafetensors({ a: sampleTensor('i16', [3]), b: sampleTensor('f64', [2]) }, { k: 'v' })]) {
      for (let cut = 0; cut < bytes.length; cut++) {
        expectFormatError(
          () => parseSafetensors(bytes.subarray(0, cut), 'cut.safetensors'),
          'cut.safetensors',
          /truncated|run past|size mismatch/,
        );
      }
    }
  });

  it('random corruption gives tensors or FileFormatError, never another error', () => {
    const bytes = fixture(FILE);
    const next = byteStream(5);
    for (let trial = 0; trial < 3000; trial++) {
      const copy = bytes.slice();
      const flips = 1 + (next() % 3);
      for (let k = 0; k < flips; k++) copy[(next() * 256 + next()) % copy.length] = next();
      returnsOrFormatError(() => parseSafetensors(copy, 'fuzz.safetensors'), 'fuzz.safetensors');
    }
  });
});
