/**
 * {@link BufferGroup}: buffers created together and released together — the scratch of an
 * algorithm call, or the state of an object under construction — so that an error half-way never
 * leaks GPU memory.
 * @module
 */
import type { GpuContext } from './context.ts';
import { STORAGE_USAGE } from './flags.ts';

/** A set of tracked buffers destroyed together by {@link dispose} (minus those {@link keep} hands over). */
export class BufferGroup implements Disposable {
  readonly ctx: GpuContext;
  readonly #buffers = new Set<GPUBuffer>();

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  /** A new buffer of at least `elements` 4-byte elements (16-byte multiple, never empty). */
  async storage(elements: number, label: string, usage: number = STORAGE_USAGE): Promise<GPUBuffer> {
    const buffer = await this.ctx.createBuffer({ label, size: Math.max(16, Math.ceil((elements * 4) / 16) * 16), usage });
    this.#buffers.add(buffer);
    return buffer;
  }

  /** Removes buffers from the group: they survive {@link dispose} (their new owner destroys them). */
  keep(...buffers: GPUBuffer[]): void {
    for (const b of buffers) this.#buffers.delete(b);
  }

  /** Destroys every buffer still in the group. Idempotent. */
  dispose(): void {
    for (const b of this.#buffers) this.ctx.destroyBuffer(b);
    this.#buffers.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
