/**
 * Matrix-free operators from a user WGSL function (shaders/operators/wgslOperator.wgsl): the
 * user's `fn operatorEntry(b: u32, i: u32, j: u32) -> f32` is prepended to the template (whose
 * default identity entry is removed), and y = A x is computed without forming A.
 * Float64 twin: `wgslOperatorF64` in src/reference/wgslOperator.ts, given a float64 twin of the
 * user's entry function (see `wgslOperator` in src/algorithms/operators.ts). Precision: f32, |error| ≤ γ_n Σ|a_ij x_j| plus the entry's own error.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { wgslOperatorWgsl } from '../shaders.generated.ts';
import type { VectorsView } from './matVec.ts';
import { RowOperatorParams, rowOperatorBindings } from './rowOperator.ts';

/** Keys and order mirror the @binding declarations in wgslOperator.wgsl. */
export const wgslOperatorLayout = computeLayout({
  params: { uniform: RowOperatorParams },
  userData: { storage: d.arrayOf(d.f32), access: 'readonly' },
  x: { storage: d.arrayOf(d.f32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

/** The template with its default (identity) entry, as it compiles on its own. */
export const wgslOperatorKernel: KernelSpec = { name: 'wgslOperator', code: wgslOperatorWgsl, layout: wgslOperatorLayout };

const DEFAULT_ENTRY = /\/\/@grsd-default-entry-begin[\s\S]*?\/\/@grsd-default-entry-end\n?/;

/** The kernel spec for a user's entry function. `name` labels errors (e.g. compile errors in the user's code). */
export function userOperatorKernel(name: string, userCode: string): KernelSpec {
  if (!/fn\s+operatorEntry\s*\(/.test(userCode)) {
    throw new InvalidArgumentError('code', 'must define `fn operatorEntry(b: u32, i: u32, j: u32) -> f32`');
  }
  const template = wgslOperatorWgsl.replace(DEFAULT_ENTRY, '');
  return { name, code: `${template}\n// ---- user code ----\n${userCode}\n`, layout: wgslOperatorLayout };
}

export interface WgslOperatorApply {
  encode(rec: Recorder, userData: GPUBuffer, n: number, batch: number, x: VectorsView, y: VectorsView, vectors: number): void;
}

/** Compiles the operator for `spec` (rejects with GpuValidationError naming `spec.name` if the user's code does not compile). */
export async function createWgslOperatorApply(ctx: GpuContext, spec: KernelSpec): Promise<WgslOperatorApply> {
  const wg = ctx.workgroupSize;
  const pipeline = await getPipeline(ctx, spec, { WORKGROUP_SIZE: wg });
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  return {
    encode(rec, userData, n, batch, x, y, vectors) {
      const { params, x: xb, y: yb } = rowOperatorBindings(rec, 'wgslOperator', { n, batch, vectors }, x, y, align);
      const group = bindGroup(rec.ctx, spec, { params, userData, x: xb, y: yb });
      rec.dispatch(pipeline, group, Math.ceil(n / wg) * vectors * batch);
    },
  };
}
