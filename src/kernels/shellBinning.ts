/**
 * Shell binning on the GPU: shellAssign (log-shell index and boundary flag per eigenvalue) and
 * shellReduce (per-shell sums of weights, λ·weights and counts), batched over checkpoints.
 * WGSL: shaders/shells/shellAssign.wgsl, shellReduce.wgsl. Float64 twins: assignShell,
 * shellReduceF64 and binShells in src/reference/shells.ts. Precision: γ_len Σ|w| per shell sum; flagged values may land in either
 * neighbouring shell.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { shellAssignWgsl, shellReduceWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in shellAssign.wgsl. */
export const ShellAssignParams = d.struct({
  batch: d.u32,
  len: d.u32,
  stride: d.u32,
  count: d.u32,
  logRef: d.f32,
  invWidth: d.f32,
  width: d.f32,
  floor: d.f32,
  tol: d.f32,
  alphaMin: d.i32,
  _pad0: d.u32,
  _pad1: d.u32,
});

/** Field order matches `struct Params` in shellReduce.wgsl. */
export const ShellReduceParams = d.struct({ batch: d.u32, len: d.u32, stride: d.u32, shells: d.u32 });

/** Keys and order mirror the @binding declarations in shellAssign.wgsl. */
export const shellAssignLayout = computeLayout({
  params: { uniform: ShellAssignParams },
  values: { storage: d.arrayOf(d.f32), access: 'readonly' },
  index: { storage: d.arrayOf(d.u32), access: 'mutable' },
  flag: { storage: d.arrayOf(d.u32), access: 'mutable' },
});

/** Keys and order mirror the @binding declarations in shellReduce.wgsl. */
export const shellReduceLayout = computeLayout({
  params: { uniform: ShellReduceParams },
  values: { storage: d.arrayOf(d.f32), access: 'readonly' },
  amplitudes: { storage: d.arrayOf(d.f32), access: 'readonly' },
  index: { storage: d.arrayOf(d.u32), access: 'readonly' },
  weight: { storage: d.arrayOf(d.f32), access: 'mutable' },
  lambdaWeight: { storage: d.arrayOf(d.f32), access: 'mutable' },
  counts: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const shellAssignKernel: KernelSpec = { name: 'shellAssign', code: shellAssignWgsl, layout: shellAssignLayout };
export const shellReduceKernel: KernelSpec = { name: 'shellReduce', code: shellReduceWgsl, layout: shellReduceLayout };

/** The grid numbers the kernels need (a `ShellBinning` from src/reference/shells.ts fits). */
export interface ShellGridParams {
  readonly lambdaRef: number;
  readonly width: number;
  readonly alphaMin: number;
  readonly count: number;
  readonly floor: number;
  readonly boundaryTolerance: number;
}

/** Buffers of one binning: inputs [batch][stride] (values, amplitudes), index/flag u32 [batch][stride], sums [batch][count+1]. */
export interface ShellBinningBuffers {
  readonly values: GPUBuffer;
  readonly amplitudes: GPUBuffer;
  readonly index: GPUBuffer;
  readonly flag: GPUBuffer;
  readonly weight: GPUBuffer;
  readonly lambdaWeight: GPUBuffer;
  readonly counts: GPUBuffer;
}

export interface ShellBinningKernels {
  /** Records assign + reduce for `batch` items of `len` values (row stride `stride`). */
  encode(
    rec: Recorder,
    buffers: ShellBinningBuffers,
    grid: ShellGridParams,
    shape: { batch: number; len: number; stride: number },
    square: boolean,
  ): void;
}

/** Compiles the binning pipelines for `ctx`. */
export async function createShellBinning(ctx: GpuContext): Promise<ShellBinningKernels> {
  const wg = ctx.workgroupSize;
  const [assign, reduceSquare, reduceLinear] = await Promise.all([
    getPipeline(ctx, shellAssignKernel, { WORKGROUP_SIZE: wg }),
    getPipeline(ctx, shellReduceKernel, { WORKGROUP_SIZE: 64, SQUARE: 1 }),
    getPipeline(ctx, shellReduceKernel, { WORKGROUP_SIZE: 64, SQUARE: 0 }),
  ]);
  return {
    encode(rec, b, grid, shape, square) {
      const { batch, len, stride } = shape;
      if (!Number.isInteger(grid.count) || grid.count < 1)
        throw new InvalidArgumentError('grid.count', `must be a positive integer, got ${grid.count}`);
      if (len > stride) throw new InvalidArgumentError('len', `cannot exceed stride (${stride}), got ${len}`);
      const assignParams = rec.uniform('shellAssign params', ShellAssignParams, {
        batch,
        len,
        stride,
        count: grid.count,
        logRef: Math.log(grid.lambdaRef),
        invWidth: 1 / grid.width,
        width: grid.width,
        floor: grid.floor,
        tol: grid.boundaryTolerance,
        alphaMin: grid.alphaMin,
        _pad0: 0,
        _pad1: 0,
      });
      rec.dispatch(
        assign,
        bindGroup(rec.ctx, shellAssignKernel, { params: assignParams, values: b.values, index: b.index, flag: b.flag }),
        Math.ceil((batch * stride) / wg),
      );
      const shells = grid.count + 1;
      const reduceParams = rec.uniform('shellReduce params', ShellReduceParams, { batch, len, stride, shells });
      const group = bindGroup(rec.ctx, shellReduceKernel, {
        params: reduceParams,
        values: b.values,
        amplitudes: b.amplitudes,
        index: b.index,
        weight: b.weight,
        lambdaWeight: b.lambdaWeight,
        counts: b.counts,
      });
      rec.dispatch(square ? reduceSquare : reduceLinear, group, Math.ceil((batch * shells) / 64));
    },
  };
}
