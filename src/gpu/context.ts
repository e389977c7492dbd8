/**
 * {@link GpuContext}: one WebGPU device, the TypeGPU root on it, its effective limits, a report of
 * how it was acquired, and the bookkeeping every kernel relies on: error scopes that name the
 * kernel, device-loss propagation to pending work, and tracking of the GPU buffers grsd creates
 * so that nothing leaks.
 *
 * Acquisition lives elsewhere: {@link createGpuContext} (browser / caller's device) and
 * `createNodeGpuContext` in `grsd/node` (Dawn).
 * @module
 */
import type { TgpuRoot } from 'typegpu';
import {
  DeviceLostError,
  DisposedError,
  GpuOutOfMemoryError,
  GpuValidationError,
  InvalidArgumentError,
  type AdapterAttempt,
} from '../errors.ts';
import { BufferUsage, MapMode, STORAGE_USAGE } from './flags.ts';
import { effectiveLimits, workgroupSizeFor, type EffectiveLimits } from './limits.ts';
import { typeGpu } from './typegpu.ts';

/** WebGPU feature level of the device: full (core) WebGPU, or the compatibility subset. */
export type GpuMode = 'core' | 'compatibility';

/** What is known about the adapter behind a context. Strings may be empty where the implementation hides them. */
export interface AdapterDescription {
  /** The adapter's vendor as WebGPU reports it (may be empty). */
  readonly vendor: string;
  /** The adapter's architecture as WebGPU reports it (may be empty). */
  readonly architecture: string;
  /** The adapter's device name as WebGPU reports it (may be empty). */
  readonly device: string;
  /** The adapter's free-form description as WebGPU reports it (may be empty). */
  readonly description: string;
  /** The route that produced the device, e.g. `"opengles"`, `"swiftshader"`, `"navigator.gpu"`, `"caller's device"`. */
  readonly route: string;
  /** WebGPU core or compatibility mode (the kernels run in both). */
  readonly mode: GpuMode;
  /** Whether the adapter is a software (CPU) implementation, as far as can be told. */
  readonly software: boolean;
}

/** Options shared by every way of creating a context. */
export interface GpuContextCommonOptions {
  /**
   * Upper bound, in bytes, on the storage-buffer binding size kernels use (multiple of 256,
   * at least 4096). Work that exceeds it is split. Default: the device's limit. Mainly for
   * testing the split paths and for bounding per-dispatch memory.
   */
  readonly maxBindingBytes?: number;
  /**
   * Features to enable when the adapter offers them (e.g. `"timestamp-query"`, which the benchmark
   * suite uses for GPU-timeline timings); those it lacks are silently left off — check
   * `ctx.device.features`. Ignored for a caller's device or root.
   */
  readonly optionalFeatures?: readonly GPUFeatureName[];
}

/** @internal Everything the acquisition code knows when it builds a context. */
export interface GpuContextInit extends GpuContextCommonOptions {
  readonly device: GPUDevice;
  readonly root?: TgpuRoot;
  readonly owned: boolean;
  readonly route: string;
  readonly mode?: GpuMode;
  readonly info?: GPUAdapterInfo;
  readonly attempts?: readonly AdapterAttempt[];
  /** Objects that must stay reachable while the device lives (Dawn's instance: see docs/platforms.md). */
  readonly keepAlive?: unknown;
}

/** The object that owns each context's device (Dawn's instance), held for the context's whole life, disposed or not. */
const owners = new WeakMap<GpuContext, unknown>();

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|swiftshader|software|softpipe|warp|microsoft basic render/i;

/**
 * A WebGPU device prepared for grsd. Create one with {@link createGpuContext} or, in Node,
 * `createNodeGpuContext` from `grsd/node`; dispose it when done (`using ctx = ...` works).
 *
 * Ownership: a context created from a caller's `GPUDevice` or TypeGPU root *borrows* it and never
 * destroys it; a context that acquired its own device destroys it on {@link dispose}.
 */
export class GpuContext implements Disposable {
  /** The WebGPU device. Borrowed contexts share it with the caller. */
  readonly device: GPUDevice;
  /** The TypeGPU root on {@link device}; layouts and typed buffers go through it. */
  readonly root: TgpuRoot;
  /** Effective limits kernels plan against. */
  readonly limits: EffectiveLimits;
  /** Description of the adapter and the route that produced the device. */
  readonly adapter: AdapterDescription;
  /** Every route tried during acquisition, in order, including the one chosen. */
  readonly attempts: readonly AdapterAttempt[];
  /** 1-D workgroup size kernels use on this device (a power of two ≤ 256). */
  readonly workgroupSize: number;
  /** Uncaptured GPU errors seen on this device (should stay empty; kept for diagnostics). */
  readonly uncapturedErrors: string[] = [];

  readonly #owned: boolean;
  #lost: DeviceLostError | null = null;
  #disposed = false;
  readonly #pending = new Set<(error: DeviceLostError) => void>();
  readonly #buffers = new Set<GPUBuffer>();

  /** @internal Use {@link createGpuContext} or `createNodeGpuContext`. */
  constructor(init: GpuContextInit) {
    const { device } = init;
    if (init.maxBindingBytes !== undefined) {
      const m = init.maxBindingBytes;
      if (!Number.isInteger(m) || m < 4096 || m % 256 !== 0) {
        throw new InvalidArgumentError('maxBindingBytes', `must be an integer multiple of 256 and at least 4096, got ${m}`);
      }
    }
    this.device = device;
    this.root = init.root ?? typeGpu().tgpu.initFromDevice({ device });
    this.#owned = init.owned;
    if (init.keepAlive !== undefined) owners.set(this, init.keepAlive);
    this.limits = effectiveLimits(device, init.maxBindingBytes);
    this.workgroupSize = workgroupSizeFor(this.limits);
    const info = init.info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const mode: GpuMode = init.mode ?? (device.features.has('core-features-and-limits') ? 'core' : 'compatibility');
    const text = [info?.vendor, info?.architecture, info?.device, info?.description].join(' ');
    this.adapter = {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      route: init.route,
      mode,
      software: SOFTWARE_PATTERN.test(text) || init.route === 'swiftshader',
    };
    this.attempts = init.attempts ?? [{ route: init.route, ok: true, detail: 'device provided' }];
    device.addEventListener?.('uncapturederror', (event: Event) => {
      const message = (event as GPUUncapturedErrorEvent).error?.message ?? String(event);
      if (this.uncapturedErrors.length < 100) this.uncapturedErrors.push(message);
    });
    void device.lost.then((info) => {
      const error = new DeviceLostError(this.#disposed ? 'disposed' : info.reason, info.message);
      this.#lost = error;
      for (const reject of this.#pending) reject(error);
      this.#pending.clear();
      this.#buffers.clear();
    });
  }

  /** Whether the device has been lost (or the context disposed). */
  get isLost(): boolean {
    return this.#lost !== null;
  }

  /** Number of GPU buffers created through this context and not yet destroyed (leak checks). */
  get liveBufferCount(): number {
    return this.#buffers.size;
  }

  /** Throws {@link DisposedError} or {@link DeviceLostError} when the context cannot be used. */
  assertUsable(): void {
    if (this.#disposed) throw new DisposedError('GpuContext');
    if (this.#lost) throw this.#lost;
  }

  /**
   * Resolves or rejects like `promise`, but rejects with {@link DeviceLostError} as soon as the
   * device is lost. Every wait on the GPU inside grsd goes through this.
   */
  guard<T>(promise: Promise<T>): Promise<T> {
    this.assertUsable();
    return new Promise<T>((resolve, reject) => {
      const onLost = (error: DeviceLostError): void => reject(error);
      this.#pending.add(onLost);
      promise.then(
        (value) => {
          this.#pending.delete(onLost);
          if (this.#lost) reject(this.#lost);
          else resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(onLost);
          reject(this.#lost ?? error);
        },
      );
    });
  }

  /**
   * Runs `fn` synchronously inside validation and out-of-memory error scopes and reports the
   * first error as {@link GpuValidationError} / {@link GpuOutOfMemoryError} naming `label`.
   * `fn` must be synchronous so that concurrent operations never share a scope.
   */
  async scoped<T>(label: string, fn: () => T): Promise<T> {
    this.assertUsable();
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let value: T;
    let thrown: unknown;
    let failed = false;
    try {
      value = fn();
    } catch (error) {
      thrown = error;
      failed = true;
    }
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    const [v, o] = await this.guard(Promise.all([validation, oom]));
    if (failed) throw thrown;
    if (o) throw new GpuOutOfMemoryError(label, o.message);
    if (v) throw new GpuValidationError(label, v.message);
    return value!;
  }

  /**
   * Records commands with `record` into a fresh encoder and submits them, inside error scopes
   * naming `label`. Resolves once the submission has been validated (not when the GPU is done;
   * use {@link read} or {@link done} to wait for results).
   */
  submit(label: string, record: (encoder: GPUCommandEncoder) => void): Promise<void> {
    return this.scoped(label, () => {
      const encoder = this.device.createCommandEncoder({ label });
      record(encoder);
      this.device.queue.submit([encoder.finish()]);
    });
  }

  /** Resolves when all submitted work has completed (rejects with {@link DeviceLostError} on loss). */
  done(): Promise<void> {
    return this.guard(this.device.queue.onSubmittedWorkDone());
  }

  /**
   * Creates a GPU buffer tracked by this context (see {@link liveBufferCount}); release it with
   * {@link destroyBuffer}. Throws {@link GpuOutOfMemoryError} when allocation fails.
   */
  async createBuffer(descriptor: GPUBufferDescriptor): Promise<GPUBuffer> {
    const buffer = await this.scoped(`createBuffer(${descriptor.label ?? ''})`, () => this.device.createBuffer(descriptor));
    this.#buffers.add(buffer);
    return buffer;
  }

  /** Synchronous variant of {@link createBuffer} for use while recording; errors surface in the enclosing scope. */
  createBufferSync(descriptor: GPUBufferDescriptor): GPUBuffer {
    this.assertUsable();
    const buffer = this.device.createBuffer(descriptor);
    this.#buffers.add(buffer);
    return buffer;
  }

  /** Destroys a buffer created by this context. Idempotent; ignores buffers it did not create. */
  destroyBuffer(buffer: GPUBuffer | null | undefined): void {
    if (!buffer || !this.#buffers.has(buffer)) return;
    this.#buffers.delete(buffer);
    buffer.destroy();
  }

  /** Reads `byteLength` bytes of `buffer` from `byteOffset` (both multiples of 4) back to the host. */
  async read(buffer: GPUBuffer, byteOffset: number, byteLength: number, label = 'readback'): Promise<ArrayBuffer> {
    if (byteLength === 0) return new ArrayBuffer(0);
    const staging = await this.createBuffer({
      label: `${label} staging`,
      size: byteLength,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    try {
      await this.submit(label, (encoder) => encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, byteLength));
      await this.guard(staging.mapAsync(MapMode.READ));
      const copy = staging.getMappedRange().slice(0);
      staging.unmap();
      return copy;
    } finally {
      this.destroyBuffer(staging);
    }
  }

  /** Reads `count` f32 values from `buffer` starting at element `offset`. */
  async readF32(buffer: GPUBuffer, offset = 0, count = buffer.size / 4 - offset, label?: string): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, offset * 4, count * 4, label));
  }

  /** Uploads `data` into a new tracked storage buffer (usage STORAGE | COPY_SRC | COPY_DST). */
  async uploadF32(data: Float32Array, label: string, extraUsage = 0): Promise<GPUBuffer> {
    const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    const buffer = await this.createBuffer({
      label,
      size,
      usage: STORAGE_USAGE | extraUsage,
    });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /**
   * Releases the context: destroys every buffer it still tracks and, when it owns the device,
   * destroys the device. Borrowed devices are left alone.
   * Pending work rejects with {@link DeviceLostError} (`reason: "disposed"`) when the device goes.
   * Idempotent.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const buffer of this.#buffers) buffer.destroy();
    this.#buffers.clear();
    if (this.#owned) this.device.destroy();
    const lost = new DeviceLostError('disposed', 'the context was disposed');
    for (const reject of this.#pending) reject(lost);
    this.#pending.clear();
    // The owner held in `owners` (Dawn's instance) is not dropped here: the device object
    // outlives dispose(), and the instance must outlive it (docs/platforms.md).
  }

  /** {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
