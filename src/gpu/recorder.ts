/**
 * {@link record}: records a batch of kernel dispatches and copies into one command encoder and
 * submits it, with every GPU error raised during recording or submission attributed to the
 * operation's label, and every scratch buffer released after submission.
 *
 * Recording is synchronous by construction (the callback cannot await), so error scopes of
 * concurrent operations never interleave. Prepare pipelines (async) before recording.
 * @module
 */
import { invariant } from '../errors.ts';
import type { GpuContext } from './context.ts';
import { BufferUsage, STORAGE_USAGE } from './flags.ts';
import type * as d from './schema.ts';
import { uniformBuffer, workgroupGrid } from './kernel.ts';

/** Handle given to the recording callback of `record` (internal). Valid only during the callback. */
export class Recorder {
  /** The context the commands are recorded for. */
  readonly ctx: GpuContext;
  /** The command encoder of the current submission. */
  readonly encoder: GPUCommandEncoder;
  #pass: GPUComputePassEncoder | null = null;
  readonly #scratch: GPUBuffer[] = [];
  readonly #staging: GPUBuffer[] = [];
  #open = true;

  /** @internal */
  constructor(ctx: GpuContext, label: string) {
    this.ctx = ctx;
    this.encoder = ctx.device.createCommandEncoder({ label });
  }

  /** A storage buffer of at least `bytes` bytes, destroyed after submission. Contents undefined. */
  scratch(bytes: number, label: string): GPUBuffer {
    this.#check();
    const buffer = this.ctx.createBufferSync({
      label,
      size: Math.max(16, Math.ceil(bytes / 16) * 16),
      usage: STORAGE_USAGE,
    });
    this.#scratch.push(buffer);
    return buffer;
  }

  /** A uniform buffer holding `value` in the layout of `schema`, destroyed after submission. */
  uniform<T extends d.Struct>(label: string, schema: T, value: d.InferInput<T>): GPUBuffer {
    this.#check();
    const buffer = uniformBuffer(this.ctx, label, schema, value);
    this.#scratch.push(buffer);
    return buffer;
  }

  /** Records one dispatch of `workgroups` workgroups (folded into 2-D when needed). */
  dispatch(pipeline: GPUComputePipeline, group: GPUBindGroup, workgroups: number): void {
    this.#check();
    if (workgroups <= 0) return;
    this.#pass ??= this.encoder.beginComputePass();
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group);
    this.#pass.dispatchWorkgroups(...workgroupGrid(workgroups, this.ctx.limits.maxComputeWorkgroupsPerDimension));
  }

  /** Records a buffer-to-buffer copy (byte offsets and size multiples of 4). */
  copy(source: GPUBuffer, sourceOffset: number, destination: GPUBuffer, destinationOffset: number, size: number): void {
    this.#check();
    this.#endPass();
    if (size > 0) this.encoder.copyBufferToBuffer(source, sourceOffset, destination, destinationOffset, size);
  }

  /** Records a copy of `[byteOffset, byteOffset+byteLength)` of `source` into a new mappable buffer for `readStaging`. */
  stage(source: GPUBuffer, byteOffset: number, byteLength: number, label = 'staging'): GPUBuffer {
    this.#check();
    const staging = this.ctx.createBufferSync({ label, size: Math.max(4, byteLength), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.#staging.push(staging);
    this.copy(source, byteOffset, staging, 0, byteLength);
    return staging;
  }

  /** Records zero-filling of a byte range. */
  clear(buffer: GPUBuffer, byteOffset = 0, byteLength?: number): void {
    this.#check();
    this.#endPass();
    this.encoder.clearBuffer(buffer, byteOffset, byteLength);
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
  }

  #check(): void {
    invariant(this.#open, 'Recorder used after its record() callback returned');
  }

  /** @internal Ends recording and returns the command buffer. */
  finish(): GPUCommandBuffer {
    this.#endPass();
    this.#open = false;
    return this.encoder.finish();
  }

  /** @internal Destroys the scratch buffers (after a successful submission). */
  releaseScratch(): void {
    for (const b of this.#scratch) this.ctx.destroyBuffer(b);
  }

  /** @internal Destroys scratch and staging buffers (after a failure: the caller never sees the staging). */
  abandon(): void {
    this.#open = false;
    for (const b of [...this.#scratch, ...this.#staging]) this.ctx.destroyBuffer(b);
  }
}

/**
 * Records commands with `fn` and submits them as one command buffer. GPU errors raised while
 * recording or submitting reject with `GpuValidationError` / `GpuOutOfMemoryError` naming
 * `label`. Scratch buffers are destroyed after submission (WebGPU defers the actual release
 * until the GPU is done with them). Resolves with `fn`'s return value once the submission has
 * been validated.
 */
export async function record<T>(ctx: GpuContext, label: string, fn: (rec: Recorder) => T): Promise<T> {
  let recorder: Recorder | undefined;
  try {
    const value = await ctx.scoped(label, () => {
      recorder = new Recorder(ctx, label);
      const result = fn(recorder);
      ctx.device.queue.submit([recorder.finish()]);
      return result;
    });
    recorder?.releaseScratch();
    return value;
  } catch (error) {
    recorder?.abandon();
    throw error;
  }
}

/** Maps a staging buffer made by {@link Recorder.stage}, copies its contents out, and destroys it. */
export async function readStaging(ctx: GpuContext, staging: GPUBuffer): Promise<ArrayBuffer> {
  try {
    await ctx.guard(staging.mapAsync(0x0001 /* MapMode.READ */));
    const copy = staging.getMappedRange().slice(0);
    staging.unmap();
    return copy;
  } finally {
    ctx.destroyBuffer(staging);
  }
}
