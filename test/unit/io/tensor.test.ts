import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { checkTensor, elementCount, tensorToFloat32, tensorToFloat64, type Tensor } from '../../../src/io/tensor.ts';
import { f16BitsToNumber, fortranToC, numberToBf16Bits, numberToF16Bits, shapeSize } from '../../../src/io/binary.ts';
import { parseNpy } from '../../../src/io/npy.ts';
import { fixture } from './helpers.ts';

function invalid(fn: () => unknown, argument: string, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  expect((error as Error).message).toMatch(message);
}

describe('elementCount', () => {
  it('multiplies the dimensions; a 0-d shape holds one element', () => {
    expect(elementCount([3, 4])).toBe(12);
    expect(elementCount([])).toBe(1);
    expect(elementCount([5, 0, 7])).toBe(0);
  });
  it('refuses bad dimensions and overflow', () => {
    invalid(() => elementCount([2, -1]), 'shape', /dimension 1 is -1/);
    invalid(() => elementCount([2.5]), 'shape', /dimension 0 is 2.5/);
    invalid(() => elementCount([2 ** 30, 2 ** 30, 2 ** 30]), 'shape', /more than 2\^53 elements/);
  });
});

describe('tensorToFloat64 / tensorToFloat32', () => {
  const t = (dtype: Tensor['dtype'], data: Tensor['data']): Tensor => ({ dtype, shape: [data.length], data });

  it('converts every dtype exactly', () => {
    expect([...tensorToFloat64(t('i8', new Int8Array([-128, 127])), 'x')]).toEqual([-128, 127]);
    expect([...tensorToFloat64(t('u32', new Uint32Array([4294967295])), 'x')]).toEqual([4294967295]);
    expect([...tensorToFloat64(t('i64', new BigInt64Array([-(2n ** 53n), 2n ** 53n, 5n])), 'x')]).toEqual([-(2 ** 53), 2 ** 53, 5]);
    expect([...tensorToFloat64(t('u64', new BigUint64Array([7n])), 'x')]).toEqual([7]);
    expect([...tensorToFloat64(t('bool', new Uint8Array([0, 1])), 'x')]).toEqual([0, 1]);
    expect([...tensorToFloat64(t('f32', new Float32Array([0.1])), 'x')]).toEqual([Math.fround(0.1)]);
    expect([...tensorToFloat32(t('f64', new Float64Array([0.1, 1e300])), 'x')]).toEqual([Math.fround(0.1), Infinity]);
    expect([...tensorToFloat32(t('i64', new BigInt64Array([-3n])), 'x')]).toEqual([-3]);
  });

  it('returns a Float32Array source itself from tensorToFloat32 and always copies in tensorToFloat64', () => {
    const data = new Float32Array([1, 2]);
    expect(tensorToFloat32(t('f32', data), 'x')).toBe(data);
    const d64 = new Float64Array([1, 2]);
    expect(tensorToFloat64(t('f64', d64), 'x')).not.toBe(d64);
  });

  it('refuses 64-bit integers beyond ±2^53, naming the tensor', () => {
    invalid(
      () => tensorToFloat64(t('i64', new BigInt64Array([0n, 2n ** 53n + 1n])), 'labels'),
      'labels',
      /element 1 is 9007199254740993, outside ±2\^53/,
    );
    invalid(() => tensorToFloat32(t('u64', new BigUint64Array([2n ** 64n - 1n])), 'ids'), 'ids', /element 0 is 18446744073709551615/);
    invalid(() => tensorToFloat64(t('i64', new BigInt64Array([-(2n ** 53n) - 1n])), 'n'), 'n', /outside ±2\^53/);
  });

  it('refuses malformed tensors, naming them', () => {
    invalid(
      () => tensorToFloat64({ dtype: 'f32', shape: [3], data: new Float32Array(2) }, 'probe'),
      'probe',
      /data has 2 elements but shape \[3\] needs 3/,
    );
    invalid(
      () => checkTensor({ dtype: 'i64', shape: [1], data: new Int32Array(1) }, 't'),
      't',
      /needs its data in a BigInt64Array, received Int32Array/,
    );
    invalid(() => checkTensor({ dtype: 'f32', shape: 'x', data: new Float32Array(1) }, 't'), 't', /shape must be an array/);
  });
});

describe('f16 and bf16 conversion', () => {
  it('every finite f16 value survives decode → encode, and NaN stays NaN', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = f16BitsToNumber(bits);
      if (Number.isNaN(v)) expect(Number.isNaN(f16BitsToNumber(numberToF16Bits(v)))).toBe(true);
      else if (numberToF16Bits(v) !== bits)
        expect.fail(`f16 0x${bits.toString(16)} (${v}) re-encodes to 0x${numberToF16Bits(v).toString(16)}`);
    }
  });
  it('rounds midpoints between consecutive f16 values to the even one', () => {
    for (let bits = 0; bits < 0x7bff; bits += 37) {
      const lo = f16BitsToNumber(bits);
      const hi = f16BitsToNumber(bits + 1);
      const mid = (lo + hi) / 2;
      expect(numberToF16Bits(mid)).toBe(bits % 2 === 0 ? bits : bits + 1);
      expect(numberToF16Bits(-mid)).toBe(0x8000 | (bits % 2 === 0 ? bits : bits + 1));
    }
  });
  it('every finite bf16 value survives decode → encode', () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let bits = 0; bits < 0x10000; bits++) {
      u[0] = bits << 16;
      if (Number.isNaN(f[0]!)) continue;
      if (numberToBf16Bits(f[0]!) !== bits)
        expect.fail(`bf16 0x${bits.toString(16)} re-encodes to 0x${numberToBf16Bits(f[0]!).toString(16)}`);
    }
    expect(numberToBf16Bits(-Infinity)).toBe(0xff80);
  });
});

describe('fortranToC', () => {
  it('matches a naive transpose for several shapes and item sizes', () => {
    for (const shape of [
      [2, 3],
      [4, 1, 3],
      [2, 3, 4, 5],
      [1, 7],
      [3, 1],
    ]) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const itemsize of [1, 2, 4, 8]) {
        const src = new Uint8Array(n * itemsize).map((_, i) => (i * 7 + 3) & 0xff);
        const out = fortranToC(src, shape, itemsize);
        // Naive: for each C index, compute the F offset.
        const idx = new Array<number>(shape.length).fill(0);
        for (let c = 0; c < n; c++) {
          let f = 0;
          let stride = 1;
          for (let j = 0; j < shape.length; j++) {
            f += idx[j]! * stride;
            stride *= shape[j]!;
          }
          for (let b = 0; b < itemsize; b++) expect(out[c * itemsize + b]).toBe(src[f * itemsize + b]);
          for (let j = shape.length - 1; j >= 0; j--) {
            if (++idx[j]! < shape[j]!) break;
            idx[j] = 0;
          }
        }
      }
    }
  });
  it('agrees with numpy on the committed Fortran fixtures', () => {
    const t = parseNpy(fixture('fortran_u2_2d.npy'), 'f');
    expect([...t.data]).toEqual(Array.from({ length: 15 }, (_, i) => i * 1000));
  });
});

describe('shapeSize', () => {
  it('refuses more than 2^31 bytes before allocating anything', () => {
    expect(shapeSize([2 ** 31], 1)).toEqual({ ok: true, count: 2 ** 31, bytes: 2 ** 31 });
    expect(shapeSize([2 ** 31 + 1], 1).ok).toBe(false);
    expect(shapeSize([2 ** 28, 2], 8).ok).toBe(false);
    expect(shapeSize([1e15, 1e15, 0], 8)).toEqual({ ok: true, count: 0, bytes: 0 });
  });
});
