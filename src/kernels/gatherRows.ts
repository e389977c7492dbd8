/**
 * Per-batch row gather with zero fill (shaders/linalg/gatherRows.wgsl): picks the eigenvector
 * rows of the wanted Ritz values, whose positions differ from lane to lane.
 * Float64 twin: `gatherRowsF64` in src/reference/linalg.ts. Precision: exact copies.
 * @module
 */
import * as d from '../gpu/schema.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { gatherRowsWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in gatherRows.wgsl. */
export const GatherRowsParams = d.struct({
  batch: d.u32,
  count: d.u32,
  len: d.u32,
  srcBatchStride: d.u32,
  srcRowStride: d.u32,
  limitStride: d.u32,
  limitOffset: d.u32,
  _pad: d.u32,
});

/** Keys and order mirror the @binding declarations in gatherRows.wgsl. */
export const gatherRowsLayout = computeLayout({
  params: { uniform: GatherRowsParams },
  src: { storage: d.arrayOf(d.f32), access: 'readonly' },
  index: { storage: d.arrayOf(d.u32), access: 'readonly' },
  limit: { storage: d.arrayOf(d.u32), access: 'readonly' },
  dst: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const gatherRowsKernel: KernelSpec = { name: 'gatherRows', code: gatherRowsWgsl, layout: gatherRowsLayout };

/** Arguments of {@link GatherRows.encode}; dst is compact [batch][count][len]. */
export interface GatherRowsArgs {
  readonly src: GPUBuffer;
  readonly index: GPUBuffer;
  readonly limit: GPUBuffer;
  readonly dst: GPUBuffer;
  readonly batch: number;
  readonly count: number;
  readonly len: number;
  readonly srcBatchStride: number;
  readonly srcRowStride: number;
  readonly limitStride: number;
  readonly limitOffset: number;
}

export interface GatherRows {
  encode(rec: Recorder, args: GatherRowsArgs): void;
}

/** Compiles the gatherRows pipeline for `ctx`. */
export async function createGatherRows(ctx: GpuContext): Promise<GatherRows> {
  const wg = ctx.workgroupSize;
  const pipeline = await getPipeline(ctx, gatherRowsKernel, { WORKGROUP_SIZE: wg });
  return {
    encode(rec, a) {
      const params = rec.uniform('gatherRows params', GatherRowsParams, {
        batch: a.batch,
        count: a.count,
        len: a.len,
        srcBatchStride: a.srcBatchStride,
        srcRowStride: a.srcRowStride,
        limitStride: a.limitStride,
        limitOffset: a.limitOffset,
        _pad: 0,
      });
      const group = bindGroup(rec.ctx, gatherRowsKernel, { params, src: a.src, index: a.index, limit: a.limit, dst: a.dst });
      rec.dispatch(pipeline, group, Math.ceil((a.batch * a.count * a.len) / wg));
    },
  };
}
