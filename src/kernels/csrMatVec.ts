/**
 * Batched CSR sparse matrix times a block of vectors (shaders/operators/csrMatVec.wgsl).
 * Float64 twin: src/reference/sparse.ts. Precision: f32 row sums, |error| ≤ γ_nnz Σ|a x|.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { DeviceLimitError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { csrMatVecWgsl } from '../shaders.generated.ts';
import type { VectorsView } from './matVec.ts';
import { RowOperatorParams, rowOperatorBindings } from './rowOperator.ts';

/** Keys and order mirror the @binding declarations in csrMatVec.wgsl. */
export const csrMatVecLayout = computeLayout({
  params: { uniform: RowOperatorParams },
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
      const { params, x: xb, y: yb } = rowOperatorBindings(rec, 'csrMatVec', { n, batch, vectors }, x, y, align);
      const group = bindGroup(rec.ctx, csrMatVecKernel, { params, ...csr, x: xb, y: yb });
      rec.dispatch(pipeline, group, Math.ceil((batch * vectors * n) / wg));
    },
  };
}
