/**
 * The GPU eigensolver's hard-case catalogue tests (issue 13), shared by the files that split the
 * catalogue so that vitest runs them in parallel (test/gpu/eigshCatalogue*.gpu.test.ts): each case
 * at the catalogue's GPU size must return all k values, the i-th within 1e-5·‖A‖ of the i-th
 * wanted eigenvalue counted with multiplicity, nothing flagged converged that is not within the
 * tolerance of it, every bound holding, nothing non-finite (checkContract).
 */
import { describe } from 'vitest';
import { eigsh, type GpuEigenOptions } from '../../src/algorithms/eigsh.ts';
import { eigenCatalogue, type EigenCase } from '../../src/bench/eigenCatalogue.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { caseTolerance, checkContract } from './eigenContract.ts';
import { gpuBackend, gpuTest } from './gpu.ts';

/** Solves one catalogue case on the GPU at its test tolerance. */
export async function solveCase(ctx: GpuContext, c: EigenCase, options: Partial<GpuEigenOptions> = {}) {
  return eigsh(ctx, { data: c.data, shape: [c.n, c.n] }, { k: c.k, which: c.which, tolerance: caseTolerance(c), ...options });
}

/**
 * SwiftShader (gpu-core) is several times slower than llvmpipe: there the scaling path is checked at
 * ×1e±30 only (×1e±20 run on gpu-compat and in float64).
 */
const slowSkips = new Set(['scaled ×1e+20', 'scaled ×1e-20']);

/** Registers the contract test of every GPU-size catalogue case whose index is in [from, to). */
export function describeCatalogue(title: string, from: number, to: number): void {
  const cases = eigenCatalogue('gpu')
    .slice(from, to)
    .filter((c) => !(gpuBackend === 'swiftshader' && slowSkips.has(c.name)));
  describe(`eigsh on ${gpuBackend}: the hard-case catalogue, ${title}`, () => {
    for (const c of cases)
      gpuTest(`${c.name} (n = ${c.n}, ${c.which} ${c.k})`, async (ctx) => {
        using sol = await solveCase(ctx, c);
        checkContract(c, sol.results[0]!, caseTolerance(c));
      });
  });
}
