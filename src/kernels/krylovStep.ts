/**
 * The per-step bookkeeping kernels of the block Krylov eigensolver on the GPU
 * (src/algorithms/krylovGpu.ts), so that a whole chunk of steps runs without the host:
 *
 * - `prepare` (shaders/lanczos/krylovPrepare.wgsl): candidates = A q scaled by 2^−e, or a random
 *   vector where the lane's frontier row is a hole.
 * - `normalize` (shaders/lanczos/krylovNormalize.wgsl): new direction or hole, 1/‖w‖, records.
 * - `exponent` (shaders/lanczos/krylovExponent.wgsl): the power of two each operator is divided by.
 *
 * Float64 twins: src/reference/krylovKernels.ts.
 * @module
 */
import * as d from '../gpu/schema.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, bindWindow, computeLayout, getPipeline, unitsPerBinding, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { krylovExponentWgsl, krylovNormalizeWgsl, krylovPrepareWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in krylovPrepare.wgsl. */
export const KrylovPrepareParams = d.struct({
  n: d.u32,
  lanes: d.u32,
  firstLane: d.u32,
  block: d.u32,
  seed: d.u32,
  tick: d.u32,
  wShift: d.u32,
  zeroHoles: d.u32,
});

/** Field order matches `struct Params` in krylovNormalize.wgsl. */
export const KrylovNormalizeParams = d.struct({
  count: d.u32,
  firstLane: d.u32,
  laneStride: d.u32,
  recBase: d.u32,
  tol: d.f32,
  norm2Base: d.u32,
  minNorm0: d.f32,
  _pad2: d.u32,
});

/** Field order matches `struct Params` in krylovExponent.wgsl. */
export const KrylovExponentParams = d.struct({ items: d.u32, _pad0: d.u32, _pad1: d.u32, _pad2: d.u32 });

export const krylovPrepareKernel: KernelSpec = {
  name: 'krylovPrepare',
  code: krylovPrepareWgsl,
  layout: computeLayout({
    params: { uniform: KrylovPrepareParams },
    w: { storage: d.arrayOf(d.f32), access: 'mutable' },
    hole: { storage: d.arrayOf(d.u32), access: 'readonly' },
    exponent: { storage: d.arrayOf(d.i32), access: 'readonly' },
  }),
};

export const krylovNormalizeKernel: KernelSpec = {
  name: 'krylovNormalize',
  code: krylovNormalizeWgsl,
  layout: computeLayout({
    params: { uniform: KrylovNormalizeParams },
    norm0: { storage: d.arrayOf(d.f32), access: 'readonly' },
    norm2: { storage: d.arrayOf(d.f32), access: 'readonly' },
    hole: { storage: d.arrayOf(d.u32), access: 'mutable' },
    inv: { storage: d.arrayOf(d.f32), access: 'mutable' },
    recNorm: { storage: d.arrayOf(d.f32), access: 'mutable' },
    recFlags: { storage: d.arrayOf(d.u32), access: 'mutable' },
  }),
};

export const krylovExponentKernel: KernelSpec = {
  name: 'krylovExponent',
  code: krylovExponentWgsl,
  layout: computeLayout({
    params: { uniform: KrylovExponentParams },
    maxAbs: { storage: d.arrayOf(d.f32), access: 'readonly' },
    exponent: { storage: d.arrayOf(d.i32), access: 'mutable' },
  }),
};

/** The "unset" exponent (i32 minimum) the exponent kernel replaces. */
export const EXPONENT_UNSET = -(2 ** 31);

/** Arguments of {@link KrylovKernels.prepare}. */
export interface KrylovPrepareArgs {
  /** Candidates [lanes][n] (element 0 of lane l at l·n). */
  readonly w: GPUBuffer;
  /** u32 per lane. */
  readonly hole: GPUBuffer;
  /** i32 per item. */
  readonly exponent: GPUBuffer;
  readonly n: number;
  readonly firstLane: number;
  readonly lanes: number;
  /** Block size p: item = lane / p, block member v = lane mod p. */
  readonly block: number;
  readonly seed: number;
  readonly tick: number;
  /** Zero (not random) candidates on hole lanes (the Jᵀ half-step of one-sided Golub–Kahan). */
  readonly zeroHoles?: boolean;
}

/** Arguments of {@link KrylovKernels.normalize}. */
export interface KrylovNormalizeArgs {
  /** ‖w‖² before orthogonalization, per lane. */
  readonly norm0: GPUBuffer;
  /** ‖w‖² after, compact: lane firstLane + t·laneStride at norm2Base + t. */
  readonly norm2: GPUBuffer;
  readonly norm2Base: number;
  readonly hole: GPUBuffer;
  readonly inv: GPUBuffer;
  readonly recNorm: GPUBuffer;
  readonly recFlags: GPUBuffer;
  /** Lanes firstLane + t·laneStride for t < count. */
  readonly firstLane: number;
  readonly laneStride: number;
  readonly count: number;
  /** Records go to rec*[recBase + lane]. */
  readonly recBase: number;
  /** Relative hole tolerance. */
  readonly tol: number;
  /** The hole test is relative to max(‖w₀‖, minNorm0) (default 0; see krylovNormalize.wgsl). */
  readonly minNorm0?: number;
}

/** The prepared Krylov bookkeeping kernels. */
export interface KrylovKernels {
  prepare(rec: Recorder, args: KrylovPrepareArgs): void;
  normalize(rec: Recorder, args: KrylovNormalizeArgs): void;
  /** Sets every unset exponent[b] (b < items) from maxAbs[b]. */
  exponent(rec: Recorder, maxAbs: GPUBuffer, exponent: GPUBuffer, items: number): void;
}

/** Compiles the three pipelines for `ctx`. */
export async function createKrylovKernels(ctx: GpuContext): Promise<KrylovKernels> {
  const wg = ctx.workgroupSize;
  const [prepare, normalize, exponent] = await Promise.all([
    getPipeline(ctx, krylovPrepareKernel, { WORKGROUP_SIZE: wg }),
    getPipeline(ctx, krylovNormalizeKernel, { WORKGROUP_SIZE: wg }),
    getPipeline(ctx, krylovExponentKernel, { WORKGROUP_SIZE: wg }),
  ]);
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const maxBinding = ctx.limits.maxStorageBufferBindingSize;
  return {
    prepare(rec, a) {
      // Lanes per dispatch: their candidates must fit one binding.
      const per = unitsPerBinding(maxBinding, align, a.n, 'one Krylov candidate vector');
      for (let l0 = 0; l0 < a.lanes; l0 += per) {
        const count = Math.min(per, a.lanes - l0);
        const origin = (a.firstLane + l0) * a.n;
        const ww = bindWindow(a.w, origin, origin, origin + count * a.n, align);
        const params = rec.uniform('krylovPrepare params', KrylovPrepareParams, {
          n: a.n,
          lanes: count,
          firstLane: a.firstLane + l0,
          block: a.block,
          seed: a.seed >>> 0,
          tick: a.tick >>> 0,
          wShift: ww.shift,
          zeroHoles: a.zeroHoles ? 1 : 0,
        });
        const group = bindGroup(rec.ctx, krylovPrepareKernel, { params, w: ww.binding, hole: a.hole, exponent: a.exponent });
        rec.dispatch(prepare, group, Math.ceil((count * a.n) / wg));
      }
    },
    normalize(rec, a) {
      const params = rec.uniform('krylovNormalize params', KrylovNormalizeParams, {
        count: a.count,
        firstLane: a.firstLane,
        laneStride: a.laneStride,
        recBase: a.recBase,
        tol: a.tol,
        norm2Base: a.norm2Base,
        minNorm0: a.minNorm0 ?? 0,
        _pad2: 0,
      });
      const { norm0, norm2, hole, inv, recNorm, recFlags } = a;
      const group = bindGroup(rec.ctx, krylovNormalizeKernel, { params, norm0, norm2, hole, inv, recNorm, recFlags });
      rec.dispatch(normalize, group, Math.ceil(a.count / wg));
    },
    exponent(rec, maxAbs, exp, items) {
      const params = rec.uniform('krylovExponent params', KrylovExponentParams, { items, _pad0: 0, _pad1: 0, _pad2: 0 });
      rec.dispatch(exponent, bindGroup(rec.ctx, krylovExponentKernel, { params, maxAbs, exponent: exp }), Math.ceil(items / wg));
    },
  };
}
