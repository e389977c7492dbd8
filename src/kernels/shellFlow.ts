/**
 * The 2-D segmented reduction of the transport estimator on the GPU: shellFlow
 * (Y[j][σ] = Σ_{k∈σ} O_jk β_k) and shellFlowReduce (F[σ][τ] = Σ_{j∈τ} α_j Y[j][σ]).
 * WGSL: shaders/shells/shellFlow.wgsl, shellFlowReduce.wgsl. Float64 twins: shellFlowRows,
 * shellFlowReduce in src/reference/transport.ts. Precision: γ_r Σ|terms| per entry.
 * @module
 */
import * as d from '../gpu/schema.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { shellFlowReduceWgsl, shellFlowWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in shellFlow.wgsl. */
export const ShellFlowParams = d.struct({ rOld: d.u32, rNew: d.u32, shells: d.u32, _pad: d.u32 });
/** Field order matches `struct Params` in shellFlowReduce.wgsl. */
export const ShellFlowReduceParams = d.struct({ rOld: d.u32, shells: d.u32, _pad0: d.u32, _pad1: d.u32 });

/** Keys and order mirror the @binding declarations in shellFlow.wgsl. */
export const shellFlowLayout = computeLayout({
  params: { uniform: ShellFlowParams },
  o: { storage: d.arrayOf(d.f32), access: 'readonly' },
  beta: { storage: d.arrayOf(d.f32), access: 'readonly' },
  newIndex: { storage: d.arrayOf(d.u32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

/** Keys and order mirror the @binding declarations in shellFlowReduce.wgsl. */
export const shellFlowReduceLayout = computeLayout({
  params: { uniform: ShellFlowReduceParams },
  y: { storage: d.arrayOf(d.f32), access: 'readonly' },
  alpha: { storage: d.arrayOf(d.f32), access: 'readonly' },
  oldIndex: { storage: d.arrayOf(d.u32), access: 'readonly' },
  f: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const shellFlowKernel: KernelSpec = { name: 'shellFlow', code: shellFlowWgsl, layout: shellFlowLayout };
export const shellFlowReduceKernel: KernelSpec = { name: 'shellFlowReduce', code: shellFlowReduceWgsl, layout: shellFlowReduceLayout };

/** Buffers: o [rOld][rNew], alpha [rOld], beta [rNew], oldIndex/newIndex u32, y scratch [rOld][shells], f [shells][shells]. */
export interface ShellFlowBuffers {
  readonly o: GPUBuffer;
  readonly alpha: GPUBuffer;
  readonly beta: GPUBuffer;
  readonly oldIndex: GPUBuffer;
  readonly newIndex: GPUBuffer;
  readonly f: GPUBuffer;
}

export interface ShellFlowKernels {
  encode(rec: Recorder, buffers: ShellFlowBuffers, shape: { rOld: number; rNew: number; shells: number }): void;
}

/** Compiles the flow pipelines for `ctx`. */
export async function createShellFlow(ctx: GpuContext): Promise<ShellFlowKernels> {
  const [rows, reduce] = await Promise.all([
    getPipeline(ctx, shellFlowKernel, { WORKGROUP_SIZE: 64 }),
    getPipeline(ctx, shellFlowReduceKernel, { WORKGROUP_SIZE: 64 }),
  ]);
  return {
    encode(rec, b, { rOld, rNew, shells }) {
      const y = rec.scratch(rOld * shells * 4, 'shellFlow Y');
      const p1 = rec.uniform('shellFlow params', ShellFlowParams, { rOld, rNew, shells, _pad: 0 });
      rec.dispatch(
        rows,
        bindGroup(rec.ctx, shellFlowKernel, { params: p1, o: b.o, beta: b.beta, newIndex: b.newIndex, y }),
        Math.ceil((rOld * shells) / 64),
      );
      const p2 = rec.uniform('shellFlowReduce params', ShellFlowReduceParams, { rOld, shells, _pad0: 0, _pad1: 0 });
      rec.dispatch(
        reduce,
        bindGroup(rec.ctx, shellFlowReduceKernel, { params: p2, y, alpha: b.alpha, oldIndex: b.oldIndex, f: b.f }),
        Math.ceil((shells * shells) / 64),
      );
    },
  };
}
