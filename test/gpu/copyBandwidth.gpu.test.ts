import { describe, expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.ts';
import { readStaging, record } from '../../src/gpu/recorder.ts';
import { createCopyBandwidth } from '../../src/kernels/copyBandwidth.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { copy } from '../../src/reference/copy.ts';
import { randomF32 } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();

/** Copies the first `count` of `count + 5` values into a sentinel-filled buffer; checks exact equality and an untouched tail. */
async function check(ctx: GpuContext, count: number): Promise<void> {
  const src = randomF32(count + 5, `copy${count}`);
  if (count > 2) {
    src[0] = -0;
    src[1] = Number.POSITIVE_INFINITY;
    src[2] = Number.NEGATIVE_INFINITY;
  }
  const sentinel = new Float32Array(count + 5).fill(7.25);
  const cp = await createCopyBandwidth(ctx);
  const sb = await ctx.uploadF32(src, 'copy src');
  const db = await ctx.uploadF32(sentinel, 'copy dst');
  try {
    const staging = await record(ctx, 'copyBandwidth', (rec) => {
      cp.encode(rec, sb, db, count);
      return rec.stage(db, 0, sentinel.byteLength);
    });
    const got = new Float32Array(await readStaging(ctx, staging));
    const want = copy(src.subarray(0, count));
    for (let i = 0; i < count; i++)
      if (!Object.is(got[i], want[i])) expect.fail(`dst[${i}] = ${got[i]}, expected ${want[i]} (count ${count})`);
    for (let i = count; i < count + 5; i++) expect(got[i], `dst[${i}] past the end`).toBe(7.25);
  } finally {
    ctx.destroyBuffer(sb);
    ctx.destroyBuffer(db);
  }
}

describe(`copyBandwidth on ${gpuBackend}: dst = src exactly`, () => {
  gpuTest('sizes from 0 to 100 003 elements, multiples of 4 and not', async () => {
    for (const count of [0, 1, 3, 4, 7, 1024, 4097, 100_003]) await check(getCtx(), count);
  });

  gpuTest('copies above the binding limit run as several dispatches (4 KiB bindings)', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    for (const count of [1024, 5001, 20_000]) await check(small, count);
    expect(small.liveBufferCount).toBe(0);
  });
});
