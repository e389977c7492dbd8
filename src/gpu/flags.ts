/**
 * WebGPU flag values, fixed by the WebGPU specification. grsd uses these instead of the
 * `GPUBufferUsage` / `GPUMapMode` globals so that it works with a caller's device in Node even
 * when the `webgpu` package's globals were never installed on `globalThis`.
 * @module
 */

/** `GPUBufferUsage` bit flags. */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

/** `GPUMapMode` bit flags. */
/** Usage of grsd's storage buffers: storage, copyable both ways (uploads, readback, scratch copies). */
export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

export const MapMode = { READ: 0x0001, WRITE: 0x0002 } as const;
