/**
 * What the row-per-thread operator kernels (shaders/operators/csrMatVec.wgsl,
 * wgslOperator.wgsl) share: y[b][v] = A[b] x[b][v] over blocks of vectors, with the same
 * `struct Params` and the same aligned windows on x and y.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { bindWindow } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import type { VectorsView } from './matVec.ts';

/** Field order matches `struct Params` in csrMatVec.wgsl and wgslOperator.wgsl. */
export const RowOperatorParams = d.struct({
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

/**
 * The uniform and the x/y bindings of one dispatch over `batch` operators of size n and `vectors`
 * vectors each: windows aligned to `alignment` bytes, element shifts in the parameters.
 */
export function rowOperatorBindings(
  rec: Recorder,
  label: string,
  shape: { readonly n: number; readonly batch: number; readonly vectors: number },
  x: VectorsView,
  y: VectorsView,
  alignment: number,
): { params: GPUBuffer; x: GPUBufferBinding; y: GPUBufferBinding } {
  const { n, batch, vectors } = shape;
  const window = (v: VectorsView) => {
    const o = v.offset ?? 0;
    return bindWindow(v.buffer, o, o, o + (batch - 1) * v.batchStride + (vectors - 1) * v.vectorStride + n, alignment);
  };
  const xw = window(x);
  const yw = window(y);
  const params = rec.uniform(`${label} params`, RowOperatorParams, {
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
  return { params, x: xw.binding, y: yw.binding };
}
