/**
 * Batched CSR sparse matrix times a block of vectors (shaders/operators/csrMatVec.wgsl).
 * Float64 twin: src/reference/sparse.ts. Precision: f32 row sums, |error| ≤ γ_nnz Σ|a x|.
 * @module
 */
import { d } from 'typegpu';
import { DeviceLimitError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, bindWindow, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { csrMatVecWgsl } from '../shaders.generated.ts';
import type { VectorsView } from './matVec.ts';

/** Field order matches `struct Params` in csrMatVec.wgsl. */
export const CsrMatVecParams = d.struct({
  n: d.u32,
  batch: d.u32,
  vectors: d.u32,
  xStride: d.u32,
  xVecStride: d.u32,
  yStride: d.u32,
  yVecStride: d.u32,
  xShift: d.u32,
  yShift: d.u32,
  _pad0: d.u32,
  _pad1: d.u32,
  _pad2: d.u32,
});

/** Keys and order mirror the @binding declarations in csrMatVec.wgsl. */
export const csrMatVecLayout = computeLayout({
  params: { uniform: CsrMatVecParams },
  rowPtr: { storage: d.arrayOf(d.u32), access: 'readonly' },
  colIdx: { storage: d.arrayOf(d.u32), access: 'readonly' },
  values: { storage: d.arrayOf(d.f32), access: 'readonly' },
  base: { storage: d.arrayOf(d.u32), access: 'readonly' },
  x: { storage: d.arrayOf(d.f32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const csrMatVecKernel: KernelSpec = { name: 'csrMatVec', code: csrMatVecWgsl, layout: csrMatVecLayout };

/** GPU buffers of a batch of CSR matrices (see the WGSL header for the layout). */
export interface CsrBuffers {
  readonly rowPtr: GPUBuffer;
  readonly colIdx: GPUBuffer;
  readonly values: GPUBuffer;
  readonly base: GPUBuffer;
}

export interface CsrMatVec {
  encode(rec: Recorder, csr: CsrBuffers, n: number, batch: number, x: VectorsView, y: VectorsView, vectors: number): void;
}

/** Compiles the csrMatVec pipeline for `ctx`. */
export async function createCsrMatVec(ctx: GpuContext): Promise<CsrMatVec> {
  const wg = ctx.workgroupSize;
  const pipeline = await getPipeline(ctx, csrMatVecKernel, { WORKGROUP_SIZE: wg });
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const maxBytes = ctx.limits.maxStorageBufferBindingSize;
  return {
    encode(rec, csr, n, batch, x, y, vectors) {
      for (const [name, buffer] of Object.entries(csr)) {
        if (buffer.size > maxBytes)
          throw new DeviceLimitError('maxStorageBufferBindingSize', buffer.size, maxBytes, `the CSR ${name} array`);
      }
      const xo = x.offset ?? 0;
      const yo = y.offset ?? 0;
      const xw = bindWindow(x.buffer, xo, xo, xo + (batch - 1) * x.batchStride + (vectors - 1) * x.vectorStride + n, align);
      const yw = bindWindow(y.buffer, yo, yo, yo + (batch - 1) * y.batchStride + (vectors - 1) * y.vectorStride + n, align);
      const params = rec.uniform('csrMatVec params', CsrMatVecParams, {
        n,
        batch,
        vectors,
        xStride: x.batchStride,
        xVecStride: x.vectorStride,
        yStride: y.batchStride,
        yVecStride: y.vectorStride,
        xShift: xw.shift,
        yShift: yw.shift,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
      });
      const group = bindGroup(rec.ctx, csrMatVecKernel, { params, ...csr, x: xw.binding, y: yw.binding });
      rec.dispatch(pipeline, group, Math.ceil((batch * vectors * n) / wg));
    },
  };
}
