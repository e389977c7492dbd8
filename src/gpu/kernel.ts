/**
 * Kernel plumbing shared by every wrapper in `src/kernels/`: the kernel description
 * ({@link KernelSpec}), compute-only bind-group layouts, the per-context pipeline cache, bind groups
 * over whole buffers or byte ranges, typed uniform buffers, and dispatch-grid arithmetic.
 *
 * Layouts and uniforms are declared with the schemas of src/gpu/schema.ts, which cost nothing at
 * import; TypeGPU lays them out once a context exists (it is loaded with the first context).
 * @module
 */
import type { TgpuBindGroupLayout, TgpuLayoutEntry } from 'typegpu';
import { DeviceLimitError, GpuValidationError } from '../errors.ts';
import type { GpuContext } from './context.ts';
import { BufferUsage } from './flags.ts';
import * as d from './schema.ts';
import { typeGpu } from './typegpu.ts';

/** One binding of a {@link ComputeLayout}: a `Params` uniform, or a storage array read or written. */
export type ComputeLayoutEntry = { readonly uniform: d.Struct } | { readonly storage: d.ArrayOf; readonly access: 'readonly' | 'mutable' };

/**
 * A bind-group layout visible to the compute stage only (TypeGPU's default visibility includes
 * the vertex stage, which compatibility-mode devices refuse for storage buffers). Binding indices
 * follow key order; the WGSL file declares the same names in the same order.
 */
export interface ComputeLayout<E extends Readonly<Record<string, ComputeLayoutEntry>> = Readonly<Record<string, ComputeLayoutEntry>>> {
  readonly entries: E;
}

/** A {@link ComputeLayout} with these entries, in binding order. */
export function computeLayout<E extends Readonly<Record<string, ComputeLayoutEntry>>>(entries: E): ComputeLayout<E> {
  return { entries };
}

/** A WGSL compute kernel: its name (the WGSL file stem), source, and the layout its bindings follow. */
export interface KernelSpec {
  readonly name: string;
  readonly code: string;
  readonly layout: ComputeLayout;
}

const typeGpuLayouts = new WeakMap<ComputeLayout, TgpuBindGroupLayout>();

/** The WebGPU bind-group layout of `spec` on `ctx`'s device, through TypeGPU (cached by TypeGPU's root). */
function bindGroupLayout(ctx: GpuContext, spec: KernelSpec): GPUBindGroupLayout {
  let layout = typeGpuLayouts.get(spec.layout);
  if (!layout) {
    const entries: Record<string, TgpuLayoutEntry> = {};
    for (const [key, entry] of Object.entries(spec.layout.entries)) {
      entries[key] =
        'uniform' in entry
          ? { uniform: d.toTypeGpu(entry.uniform), visibility: ['compute'] }
          : { storage: d.toTypeGpu(entry.storage), access: entry.access, visibility: ['compute'] };
    }
    layout = typeGpu().tgpu.bindGroupLayout(entries);
    typeGpuLayouts.set(spec.layout, layout);
  }
  return ctx.root.unwrap(layout);
}

/** Pipeline-overridable constants, by WGSL `override` name. */
export type KernelConstants = Readonly<Record<string, number>>;

const pipelineCache = new WeakMap<GpuContext, Map<string, Promise<GPUComputePipeline>>>();

/**
 * The compute pipeline for `spec` specialised with `constants`, compiled once per context and
 * cached. Compilation failures reject with {@link GpuValidationError} naming the kernel, with the
 * compiler's messages.
 */
export function getPipeline(ctx: GpuContext, spec: KernelSpec, constants: KernelConstants = {}): Promise<GPUComputePipeline> {
  ctx.assertUsable();
  let cache = pipelineCache.get(ctx);
  if (!cache) pipelineCache.set(ctx, (cache = new Map()));
  const key = `${spec.name}|${Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`)
    .join(',')}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = compile(ctx, spec, constants, key);
    cache.set(key, pipeline);
    pipeline.catch(() => cache.delete(key));
  }
  return pipeline;
}

async function compile(ctx: GpuContext, spec: KernelSpec, constants: KernelConstants, label: string): Promise<GPUComputePipeline> {
  const { device } = ctx;
  const module = await ctx.scoped(spec.name, () => device.createShaderModule({ label: spec.name, code: spec.code }));
  try {
    return await ctx.guard(
      device.createComputePipelineAsync({
        label,
        layout: device.createPipelineLayout({ label: spec.name, bindGroupLayouts: [bindGroupLayout(ctx, spec)] }),
        compute: { module, entryPoint: 'main', constants: { ...constants } },
      }),
    );
  } catch (error) {
    if (ctx.isLost) throw error;
    const info = await module.getCompilationInfo().catch(() => null);
    const messages = info?.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('\n') ?? '';
    throw new GpuValidationError(spec.name, `${(error as Error).message}${messages ? `\n${messages}` : ''}`);
  }
}

/** A whole buffer, or a byte range of one, to bind. */
export type BufferBinding = GPUBuffer | { readonly buffer: GPUBuffer; readonly offset?: number; readonly size?: number };

/**
 * A bind group for `spec.layout` with the given buffers. Keys must match the layout's; ranges
 * must respect `minStorageBufferOffsetAlignment` (see {@link planRanges}).
 */
export function bindGroup(ctx: GpuContext, spec: KernelSpec, entries: Readonly<Record<string, BufferBinding>>): GPUBindGroup {
  const keys = Object.keys(spec.layout.entries);
  return ctx.device.createBindGroup({
    label: spec.name,
    layout: bindGroupLayout(ctx, spec),
    entries: keys.map((key, binding) => {
      const entry = entries[key];
      if (!entry) throw new GpuValidationError(spec.name, `no buffer bound for \`${key}\``);
      return { binding, resource: 'buffer' in entry ? { ...entry } : { buffer: entry } };
    }),
  });
}

/**
 * A new tracked uniform buffer holding `value` laid out by `schema` (the kernel's
 * `Params` struct). The caller destroys it with `ctx.destroyBuffer` after submitting the commands
 * that use it.
 */
export function uniformBuffer<T extends d.Struct>(ctx: GpuContext, label: string, schema: T, value: d.InferInput<T>): GPUBuffer {
  const size = Math.max(16, Math.ceil(d.sizeOf(schema) / 16) * 16);
  const bytes = new ArrayBuffer(size);
  typeGpu().writeToArrayBuffer(bytes, d.toTypeGpu(schema), value);
  const buffer = ctx.createBufferSync({ label, size, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  ctx.device.queue.writeBuffer(buffer, 0, bytes);
  return buffer;
}

/**
 * Folds `count` workgroups into a 2-D grid that respects `maxComputeWorkgroupsPerDimension`.
 * Kernels recover the linear index as `wid.x + wid.y * nwg.x` and skip indices ≥ count.
 */
export function workgroupGrid(count: number, maxPerDimension: number): [number, number, number] {
  if (count <= maxPerDimension) return [Math.max(1, count), 1, 1];
  const y = Math.ceil(count / maxPerDimension);
  if (y > maxPerDimension)
    throw new DeviceLimitError('maxComputeWorkgroupsPerDimension', y, maxPerDimension, 'a dispatch of ' + count + ' workgroups');
  return [maxPerDimension, y, 1];
}

/** A byte range of a buffer to bind, and where the wanted data starts inside it. */
export interface AlignedRange {
  /** Byte offset of the binding, aligned down to the offset alignment. */
  readonly offset: number;
  /** Byte size of the binding. */
  readonly size: number;
  /** Element index, relative to the binding, of the first wanted element. */
  readonly shift: number;
}

/**
 * The binding that covers elements `[start, end)` of a buffer of 4-byte elements, with its offset
 * aligned down to `alignment` bytes (`minStorageBufferOffsetAlignment`).
 */
export function alignedRange(start: number, end: number, alignment: number): AlignedRange {
  const alignElems = alignment / 4;
  const bindStart = Math.floor(start / alignElems) * alignElems;
  return { offset: bindStart * 4, size: Math.max(4, (end - bindStart) * 4), shift: start - bindStart };
}

/** A binding window over a buffer of 4-byte elements and the index shift kernels add. */
export interface BindWindow {
  readonly binding: { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number };
  /**
   * `(origin − windowStart) mod 2³²`: added by the kernel to indices counted from `origin`.
   * Kernels do their index arithmetic in u32, which wraps, so the shift may encode a negative
   * offset (an origin before the window start).
   */
  readonly shift: number;
}

/**
 * The binding that covers elements `[first, end)` of `buffer` (offset aligned down to `alignment`
 * bytes), for a kernel that addresses elements relative to `origin`.
 */
export function bindWindow(buffer: GPUBuffer, origin: number, first: number, end: number, alignment: number): BindWindow {
  const alignElems = alignment / 4;
  const start = Math.floor(first / alignElems) * alignElems;
  const size = Math.max(4, Math.min((end - start) * 4, buffer.size - start * 4));
  return { binding: { buffer, offset: start * 4, size }, shift: (origin - start) >>> 0 };
}

/**
 * How many work units of at most `unitElements` consecutive 4-byte elements fit in one binding of
 * `maxBindingBytes`, allowing for the alignment slack of {@link alignedRange}. Throws
 * {@link DeviceLimitError} when not even one fits.
 */
export function unitsPerBinding(maxBindingBytes: number, alignment: number, unitElements: number, what: string): number {
  const usable = Math.floor(maxBindingBytes / 4) - (alignment / 4 - 1);
  const units = Math.floor(usable / unitElements);
  if (units < 1) throw new DeviceLimitError('maxStorageBufferBindingSize', unitElements * 4 + alignment, maxBindingBytes, what);
  return units;
}
