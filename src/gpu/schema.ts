/**
 * The WGSL data schemas that kernel bindings and `Params` uniforms are declared with, as plain
 * descriptions that cost nothing to create: kernels declare them when their module loads, and
 * TypeGPU, which lays them out, is loaded only when the first GPU context is created
 * (src/gpu/typegpu.ts; docs/benchmarks.md, "Import cost"). Each mirrors the TypeGPU schema of the
 * same name (`d.u32`, `d.arrayOf`, `d.struct`, …); {@link toTypeGpu} makes the real one. Only what
 * grsd's kernels use is here: `Params` structs hold 4-byte scalars only.
 *
 * Use as a namespace, like TypeGPU's `d`: `import * as d from '../gpu/schema.ts'`.
 * @module
 */
import type { d as tgd } from 'typegpu';
import { typeGpu } from './typegpu.ts';

/** A 4-byte WGSL scalar type. */
export interface Scalar<K extends 'u32' | 'i32' | 'f32' = 'u32' | 'i32' | 'f32'> {
  readonly kind: K;
}
/** WGSL `vec4<f32>`. */
export interface Vec4f {
  readonly kind: 'vec4f';
}
/** WGSL `atomic<T>`. */
export interface Atomic<T extends Scalar<'u32' | 'i32'> = Scalar<'u32' | 'i32'>> {
  readonly kind: 'atomic';
  readonly of: T;
}
/** A runtime-sized WGSL array, the type of a storage binding. */
export interface ArrayOf<T extends Element = Element> {
  readonly kind: 'array';
  readonly of: T;
}
/** What a storage array holds. */
export type Element = Scalar | Vec4f | Atomic;
/** A WGSL struct of 4-byte scalars, in field order (a kernel's `Params` uniform). */
export interface Struct<F extends Readonly<Record<string, Scalar>> = Readonly<Record<string, Scalar>>> {
  readonly kind: 'struct';
  readonly fields: F;
}
/** Any schema of this module. */
export type Schema = Element | ArrayOf | Struct;
/** The host value a struct is written from: a number per field. */
export type InferInput<T extends Struct> = { readonly [K in keyof T['fields']]: number };

export const u32: Scalar<'u32'> = { kind: 'u32' };
export const i32: Scalar<'i32'> = { kind: 'i32' };
export const f32: Scalar<'f32'> = { kind: 'f32' };
export const vec4f: Vec4f = { kind: 'vec4f' };

/** WGSL `atomic<T>` of a u32 or i32. */
export function atomic<T extends Scalar<'u32' | 'i32'>>(of: T): Atomic<T> {
  return { kind: 'atomic', of };
}

/** A runtime-sized array of `of`. */
export function arrayOf<T extends Element>(of: T): ArrayOf<T> {
  return { kind: 'array', of };
}

/** A struct with `fields` in key order, which must match the WGSL declaration's. */
export function struct<F extends Readonly<Record<string, Scalar>>>(fields: F): Struct<F> {
  return { kind: 'struct', fields };
}

/** Byte size of a struct: 4 bytes a field (WGSL's layout for 4-byte scalars, no padding). */
export function sizeOf(schema: Struct): number {
  return 4 * Object.keys(schema.fields).length;
}

const converted = new WeakMap<Schema, tgd.AnyWgslData>();

/**
 * The TypeGPU schema `schema` describes (cached). Needs TypeGPU loaded, which creating a GPU
 * context does.
 */
export function toTypeGpu(schema: Struct): tgd.AnyWgslStruct;
export function toTypeGpu(schema: Schema): tgd.AnyWgslData;
export function toTypeGpu(schema: Schema): tgd.AnyWgslData {
  let result = converted.get(schema);
  if (!result) {
    result = convert(schema);
    converted.set(schema, result);
  }
  return result;
}

function convert(schema: Schema): tgd.AnyWgslData {
  const { d } = typeGpu();
  switch (schema.kind) {
    case 'u32':
    case 'i32':
    case 'f32':
    case 'vec4f':
      return d[schema.kind];
    case 'atomic':
      return schema.of.kind === 'u32' ? d.atomic(d.u32) : d.atomic(d.i32);
    case 'array':
      return d.arrayOf(toTypeGpu(schema.of), 0);
    case 'struct':
      return d.struct(Object.fromEntries(Object.entries(schema.fields).map(([key, field]) => [key, d[field.kind]])));
  }
}
