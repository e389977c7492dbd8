/**
 * A streaming GPU copy `dst[i] = src[i]` with 16-byte (vec4<f32>) loads and stores and a
 * grid-stride loop (shaders/bench/copyBandwidth.wgsl): the memory-bandwidth ceiling of the GEMM
 * roofline benchmark. Ranges above the binding limit run as several dispatches; the last
 * `elementCount mod 4` elements are copied with `copyBufferToBuffer`.
 *
 * Float64 twin: `copy` in src/reference/copy.ts. Precision: exact.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { DeviceLimitError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferUsage } from '../gpu/flags.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { copyBandwidthWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in copyBandwidth.wgsl. */
export const CopyBandwidthParams = d.struct({
  count: d.u32,
  threads: d.u32,
});

/** Keys and order mirror the @binding declarations in copyBandwidth.wgsl. */
export const copyBandwidthLayout = computeLayout({
  params: { uniform: CopyBandwidthParams },
  src: { storage: d.arrayOf(d.vec4f), access: 'readonly' },
  dst: { storage: d.arrayOf(d.vec4f), access: 'mutable' },
});

export const copyBandwidthKernel: KernelSpec = { name: 'copyBandwidth', code: copyBandwidthWgsl, layout: copyBandwidthLayout };

/** Most workgroups one dispatch launches; the grid-stride loop covers the rest. */
const MAX_WORKGROUPS = 2048;

/** The prepared copy. */
export interface CopyBandwidth {
  /**
   * Records `dst[i] = src[i]` for the first `elementCount` f32 elements. The buffers must differ;
   * when `elementCount` is not a multiple of 4, src needs COPY_SRC and dst COPY_DST usage (for
   * the last 1–3 elements).
   */
  encode(rec: Recorder, src: GPUBuffer, dst: GPUBuffer, elementCount: number): void;
}

/** Compiles the copyBandwidth pipeline for `ctx` (cached per context). */
export async function createCopyBandwidth(ctx: GpuContext): Promise<CopyBandwidth> {
  const wg = ctx.workgroupSize;
  const pipeline = await getPipeline(ctx, copyBandwidthKernel, { WORKGROUP_SIZE: wg });
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  // vec4s per dispatch: a whole number of alignment units, so every chunk starts aligned.
  const chunk = (Math.floor(ctx.limits.maxStorageBufferBindingSize / Math.max(align, 16)) * Math.max(align, 16)) / 16;
  if (chunk < 1)
    throw new DeviceLimitError('maxStorageBufferBindingSize', Math.max(align, 16), ctx.limits.maxStorageBufferBindingSize, 'copyBandwidth');

  return {
    encode(rec, src, dst, elementCount) {
      if (!Number.isInteger(elementCount) || elementCount < 0) {
        throw new InvalidArgumentError('elementCount', `must be an integer ≥ 0, got ${elementCount}`);
      }
      if (src === dst) throw new InvalidArgumentError('dst', 'must differ from src');
      for (const [name, buffer] of [
        ['src', src],
        ['dst', dst],
      ] as const) {
        if (elementCount * 4 > buffer.size) {
          throw new InvalidArgumentError(name, `holds ${Math.floor(buffer.size / 4)} elements, fewer than elementCount = ${elementCount}`);
        }
      }
      const vec4s = Math.floor(elementCount / 4);
      for (let v0 = 0; v0 < vec4s; v0 += chunk) {
        const count = Math.min(chunk, vec4s - v0);
        const workgroups = Math.min(MAX_WORKGROUPS, Math.ceil(count / wg));
        const params = rec.uniform('copyBandwidth params', CopyBandwidthParams, { count, threads: workgroups * wg });
        const range = { offset: v0 * 16, size: count * 16 };
        const group = bindGroup(rec.ctx, copyBandwidthKernel, { params, src: { buffer: src, ...range }, dst: { buffer: dst, ...range } });
        rec.dispatch(pipeline, group, workgroups);
      }
      const tail = elementCount - vec4s * 4;
      if (tail > 0) {
        if (!(src.usage & BufferUsage.COPY_SRC))
          throw new InvalidArgumentError('src', 'needs COPY_SRC usage when elementCount is not a multiple of 4');
        if (!(dst.usage & BufferUsage.COPY_DST))
          throw new InvalidArgumentError('dst', 'needs COPY_DST usage when elementCount is not a multiple of 4');
        rec.copy(src, vec4s * 16, dst, vec4s * 16, tail * 4);
      }
    },
  };
}
