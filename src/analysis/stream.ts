/**
 * Streaming for visualizers: an async iterator over a series' results as checkpoints arrive, and
 * every result uploaded to GPU buffers with documented layouts, so a renderer can draw without a
 * round trip through the CPU.
 *
 * Buffer layouts (all f32 little-endian unless stated; S = grid.size shells in the order
 * window shells (ascending λ), ∅, ⊥):
 * - `energy`, `dissipation`, `counts`: S values.
 * - `flow`, `transport`: S×S row-major, row = destination (new) shell, column = source (old) shell.
 * - `flux`: grid.count values (boundaries b_{alphaMin+i}, i = 0…count−1).
 * - `velocity`: grid.count − 1 values at the interior boundaries (0 where invalid);
 *   `velocityValid`: grid.count − 1 u32 flags.
 * Usage: STORAGE | VERTEX | COPY_SRC | COPY_DST, so they can be bound by compute or render
 * pipelines or copied. Ownership: the caller owns a {@link GpuStepBuffers} and releases it with
 * `destroy()` (or `using`); the series never touches it again.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferUsage } from '../gpu/flags.ts';
import {
  GrsdSeries,
  type CheckpointData,
  type CheckpointResult,
  type IntervalResult,
  type SeriesOptions,
  type SeriesStep,
} from './series.ts';
import type { ShellGrid } from './shellGrid.ts';

/** GPU copies of one step's results (see the module documentation for layouts). Caller-owned. */
export interface GpuStepBuffers extends Disposable {
  /** Shell energies E_α (S f32 values). */
  readonly energy: GPUBuffer;
  /** Instantaneous dissipation D_α per shell (S f32 values). */
  readonly dissipation: GPUBuffer;
  /** Eigenvalues per shell (S f32 values). */
  readonly counts: GPUBuffer;
  /** Present when the step closed an interval. */
  readonly interval: {
    /** Flow matrix F (S×S f32, row = new shell, column = old shell). */
    readonly flow: GPUBuffer;
    /** Transport rates T^Δ/Δt (S×S f32, row = destination shell). */
    readonly transport: GPUBuffer;
    /** Flux Π at the boundaries b_{alphaMin+i} (count f32 values). */
    readonly flux: GPUBuffer;
    /** v at the interior boundaries (count − 1 f32 values, 0 where invalid). */
    readonly velocity: GPUBuffer;
    /** 1 where `velocity` is defined, else 0 (count − 1 u32 flags). */
    readonly velocityValid: GPUBuffer;
  } | null;
  /** Destroys every buffer. Idempotent. */
  destroy(): void;
}

const USAGE = BufferUsage.STORAGE | BufferUsage.VERTEX | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

function upload(ctx: GpuContext, data: Float32Array | Uint32Array, label: string): GPUBuffer {
  const buffer = ctx.createBufferSync({ label, size: Math.max(16, Math.ceil(data.byteLength / 16) * 16), usage: USAGE });
  ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Uploads a checkpoint's (and interval's) results to new caller-owned GPU buffers. */
export function uploadStep(ctx: GpuContext, checkpoint: CheckpointResult, interval: IntervalResult | null): GpuStepBuffers {
  ctx.assertUsable();
  const created: GPUBuffer[] = [];
  const make = (data: Float32Array | Uint32Array, label: string) => {
    const b = upload(ctx, data, label);
    created.push(b);
    return b;
  };
  const result: GpuStepBuffers = {
    energy: make(Float32Array.from(checkpoint.energy), 'grsd energy'),
    dissipation: make(Float32Array.from(checkpoint.dissipation), 'grsd dissipation'),
    counts: make(Float32Array.from(checkpoint.counts), 'grsd counts'),
    interval: interval
      ? {
          flow: make(Float32Array.from(interval.flow), 'grsd flow'),
          transport: make(Float32Array.from(interval.transport), 'grsd transport'),
          flux: make(Float32Array.from(interval.flux), 'grsd flux'),
          velocity: make(Float32Array.from(interval.velocity), 'grsd velocity'),
          velocityValid: make(Uint32Array.from(interval.velocityValid), 'grsd velocity valid'),
        }
      : null,
    destroy() {
      for (const b of created) ctx.destroyBuffer(b);
    },
    [Symbol.dispose]() {
      this.destroy();
    },
  };
  return result;
}

/** One streamed step: the results, the grid, and (on request) GPU copies owned by the caller. */
export interface StreamedStep extends SeriesStep {
  /** Position of the step in the stream (0-based). */
  readonly index: number;
  /** The run's shell grid (fixed once the first checkpoint has arrived). */
  readonly grid: ShellGrid;
  /** Caller-owned GPU copies of this step's results; null unless `gpuOutputs`. */
  readonly gpu: GpuStepBuffers | null;
}

/** Options of {@link streamAnalysis}. */
export interface StreamOptions extends SeriesOptions {
  /** Upload every step's results to caller-owned GPU buffers (GPU backend only). */
  readonly gpuOutputs?: boolean;
}

/**
 * Analyses checkpoints as they arrive (from an array, a generator, or a training loop) and yields
 * each step's results. The series is disposed when the iteration ends (also on `break` or error).
 *
 * @example
 * ```ts
 * for await (const step of streamAnalysis(ctx, trainingCheckpoints(), { timeScale, gpuOutputs: true })) {
 *   renderer.drawEnergy(step.gpu!.energy, step.grid.size);     // no CPU round trip
 *   step.gpu!.destroy();
 * }
 * ```
 */
export async function* streamAnalysis(
  backend: GpuContext | 'cpu',
  source: AsyncIterable<CheckpointData> | Iterable<CheckpointData>,
  options: StreamOptions = {},
): AsyncGenerator<StreamedStep, void, undefined> {
  if (options.gpuOutputs && backend === 'cpu') throw new InvalidArgumentError('gpuOutputs', 'needs the GPU backend (a GpuContext)');
  using series = new GrsdSeries(backend, options);
  let index = 0;
  for await (const checkpoint of source) {
    const step = await series.push(checkpoint);
    const gpu = options.gpuOutputs && backend !== 'cpu' ? uploadStep(backend, step.checkpoint, step.interval) : null;
    yield { ...step, index: index++, grid: series.grid!, gpu };
  }
}
