/** Shared helpers of the io tests: fixtures, expected values, and typed-error assertions. */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { FileFormatError } from '../../../src/errors.ts';
import type { DType, Tensor, TensorData } from '../../../src/io/tensor.ts';

/** The directory of the committed fixtures (written by test/fixtures/io/make_fixtures.py). */
export const FIXTURES = fileURLToPath(new URL('../../fixtures/io/', import.meta.url));

/** The bytes of one fixture file. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + name));
}

/** One entry of expected.json. 64-bit integers are decimal strings. */
export interface Expected {
  readonly dtype: string;
  readonly shape: number[];
  readonly values: (number | string)[];
  readonly fortran: boolean;
}

/** expected.json: fixture name (or `file:member`) → expected tensor. */
export const EXPECTED: Record<string, Expected> = JSON.parse(readFileSync(FIXTURES + 'expected.json', 'utf8'));

/** A tensor's elements as JSON-comparable values (bigints as decimal strings). */
export function valuesOf(t: Tensor): (number | string)[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Asserts that a tensor equals an expected.json entry exactly (-0 included). */
export function expectTensor(t: Tensor, e: Expected): void {
  expect(t.dtype).toBe(e.dtype);
  expect([...t.shape]).toEqual(e.shape);
  const got = valuesOf(t);
  expect(got.length).toBe(e.values.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], e.values[i])) expect.fail(`element ${i}: got ${String(got[i])}, expected ${String(e.values[i])}`);
  }
}

/**
 * Runs `fn` and asserts it throws a FileFormatError for `file` whose fault matches `fault`
 * (never a result, never another error). Returns the error.
 */
export function expectFormatError(fn: () => unknown, file: string, fault: RegExp): FileFormatError {
  let result: unknown;
  let error: unknown;
  try {
    result = fn();
  } catch (e) {
    error = e;
  }
  expect(result, 'a malformed file must not give a result').toBeUndefined();
  if (!(error instanceof FileFormatError)) {
    throw new Error(`expected a FileFormatError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  expect(error.code).toBe('GRSD_FILE_FORMAT');
  expect(error.file).toBe(file);
  expect(error.message).toContain(file);
  expect(error.fault).toMatch(fault);
  return error;
}

/** Asserts that `fn` either returns or throws a FileFormatError for `file` (used by fuzz tests). */
export function returnsOrFormatError(fn: () => unknown, file: string | RegExp): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof FileFormatError))
      throw new Error(`expected a FileFormatError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (typeof file === 'string') expect(e.file).toBe(file);
    else expect(e.file).toMatch(file);
  }
}

/** A deterministic byte generator for fuzzing (xorshift32). */
export function byteStream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s & 0xff;
  };
}

/** Builds a .npy file from a raw header text (padded as numpy pads it) and data bytes. */
export function npyWith(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const body = new TextEncoder().encode(header);
  const prefix = version === 1 ? 10 : 12;
  const padded = body.length + 1 + (64 - ((prefix + body.length + 1) % 64));
  const out = new Uint8Array(prefix + padded + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  out.set(body, prefix);
  out.fill(0x20, prefix + body.length, prefix + padded - 1);
  out[prefix + padded - 1] = 0x0a;
  out.set(data, prefix + padded);
  return out;
}

/** Whether `python3 -c 'import numpy'` works here; the reason when it does not. */
export const NUMPY: { readonly ok: boolean; readonly why: string } = (() => {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `python3 could not be run: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, why: `python3 cannot import numpy: ${r.stderr.trim().split('\n').at(-1) ?? ''}` };
  return { ok: true, why: `numpy ${r.stdout.trim()}` };
})();

/** Runs a Python script with numpy; returns its stdout parsed as JSON. */
export function runPython(script: string, args: string[]): unknown {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The dtypes every writer encodes. */
export const WRITABLE: Exclude<DType, 'f16' | 'bf16'>[] = ['f32', 'f64', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'bool'];

/** A tensor of `dtype` and `shape` filled with varied values (0/1 for bool). */
export function sampleTensor(dtype: Exclude<DType, 'f16' | 'bf16'>, shape: number[], seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const next = byteStream(seed);
  const int = (bits: number, signed: boolean): number => {
    let v = 0;
    for (let b = 0; b < bits; b += 8) v = v * 256 + next();
    return signed ? v - 2 ** (bits - 1) : v;
  };
  let data: TensorData;
  switch (dtype) {
    case 'f32':
      data = Float32Array.from({ length: n }, () => (int(16, true) / 7) * 2 ** ((next() % 20) - 10));
      break;
    case 'f64':
      data = Float64Array.from({ length: n }, () => (int(32, true) / 3) * 2 ** ((next() % 60) - 30));
      break;
    case 'i8':
      data = Int8Array.from({ length: n }, () => int(8, true));
      break;
    case 'i16':
      data = Int16Array.from({ length: n }, () => int(16, true));
      break;
    case 'i32':
      data = Int32Array.from({ length: n }, () => int(32, true));
      break;
    case 'i64':
      data = BigInt64Array.from({ length: n }, () => (BigInt(int(32, false)) << 32n) | BigInt(int(32, false))).map((v) =>
        BigInt.asIntN(64, v),
      );
      break;
    case 'u8':
      data = Uint8Array.from({ length: n }, () => int(8, false));
      break;
    case 'u16':
      data = Uint16Array.from({ length: n }, () => int(16, false));
      break;
    case 'u32':
      data = Uint32Array.from({ length: n }, () => int(32, false));
      break;
    case 'u64':
      data = BigUint64Array.from({ length: n }, () => (BigInt(int(32, false)) << 32n) | BigInt(int(32, false)));
      break;
    case 'bool':
      data = Uint8Array.from({ length: n }, () => next() & 1);
      break;
  }
  return { dtype, shape, data };
}
