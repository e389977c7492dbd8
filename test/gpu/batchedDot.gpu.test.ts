import { describe, expect } from 'vitest';
import { batchedDotGpu } from '../../src/kernels/batchedDot.ts';
import { batchedDot, batchedDotErrorBound } from '../../src/reference/batchedDot.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { randomF32 } from '../helpers/data.ts';

const getCtx = useGpu();

/** max over rows of |gpu − ref| / bound; must be ≤ 1. */
function worstRatio(got: Float32Array, x: Float32Array, y: Float32Array | null, n: number, batch: number): number {
  const ref = batchedDot(x, y, { n, batch });
  const bound = batchedDotErrorBound(x, y, { n, batch });
  let worst = 0;
  for (let b = 0; b < batch; b++) worst = Math.max(worst, Math.abs(got[b]! - ref[b]!) / Math.max(bound[b]!, Number.MIN_VALUE));
  return worst;
}

describe(`batchedDot on ${gpuBackend}: GPU f32 vs float64 reference, within γ_n Σ|x y|`, () => {
  const cases: [number, number][] = [
    [1, 1],
    [255, 1],
    [256, 3],
    [257, 64],
    [4097, 3],
    [65_537, 2],
  ];
  for (const [n, batch] of cases) {
    gpuTest(`n=${n} batch=${batch}`, async () => {
      const ctx = getCtx();
      const x = randomF32(n * batch, `x${n}`);
      const y = randomF32(n * batch, `y${n}`);
      const dots = await batchedDotGpu(ctx, x, y, { n, batch });
      expect(dots).toHaveLength(batch);
      expect(worstRatio(dots, x, y, n, batch)).toBeLessThanOrEqual(1);
      const sums = await batchedDotGpu(ctx, x, null, { n, batch });
      expect(worstRatio(sums, x, null, n, batch)).toBeLessThanOrEqual(1);
    });
  }

  gpuTest('a wrong result is caught: the bound is tight enough to see a dropped element', async () => {
    const ctx = getCtx();
    const n = 1000;
    const x = new Float32Array(n).fill(1);
    const got = await batchedDotGpu(ctx, x, x, { n, batch: 1 });
    expect(got[0]).toBe(1000);
    // Dropping one term (value 1) would exceed the bound (≈ 0.06) many times over.
    expect(batchedDotErrorBound(x, x, { n, batch: 1 })[0]!).toBeLessThan(0.1);
  });

  gpuTest('work above the binding limit is split into several dispatches with the same result', async () => {
    // A second context whose binding limit is capped at 4 KiB forces every split path.
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    expect(small.limits.maxStorageBufferBindingSize).toBe(4096);
    for (const [n, batch] of [
      [3000, 5],
      [20_000, 1],
      [7, 900],
    ] as const) {
      const x = randomF32(n * batch, `sx${n}`);
      const y = randomF32(n * batch, `sy${n}`);
      const got = await batchedDotGpu(small, x, y, { n, batch });
      expect(worstRatio(got, x, y, n, batch)).toBeLessThanOrEqual(1);
    }
    expect(small.liveBufferCount).toBe(0);
  });
});
