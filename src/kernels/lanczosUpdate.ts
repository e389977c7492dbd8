/**
 * Per-lane scalar bookkeeping of batched Lanczos and Golub–Kahan on the GPU
 * (shaders/lanczos/lanczosUpdate.wgsl): start normalization, the α/β of each step, breakdown
 * detection, and the reciprocal norm that scales the next basis vector.
 * Float64 twin: src/reference/lanczos.ts and src/reference/golubKahan.ts.
 * @module
 */
import { d } from 'typegpu';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { lanczosUpdateWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in lanczosUpdate.wgsl. */
export const LanczosUpdateParams = d.struct({ lanes: d.u32, k: d.u32, mode: d.u32, hStride: d.u32, tStride: d.u32, tol: d.f32 });

const f32s = (access: 'readonly' | 'mutable') => ({ storage: d.arrayOf(d.f32), access }) as const;

/** Keys and order mirror the @binding declarations in lanczosUpdate.wgsl. */
export const lanczosUpdateLayout = computeLayout({
  params: { uniform: LanczosUpdateParams },
  h1: f32s('readonly'),
  h2: f32s('readonly'),
  norm2: f32s('readonly'),
  alpha: f32s('mutable'),
  beta: f32s('mutable'),
  state: { storage: d.arrayOf(d.u32), access: 'mutable' },
  scale: f32s('mutable'),
  inv: f32s('mutable'),
});

export const lanczosUpdateKernel: KernelSpec = { name: 'lanczosUpdate', code: lanczosUpdateWgsl, layout: lanczosUpdateLayout };

/** What the update does: see the WGSL header. */
export const LanczosUpdateMode = { start: 0, lanczosStep: 1, storeAlpha: 2, storeBeta: 3 } as const;

/** The per-lane buffers the update reads and writes (all whole buffers, lane-major). */
export interface LanczosLaneBuffers {
  /** CGS coefficients of pass 1 and 2, [lanes][hStride]. */
  readonly h1: GPUBuffer;
  readonly h2: GPUBuffer;
  /** ‖w‖² per lane. */
  readonly norm2: GPUBuffer;
  /** Tridiagonal (or bidiagonal) entries, [lanes][tStride]. */
  readonly alpha: GPUBuffer;
  readonly beta: GPUBuffer;
  /** u32 [lanes][2]: active flag, steps completed. */
  readonly state: GPUBuffer;
  /** Running ‖T‖ estimate per lane. */
  readonly scale: GPUBuffer;
  /** Reciprocal norm (0 for inactive lanes) per lane. */
  readonly inv: GPUBuffer;
}

export interface LanczosUpdate {
  encode(
    rec: Recorder,
    buffers: LanczosLaneBuffers,
    args: { lanes: number; k: number; mode: number; hStride: number; tStride: number; tol: number },
  ): void;
}

/** Compiles the lanczosUpdate pipeline for `ctx`. */
export async function createLanczosUpdate(ctx: GpuContext): Promise<LanczosUpdate> {
  const wg = ctx.workgroupSize;
  const pipeline = await getPipeline(ctx, lanczosUpdateKernel, { WORKGROUP_SIZE: wg });
  return {
    encode(rec, buffers, args) {
      const params = rec.uniform('lanczosUpdate params', LanczosUpdateParams, args);
      rec.dispatch(pipeline, bindGroup(rec.ctx, lanczosUpdateKernel, { params, ...buffers }), Math.ceil(args.lanes / wg));
    },
  };
}
