/**
 * The device's own measured roofline: streaming copy bandwidth (copyBandwidth kernel; GB/s counts
 * the bytes read plus the bytes written) and GEMM throughput (gemm kernel; GFLOP/s = 2·n³/t at a
 * few square sizes, the best kept). Every kernel and end-to-end figure of the suite is reported
 * as a fraction of these two numbers.
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { record } from '../gpu/recorder.ts';
import { createCopyBandwidth } from '../kernels/copyBandwidth.ts';
import { createGemm } from '../kernels/gemm.ts';
import { Random } from '../util/random.ts';
import { measure, type Measurement } from './harness.ts';

/** The measured copy bandwidth. */
export interface CopyRoofline {
  /** Size of the source (and of the destination) buffer, bytes. */
  readonly bufferBytes: number;
  /** Bytes moved per copy: read + write = 2·bufferBytes. */
  readonly bytesPerCopy: number;
  /** Copies recorded per timed sample (alternating direction); samples are per copy. */
  readonly copiesPerSample: number;
  readonly time: Measurement;
  /** bytesPerCopy / median time, 10⁹ bytes per second. */
  readonly gbPerS: number;
}

/** GEMM throughput at one size. */
export interface GemmPoint {
  /** M = N = K. */
  readonly n: number;
  /** Products recorded per timed sample; samples are per product. */
  readonly productsPerSample: number;
  readonly time: Measurement;
  /** 2·n³ / median time, 10⁹ FLOP per second. */
  readonly gflopPerS: number;
}

/** The measured roofline of the device. */
export interface Roofline {
  readonly copy: CopyRoofline;
  readonly gemm: {
    readonly points: GemmPoint[];
    /** The best size (highest GFLOP/s). */
    readonly best: { readonly n: number; readonly gflopPerS: number };
  };
  /** Sizes not measured, and why. */
  readonly skipped: { readonly what: string; readonly reason: string }[];
}

/** Options of {@link measureRoofline}. */
export interface RooflineOptions {
  /** Requested size of each copy buffer (capped by maxBufferSize and half the memory budget). */
  readonly copyBytes: number;
  /** Square GEMM sizes, ascending. */
  readonly gemmSizes: readonly number[];
  readonly warmup: number;
  readonly repeats: number;
  readonly maxSeconds: number;
  /** A size whose predicted single run exceeds this is skipped. */
  readonly caseBudgetSeconds: number;
  /** GPU memory the benchmark may hold at once, bytes. */
  readonly memoryBudgetBytes: number;
  /** Called before each measurement. */
  readonly onStep?: (label: string) => void;
}

/** The copy buffer size for `options` on `ctx`: a multiple of 16 bytes. */
export function copyBufferBytes(ctx: GpuContext, options: Pick<RooflineOptions, 'copyBytes' | 'memoryBudgetBytes'>): number {
  const bytes = Math.min(options.copyBytes, ctx.limits.maxBufferSize, Math.floor(options.memoryBudgetBytes / 2));
  return Math.max(16, Math.floor(bytes / 16) * 16);
}

/** Measures copy bandwidth and GEMM throughput on `ctx`. */
export async function measureRoofline(ctx: GpuContext, options: RooflineOptions): Promise<Roofline> {
  const skipped: { what: string; reason: string }[] = [];
  const timing = { ctx, warmup: options.warmup, repeats: options.repeats, maxSeconds: options.maxSeconds };

  // Copy bandwidth.
  options.onStep?.('roofline: copy bandwidth');
  const bufferBytes = copyBufferBytes(ctx, options);
  const copiesPerSample = 4;
  const cp = await createCopyBandwidth(ctx);
  const src = await ctx.createBuffer({ label: 'bench copy a', size: bufferBytes, usage: STORAGE_USAGE });
  const dst = await ctx.createBuffer({ label: 'bench copy b', size: bufferBytes, usage: STORAGE_USAGE });
  let copyTime: Measurement;
  try {
    const elements = bufferBytes / 4;
    copyTime = await measure(
      `copy ${bufferBytes} B`,
      () =>
        record(ctx, 'bench copy', (rec) => {
          for (let i = 0; i < copiesPerSample; i++) cp.encode(rec, i % 2 ? dst : src, i % 2 ? src : dst, elements);
        }),
      { ...timing, divideBy: copiesPerSample },
    );
  } finally {
    ctx.destroyBuffer(src);
    ctx.destroyBuffer(dst);
  }
  const bytesPerCopy = 2 * bufferBytes;
  const copy: CopyRoofline = { bufferBytes, bytesPerCopy, copiesPerSample, time: copyTime, gbPerS: bytesPerCopy / copyTime.median / 1e6 };

  // GEMM throughput.
  const gemm = await createGemm(ctx);
  const points: GemmPoint[] = [];
  const rng = new Random(7);
  for (const n of options.gemmSizes) {
    const bytes = 3 * n * n * 4;
    if (n * n * 4 > ctx.limits.maxBufferSize || bytes > options.memoryBudgetBytes) {
      skipped.push({ what: `gemm n = ${n}`, reason: `needs ${(bytes / 2 ** 20).toFixed(0)} MiB, over maxBufferSize or the memory budget` });
      continue;
    }
    const flops = 2 * n ** 3;
    const best = points.reduce((m, p) => Math.max(m, p.gflopPerS), 0);
    if (best > 0 && flops / (best * 1e9) > options.caseBudgetSeconds) {
      skipped.push({
        what: `gemm n = ${n}`,
        reason: `predicted ${(flops / (best * 1e9)).toFixed(1)} s per product at the measured ${best.toFixed(1)} GFLOP/s, over the per-case budget of ${options.caseBudgetSeconds} s`,
      });
      continue;
    }
    options.onStep?.(`roofline: gemm n = ${n}`);
    const productsPerSample = Math.max(1, Math.min(32, Math.ceil(2e9 / flops)));
    const data = Float32Array.from({ length: n * n }, () => 2 * rng.uniform() - 1);
    const a = await ctx.uploadF32(data, 'bench gemm a');
    const b = await ctx.uploadF32(data.reverse(), 'bench gemm b');
    const c = await ctx.createBuffer({ label: 'bench gemm c', size: n * n * 4, usage: STORAGE_USAGE });
    try {
      const time = await measure(
        `gemm ${n}`,
        () =>
          record(ctx, 'bench gemm', (rec) => {
            for (let i = 0; i < productsPerSample; i++)
              gemm.encode(rec, { m: n, n, k: n, a: { buffer: a }, b: { buffer: b }, c: { buffer: c } });
          }),
        { ...timing, divideBy: productsPerSample },
      );
      points.push({ n, productsPerSample, time, gflopPerS: flops / time.median / 1e6 });
    } finally {
      ctx.destroyBuffer(a);
      ctx.destroyBuffer(b);
      ctx.destroyBuffer(c);
    }
  }
  const top = points.reduce<GemmPoint | null>((m, p) => (!m || p.gflopPerS > m.gflopPerS ? p : m), null);
  return { copy, gemm: { points, best: top ? { n: top.n, gflopPerS: top.gflopPerS } : { n: 0, gflopPerS: Number.NaN } }, skipped };
}
