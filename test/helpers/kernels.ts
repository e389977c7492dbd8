/** Host-array runners for kernel tests: upload, record one operation, read everything back, free. */
import type { GpuContext } from '../../src/gpu/context.ts';
import { readStaging, record } from '../../src/gpu/recorder.ts';
import { createMatVec, type MatVecTuning } from '../../src/kernels/matVec.ts';
import type { MatVecLayout } from '../../src/reference/matVec.ts';

/** Runs matVecT ('T') or matVecN ('N') on f32 copies of the host arrays; returns the new y. */
export async function runMatVec(
  ctx: GpuContext,
  which: 'T' | 'N',
  m: Float32Array,
  x: Float32Array,
  y: Float32Array,
  l: MatVecLayout,
  tuning: MatVecTuning = {},
): Promise<Float32Array> {
  const mv = await createMatVec(ctx, tuning);
  const mb = await ctx.uploadF32(m, 'm');
  const xb = await ctx.uploadF32(x, 'x');
  const yb = await ctx.uploadF32(y, 'y');
  try {
    const staging = await record(ctx, `matVec${which}`, (rec) => {
      const args = {
        m: {
          buffer: mb,
          offset: l.mOffset ?? 0,
          rows: l.rows,
          cols: l.cols,
          ...(l.ld ? { ld: l.ld } : {}),
          ...(l.mStride ? { batchStride: l.mStride } : {}),
        },
        x: { buffer: xb, offset: l.xOffset ?? 0, batchStride: l.xStride, vectorStride: l.xVecStride },
        y: { buffer: yb, offset: l.yOffset ?? 0, batchStride: l.yStride, vectorStride: l.yVecStride },
        batch: l.batch,
        vectors: l.vectors,
        ...(l.alpha === undefined ? {} : { alpha: l.alpha }),
        ...(l.beta === undefined ? {} : { beta: l.beta }),
        ...(l.rowBegin === undefined ? {} : { rowBegin: l.rowBegin }),
        ...(l.rowEnd === undefined ? {} : { rowEnd: l.rowEnd }),
      };
      if (which === 'T') mv.encodeT(rec, args);
      else mv.encodeN(rec, args);
      return rec.stage(yb, 0, y.byteLength);
    });
    return new Float32Array(await readStaging(ctx, staging));
  } finally {
    ctx.destroyBuffer(mb);
    ctx.destroyBuffer(xb);
    ctx.destroyBuffer(yb);
  }
}
