import { describe, expect } from 'vitest';
import { DeviceLostError, DisposedError, GpuValidationError, GrsdError, InvalidArgumentError } from '../../src/errors.ts';
import { batchedDotGpu } from '../../src/kernels/batchedDot.ts';
import { getPipeline, computeLayout } from '../../src/gpu/kernel.ts';
import { createGpuContext } from '../../src/gpu/acquire.ts';
import { BufferGroup } from '../../src/gpu/bufferGroup.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import * as d from '../../src/gpu/schema.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();

describe(`GpuContext on ${gpuBackend}`, () => {
  gpuTest('reports the adapter, the route, the mode and effective limits', () => {
    const ctx = getCtx();
    const expected = gpuBackend === 'swiftshader' ? 'core' : gpuBackend === 'opengles' ? 'compatibility' : ctx.adapter.mode;
    expect(ctx.adapter.mode).toBe(expected);
    expect(ctx.adapter.route).toBe(gpuBackend === 'auto' ? ctx.adapter.route : gpuBackend);
    expect(ctx.attempts.at(-1)?.ok).toBe(true);
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(ctx.workgroupSize).toBeGreaterThanOrEqual(64);
    expect(ctx.adapter.software).toBe(true);
  });

  gpuTest('a shader that does not compile gives GpuValidationError naming the kernel', async () => {
    const ctx = getCtx();
    const layout = computeLayout({ out: { storage: d.arrayOf(d.f32), access: 'mutable' } });
    const bad = {
      name: 'brokenKernel',
      layout,
      code: '@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1) fn main() { out[0] = undefinedThing; }',
    };
    const error = await getPipeline(ctx, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuValidationError);
    expect((error as GpuValidationError).code).toBe('GRSD_GPU_VALIDATION');
    expect((error as GpuValidationError).kernel).toBe('brokenKernel');
    expect((error as Error).message).toMatch(/undefinedThing/);
  });

  gpuTest('invalid commands inside a scoped operation give GpuValidationError with its label', async () => {
    const ctx = getCtx();
    const error = await ctx.scoped('badBuffer', () => ctx.device.createBuffer({ size: 16, usage: 0 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuValidationError);
    expect((error as GpuValidationError).kernel).toBe('badBuffer');
  });

  gpuTest('pipelines are cached per kernel and constants', async () => {
    const ctx = getCtx();
    const layout = computeLayout({ out: { storage: d.arrayOf(d.f32), access: 'mutable' } });
    const spec = {
      name: 'constKernel',
      layout,
      code: 'override V: f32 = 1.0;\n@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1) fn main() { out[0] = V; }',
    };
    const a = await getPipeline(ctx, spec, { V: 2 });
    const b = await getPipeline(ctx, spec, { V: 2 });
    const c = await getPipeline(ctx, spec, { V: 3 });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  gpuTest('a BufferGroup frees its buffers when the code using it throws, and hands kept ones over', async () => {
    const ctx = getCtx();
    const before = ctx.liveBufferCount;
    const fails = async (): Promise<void> => {
      using group = new BufferGroup(ctx);
      const a = await group.storage(5, 'a');
      expect(a.size).toBe(32); // rounded up to a 16-byte multiple
      await group.storage(0, 'empty'); // never a zero-size buffer
      expect(ctx.liveBufferCount).toBe(before + 2);
      throw new Error('half-way');
    };
    await expect(fails()).rejects.toThrow('half-way');
    expect(ctx.liveBufferCount).toBe(before);
    const kept = await (async () => {
      using group = new BufferGroup(ctx);
      const k = await group.storage(4, 'kept');
      await group.storage(4, 'scratch');
      group.keep(k);
      return k;
    })();
    expect(ctx.liveBufferCount).toBe(before + 1);
    ctx.destroyBuffer(kept);
    expect(ctx.liveBufferCount).toBe(before);
  });

  gpuTest(
    'optionalFeatures: enabled where the adapter offers them (SwiftShader has timestamp-query), silently left off elsewhere',
    async () => {
      using ctx = await createNodeGpuContext({ backend: gpuBackend, optionalFeatures: ['timestamp-query'] });
      const has = ctx.device.features.has('timestamp-query');
      if (gpuBackend === 'swiftshader') expect(has).toBe(true);
      if (gpuBackend === 'opengles') expect(has).toBe(false);
      // Without the option no optional feature is enabled.
      expect(getCtx().device.features.has('timestamp-query')).toBe(false);
    },
  );

  gpuTest('maxBindingBytes is validated', async () => {
    await expect(createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 1000 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe(`device loss and disposal on ${gpuBackend}`, () => {
  gpuTest('pending work rejects with DeviceLostError when the device is lost, and a new context works after', async () => {
    const ctx = await createNodeGpuContext({ backend: gpuBackend });
    const x = new Float32Array(1 << 16).fill(1);
    const pending = batchedDotGpu(ctx, x, x, { n: 1 << 16, batch: 1 });
    ctx.device.destroy(); // simulates a lost device (driver reset) from outside grsd
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect((error as GrsdError).code).toBe('GRSD_DEVICE_LOST');
    await expect(batchedDotGpu(ctx, x, x, { n: 1 << 16, batch: 1 })).rejects.toBeInstanceOf(DeviceLostError);
    ctx.dispose();
    using fresh = await createNodeGpuContext({ backend: gpuBackend });
    const [dot] = await batchedDotGpu(fresh, x, x, { n: 1 << 16, batch: 1 });
    expect(dot).toBe(1 << 16);
  });

  gpuTest('a disposed context refuses work with DisposedError and frees its buffers', async () => {
    const ctx = await createNodeGpuContext({ backend: gpuBackend });
    await ctx.uploadF32(new Float32Array(64), 'left behind');
    expect(ctx.liveBufferCount).toBe(1);
    ctx.dispose();
    expect(ctx.liveBufferCount).toBe(0);
    expect(() => ctx.assertUsable()).toThrow(DisposedError);
    ctx.dispose(); // idempotent
  });

  gpuTest("a context made from the caller's device borrows it: dispose does not destroy the device", async () => {
    const owner = await createNodeGpuContext({ backend: gpuBackend });
    const borrowed = await createGpuContext({ device: owner.device });
    expect(borrowed.adapter.route).toBe("caller's device");
    borrowed.dispose();
    const [dot] = await batchedDotGpu(owner, new Float32Array([1, 2]), new Float32Array([3, 4]), { n: 2, batch: 1 });
    expect(dot).toBe(11);
    const viaRoot = await createGpuContext({ root: owner.root });
    expect(viaRoot.root).toBe(owner.root);
    viaRoot.dispose();
    expect(owner.isLost).toBe(false);
    owner.dispose();
  });
});
