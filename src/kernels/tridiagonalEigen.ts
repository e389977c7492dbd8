/**
 * Batched symmetric tridiagonal eigen-decomposition on the GPU (shaders/lanczos/tridiagonalEigen.wgsl):
 * Sturm bisection for each eigenvalue and a twisted factorization for its eigenvector, one thread
 * per (lane, eigenvalue). Float64 twin: src/reference/tridiagonalEigen.ts.
 * Precision: |θ − θ_exact| ≲ 4u‖T‖; eigenvector residual ≲ m u ‖T‖.
 * @module
 */
import * as d from '../gpu/schema.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { tridiagonalEigenWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in tridiagonalEigen.wgsl. */
export const TridiagonalEigenParams = d.struct({ lanes: d.u32, tStride: d.u32, sStride: d.u32, _pad: d.u32 });

const f32s = (access: 'readonly' | 'mutable') => ({ storage: d.arrayOf(d.f32), access }) as const;

/** Keys and order mirror the @binding declarations in tridiagonalEigen.wgsl. */
export const tridiagonalEigenLayout = computeLayout({
  params: { uniform: TridiagonalEigenParams },
  alpha: f32s('readonly'),
  beta: f32s('readonly'),
  state: { storage: d.arrayOf(d.u32), access: 'readonly' },
  values: f32s('mutable'),
  vectors: f32s('mutable'),
  first: f32s('mutable'),
  last: f32s('mutable'),
});

export const tridiagonalEigenKernel: KernelSpec = { name: 'tridiagonalEigen', code: tridiagonalEigenWgsl, layout: tridiagonalEigenLayout };

/** Buffers of {@link TridiagonalEigen.encode}: inputs [lanes][tStride], state u32 [lanes][2]; outputs values/first/last [lanes][tStride], vectors [lanes][tStride][tStride]. */
export interface TridiagonalEigenBuffers {
  readonly alpha: GPUBuffer;
  readonly beta: GPUBuffer;
  readonly state: GPUBuffer;
  readonly values: GPUBuffer;
  readonly vectors: GPUBuffer;
  readonly first: GPUBuffer;
  readonly last: GPUBuffer;
}

export interface TridiagonalEigen {
  encode(rec: Recorder, buffers: TridiagonalEigenBuffers, lanes: number, tStride: number): void;
}

/** Compiles the tridiagonalEigen pipeline for `ctx`. */
export async function createTridiagonalEigen(ctx: GpuContext): Promise<TridiagonalEigen> {
  const wg = 64;
  const pipeline = await getPipeline(ctx, tridiagonalEigenKernel, { WORKGROUP_SIZE: wg });
  return {
    encode(rec, buffers, lanes, tStride) {
      const params = rec.uniform('tridiagonalEigen params', TridiagonalEigenParams, {
        lanes,
        tStride,
        sStride: tStride * tStride,
        _pad: 0,
      });
      rec.dispatch(pipeline, bindGroup(rec.ctx, tridiagonalEigenKernel, { params, ...buffers }), Math.ceil((lanes * tStride) / wg));
    },
  };
}
