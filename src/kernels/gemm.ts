/**
 * Batched f32 matrix products on the GPU (shaders/linalg/gemm.wgsl):
 *
 *   `C[b] = α · op(A[b]) · op(B[b]) + β · C[b]`, op ∈ {identity, transpose} per operand,
 *
 * with C of shape M × N and inner dimension K; every operand is row-major with its own element
 * offset, leading dimension and batch stride (0 broadcasts one matrix to every batch item).
 * β = 0 makes C write-only (NaNs in it do not propagate).
 *
 * The kernel is register-tiled: 256-thread workgroups own 64 × 64 tiles of C (4 × 4 entries per
 * thread) and stage K-slices of 16 in workgroup memory, with the transposes absorbed by the
 * staging loads. Work is planned against the binding limit, never refused: batch items are
 * grouped per dispatch while they fit one binding; operands larger than a binding are cut into
 * blocks of C and ranges of K (the K ranges of a block add up in a scratch block, finished once).
 * When C has few tiles and K is long (e.g. UᵀV of two n × r bases), K is split across workgroups
 * into partial sums. Both finish with shaders/linalg/splitSum.wgsl, which applies α and β.
 *
 * Float64 twin: src/reference/gemm.ts. Precision: f32 accumulation,
 * |error| ≤ γ_{K+2} |α| Σ_k |op(A)_mk op(B)_kn| + γ_2 |β C_mn| per entry, on every path (α and β
 * are applied once, to the complete sum).
 * @module
 */
import * as d from '../gpu/schema.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { bindGroup, bindWindow, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { gemmWgsl } from '../shaders.generated.ts';
import { splitSumKernel, SplitSumParams } from './matVec.ts';

/** Field order matches `struct Params` in gemm.wgsl. */
export const GemmParams = d.struct({
  mBegin: d.u32,
  mEnd: d.u32,
  nBegin: d.u32,
  nEnd: d.u32,
  kBegin: d.u32,
  kEnd: d.u32,
  kChunk: d.u32,
  splits: d.u32,
  batch: d.u32,
  transA: d.u32,
  transB: d.u32,
  lda: d.u32,
  ldb: d.u32,
  ldc: d.u32,
  strideA: d.u32,
  strideB: d.u32,
  strideC: d.u32,
  aShift: d.u32,
  bShift: d.u32,
  cShift: d.u32,
  partialStride: d.u32,
  alpha: d.f32,
  beta: d.f32,
});

/** Keys and order mirror the @binding declarations in gemm.wgsl. */
export const gemmLayout = computeLayout({
  params: { uniform: GemmParams },
  a: { storage: d.arrayOf(d.f32), access: 'readonly' },
  b: { storage: d.arrayOf(d.f32), access: 'readonly' },
  c: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

export const gemmKernel: KernelSpec = { name: 'gemm', code: gemmWgsl, layout: gemmLayout };

/** K step of the kernel (`BK` in gemm.wgsl). */
const BK = 16;
/** Tile columns (`BN` in gemm.wgsl). */
const BN = 64;
/** Workgroups a dispatch should offer before K is split across workgroups for parallelism. */
const TARGET_WORKGROUPS = 512;
/** Shortest K range worth a workgroup of its own when splitting K. */
const MIN_SPLIT_K = 256;

/** The storage layout of one operand (all sizes in f32 elements). */
export interface GemmOperandLayout {
  /** Element offset of the first matrix. Default 0. */
  readonly offset?: number;
  /** Row stride (leading dimension) of the stored matrix. Default: the stored row length. */
  readonly ld?: number;
  /** Elements between consecutive matrices of the batch; 0 broadcasts one matrix. Default `rows · ld`. */
  readonly batchStride?: number;
}

/** One operand of {@link Gemm.encode}: a batch of row-major matrices in a GPU buffer. */
export interface GemmOperand extends GemmOperandLayout {
  readonly buffer: GPUBuffer;
}

/** The product's shape, transposes and scalars (shared by `GemmArgs` (internal) and {@link gemmGpu}). */
export interface GemmShapeArgs {
  /** Rows of C and of op(A). */
  readonly m: number;
  /** Columns of C and of op(B). */
  readonly n: number;
  /** Inner dimension: columns of op(A), rows of op(B). */
  readonly k: number;
  /** Number of products. Default 1. */
  readonly batch?: number;
  /** Use Aᵀ: A is then stored K × M. Default false (A stored M × K). */
  readonly transA?: boolean;
  /** Use Bᵀ: B is then stored N × K. Default false (B stored K × N). */
  readonly transB?: boolean;
  /** Default 1. */
  readonly alpha?: number;
  /** Default 0 (C is then write-only: NaNs in it do not propagate). */
  readonly beta?: number;
}

/** Arguments of {@link Gemm.encode}. */
export interface GemmArgs extends GemmShapeArgs {
  readonly a: GemmOperand;
  readonly b: GemmOperand;
  readonly c: GemmOperand;
}

/** Arguments of {@link gemmGpu}: the layouts of the host arrays. */
export interface GemmHostArgs extends GemmShapeArgs {
  /** Layout of A. Defaults: see {@link GemmOperandLayout}. */
  readonly a?: GemmOperandLayout;
  /** Layout of B. */
  readonly b?: GemmOperandLayout;
  /** Layout of C. */
  readonly c?: GemmOperandLayout;
}

/** The prepared product; see the module documentation. */
export interface Gemm {
  /**
   * Records `C[b] = α·op(A[b])·op(B[b]) + β·C[b]` for b < batch. C's buffer must differ from A's
   * and B's. Throws {@link InvalidArgumentError} for inconsistent arguments.
   */
  encode(rec: Recorder, args: GemmArgs): void;
}

/** A resolved operand layout: stored rows × rowLen with leading dimension ld. */
interface Resolved {
  readonly offset: number;
  readonly ld: number;
  readonly stride: number;
  readonly rows: number;
  readonly rowLen: number;
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(name, `must be an integer ≥ ${min}, got ${value}`);
}

/** Validates the layout of one operand stored as rows × rowLen and fills in defaults. */
function resolve(name: string, layout: GemmOperandLayout | undefined, rows: number, rowLen: number): Resolved {
  const offset = layout?.offset ?? 0;
  const ld = layout?.ld ?? Math.max(1, rowLen);
  checkInt(`${name}.offset`, offset, 0);
  checkInt(`${name}.ld`, ld, 1);
  if (ld < rowLen) throw new InvalidArgumentError(`${name}.ld`, `must be ≥ the stored row length ${rowLen}, got ${ld}`);
  const stride = layout?.batchStride ?? rows * ld;
  checkInt(`${name}.batchStride`, stride, 0);
  return { offset, ld, stride, rows, rowLen };
}

/** Elements an operand spans from element 0 of its buffer (0 when it is empty). */
function extent(r: Resolved, batch: number): number {
  if (r.rows === 0 || r.rowLen === 0 || batch === 0) return 0;
  return r.offset + (batch - 1) * r.stride + (r.rows - 1) * r.ld + r.rowLen;
}

/** Validated arguments with every default filled in. */
interface Plan {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly batch: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  readonly a: Resolved;
  readonly b: Resolved;
  readonly c: Resolved;
}

function plan(args: GemmShapeArgs & { a?: GemmOperandLayout; b?: GemmOperandLayout; c?: GemmOperandLayout }): Plan {
  const { m: M, n: N, k: K } = args;
  const batch = args.batch ?? 1;
  checkInt('m', M, 0);
  checkInt('n', N, 0);
  checkInt('k', K, 0);
  checkInt('batch', batch, 0);
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  if (!Number.isFinite(alpha)) throw new InvalidArgumentError('alpha', `must be finite, got ${alpha}`);
  if (!Number.isFinite(beta)) throw new InvalidArgumentError('beta', `must be finite, got ${beta}`);
  const a = transA ? resolve('a', args.a, K, M) : resolve('a', args.a, M, K);
  const b = transB ? resolve('b', args.b, N, K) : resolve('b', args.b, K, N);
  const c = resolve('c', args.c, M, N);
  if (batch > 1 && M > 0 && N > 0 && c.stride < (M - 1) * c.ld + N) {
    throw new InvalidArgumentError('c.batchStride', `the ${batch} result matrices overlap: need ≥ ${(M - 1) * c.ld + N}, got ${c.stride}`);
  }
  return { M, N, K, batch, transA, transB, alpha, beta, a, b, c };
}

/** Largest n ≤ max with (n − 1)·stride + base ≤ limit (at least 1). */
function fitCount(max: number, stride: number, base: number, limit: number): number {
  if (stride <= 0) return max;
  return Math.max(1, Math.min(max, Math.floor((limit - base) / stride) + 1));
}

/** `value` rounded down to a multiple of `unit` when it is at least `unit`. */
function roundDown(value: number, unit: number): number {
  return value >= unit ? Math.floor(value / unit) * unit : value;
}

/** Compiles the gemm pipelines for `ctx` (cached per context). */
export async function createGemm(ctx: GpuContext): Promise<Gemm> {
  const wg = ctx.workgroupSize;
  if (wg < 16) throw new InvalidArgumentError('ctx', `gemm needs workgroups of at least 16 invocations, the device allows ${wg}`);
  const [pipeline, split] = await Promise.all([
    getPipeline(ctx, gemmKernel, { WORKGROUP_SIZE: wg }),
    getPipeline(ctx, splitSumKernel, { WORKGROUP_SIZE: wg }),
  ]);
  const BM = wg / 4;
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const maxE = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4) - (align / 4 - 1);

  /**
   * Records `C = alpha·Σ_{s<splits} P[s] + beta·C` over a rows × cols block of C at element
   * `origin` of `cBuf` (row stride `ld`) for `batch` items `stride` apart, from compact partials
   * P[s][b][row][col] (splits = 0: C = beta·C), in batch chunks that fit a binding.
   */
  function finish(
    rec: Recorder,
    p: GPUBuffer,
    cBuf: GPUBuffer,
    block: { origin: number; rows: number; cols: number; ld: number; batch: number; stride: number },
    splits: number,
    alpha: number,
    beta: number,
  ): void {
    const { origin, rows, cols, ld, batch, stride } = block;
    const span = (rows - 1) * ld + cols;
    const nb = fitCount(batch, stride, span, maxE);
    for (let b0 = 0; b0 < batch; b0 += nb) {
      const count = Math.min(nb, batch - b0);
      const first = origin + b0 * stride;
      const cw = bindWindow(cBuf, first, first, first + (count - 1) * stride + span, align);
      const params = rec.uniform('gemm splitSum params', SplitSumParams, {
        len: cols,
        vectors: rows,
        batch: count,
        splits,
        partialStride: batch * rows * cols,
        yStride: stride,
        yVecStride: ld,
        yShift: cw.shift,
        pShift: b0 * rows * cols,
        alpha,
        beta,
      });
      const group = bindGroup(rec.ctx, splitSumKernel, { params, p, y: cw.binding });
      rec.dispatch(split, group, Math.ceil((count * rows * cols) / wg));
    }
  }

  return {
    encode(rec, args) {
      const pl = plan(args);
      const { M, N, K, batch, transA, transB, a, b, c } = pl;
      if (args.c.buffer === args.a.buffer || args.c.buffer === args.b.buffer) {
        throw new InvalidArgumentError(
          'c.buffer',
          'must differ from the buffers of a and b (a buffer cannot be read and written in one dispatch)',
        );
      }
      for (const [name, r, buffer] of [
        ['a', a, args.a.buffer],
        ['b', b, args.b.buffer],
        ['c', c, args.c.buffer],
      ] as const) {
        const need = extent(r, batch);
        if (need * 4 > buffer.size) {
          throw new InvalidArgumentError(
            `${name}.buffer`,
            `the layout spans ${need} elements, the buffer holds ${Math.floor(buffer.size / 4)}`,
          );
        }
      }
      if (M === 0 || N === 0 || batch === 0) return;
      if (K === 0) {
        // Empty reduction: C = beta·C, in blocks of C when one matrix exceeds a binding.
        const p = rec.scratch(16, 'gemm empty');
        if ((M - 1) * c.ld + N <= maxE) {
          const block = { origin: c.offset, rows: M, cols: N, ld: c.ld, batch, stride: c.stride };
          finish(rec, p, args.c.buffer, block, 0, pl.alpha, pl.beta);
          return;
        }
        const cols = Math.min(N, maxE);
        const rows = Math.floor((maxE - cols) / c.ld) + 1;
        for (let bi = 0; bi < batch; bi++) {
          for (let m0 = 0; m0 < M; m0 += rows) {
            for (let n0 = 0; n0 < N; n0 += cols) {
              const origin = c.offset + bi * c.stride + m0 * c.ld + n0;
              const block = { origin, rows: Math.min(rows, M - m0), cols: Math.min(cols, N - n0), ld: c.ld, batch: 1, stride: 0 };
              finish(rec, p, args.c.buffer, block, 0, pl.alpha, pl.beta);
            }
          }
        }
        return;
      }

      // Single-item spans of each operand for an mc × nc × kc piece (outer dimension strided by ld).
      const spanA = (mc: number, kc: number): number => (transA ? (kc - 1) * a.ld + mc : (mc - 1) * a.ld + kc);
      const spanB = (kc: number, nc: number): number => (transB ? (nc - 1) * b.ld + kc : (kc - 1) * b.ld + nc);
      const spanC = (mc: number, nc: number): number => (mc - 1) * c.ld + nc;

      // Piece sizes: cap the contiguous (inner) extents first, then the strided (outer) ones.
      // Caps only decrease, so every constraint checked on the way still holds at the end.
      let mc = M;
      let nc = N;
      let kc = K;
      if (transA) mc = Math.min(mc, maxE);
      else kc = Math.min(kc, maxE);
      if (transB) kc = Math.min(kc, maxE);
      else nc = Math.min(nc, maxE);
      nc = Math.min(nc, maxE);
      if (transA) kc = Math.min(kc, Math.floor((maxE - mc) / a.ld) + 1);
      else mc = Math.min(mc, Math.floor((maxE - kc) / a.ld) + 1);
      if (transB) nc = Math.min(nc, Math.floor((maxE - kc) / b.ld) + 1);
      else kc = Math.min(kc, Math.floor((maxE - nc) / b.ld) + 1);
      mc = Math.min(mc, Math.floor((maxE - nc) / c.ld) + 1);
      mc = mc === M ? M : roundDown(mc, BM);
      nc = nc === N ? N : roundDown(nc, BN);
      kc = kc === K ? K : roundDown(kc, BK);
      const whole = mc === M && nc === N && kc === K;

      /**
       * One gemm dispatch over batch items [b0, b0 + nb), C rows [m0, m1), columns [n0, n1) and K
       * range [k0, k1) cut into `splits` chunks of `kChunk`. It writes alpha·sum + beta·C into C,
       * or, with `scratch`, `sum + beta·S` (beta 0 or 1) into a compact scratch S laid out as
       * described by `scratch` (indices relative to C's rows and columns).
       */
      const dispatch = (
        b0: number,
        nb: number,
        m0: number,
        m1: number,
        n0: number,
        n1: number,
        k0: number,
        k1: number,
        beta: number,
        splits: number,
        kChunk: number,
        scratch: { buffer: GPUBuffer; shift: number; ld: number; stride: number; partialStride: number } | null,
      ): void => {
        const aOrigin = a.offset + b0 * a.stride;
        const aFirst = aOrigin + (transA ? k0 * a.ld + m0 : m0 * a.ld + k0);
        const aEnd = aOrigin + (nb - 1) * a.stride + (transA ? (k1 - 1) * a.ld + m1 : (m1 - 1) * a.ld + k1);
        const aw = bindWindow(args.a.buffer, aOrigin, aFirst, aEnd, align);
        const bOrigin = b.offset + b0 * b.stride;
        const bFirst = bOrigin + (transB ? n0 * b.ld + k0 : k0 * b.ld + n0);
        const bEnd = bOrigin + (nb - 1) * b.stride + (transB ? (n1 - 1) * b.ld + k1 : (k1 - 1) * b.ld + n1);
        const bw = bindWindow(args.b.buffer, bOrigin, bFirst, bEnd, align);
        let cBinding;
        let cShift;
        let ldc = c.ld;
        let strideC = c.stride;
        let alpha = pl.alpha;
        let partialStride = 0;
        if (scratch) {
          // Raw sums (alpha = 1: stored exactly); the whole scratch fits one binding.
          cBinding = scratch.buffer;
          cShift = scratch.shift;
          ldc = scratch.ld;
          strideC = scratch.stride;
          partialStride = scratch.partialStride;
          alpha = 1;
        } else {
          const cOrigin = c.offset + b0 * c.stride;
          const cw = bindWindow(
            args.c.buffer,
            cOrigin,
            cOrigin + m0 * c.ld + n0,
            cOrigin + (nb - 1) * c.stride + (m1 - 1) * c.ld + n1,
            align,
          );
          cBinding = cw.binding;
          cShift = cw.shift;
        }
        const params = rec.uniform('gemm params', GemmParams, {
          mBegin: m0,
          mEnd: m1,
          nBegin: n0,
          nEnd: n1,
          kBegin: k0,
          kEnd: k1,
          kChunk,
          splits,
          batch: nb,
          transA: transA ? 1 : 0,
          transB: transB ? 1 : 0,
          lda: a.ld,
          ldb: b.ld,
          ldc,
          strideA: a.stride,
          strideB: b.stride,
          strideC,
          aShift: aw.shift,
          bShift: bw.shift,
          cShift,
          partialStride,
          alpha,
          beta,
        });
        const group = bindGroup(rec.ctx, gemmKernel, { params, a: aw.binding, b: bw.binding, c: cBinding });
        const tiles = Math.ceil((m1 - m0) / BM) * Math.ceil((n1 - n0) / BN);
        rec.dispatch(pipeline, group, tiles * splits * nb);
      };

      if (whole) {
        const nb = Math.min(
          fitCount(batch, a.stride, spanA(M, K), maxE),
          fitCount(batch, b.stride, spanB(K, N), maxE),
          fitCount(batch, c.stride, spanC(M, N), maxE),
        );
        // Few tiles and a long K: split K across workgroups (partials summed by splitSum).
        const tiles = Math.ceil(M / BM) * Math.ceil(N / BN) * batch;
        const partialLen = batch * M * N;
        let splits = Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(K / MIN_SPLIT_K));
        while (splits > 1 && splits * partialLen > maxE) splits = Math.floor(splits / 2);
        if (splits > 1) {
          const kChunk = Math.ceil(K / splits / BK) * BK;
          splits = Math.ceil(K / kChunk);
          // Compact partials [split][batch][M][N].
          const buffer = rec.scratch(splits * partialLen * 4, 'gemm partials');
          for (let b0 = 0; b0 < batch; b0 += nb) {
            const scratch = { buffer, shift: b0 * M * N, ld: N, stride: M * N, partialStride: partialLen };
            dispatch(b0, Math.min(nb, batch - b0), 0, M, 0, N, 0, K, 0, splits, kChunk, scratch);
          }
          const block = { origin: c.offset, rows: M, cols: N, ld: c.ld, batch, stride: c.stride };
          finish(rec, buffer, args.c.buffer, block, splits, pl.alpha, pl.beta);
        } else {
          for (let b0 = 0; b0 < batch; b0 += nb) dispatch(b0, Math.min(nb, batch - b0), 0, M, 0, N, 0, K, pl.beta, 1, K, null);
        }
        return;
      }
      // Operands larger than a binding: one batch item at a time, in blocks of C. When K is cut
      // too, the K ranges of a block add up in a compact scratch block S (the first one writes
      // it; dispatches in a pass are ordered) and splitSum applies alpha and beta once at the end,
      // so beta·C is rounded once and the error bound of a single dispatch still holds.
      const accumulator = kc < K ? rec.scratch(mc * nc * 4, 'gemm K accumulator') : null;
      for (let bi = 0; bi < batch; bi++) {
        for (let m0 = 0; m0 < M; m0 += mc) {
          const m1 = Math.min(M, m0 + mc);
          for (let n0 = 0; n0 < N; n0 += nc) {
            const n1 = Math.min(N, n0 + nc);
            if (!accumulator) {
              dispatch(bi, 1, m0, m1, n0, n1, 0, K, pl.beta, 1, K, null);
              continue;
            }
            // S[(m − m0)·w + (n − n0)] with w = n1 − n0 (the shift wraps below zero).
            const w = n1 - n0;
            const scratch = { buffer: accumulator, shift: -(m0 * w + n0) >>> 0, ld: w, stride: 0, partialStride: 0 };
            for (let k0 = 0; k0 < K; k0 += kc) {
              const k1 = Math.min(K, k0 + kc);
              dispatch(bi, 1, m0, m1, n0, n1, k0, k1, k0 === 0 ? 0 : 1, 1, k1 - k0, scratch);
            }
            const block = { origin: c.offset + bi * c.stride + m0 * c.ld + n0, rows: m1 - m0, cols: w, ld: c.ld, batch: 1, stride: 0 };
            finish(rec, accumulator, args.c.buffer, block, 1, pl.alpha, pl.beta);
          }
        }
      }
    },
  };
}

/**
 * Convenience: uploads `a`, `b` (and `c`), records the product, reads C back and frees every
 * buffer. `c = null` starts from zeros, sized to the layout. Returns the whole C array (entries
 * outside the product unchanged). For tests, examples and benchmarks; algorithms use
 * `createGemm` (internal) and keep data on the GPU.
 */
export async function gemmGpu(
  ctx: GpuContext,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array | null,
  args: GemmHostArgs,
): Promise<Float32Array> {
  const pl = plan(args);
  for (const [name, host, r] of [
    ['a', a, pl.a],
    ['b', b, pl.b],
    ['c', c, pl.c],
  ] as const) {
    const need = extent(r, pl.batch);
    if (host && host.length < need)
      throw new InvalidArgumentError(name, `the layout spans ${need} elements, the array holds ${host.length}`);
  }
  const cLen = c ? c.length : extent(pl.c, pl.batch);
  const gemm = await createGemm(ctx);
  const ab = await ctx.uploadF32(a, 'gemm a');
  const bb = await ctx.uploadF32(b, 'gemm b');
  const cb = c
    ? await ctx.uploadF32(c, 'gemm c')
    : await ctx.createBuffer({
        label: 'gemm c',
        size: Math.max(16, Math.ceil(cLen / 4) * 16),
        usage: STORAGE_USAGE,
      });
  try {
    const staging = await record(ctx, 'gemm', (rec) => {
      gemm.encode(rec, { ...args, a: { ...args.a, buffer: ab }, b: { ...args.b, buffer: bb }, c: { ...args.c, buffer: cb } });
      return rec.stage(cb, 0, cLen * 4);
    });
    return new Float32Array(await readStaging(ctx, staging), 0, cLen);
  } finally {
    ctx.destroyBuffer(ab);
    ctx.destroyBuffer(bb);
    ctx.destroyBuffer(cb);
  }
}
