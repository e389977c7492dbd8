import { describe, expect } from 'vitest';
import { flowMatrixGpu } from '../../src/algorithms/flowEstimator.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { randomOrthogonal } from '../../src/reference/linalg.ts';
import { flowMatrixF64 } from '../../src/reference/transport.ts';
import { rng } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();

/** The first `r` rows of a random n×n orthogonal matrix, rounded to f32 (exact shared input). */
function orthonormalRows(r: number, n: number, label: string): Float32Array {
  return Float32Array.from(randomOrthogonal(n, rng(label)).subarray(0, r * n));
}

function indices(r: number, shells: number, label: string): Int32Array {
  const g = rng(label);
  return Int32Array.from({ length: r }, () => g.int(shells));
}

describe(`transport flow estimator (gemm + matVec + shellFlow + shellFlowReduce) on ${gpuBackend}`, () => {
  // Sizes not multiples of any tile or workgroup; rOld ≠ rNew; one eigenpair; no new eigenpairs.
  const cases = [
    { rOld: 37, rNew: 29, n: 131, shells: 7 },
    { rOld: 1, rNew: 5, n: 64, shells: 3 },
    { rOld: 12, rNew: 0, n: 40, shells: 4 },
    { rOld: 64, rNew: 64, n: 200, shells: 25 },
  ];
  for (const { rOld, rNew, n, shells } of cases) {
    gpuTest(`rOld=${rOld} rNew=${rNew} n=${n} shells=${shells}: F within √n·2⁻²⁴·‖a‖² of float64, budget closed`, async () => {
      const label = `${rOld}-${rNew}-${n}`;
      const u = orthonormalRows(rOld, n, `U ${label}`);
      const v = orthonormalRows(rNew, n, `V ${label}`);
      const a = Float32Array.from(rng(`a ${label}`).normals(n));
      const oldIndex = indices(rOld, shells, `old ${label}`);
      const newIndex = indices(rNew, shells, `new ${label}`);
      const gpu = await flowMatrixGpu(getCtx(), { u, v, a, oldIndex, newIndex, shells });
      const ref = flowMatrixF64(u, v, a, oldIndex, newIndex, shells);
      expect(gpu.length).toBe((shells + 1) ** 2);
      let norm2 = 0;
      for (const x of a) norm2 += x * x;
      // Every entry is a sum of α_j O_jk β_k with orthonormal U, V: f32 dot products of length n
      // (error ≲ √n·2⁻²⁴ each, tree/blocked accumulation) weighted by |α|·|β| ≤ ‖a‖².
      const tol = Math.sqrt(n) * 2 ** -24 * norm2;
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(gpu[i]! - ref[i]!));
      expect(worst).toBeLessThanOrEqual(tol);
      // The float64 completion closes the budget: all entries sum to ‖a‖².
      expect(Math.abs(gpu.reduce((s, x) => s + x, 0) - norm2)).toBeLessThanOrEqual(1e-9 * norm2);
      // Not trivially zero where there are eigenpairs on both sides.
      if (rOld > 0 && rNew > 0) expect(Math.max(...Array.from(ref, Math.abs))).toBeGreaterThan((1e-3 * norm2 * Math.min(rOld, rNew)) / n);
    });
  }

  gpuTest('bad input: wrong U length, shell index out of range, NaN in the residual → InvalidArgumentError naming it', async () => {
    const ctx = getCtx();
    const base = {
      u: new Float32Array(2 * 8),
      v: new Float32Array(3 * 8),
      a: new Float32Array(8).fill(1),
      oldIndex: [0, 1],
      newIndex: [0, 1, 2],
      shells: 3,
    };
    const errorOf = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const short = await errorOf(flowMatrixGpu(ctx, { ...base, u: new Float32Array(15) }));
    expect(short).toBeInstanceOf(InvalidArgumentError);
    expect((short as InvalidArgumentError).message).toMatch(/\bu\b.*16/);
    const out = await errorOf(flowMatrixGpu(ctx, { ...base, newIndex: [0, 1, 3] }));
    expect((out as InvalidArgumentError).message).toMatch(/newIndex.*entry 2/);
    const nan = Float32Array.from(base.a);
    nan[4] = Number.NaN;
    expect(((await errorOf(flowMatrixGpu(ctx, { ...base, a: nan }))) as Error).message).toMatch(/\ba\b.*element 4/);
  });
});
