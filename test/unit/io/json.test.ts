import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { toJsonText } from '../../../src/io/json.ts';

function refused(value: unknown, message: RegExp): void {
  let error: unknown;
  let result: unknown;
  try {
    result = toJsonText(value, 'out.json');
  } catch (e) {
    error = e;
  }
  expect(result).toBeUndefined();
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).code).toBe('GRSD_INVALID_ARGUMENT');
  expect((error as InvalidArgumentError).argument).toBe('value');
  expect((error as Error).message).toContain('cannot write out.json');
  expect((error as Error).message).toMatch(message);
}

describe('toJsonText', () => {
  it('writes pretty JSON with 2-space indentation and a final newline', () => {
    const value = { a: 1, b: [true, null, 'x'], c: { d: -0.5 } };
    expect(toJsonText(value, 'f')).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });

  it('writes typed arrays as arrays of numbers', () => {
    const value = {
      f32: new Float32Array([0.5, -2]),
      f64: new Float64Array([1e-300]),
      i32: new Int32Array([-7]),
      u8: new Uint8Array([255]),
      i64: new BigInt64Array([-(2n ** 53n), 3n]),
      empty: new Float64Array(0),
      sub: new Float64Array([1, 2, 3]).subarray(1),
    };
    expect(JSON.parse(toJsonText(value, 'f'))).toEqual({
      f32: [0.5, -2],
      f64: [1e-300],
      i32: [-7],
      u8: [255],
      i64: [-(2 ** 53), 3],
      empty: [],
      sub: [2, 3],
    });
  });

  it('honours toJSON, omits undefined properties, unwraps boxed primitives', () => {
    const date = new Date(Date.UTC(2026, 0, 2));
    expect(JSON.parse(toJsonText({ when: date, gone: undefined, n: Object(3), s: Object('x') }, 'f'))).toEqual({
      when: '2026-01-02T00:00:00.000Z',
      n: 3,
      s: 'x',
    });
  });

  it('accepts shared, non-circular references', () => {
    const shared = { x: 1 };
    expect(JSON.parse(toJsonText({ a: shared, b: [shared, shared] }, 'f'))).toEqual({ a: { x: 1 }, b: [{ x: 1 }, { x: 1 }] });
  });

  it('refuses NaN and ±Infinity anywhere, naming the path', () => {
    refused({ results: [{}, {}, { eigenvalues: [1, 2, 3, 4, 5, NaN] }] }, /results\[2\]\.eigenvalues\[5\] is NaN/);
    refused({ fit: { slope: Infinity } }, /fit\.slope is Infinity/);
    refused([1, -Infinity], /\[1\] is -Infinity/);
    refused(NaN, /the value is NaN/);
    refused({ spectra: new Float64Array([1, NaN]) }, /spectra\[1\] is NaN/);
    refused({ 'odd key': { 'x-y': [0, Infinity] } }, /\["odd key"\]\["x-y"\]\[1\] is Infinity/);
    refused({ a: { toJSON: () => NaN } }, /a is NaN/);
  });

  it('refuses undefined in arrays and at the top level, BigInt, functions, symbols', () => {
    refused({ list: [1, undefined] }, /list\[1\] is undefined/);
    // eslint-disable-next-line no-sparse-arrays
    refused({ holes: [1, , 3] }, /holes\[1\] is undefined/);
    refused(undefined, /the value is undefined/);
    refused({ n: 10n }, /n is a BigInt \(10n\)/);
    refused({ f: () => 1 }, /f is a function/);
    refused({ s: Symbol('x') }, /s is a symbol/);
    refused({ big: new BigUint64Array([2n ** 60n]) }, /big\[0\] is 1152921504606846976, outside ±2\^53/);
  });

  it('refuses containers JSON would silently empty, and cycles', () => {
    refused({ m: new Map([[1, 2]]) }, /m is a Map/);
    refused({ s: new Set([1]) }, /s is a Set/);
    refused({ b: new ArrayBuffer(4) }, /b is an ArrayBuffer/);
    refused({ v: new DataView(new ArrayBuffer(4)) }, /v is a DataView/);
    const cycle: Record<string, unknown> = { a: { b: {} } };
    (cycle.a as { b: Record<string, unknown> }).b.c = cycle;
    refused(cycle, /a\.b\.c is a circular reference/);
  });
});
