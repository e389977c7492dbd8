/**
 * Per-lane scalar bookkeeping of batched Lanczos and Golub–Kahan on the GPU
 * (shaders/lanczos/lanczosUpdate.wgsl): start normalization, the α/β of each step, breakdown
 * detection, and the reciprocal norm that scales the next basis vector.
 * Float64 twin: `lanczosUpdateF64` in src/reference/lanczos.ts (one update); lanczosF64 and
 * golubKahanF64 for whole runs.
 * @module
 */
import * as d from '../gpu/schema.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { BufferGroup } from '../gpu/bufferGroup.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
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

/** The lane buffers plus the start-norm copy every Krylov run keeps. */
export type KrylovLaneBuffers = LanczosLaneBuffers & { readonly startNorm2: GPUBuffer };

/**
 * Allocates the per-lane buffers of a Krylov run (Lanczos or Golub–Kahan) in `group`:
 * coefficients [lanes][maxSteps+1], α/β [lanes][maxSteps], state, scale, inv, norms.
 */
export async function allocateLaneBuffers(group: BufferGroup, lanes: number, maxSteps: number, prefix: string): Promise<KrylovLaneBuffers> {
  const h = lanes * (maxSteps + 1);
  return {
    h1: await group.storage(h, `${prefix} h1`),
    h2: await group.storage(h, `${prefix} h2`),
    norm2: await group.storage(lanes, `${prefix} norm2`),
    alpha: await group.storage(lanes * maxSteps, `${prefix} alpha`),
    beta: await group.storage(lanes * maxSteps, `${prefix} beta`),
    state: await group.storage(lanes * 2, `${prefix} state`),
    scale: await group.storage(lanes, `${prefix} scale`),
    inv: await group.storage(lanes, `${prefix} inv`),
    startNorm2: await group.storage(lanes, `${prefix} start norm2`),
  };
}

/** The raw per-lane state read back to the host (f32 α/β [lanes][maxSteps], u32 state, start ‖·‖², scale). */
export interface LaneStateReadback {
  readonly alpha: Float32Array;
  readonly beta: Float32Array;
  readonly state: Uint32Array;
  readonly startNorm2: Float32Array;
  readonly scale: Float32Array;
}

/** Reads the lane state of a Krylov run back in one submission. */
export async function readLaneState(
  ctx: GpuContext,
  b: KrylovLaneBuffers,
  lanes: number,
  maxSteps: number,
  label: string,
): Promise<LaneStateReadback> {
  const staged = await record(ctx, `${label} readback`, (rec) => [
    rec.stage(b.alpha, 0, lanes * maxSteps * 4),
    rec.stage(b.beta, 0, lanes * maxSteps * 4),
    rec.stage(b.state, 0, lanes * 8),
    rec.stage(b.startNorm2, 0, lanes * 4),
    rec.stage(b.scale, 0, lanes * 4),
  ]);
  const [alpha, beta, state, norm2, scale] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
  return {
    alpha: new Float32Array(alpha!),
    beta: new Float32Array(beta!),
    state: new Uint32Array(state!),
    startNorm2: new Float32Array(norm2!),
    scale: new Float32Array(scale!),
  };
}
