/**
 * The timing harness of the benchmark suite: {@link measure} runs a piece of work a few times and
 * summarizes the samples (median, min, max, IQR, MAD), recording which clock produced them.
 *
 * Clocks ({@link TimingMethod}):
 * - `"gpu-timestamp"`: when the device has the `timestamp-query` feature, an empty compute pass
 *   writes a GPU timestamp before the work is recorded and another after it, on the same queue;
 *   the sample is the GPU-timeline time between them (host gaps between the work's submissions
 *   included, the final readback latency excluded).
 * - `"wall"`: `performance.now()` around the work and `await ctx.done()` (queue completion), after
 *   draining the queue first. Includes submission and completion-notification latency.
 * - `"wall-python"`: `time.perf_counter()` inside a Python peer's process (see peers.ts).
 * - `"wall-host"`: `performance.now()` around host-only work (JavaScript peers, float64 reference).
 *
 * Speed is only ever measured here, never asserted in tests.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferUsage, MapMode } from '../gpu/flags.ts';
import { summarize, type SampleStats } from './stats.ts';

/** Which clock produced a figure. */
export type TimingMethod = 'gpu-timestamp' | 'wall' | 'wall-python' | 'wall-host';

/** A timed figure: the summary statistics and every sample, in milliseconds. */
export interface Measurement extends SampleStats {
  readonly label: string;
  readonly timing: TimingMethod;
  readonly unit: 'ms';
  /** Every timed sample (warm-up runs excluded), in run order. */
  readonly samples: number[];
  /** Untimed warm-up runs done first (a slow warm-up kept as a sample is not counted here). */
  readonly warmup: number;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed runs first (pipeline compilation, first-touch allocation). Default 1. */
  readonly warmup?: number;
  /** Timed runs. Default 5. */
  readonly repeats?: number;
  /**
   * Stop repeating once this many seconds (warm-up included) have been spent and at least one
   * sample exists. Default: no limit.
   */
  readonly maxSeconds?: number;
  /** The context the work runs on. Given: the queue is drained before and awaited after each run. */
  readonly ctx?: GpuContext | null;
  /** `"auto"` (default): GPU timestamps when `ctx` has `timestamp-query`, otherwise wall time. */
  readonly timing?: 'auto' | 'wall' | 'gpu-timestamp';
  /**
   * A warm-up run longer than this many seconds ends the warm-up and is kept as the first sample
   * (for host work without compilation, e.g. the peers). Default: warm-up runs are never kept.
   */
  readonly slowWarmupSeconds?: number;
  /** Each sample is divided by this: `fn` does `divideBy` units of work, samples are per unit. Default 1. */
  readonly divideBy?: number;
  /** Clock in milliseconds (tests inject one). Default `performance.now`. */
  readonly clock?: () => number;
}

/** The clock {@link measure} uses by default on `ctx`: GPU timestamps when the device offers them. */
export function timingMethodFor(ctx: GpuContext | null | undefined): TimingMethod {
  if (!ctx) return 'wall-host';
  return ctx.device.features.has('timestamp-query') ? 'gpu-timestamp' : 'wall';
}

/** A Measurement from samples taken elsewhere (a peer process). */
export function fromSamples(label: string, samples: readonly number[], timing: TimingMethod, warmup = 0): Measurement {
  return { label, timing, unit: 'ms', samples: [...samples], warmup, ...summarize(samples) };
}

/** GPU timestamps written by empty compute passes around the work (see the module comment). */
class TimestampTimer {
  readonly #ctx: GpuContext;
  readonly #querySet: GPUQuerySet;
  readonly #resolve: GPUBuffer;

  constructor(ctx: GpuContext) {
    this.#ctx = ctx;
    this.#querySet = ctx.device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: 2 });
    this.#resolve = ctx.createBufferSync({ label: 'bench timestamps', size: 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
  }

  #marker(which: 'begin' | 'end', staging?: GPUBuffer): void {
    const device = this.#ctx.device;
    const encoder = device.createCommandEncoder({ label: `bench timestamp ${which}` });
    const timestampWrites: GPUComputePassTimestampWrites =
      which === 'begin' ? { querySet: this.#querySet, beginningOfPassWriteIndex: 0 } : { querySet: this.#querySet, endOfPassWriteIndex: 1 };
    encoder.beginComputePass({ label: `bench timestamp ${which}`, timestampWrites }).end();
    if (staging) {
      encoder.resolveQuerySet(this.#querySet, 0, 2, this.#resolve, 0);
      encoder.copyBufferToBuffer(this.#resolve, 0, staging, 0, 16);
    }
    device.queue.submit([encoder.finish()]);
  }

  /** Milliseconds of GPU timeline spent between the start and the end of `fn`'s work. */
  async time(fn: () => unknown): Promise<number> {
    const ctx = this.#ctx;
    await ctx.scoped('bench timestamp begin', () => this.#marker('begin'));
    await fn();
    const staging = ctx.createBufferSync({ label: 'bench timestamps read', size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    try {
      await ctx.scoped('bench timestamp end', () => this.#marker('end', staging));
      await ctx.guard(staging.mapAsync(MapMode.READ));
      const [t0, t1] = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return Number(t1! - t0!) / 1e6;
    } finally {
      ctx.destroyBuffer(staging);
    }
  }

  dispose(): void {
    this.#querySet.destroy();
    this.#ctx.destroyBuffer(this.#resolve);
  }
}

/**
 * Runs `fn` `warmup` times untimed, then up to `repeats` times timed, and summarizes the samples.
 * With a GPU context the queue is drained before each run and awaited after it, so a sample
 * covers all GPU work `fn` submitted; the clock is chosen as described in the module comment.
 *
 * @example
 * ```ts
 * const m = await measure('apply', () => record(ctx, 'apply', (rec) => op.encodeApply(rec, x, y, 1)), { ctx, repeats: 5 });
 * m.median; m.spread; m.timing; // "wall" or "gpu-timestamp"
 * ```
 */
export async function measure(label: string, fn: () => unknown, options: MeasureOptions = {}): Promise<Measurement> {
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  const divideBy = options.divideBy ?? 1;
  const clock = options.clock ?? (() => performance.now());
  if (!Number.isInteger(warmup) || warmup < 0) throw new InvalidArgumentError('warmup', `must be an integer ≥ 0, got ${warmup}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new InvalidArgumentError('repeats', `must be an integer ≥ 1, got ${repeats}`);
  if (!(divideBy > 0)) throw new InvalidArgumentError('divideBy', `must be positive, got ${divideBy}`);
  const ctx = options.ctx ?? null;
  const wanted = options.timing ?? 'auto';
  let timing: TimingMethod;
  if (!ctx) {
    if (wanted === 'gpu-timestamp') throw new InvalidArgumentError('timing', '"gpu-timestamp" needs a GPU context');
    timing = 'wall-host';
  } else if (wanted === 'wall') {
    timing = 'wall';
  } else {
    timing = timingMethodFor(ctx);
    if (wanted === 'gpu-timestamp' && timing !== 'gpu-timestamp')
      throw new InvalidArgumentError('timing', 'the device does not have the "timestamp-query" feature');
  }
  const timer = timing === 'gpu-timestamp' ? new TimestampTimer(ctx!) : null;
  const started = clock();
  const overBudget = (): boolean => options.maxSeconds !== undefined && clock() - started > options.maxSeconds * 1000;
  const samples: number[] = [];
  let warmed = 0;
  try {
    const once = async (): Promise<number> => {
      if (ctx) await ctx.done();
      if (timer) return timer.time(fn);
      const t0 = clock();
      await fn();
      if (ctx) await ctx.done();
      return clock() - t0;
    };
    while (warmed < warmup) {
      const t = await once();
      if (options.slowWarmupSeconds !== undefined && t > options.slowWarmupSeconds * 1000) {
        // Long enough that start-up effects are negligible: it counts as the first sample.
        samples.push(t / divideBy);
        break;
      }
      warmed++;
      if (overBudget()) break;
    }
    while (samples.length < repeats) {
      samples.push((await once()) / divideBy);
      if (overBudget()) break;
    }
  } finally {
    timer?.dispose();
  }
  return { label, timing, unit: 'ms', samples, warmup: warmed, ...summarize(samples) };
}
