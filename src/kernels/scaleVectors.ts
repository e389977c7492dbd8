/**
 * `dst[b][i] = src[b][i] · s[b·sStride]` for strided rows (shaders/linalg/scaleVectors.wgsl).
 * Float64 twin: `scaleVectorsF64` in src/reference/linalg.ts. Precision: one f32 multiply per element.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { DeviceLimitError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, bindWindow, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { scaleVectorsWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in scaleVectors.wgsl. */
export const ScaleVectorsParams = d.struct({
  len: d.u32,
  batch: d.u32,
  srcStride: d.u32,
  dstStride: d.u32,
  srcShift: d.u32,
  dstShift: d.u32,
  sShift: d.u32,
  sStride: d.u32,
});

/** Keys and order mirror the @binding declarations in scaleVectors.wgsl. */
export const scaleVectorsLayout = computeLayout({
  params: { uniform: ScaleVectorsParams },
  src: { storage: d.arrayOf(d.f32), access: 'readonly' },
  s: { storage: d.arrayOf(d.f32), access: 'readonly' },
  dst: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const scaleVectorsKernel: KernelSpec = { name: 'scaleVectors', code: scaleVectorsWgsl, layout: scaleVectorsLayout };

/** Strided rows: row b starts at offset + b·stride (elements). */
export interface RowsView {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
  readonly stride: number;
}

/** Arguments of {@link ScaleVectors.encode}. */
export interface ScaleVectorsArgs {
  readonly src: RowsView;
  readonly dst: RowsView;
  /** One scale per row: row b's at offset + b·stride (stride default 1). */
  readonly scales: { readonly buffer: GPUBuffer; readonly offset?: number; readonly stride?: number };
  readonly len: number;
  readonly batch: number;
}

export interface ScaleVectors {
  encode(rec: Recorder, args: ScaleVectorsArgs): void;
}

/** Compiles the scaleVectors pipeline for `ctx`. */
export async function createScaleVectors(ctx: GpuContext): Promise<ScaleVectors> {
  const wg = ctx.workgroupSize;
  const pipeline = await getPipeline(ctx, scaleVectorsKernel, { WORKGROUP_SIZE: wg });
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const maxE = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4) - (align / 4 - 1);
  return {
    encode(rec, { src, dst, scales, len, batch }) {
      if (len > maxE) throw new DeviceLimitError('maxStorageBufferBindingSize', len * 4, maxE * 4, 'one row of scaleVectors');
      const per = (stride: number): number => (stride > 0 ? Math.floor((maxE - len) / stride) + 1 : batch);
      const nb = Math.max(1, Math.min(batch, per(src.stride), per(dst.stride)));
      for (let b0 = 0; b0 < batch; b0 += nb) {
        const count = Math.min(nb, batch - b0);
        const so = (src.offset ?? 0) + b0 * src.stride;
        const doff = (dst.offset ?? 0) + b0 * dst.stride;
        const sw = bindWindow(src.buffer, so, so, so + (count - 1) * src.stride + len, align);
        const dw = bindWindow(dst.buffer, doff, doff, doff + (count - 1) * dst.stride + len, align);
        const sStride = scales.stride ?? 1;
        const co = (scales.offset ?? 0) + b0 * sStride;
        const cw = bindWindow(scales.buffer, co, co, co + (count - 1) * sStride + 1, align);
        const params = rec.uniform('scaleVectors params', ScaleVectorsParams, {
          len,
          batch: count,
          srcStride: src.stride,
          dstStride: dst.stride,
          srcShift: sw.shift,
          dstShift: dw.shift,
          sShift: cw.shift,
          sStride,
        });
        rec.dispatch(
          pipeline,
          bindGroup(rec.ctx, scaleVectorsKernel, { params, src: sw.binding, s: cw.binding, dst: dw.binding }),
          Math.ceil((count * len) / wg),
        );
      }
    },
  };
}
