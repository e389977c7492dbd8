/**
 * Batched dot products, sums and largest magnitudes on the GPU: `out[b] = Σ_i x[b,i]·y[b,i]` (or
 * `Σ_i x[b,i]`, or `max_i |x[b,i]|`) for `batch` rows of `n` f32 values (at a row stride), as a
 * two-level tree reduction. Work larger than the binding limit is split into several dispatches.
 *
 * WGSL: shaders/linalg/batchedDot.wgsl · float64 twin: src/reference/batchedDot.ts.
 * Precision: f32; |error| ≤ γ_n Σ_i |x_i y_i| per row (γ_n = n u/(1 − n u), u = 2⁻²⁴); the max-abs is exact.
 * @module
 */
import * as d from '../gpu/schema.ts';
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
  stride: d.u32,
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
  /** Elements per row. */
  readonly n: number;
  /** Number of rows. */
  readonly batch: number;
  /** Elements between the starts of consecutive rows (≥ n). Default n. */
  readonly stride?: number;
  /** Element of x (and y) where row 0 starts. Default 0. */
  readonly offset?: number;
}

/** What {@link BatchedDot.encode} reduces: Σ x·y (y given) or Σ x (y null), or max |x|. */
export type BatchedReduction = 'sum' | 'maxAbs';

const MODE = { dot: 0, sum: 1, maxAbs: 2 } as const;

/** A prepared batched dot product (pipelines compiled), recordable into any {@link Recorder}. */
export interface BatchedDot {
  /**
   * Records `out[outOffset + b] = Σ_i x[o+b·s+i]·y[o+b·s+i]` for b < batch, s the row stride and o the offset
   * (`y = null`: plain sums; `reduction: "maxAbs"`: max_i |x[b·s+i]|, y ignored, +Inf for a row
   * holding a non-finite value). Buffers are read/written in f32 elements and are not retained.
   */
  encode(
    rec: Recorder,
    x: GPUBuffer,
    y: GPUBuffer | null,
    out: GPUBuffer,
    shape: BatchedDotShape,
    outOffset?: number,
    reduction?: BatchedReduction,
  ): void;
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
  const pipelines = await Promise.all([
    getPipeline(ctx, batchedDotKernel, { WORKGROUP_SIZE: wg, MODE: MODE.dot }),
    getPipeline(ctx, batchedDotKernel, { WORKGROUP_SIZE: wg, MODE: MODE.sum }),
    getPipeline(ctx, batchedDotKernel, { WORKGROUP_SIZE: wg, MODE: MODE.maxAbs }),
  ]);
  const segment = dotSegmentLength(ctx);
  const { maxStorageBufferBindingSize: maxBinding, minStorageBufferOffsetAlignment: align } = ctx.limits;

  /** One level of the reduction: rows of `n` (at `stride`) → rows of ceil(n/segment), written to dst at dstOffset. */
  function pass(
    rec: Recorder,
    mode: number,
    x: GPUBuffer,
    y: GPUBuffer | null,
    dst: GPUBuffer,
    dstOffset: number,
    n: number,
    stride: number,
    batch: number,
    offset: number,
  ): void {
    const segmentsPerRow = Math.ceil(n / segment);
    const totalSegments = segmentsPerRow * batch;
    const perChunk = unitsPerBinding(maxBinding, align, segment, 'one batchedDot segment');
    for (let first = 0; first < totalSegments; first += perChunk) {
      const count = Math.min(perChunk, totalSegments - first);
      const startRow = Math.floor(first / segmentsPerRow);
      const lastRow = Math.floor((first + count - 1) / segmentsPerRow);
      const start = offset + startRow * stride + (first % segmentsPerRow) * segment;
      const end = offset + lastRow * stride + Math.min(n, (((first + count - 1) % segmentsPerRow) + 1) * segment);
      const input = alignedRange(start, end, align);
      const output = alignedRange(dstOffset + first, dstOffset + first + count, align);
      const params = rec.uniform('batchedDot params', BatchedDotParams, {
        n,
        segment,
        segmentsPerRow,
        firstSegment: first,
        segmentCount: count,
        baseElement: start - offset,
        xShift: input.shift,
        yShift: input.shift,
        outShift: output.shift,
        stride,
      });
      const xBinding = { buffer: x, offset: input.offset, size: input.size };
      const group = bindGroup(rec.ctx, batchedDotKernel, {
        params,
        x: xBinding,
        y: y && mode === MODE.dot ? { buffer: y, offset: input.offset, size: input.size } : xBinding,
        partials: { buffer: dst, offset: output.offset, size: output.size },
      });
      rec.dispatch(pipelines[mode]!, group, count);
    }
  }

  return {
    encode(rec, x, y, out, shape, outOffset = 0, reduction = 'sum') {
      const { n, batch } = shape;
      const stride = shape.stride ?? n;
      const offset = shape.offset ?? 0;
      if (!Number.isInteger(offset) || offset < 0) throw new InvalidArgumentError('offset', `must be an integer ≥ 0, got ${offset}`);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('n', `must be a positive integer, got ${n}`);
      if (!Number.isInteger(batch) || batch < 1) throw new InvalidArgumentError('batch', `must be a positive integer, got ${batch}`);
      if (!Number.isInteger(stride) || stride < n) throw new InvalidArgumentError('stride', `must be an integer ≥ n = ${n}, got ${stride}`);
      if (offset + (batch - 1) * stride + n >= 2 ** 32)
        throw new DeviceLimitError('elements per buffer', offset + (batch - 1) * stride + n, 2 ** 32 - 1, 'batchedDot');
      const first = reduction === 'maxAbs' ? MODE.maxAbs : y ? MODE.dot : MODE.sum;
      const rest = reduction === 'maxAbs' ? MODE.maxAbs : MODE.sum;
      let src = x;
      let srcY = y;
      let len = n;
      let srcStride = stride;
      let srcOffset = offset;
      let mode: number = first;
      for (;;) {
        const spr = Math.ceil(len / segment);
        if (spr === 1) {
          pass(rec, mode, src, srcY, out, outOffset, len, srcStride, batch, srcOffset);
          return;
        }
        const partials = rec.scratch(spr * batch * 4, 'batchedDot partials');
        pass(rec, mode, src, srcY, partials, 0, len, srcStride, batch, srcOffset);
        src = partials;
        srcY = null;
        len = spr;
        srcStride = spr;
        srcOffset = 0;
        mode = rest;
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
