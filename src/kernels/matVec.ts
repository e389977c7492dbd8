/**
 * Batched multi-vector matrix–vector products on the GPU:
 *
 * - `encodeT`: `y[b][v] = α·M[b]ᵀ x[b][v] + β·y[b][v]` (shaders/linalg/matVecT.wgsl), streaming M
 *   once per 8 vectors with one thread per column; the dense symmetric operator apply, Jᵀx, the
 *   CGS update w −= Qᵀh and Ritz vectors.
 * - `encodeN`: `y[b][v] = α·M[b] x[b][v] + β·y[b][v]` (shaders/linalg/matVecN.wgsl), one row per
 *   workgroup; J z and the CGS coefficients h = Q w.
 *
 * Work is planned against the binding limit: batches are grouped per dispatch while their
 * matrices fit one binding; a matrix larger than a binding is cut into row ranges (for `encodeT`
 * the partial sums are combined by shaders/linalg/splitSum.wgsl). Few output columns with many
 * rows are split across workgroups for parallelism the same way.
 *
 * Float64 twins: src/reference/matVec.ts. Precision: f32 accumulation, |error| ≤ γ_K Σ|M x| per entry.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { DeviceLimitError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, bindWindow, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { matVecNWgsl, matVecTWgsl, splitSumWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in matVecT.wgsl. */
export const MatVecTParams = d.struct({
  cols: d.u32,
  kBegin: d.u32,
  kEnd: d.u32,
  kChunk: d.u32,
  splits: d.u32,
  vectors: d.u32,
  batch: d.u32,
  ld: d.u32,
  mStride: d.u32,
  xStride: d.u32,
  xVecStride: d.u32,
  yStride: d.u32,
  yVecStride: d.u32,
  mShift: d.u32,
  xShift: d.u32,
  yShift: d.u32,
  partialStride: d.u32,
  alpha: d.f32,
  beta: d.f32,
});

/** Field order matches `struct Params` in matVecN.wgsl. */
export const MatVecNParams = d.struct({
  rBegin: d.u32,
  rEnd: d.u32,
  cols: d.u32,
  cChunk: d.u32,
  splits: d.u32,
  vectors: d.u32,
  batch: d.u32,
  ld: d.u32,
  mStride: d.u32,
  xStride: d.u32,
  xVecStride: d.u32,
  yStride: d.u32,
  yVecStride: d.u32,
  mShift: d.u32,
  xShift: d.u32,
  yShift: d.u32,
  partialStride: d.u32,
  partialRows: d.u32,
  alpha: d.f32,
  beta: d.f32,
});

/** Field order matches `struct Params` in splitSum.wgsl. */
export const SplitSumParams = d.struct({
  len: d.u32,
  vectors: d.u32,
  batch: d.u32,
  splits: d.u32,
  partialStride: d.u32,
  yStride: d.u32,
  yVecStride: d.u32,
  yShift: d.u32,
  pShift: d.u32,
  alpha: d.f32,
  beta: d.f32,
});

const matrixBindings = {
  m: { storage: d.arrayOf(d.f32), access: 'readonly' },
  x: { storage: d.arrayOf(d.f32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'mutable' },
} as const;

/** Keys and order mirror the @binding declarations in matVecT.wgsl. */
export const matVecTLayout = computeLayout({ params: { uniform: MatVecTParams }, ...matrixBindings });
/** Keys and order mirror the @binding declarations in matVecN.wgsl. */
export const matVecNLayout = computeLayout({ params: { uniform: MatVecNParams }, ...matrixBindings });
/** Keys and order mirror the @binding declarations in splitSum.wgsl. */
export const splitSumLayout = computeLayout({
  params: { uniform: SplitSumParams },
  p: { storage: d.arrayOf(d.f32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const matVecTKernel: KernelSpec = { name: 'matVecT', code: matVecTWgsl, layout: matVecTLayout };
export const matVecNKernel: KernelSpec = { name: 'matVecN', code: matVecNWgsl, layout: matVecNLayout };
export const splitSumKernel: KernelSpec = { name: 'splitSum', code: splitSumWgsl, layout: splitSumLayout };

/** A batch of row-major matrices in a GPU buffer (all sizes in f32 elements). */
export interface MatrixView {
  readonly buffer: GPUBuffer;
  /** Element offset of the first matrix. Default 0. */
  readonly offset?: number;
  readonly rows: number;
  readonly cols: number;
  /** Row stride (leading dimension). Default `cols`. */
  readonly ld?: number;
  /** Elements between consecutive matrices of the batch. Default `rows · ld`. */
  readonly batchStride?: number;
}

/** A batch of vector sets in a GPU buffer: vector v of batch item b starts at offset + b·batchStride + v·vectorStride. */
export interface VectorsView {
  /** The buffer (f32). */
  readonly buffer: GPUBuffer;
  /** Element offset of vector 0 of batch item 0. Default 0. */
  readonly offset?: number;
  /** Elements between consecutive batch items. */
  readonly batchStride: number;
  /** Elements between consecutive vectors of one item. */
  readonly vectorStride: number;
}

/** Arguments common to both products. */
export interface MatVecArgs {
  readonly m: MatrixView;
  readonly x: VectorsView;
  readonly y: VectorsView;
  /** Number of (matrix, vector set) pairs. */
  readonly batch: number;
  /** Vectors per batch item. */
  readonly vectors: number;
  /** Default 1. */
  readonly alpha?: number;
  /** Default 0 (y is then write-only: NaNs in it do not propagate). */
  readonly beta?: number;
  /** First row of M used: the reduction range of `encodeT`, the output rows of `encodeN`. Default 0. */
  readonly rowBegin?: number;
  /** One past the last row used. Default `m.rows`. */
  readonly rowEnd?: number;
}

/** The prepared products; see the module documentation. */
export interface MatVec {
  encodeT(rec: Recorder, args: MatVecArgs): void;
  encodeN(rec: Recorder, args: MatVecArgs): void;
}

/** Tuning knobs of {@link createMatVec} (defaults chosen per adapter). */
export interface MatVecTuning {
  /**
   * Threads cooperating on one row in matVecN (power of two, 1–32). Default: 32 on GPUs (coalesced
   * reads), 1 on software adapters (no workgroup barrier, which they execute slowly).
   */
  readonly threadsPerRow?: number;
  /**
   * A product offering fewer workgroups than this is split along its reduction for parallelism
   * (finished by splitSum). Default 128 on GPUs, 4 on software adapters (a 2-core CPU gains
   * nothing from splitting and pays for the extra pass).
   */
  readonly targetWorkgroups?: number;
}

/** The default {@link MatVecTuning.threadsPerRow} for `ctx`. */
export function defaultThreadsPerRow(ctx: GpuContext): number {
  return ctx.adapter.software ? 1 : 32;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(name, `must be an integer ≥ ${min}, got ${value}`);
}

/** Largest n ≤ max with (n − 1)·stride + base ≤ limit (at least 1 when base ≤ limit). */
function fitCount(max: number, stride: number, base: number, limit: number): number {
  if (stride <= 0) return max;
  return Math.max(1, Math.min(max, Math.floor((limit - base) / stride) + 1));
}

/** Compiles the matVec pipelines for `ctx` (cached per context). */
export async function createMatVec(ctx: GpuContext, options: MatVecTuning = {}): Promise<MatVec> {
  const wg = ctx.workgroupSize;
  const tpr = options.threadsPerRow ?? defaultThreadsPerRow(ctx);
  const target = options.targetWorkgroups ?? (ctx.adapter.software ? 4 : 128);
  if (![1, 2, 4, 8, 16, 32].includes(tpr))
    throw new InvalidArgumentError('threadsPerRow', `must be a power of two from 1 to 32, got ${tpr}`);
  const [tFull, tPartial, nFull, nPartial, split] = await Promise.all([
    getPipeline(ctx, matVecTKernel, { WORKGROUP_SIZE: wg, PARTIAL: 0 }),
    getPipeline(ctx, matVecTKernel, { WORKGROUP_SIZE: wg, PARTIAL: 1 }),
    getPipeline(ctx, matVecNKernel, { WORKGROUP_SIZE: wg, PARTIAL: 0, TPR: tpr }),
    getPipeline(ctx, matVecNKernel, { WORKGROUP_SIZE: wg, PARTIAL: 1, TPR: tpr }),
    getPipeline(ctx, splitSumKernel, { WORKGROUP_SIZE: wg }),
  ]);
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const maxE = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4) - (align / 4 - 1);

  function common(args: MatVecArgs) {
    const { m, x, y, batch, vectors } = args;
    checkCount('batch', batch, 1);
    checkCount('vectors', vectors, 1);
    checkCount('m.rows', m.rows, 1);
    checkCount('m.cols', m.cols, 1);
    const ld = m.ld ?? m.cols;
    const mStride = m.batchStride ?? m.rows * ld;
    const rowBegin = args.rowBegin ?? 0;
    const rowEnd = args.rowEnd ?? m.rows;
    if (!(rowBegin >= 0 && rowBegin <= rowEnd && rowEnd <= m.rows)) {
      throw new InvalidArgumentError('rowBegin/rowEnd', `need 0 ≤ rowBegin ≤ rowEnd ≤ rows (${m.rows}), got ${rowBegin}, ${rowEnd}`);
    }
    return {
      ld,
      mStride,
      rowBegin,
      rowEnd,
      mOff: m.offset ?? 0,
      xOff: x.offset ?? 0,
      yOff: y.offset ?? 0,
      alpha: args.alpha ?? 1,
      beta: args.beta ?? 0,
    };
  }

  /** Records y = alpha·Σ_s P[s] + beta·y for the compact partials P, in batch chunks that fit a binding. */
  function finishSplits(
    rec: Recorder,
    p: GPUBuffer,
    y: VectorsView,
    yOrigin: number,
    len: number,
    batch: number,
    vectors: number,
    splits: number,
    alpha: number,
    beta: number,
  ): void {
    const spanY = (vectors - 1) * y.vectorStride + len;
    if (spanY > maxE) throw new DeviceLimitError('maxStorageBufferBindingSize', spanY * 4, maxE * 4, 'one vector set of a split product');
    const nb = fitCount(batch, y.batchStride, spanY, maxE);
    for (let b0 = 0; b0 < batch; b0 += nb) {
      const count = Math.min(nb, batch - b0);
      const origin = yOrigin + b0 * y.batchStride;
      const yw = bindWindow(y.buffer, origin, origin, origin + (count - 1) * y.batchStride + spanY, align);
      const params = rec.uniform('splitSum params', SplitSumParams, {
        len,
        vectors,
        batch: count,
        splits,
        partialStride: batch * vectors * len,
        yStride: y.batchStride,
        yVecStride: y.vectorStride,
        yShift: yw.shift,
        pShift: b0 * vectors * len,
        alpha,
        beta,
      });
      const group = bindGroup(rec.ctx, splitSumKernel, { params, p, y: yw.binding });
      rec.dispatch(split, group, Math.ceil((count * vectors * len) / wg));
    }
  }

  /**
   * When one batch item's vector set does not fit a binding, runs the product on groups of
   * vectors that do (each group is an independent product). Returns true when it did.
   */
  function splitVectors(args: MatVecArgs, xLen: number, yLen: number, run: (a: MatVecArgs) => void): boolean {
    const { x, y, vectors } = args;
    const span = (v: number, stride: number, len: number): number => (v - 1) * stride + len;
    if (span(vectors, x.vectorStride, xLen) <= maxE && span(vectors, y.vectorStride, yLen) <= maxE) return false;
    const fit = (stride: number, len: number): number => (stride > 0 ? Math.floor((maxE - len) / stride) + 1 : vectors);
    const group = Math.min(vectors, fit(x.vectorStride, xLen), fit(y.vectorStride, yLen));
    if (group < 1 || xLen > maxE || yLen > maxE) {
      throw new DeviceLimitError(
        'maxStorageBufferBindingSize',
        Math.max(xLen, yLen) * 4,
        maxE * 4,
        'one vector of a matrix–vector product',
      );
    }
    for (let v0 = 0; v0 < vectors; v0 += group) {
      run({
        ...args,
        vectors: Math.min(group, vectors - v0),
        x: { ...x, offset: (x.offset ?? 0) + v0 * x.vectorStride },
        y: { ...y, offset: (y.offset ?? 0) + v0 * y.vectorStride },
      });
    }
    return true;
  }

  const api: MatVec = {
    encodeT(rec, args) {
      if (splitVectors(args, args.rowEnd ?? args.m.rows, args.m.cols, (a) => api.encodeT(rec, a))) return;
      const { m, x, y, batch, vectors } = args;
      const c = common(args);
      const { ld, mStride, rowBegin: kBegin, rowEnd: kEnd } = c;
      const cols = m.cols;
      const K = kEnd - kBegin;
      const spanX = (nb: number): number => (nb - 1) * x.batchStride + (vectors - 1) * x.vectorStride + kEnd;
      const spanY = (nb: number): number => (nb - 1) * y.batchStride + (vectors - 1) * y.vectorStride + cols;
      if (spanX(1) > maxE || spanY(1) > maxE)
        throw new DeviceLimitError('maxStorageBufferBindingSize', Math.max(spanX(1), spanY(1)) * 4, maxE * 4, 'one vector set of matVecT');
      if (K === 0) {
        // Empty reduction: y = beta·y (splitSum with no splits).
        const p = rec.scratch(16, 'matVecT empty');
        finishSplits(rec, p, y, c.yOff, cols, batch, vectors, 0, c.alpha, c.beta);
        return;
      }
      const rowSpan = (rows: number): number => (rows - 1) * ld + cols;
      if (rowSpan(1) > maxE) {
        throw new DeviceLimitError(
          'maxStorageBufferBindingSize',
          cols * 4,
          maxE * 4,
          'one matrix row in matVecT (pass wide matrices in column blocks)',
        );
      }
      const rowsPerPiece = rowSpan(K) <= maxE ? K : Math.floor((maxE - cols) / ld) + 1;
      const pieces = Math.ceil(K / rowsPerPiece);
      const colTiles = Math.ceil(cols / wg);
      const vecGroups = Math.ceil(vectors / 8);
      const partialLen = batch * vectors * cols;

      const dispatch = (b0: number, nb: number, k0: number, k1: number, splits: number, partial: GPUBuffer | null, beta: number): void => {
        const mOrigin = c.mOff + b0 * mStride;
        const mw = bindWindow(m.buffer, mOrigin, mOrigin + k0 * ld, mOrigin + (nb - 1) * mStride + (k1 - 1) * ld + cols, align);
        const xOrigin = c.xOff + b0 * x.batchStride;
        const xw = bindWindow(x.buffer, xOrigin, xOrigin + k0, xOrigin + spanX(nb), align);
        let yBinding;
        let yShift;
        if (partial) {
          yBinding = partial;
          yShift = b0 * vectors * cols;
        } else {
          const yOrigin = c.yOff + b0 * y.batchStride;
          const yw = bindWindow(y.buffer, yOrigin, yOrigin, yOrigin + spanY(nb), align);
          yBinding = yw.binding;
          yShift = yw.shift;
        }
        const params = rec.uniform('matVecT params', MatVecTParams, {
          cols,
          kBegin: k0,
          kEnd: k1,
          kChunk: Math.ceil((k1 - k0) / splits),
          splits,
          vectors,
          batch: nb,
          ld,
          mStride,
          xStride: x.batchStride,
          xVecStride: x.vectorStride,
          yStride: y.batchStride,
          yVecStride: y.vectorStride,
          mShift: mw.shift,
          xShift: xw.shift,
          yShift,
          partialStride: partialLen,
          alpha: c.alpha,
          beta,
        });
        const group = bindGroup(rec.ctx, matVecTKernel, { params, m: mw.binding, x: xw.binding, y: yBinding });
        rec.dispatch(partial ? tPartial : tFull, group, colTiles * vecGroups * splits * nb);
      };

      if (pieces === 1) {
        const nb = Math.min(
          fitCount(batch, mStride, rowSpan(K), maxE),
          fitCount(batch, x.batchStride, spanX(1), maxE),
          fitCount(batch, y.batchStride, spanY(1), maxE),
        );
        let splits = Math.min(Math.ceil(target / (colTiles * vecGroups * batch)), Math.ceil(K / wg));
        while (splits > 1 && splits * partialLen > maxE) splits = Math.floor(splits / 2);
        const partial = splits > 1 ? rec.scratch(splits * partialLen * 4, 'matVecT partials') : null;
        for (let b0 = 0; b0 < batch; b0 += nb) dispatch(b0, Math.min(nb, batch - b0), kBegin, kEnd, Math.max(1, splits), partial, c.beta);
        if (partial) finishSplits(rec, partial, y, c.yOff, cols, batch, vectors, splits, c.alpha, c.beta);
      } else {
        // A matrix larger than a binding: its row pieces run one after the other, each adding
        // into y (the first applies beta). Dispatches in a pass are ordered, so no scratch is needed.
        for (let b = 0; b < batch; b++) {
          for (let p = 0; p < pieces; p++) {
            const k0 = kBegin + p * rowsPerPiece;
            dispatch(b, 1, k0, Math.min(kEnd, k0 + rowsPerPiece), 1, null, p === 0 ? c.beta : 1);
          }
        }
      }
    },

    encodeN(rec, args) {
      if (splitVectors(args, args.m.cols, args.rowEnd ?? args.m.rows, (a) => api.encodeN(rec, a))) return;
      const { m, x, y, batch, vectors } = args;
      const c = common(args);
      const { ld, mStride, rowBegin: rBegin, rowEnd: rEnd } = c;
      const cols = m.cols;
      const rows = rEnd - rBegin;
      if (rows === 0) return;
      const spanX = (nb: number): number => (nb - 1) * x.batchStride + (vectors - 1) * x.vectorStride + cols;
      const spanY = (nb: number): number => (nb - 1) * y.batchStride + (vectors - 1) * y.vectorStride + rEnd;
      if (spanX(1) > maxE || spanY(1) > maxE)
        throw new DeviceLimitError('maxStorageBufferBindingSize', Math.max(spanX(1), spanY(1)) * 4, maxE * 4, 'one vector set of matVecN');
      const rowSpan = (r: number): number => (r - 1) * ld + cols;
      if (rowSpan(1) > maxE) {
        throw new DeviceLimitError(
          'maxStorageBufferBindingSize',
          cols * 4,
          maxE * 4,
          'one matrix row in matVecN (pass wide matrices in column blocks)',
        );
      }
      const rowsPerPiece = rowSpan(rows) <= maxE ? rows : Math.floor((maxE - cols) / ld) + 1;
      const vecGroups = Math.ceil(vectors / 8);
      const rowsPerGroup = wg / tpr;
      const tiles = (r: number): number => Math.ceil(r / rowsPerGroup);
      let splits = rowsPerPiece === rows ? Math.min(Math.ceil(target / (tiles(rows) * vecGroups * batch)), Math.ceil(cols / (8 * tpr))) : 1;
      const partialLen = batch * vectors * rows;
      while (splits > 1 && splits * partialLen > maxE) splits = Math.floor(splits / 2);
      splits = Math.max(1, splits);
      const partial = splits > 1 ? rec.scratch(splits * partialLen * 4, 'matVecN partials') : null;
      const nb =
        rowsPerPiece === rows
          ? Math.min(
              fitCount(batch, mStride, (rEnd - 1) * ld + cols, maxE),
              fitCount(batch, x.batchStride, spanX(1), maxE),
              fitCount(batch, y.batchStride, spanY(1), maxE),
            )
          : 1;
      for (let b0 = 0; b0 < batch; b0 += nb) {
        const count = Math.min(nb, batch - b0);
        for (let r0 = rBegin; r0 < rEnd; r0 += rowsPerPiece) {
          const r1 = Math.min(rEnd, r0 + rowsPerPiece);
          const mOrigin = c.mOff + b0 * mStride;
          const mw = bindWindow(m.buffer, mOrigin, mOrigin + r0 * ld, mOrigin + (count - 1) * mStride + (r1 - 1) * ld + cols, align);
          const xOrigin = c.xOff + b0 * x.batchStride;
          const xw = bindWindow(x.buffer, xOrigin, xOrigin, xOrigin + spanX(count), align);
          let yBinding;
          let yShift;
          if (partial) {
            yBinding = partial;
            yShift = (b0 * vectors * rows - rBegin) >>> 0;
          } else {
            const yOrigin = c.yOff + b0 * y.batchStride;
            const yw = bindWindow(
              y.buffer,
              yOrigin,
              yOrigin + r0,
              yOrigin + (count - 1) * y.batchStride + (vectors - 1) * y.vectorStride + r1,
              align,
            );
            yBinding = yw.binding;
            yShift = yw.shift;
          }
          const params = rec.uniform('matVecN params', MatVecNParams, {
            rBegin: r0,
            rEnd: r1,
            cols,
            cChunk: Math.ceil(cols / splits),
            splits,
            vectors,
            batch: count,
            ld,
            mStride,
            xStride: x.batchStride,
            xVecStride: x.vectorStride,
            yStride: y.batchStride,
            yVecStride: y.vectorStride,
            mShift: mw.shift,
            xShift: xw.shift,
            yShift,
            partialStride: partialLen,
            partialRows: rows,
            alpha: c.alpha,
            beta: c.beta,
          });
          const group = bindGroup(rec.ctx, matVecNKernel, { params, m: mw.binding, x: xw.binding, y: yBinding });
          rec.dispatch(partial ? nPartial : nFull, group, tiles(r1 - r0) * vecGroups * splits * count);
        }
      }
      if (partial) finishSplits(rec, partial, y, c.yOff + rBegin, rows, batch, vectors, splits, c.alpha, c.beta);
    },
  };
  return api;
}
