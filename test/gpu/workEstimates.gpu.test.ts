/**
 * The `auto` backend's work estimate for `grsd analyze` (src/cli/workEstimates.ts) on checkpoints
 * given as Jacobians: it is sized by p (measured on the real n×p operator on the GPU, with the
 * O(n²p) product K = J Jᵀ on the float64 side) and says so in its description. What it measures
 * is timing, which tests do not assert (docs/benchmarks.md); they check that both sides run on
 * such a checkpoint and give finite positive seconds.
 */
import { describe, expect } from 'vitest';
import { runWork } from '../../src/cli/commands/analyze.ts';
import { rng } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();

describe(`analyze's work estimate on ${gpuBackend}`, () => {
  const n = 24;
  const p = 480;
  const residual = Float64Array.from(rng('estimate residual').normals(n));
  const data = Float32Array.from(rng('estimate jacobian').normals(n * p));

  gpuTest('a Jacobian checkpoint (flat or shaped) is estimated on an n×p operator, both backends; a kernel on its n×n one', async () => {
    for (const jacobian of [
      { p, data },
      { data, shape: [n, p] },
    ]) {
      const work = runWork({ t: 0, residual, jacobian }, 3, { rank: 8 });
      expect(work.description).toBe(`3 checkpoints of n = ${n} (Jacobians, p = ${p}), rank 8`);
      const gpu = await work.gpuSeconds(getCtx());
      const cpu = work.cpuSeconds();
      for (const s of [gpu, cpu]) {
        expect(Number.isFinite(s)).toBe(true);
        expect(s).toBeGreaterThan(0);
      }
    }
    const kernel = runWork({ t: 0, residual, kernel: new Float32Array(n * n) }, 3, { rank: 8 });
    expect(kernel.description).toBe(`3 checkpoints of n = ${n}, rank 8`);
    // The operator measured must still be alive while it is timed (it is disposed after).
    const seconds = await kernel.gpuSeconds(getCtx());
    expect(Number.isFinite(seconds) && seconds > 0).toBe(true);
  });
});
