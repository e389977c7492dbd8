/**
 * The Lanczos eigensolver on the GPU against float64 truth (spec §3 T4 and the targets):
 * top-k within 1e-5·λ_max, converged Ritz pairs with ‖Ku − θu‖ ≤ 1e-4·λ_max, every returned bound
 * holding, breakdown without NaN, batch = members one by one, both tridiagonal backends.
 */
import { describe, expect } from 'vitest';
import { eigsh, type GpuEigenOptions } from '../../src/algorithms/eigsh.ts';
import { denseOperator, jacobianOperator } from '../../src/algorithms/operators.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { eigshF64, denseCpuOperator } from '../../src/reference/eigsh.ts';
import { matmul, transpose } from '../../src/reference/linalg.ts';
import { symmetricEigen } from '../../src/reference/symmetricEigen.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { randomF32, rng } from '../helpers/data.ts';
import { fromEntries, nearestDistances, stack, withSpectrum, type TestMatrix } from '../helpers/spectra.ts';

const getCtx = useGpu();

async function solve(ctx: GpuContext, ms: readonly TestMatrix[], options: GpuEigenOptions) {
  using op = await denseOperator(ctx, { n: ms[0]!.n, batch: ms.length, data: stack(ms) });
  return await eigsh(op, options);
}

/** Every bound holds, nothing is NaN, values sorted from the requested end. */
function checkResult(m: TestMatrix, r: { eigenvalues: Float64Array; errorBounds: Float64Array }, which: string): void {
  expect(r.eigenvalues.every(Number.isFinite)).toBe(true);
  expect(r.errorBounds.every((b) => Number.isFinite(b) && b >= 0)).toBe(true);
  const d = nearestDistances(r.eigenvalues, m.values);
  d.forEach((dist, i) =>
    expect(dist, `value ${i} (${r.eigenvalues[i]}) outside its bound ${r.errorBounds[i]}`).toBeLessThanOrEqual(r.errorBounds[i]!),
  );
  const v = Array.from(r.eigenvalues);
  if (which === 'largest') expect(v).toEqual([...v].sort((a, b) => b - a));
  if (which === 'smallest') expect(v).toEqual([...v].sort((a, b) => a - b));
}

const logUniform = (n: number, decades: number, label: string) => {
  const r = rng(label);
  return Float64Array.from({ length: n }, () => 10 ** (-decades * r.uniform()));
};

describe(`eigsh on ${gpuBackend}`, () => {
  for (const tridiagonal of ['host', 'gpu'] as const) {
    gpuTest(
      `T4(a) log-uniform spectrum over 6 decades (n = 150, tridiagonal on ${tridiagonal}): top-10 within 1e-5·λmax, bounds hold`,
      async () => {
        const m = withSpectrum(logUniform(150, 6, 'a'), 'Qa');
        using sol = await solve(getCtx(), [m], { k: 10, which: 'largest', tridiagonal, vectors: 'host' });
        const r = sol.results[0]!;
        checkResult(m, r, 'largest');
        const lmax = m.values[149]!;
        const top = Array.from(m.values).reverse().slice(0, 10);
        r.eigenvalues.forEach((v, i) => expect(Math.abs(v - top[i]!)).toBeLessThanOrEqual(1e-5 * lmax));
        expect(r.converged.every(Boolean)).toBe(true);
        // Converged Ritz pairs: ‖K u − θ u‖ ≤ 1e-4·λmax (float64 residual of the f32 vectors), ‖u‖ ≈ 1.
        const n = 150;
        const a = Float64Array.from(m.data);
        for (let v = 0; v < r.eigenvalues.length; v++) {
          const u = r.vectors!.subarray(v * n, (v + 1) * n);
          let res = 0;
          let norm = 0;
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += a[i * n + j]! * u[j]!;
            res += (s - r.eigenvalues[v]! * u[i]!) ** 2;
            norm += u[i]! ** 2;
          }
          expect(Math.sqrt(res)).toBeLessThanOrEqual(1e-4 * lmax);
          expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThan(1e-4);
        }
      },
    );
  }

  gpuTest('T4(a) diagonal with 6-decade entries, smallest end: every value within its bound', async () => {
    const d = logUniform(120, 6, 'diag');
    const m = fromEntries(120, (i, j) => (i === j ? d[i]! : 0));
    using sol = await solve(getCtx(), [m], { k: 6, which: 'smallest', steps: 120 });
    checkResult(m, sol.results[0]!, 'smallest');
  });

  gpuTest('T4(b) tridiagonal Toeplitz (−1, 2, −1): both ends against the closed form 4 sin²(kπ/2(n+1))', async () => {
    const n = 100;
    const m = fromEntries(n, (i, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0));
    const exact = Float64Array.from({ length: n }, (_, k) => 4 * Math.sin(((k + 1) * Math.PI) / (2 * (n + 1))) ** 2);
    using sol = await solve(getCtx(), [m], { k: 8, which: 'both', steps: n });
    const r = sol.results[0]!;
    checkResult({ ...m, values: exact }, r, 'both');
    const expected = [...Array.from(exact).slice(-4).reverse(), ...Array.from(exact).slice(0, 4)];
    r.eigenvalues.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * 4));
  });

  gpuTest('T4(c) Wishart matrix: extreme eigenvalues near the Marchenko–Pastur edges σ²(1 ± √γ)²', async () => {
    const ns = 1000;
    const p = 250;
    const x = randomF32(ns * p, 'wishart');
    const w = matmul(transpose(Float64Array.from(x), ns, p), Float64Array.from(x), p, ns, p).map((v) => v / ns);
    const m: TestMatrix = { n: p, data: Float32Array.from(w), values: symmetricEigen(Float64Array.from(Float32Array.from(w)), p).values };
    using sol = await solve(getCtx(), [m], { k: 2, which: 'both' });
    const r = sol.results[0]!;
    checkResult(m, r, 'both');
    const gamma = p / ns;
    expect(Math.abs(r.eigenvalues[0]! / (1 + Math.sqrt(gamma)) ** 2 - 1)).toBeLessThan(0.05);
    expect(Math.abs(r.eigenvalues[1]! / (1 - Math.sqrt(gamma)) ** 2 - 1)).toBeLessThan(0.08);
  });

  gpuTest('T4(e) rank deficiency: K = J Jᵀ with n > P stops by breakdown with the P nonzero eigenvalues, no NaN', async () => {
    const ctx = getCtx();
    const n = 60;
    const p = 10;
    const j = Float64Array.from(randomF32(n * p, 'rank'));
    const k = matmul(j, transpose(j, n, p), n, p, n);
    const truth = symmetricEigen(k, n).values;
    using op = await jacobianOperator(ctx, { n, p, data: j });
    using sol = await eigsh(op, { k: 10, which: 'largest', steps: 30 });
    const r = sol.results[0]!;
    expect(r.breakdown).toBe(true);
    expect(r.steps).toBeLessThanOrEqual(12);
    expect(r.eigenvalues.every(Number.isFinite)).toBe(true);
    const top = Array.from(truth).reverse().slice(0, 10);
    r.eigenvalues.forEach((v, i) => expect(Math.abs(v - top[i]!)).toBeLessThanOrEqual(Math.max(1e-5 * top[0]!, r.errorBounds[i]!)));
  });

  gpuTest('T4(f) I + uuᵀ: Lanczos stops after 2 steps with {1, 1 + ‖u‖²}, no NaN', async () => {
    const n = 80;
    const u = Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i + 1) / 3));
    const norm2 = u.reduce((s, v) => s + v * v, 0);
    const m = fromEntries(n, (i, j) => (i === j ? 1 : 0) + u[i]! * u[j]!);
    using sol = await solve(getCtx(), [m], { k: 5, which: 'largest', steps: 20 });
    const r = sol.results[0]!;
    expect(r.breakdown).toBe(true);
    expect(r.steps).toBe(2);
    expect(r.eigenvalues).toHaveLength(2);
    expect(Math.abs(r.eigenvalues[0]! - (1 + norm2))).toBeLessThan(1e-5 * (1 + norm2));
    expect(Math.abs(r.eigenvalues[1]! - 1)).toBeLessThan(1e-5 * (1 + norm2));
  });

  gpuTest('identity, clustered and degenerate spectra: no NaN, every value within its bound', async () => {
    const n = 64;
    const identity = fromEntries(n, (i, j) => (i === j ? 1 : 0));
    const clustered = withSpectrum(
      Float64Array.from({ length: n }, (_, i) => (i < 32 ? 1 + 1e-7 * i : 2 + 1e-6 * i)),
      'clu',
    );
    const degenerate = withSpectrum(
      Float64Array.from({ length: n }, (_, i) => [0.5, 1, 3][i % 3]!),
      'deg',
    );
    for (const [m, name] of [
      [identity, 'identity'],
      [clustered, 'clustered'],
      [degenerate, 'degenerate'],
    ] as const) {
      using sol = await solve(getCtx(), [m], { k: 4, which: 'both', steps: 24 });
      const r = sol.results[0]!;
      checkResult(m, r, 'both');
      if (name === 'identity') expect(r.steps).toBe(1);
      if (name === 'degenerate') expect(r.steps).toBe(3);
    }
  });

  gpuTest('a batch gives the same results as its members run one by one', async () => {
    const ms = [0, 1, 2].map((b) => withSpectrum(logUniform(90, 3, `bat${b}`), `Qb${b}`));
    using all = await solve(getCtx(), ms, { k: 5, steps: 40 });
    for (let b = 0; b < 3; b++) {
      using one = await solve(getCtx(), [ms[b]!], { k: 5, steps: 40 });
      const lmax = ms[b]!.values[89]!;
      one.results[0]!.eigenvalues.forEach((v, i) => expect(Math.abs(v - all.results[b]!.eigenvalues[i]!)).toBeLessThanOrEqual(1e-6 * lmax));
      expect(one.results[0]!.steps).toBe(all.results[b]!.steps);
    }
  });

  gpuTest('the GPU and host tridiagonal paths and the float64 CPU backend agree', async () => {
    const m = withSpectrum(logUniform(100, 4, 'paths'), 'Qp');
    using gpu = await solve(getCtx(), [m], { k: 6, steps: 50, tridiagonal: 'gpu' });
    using host = await solve(getCtx(), [m], { k: 6, steps: 50, tridiagonal: 'host' });
    const cpu = eigshF64(denseCpuOperator(100, 1, m.data), { k: 6, steps: 50 });
    const lmax = m.values[99]!;
    for (let i = 0; i < 6; i++) {
      expect(Math.abs(gpu.results[0]!.eigenvalues[i]! - host.results[0]!.eigenvalues[i]!)).toBeLessThanOrEqual(2e-6 * lmax);
      expect(Math.abs(gpu.results[0]!.eigenvalues[i]! - cpu[0]!.eigenvalues[i]!)).toBeLessThanOrEqual(1e-5 * lmax);
    }
    expect(gpu.tridiagonal).toBe('gpu');
    expect(host.tridiagonal).toBe('host');
  });

  gpuTest('Ritz vectors can stay on the GPU ([batch][k][n]) and are freed with the solution', async () => {
    const ctx = getCtx();
    const m = withSpectrum(logUniform(50, 2, 'gv'), 'Qg');
    const sol = await solve(ctx, [m, m], { k: 3, steps: 30, vectors: 'gpu' });
    expect(sol.vectorBuffer!.size).toBeGreaterThanOrEqual(2 * 3 * 50 * 4);
    const live = ctx.liveBufferCount;
    sol.dispose();
    expect(ctx.liveBufferCount).toBe(live - 1);
  });

  gpuTest('inputs above the binding limit are split, not refused (4 KiB bindings)', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    const m = withSpectrum(logUniform(48, 3, 'split'), 'Qs');
    using sol = await solve(small, [m, m], { k: 4, steps: 30, vectors: 'host' });
    sol.results.forEach((r) => checkResult(m, r, 'largest'));
  });

  gpuTest('bad options: k > n, steps < k, steps > n, bad which → InvalidArgumentError naming the argument', async () => {
    const ctx = getCtx();
    using op = await denseOperator(ctx, { n: 10, data: stack([fromEntries(10, (i, j) => (i === j ? i : 0))]) });
    const cases: [GpuEigenOptions, string][] = [
      [{ k: 11 }, 'k'],
      [{ k: 0 }, 'k'],
      [{ k: 5, steps: 3 }, 'steps'],
      [{ k: 5, steps: 11 }, 'steps'],
      [{ k: 2, which: 'middle' as never }, 'which'],
      [{ k: 2, tolerance: 2 }, 'tolerance'],
    ];
    for (const [options, argument] of cases) {
      const e = await eigsh(op, options).catch((x: unknown) => x);
      expect(e, JSON.stringify(options)).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
    }
  });
});
