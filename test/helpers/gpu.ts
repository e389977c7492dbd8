/**
 * GPU test harness. Every GPU test file gets one real context for the backend named by
 * GRSD_BACKEND (the vitest project sets it: "opengles" = llvmpipe in compatibility mode,
 * "swiftshader" = SwiftShader in core mode). A missing adapter FAILS the suite, unless
 * GRSD_ALLOW_NO_GPU=1 is set explicitly, in which case the GPU tests are skipped.
 *
 * `gpuTest` additionally checks after each test that no tracked GPU buffer leaked, that the
 * device was not lost and that no uncaptured GPU error occurred.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.ts';
import { createNodeGpuContext, type NodeBackend } from '../../src/node/dawn.ts';

const allowNoGpu = process.env.GRSD_ALLOW_NO_GPU === '1';
const backend = (process.env.GRSD_BACKEND ?? 'auto') as NodeBackend;

let shared: GpuContext | null = null;
let acquireError: unknown = null;

/** Registers per-file acquisition and disposal of the shared context. Call once at the top of a GPU test file. */
export function useGpu(options: { maxBindingBytes?: number } = {}): () => GpuContext {
  beforeAll(async () => {
    try {
      shared = await createNodeGpuContext({ backend, ...options });
    } catch (error) {
      acquireError = error;
    }
  });
  afterAll(() => {
    shared?.dispose();
    shared = null;
  });
  return () => {
    if (!shared) throw acquireError ?? new Error('GPU context not acquired');
    return shared;
  };
}

/** The backend this run uses (for test names). */
export const gpuBackend = backend;

/** A test that runs on the shared context and checks for leaks and GPU errors afterwards. */
export function gpuTest(name: string, fn: (ctx: GpuContext) => Promise<void> | void, timeout?: number): void {
  test(
    name,
    async (testContext) => {
      if (!shared) {
        if (allowNoGpu) {
          testContext.skip(`no GPU adapter (GRSD_ALLOW_NO_GPU=1): ${String(acquireError)}`);
          return;
        }
        throw acquireError ?? new Error('GPU context not acquired');
      }
      const ctx = shared;
      const before = ctx.liveBufferCount;
      const errorsBefore = ctx.uncapturedErrors.length;
      await fn(ctx);
      expect(ctx.isLost, 'device lost during the test').toBe(false);
      expect(ctx.uncapturedErrors.slice(errorsBefore), 'uncaptured GPU errors').toEqual([]);
      expect(ctx.liveBufferCount, 'GPU buffers leaked by the test').toBe(before);
    },
    timeout,
  );
}
