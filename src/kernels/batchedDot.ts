/**
 * Batched dot products and sums on the GPU: `out[b] = Σ_i x[b,i]·y[b,i]` (or `Σ_i x[b,i]`) for
 * `batch` rows of `n` f32 values, as a two-level tree reduction. Work larger than the binding
 * limit is split into several dispatches.
 *
 * WGSL: shaders/linalg/batchedDot.wgsl · float64 twin: src/reference/batchedDot.ts.
 * Precision: f32; |error| ≤ γ_n Σ_i |x_i y_i| per row (γ_n = n u/(1 − n u), u = 2⁻²⁴).
 * @module
 */
import { d } from 'typegpu';
import { DeviceLimitError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferUsage } from '../gpu/flags.ts';
import { alignedRange, bindGroup, computeLayout, getPipeline, unitsPerBinding, type KernelSpec } from '../gpu/kernel.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { batchedDotWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in batchedDot.wgsl. */
export const BatchedDotParams = d.struct({
  n: d.u32,
  segment: d.u32,
  segmentsPerRow: d.u32,
  firstSegment: d.u32,
  segmentCount: d.u32,
  baseElement: d.u32,
  xShift: d.u32,
  yShift: d.u32,
  outShift: d.u32,
});

/** Keys and order mirror the @binding declarations in batchedDot.wgsl. */
export const batchedDotLayout = computeLayout({
  params: { uniform: BatchedDotParams },
  x: { storage: d.arrayOf(d.f32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'readonly' },
  partials: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

/** The batchedDot kernel. */
export const batchedDotKernel: KernelSpec = { name: 'batchedDot', code: batchedDotWgsl, layout: batchedDotLayout };

/** Elements each thread sums sequentially before the tree reduction. */
const ELEMENTS_PER_THREAD = 16;

/** Shape of a batched dot product: `batch` rows of `n` elements. */
export interface BatchedDotShape {
  readonly n: number;
  readonly batch: number;
}

/** A prepared batched dot product (pipelines compiled), recordable into any {@link Recorder}. */
export interface BatchedDot {
  /**
   * Records `out[outOffset + b] = Σ_i x[b·n+i]·y[b·n+i]` for b < batch (`y = null`: plain sums).
   * Buffers are read/written in f32 elements and are not retained.
   */
  encode(rec: Recorder, x: GPUBuffer, y: GPUBuffer | null, out: GPUBuffer, shape: BatchedDotShape, outOffset?: number): void;
}

/** Segment length (elements per workgroup) for the given context: fits one binding. */
export function dotSegmentLength(ctx: GpuContext): number {
  const wg = ctx.workgroupSize;
  const maxElems = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4) - (ctx.limits.minStorageBufferOffsetAlignment / 4 - 1);
  return Math.max(wg, Math.min(wg * ELEMENTS_PER_THREAD, Math.floor(maxElems / wg) * wg));
}

/** Compiles the batchedDot pipelines for `ctx` (cached per context). */
export async function createBatchedDot(ctx: GpuContext): Promise<BatchedDot> {
  const wg = ctx.workgroupSize;
  const [withY, sumOnly] = await Promise.all([
    getPipeline(ctx, batchedDotKernel, { WORKGROUP_SIZE: wg, HAS_Y: 1 }),
    getPipeline(ctx, batchedDotKernel, { WORKGROUP_SIZE: wg, HAS_Y: 0 }),
  ]);
  const segment = dotSegmentLength(ctx);
  const { maxStorageBufferBindingSize: maxBinding, minStorageBufferOffsetAlignment: align } = ctx.limits;

  /** One level of the reduction: rows of `n` → rows of ceil(n/segment), written to dst at dstOffset. */
  function pass(rec: Recorder, x: GPUBuffer, y: GPUBuffer | null, dst: GPUBuffer, dstOffset: number, n: number, batch: number): void {
    const segmentsPerRow = Math.ceil(n / segment);
    const totalSegments = segmentsPerRow * batch;
    const perChunk = unitsPerBinding(maxBinding, align, segment, 'one batchedDot segment');
    for (let first = 0; first < totalSegments; first += perChunk) {
      const count = Math.min(perChunk, totalSegments - first);
      const startRow = Math.floor(first / segmentsPerRow);
      const lastRow = Math.floor((first + count - 1) / segmentsPerRow);
      const start = startRow * n + (first % segmentsPerRow) * segment;
      const end = lastRow * n + Math.min(n, (((first + count - 1) % segmentsPerRow) + 1) * segment);
      const input = alignedRange(start, end, align);
      const output = alignedRange(dstOffset + first, dstOffset + first + count, align);
      const params = rec.uniform('batchedDot params', BatchedDotParams, {
        n,
        segment,
        segmentsPerRow,
        firstSegment: first,
        segmentCount: count,
        baseElement: start,
        xShift: input.shift,
        yShift: input.shift,
        outShift: output.shift,
      });
      const xBinding = { buffer: x, offset: input.offset, size: input.size };
      const group = bindGroup(rec.ctx, batchedDotKernel, {
        params,
        x: xBinding,
        y: y ? { buffer: y, offset: input.offset, size: input.size } : xBinding,
        partials: { buffer: dst, offset: output.offset, size: output.size },
      });
      rec.dispatch(y ? withY : sumOnly, group, count);
    }
  }

  return {
    encode(rec, x, y, out, shape, outOffset = 0) {
      const { n, batch } = shape;
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('n', `must be a positive integer, got ${n}`);
      if (!Number.isInteger(batch) || batch < 1) throw new InvalidArgumentError('batch', `must be a positive integer, got ${batch}`);
      if (n * batch >= 2 ** 32) throw new DeviceLimitError('elements per buffer', n * batch, 2 ** 32 - 1, 'batchedDot');
      let src = x;
      let srcY = y;
      let len = n;
      for (;;) {
        const spr = Math.ceil(len / segment);
        if (spr === 1) {
          pass(rec, src, srcY, out, outOffset, len, batch);
          return;
        }
        const partials = rec.scratch(spr * batch * 4, 'batchedDot partials');
        pass(rec, src, srcY, partials, 0, len, batch);
        src = partials;
        srcY = null;
        len = spr;
      }
    },
  };
}

/**
 * Convenience: uploads `x` (and `y`), runs the batched dot product and reads the result back.
 * For tests, examples and the doctor self-test; algorithms use `createBatchedDot` (internal) and keep
 * data on the GPU.
 */
export async function batchedDotGpu(
  ctx: GpuContext,
  x: Float32Array,
  y: Float32Array | null,
  shape: BatchedDotShape,
): Promise<Float32Array> {
  const { n, batch } = shape;
  if (x.length !== n * batch) throw new InvalidArgumentError('x', `expected ${n * batch} elements (batch × n), got ${x.length}`);
  if (y && y.length !== n * batch) throw new InvalidArgumentError('y', `expected ${n * batch} elements (batch × n), got ${y.length}`);
  const dot = await createBatchedDot(ctx);
  const xb = await ctx.uploadF32(x, 'batchedDot x');
  const yb = y ? await ctx.uploadF32(y, 'batchedDot y') : null;
  const out = await ctx.createBuffer({
    label: 'batchedDot out',
    size: Math.max(16, batch * 4),
    usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC,
  });
  try {
    const staging = await record(ctx, 'batchedDot', (rec) => {
      dot.encode(rec, xb, yb, out, shape);
      return rec.stage(out, 0, batch * 4);
    });
    return new Float32Array(await readStaging(ctx, staging));
  } finally {
    ctx.destroyBuffer(xb);
    ctx.destroyBuffer(yb);
    ctx.destroyBuffer(out);
  }
}
