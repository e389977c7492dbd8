/**
 * The series' per-checkpoint GPU work (spectralCheckpoint: eigsh, or eigshJacobian for a Jacobian
 * operator, with resident Ritz vectors, then c = U e) against its float64 twin
 * spectralCheckpointF64 on the same f32 inputs, with tolerances from error bounds: eigenvalues
 * within the solver's bounds, amplitudes within the f32 dot-product bound of the GPU's own
 * vectors, and |c_k| within the Davis–Kahan bound of the exact amplitudes.
 */
import { describe, expect } from 'vitest';
import { denseOperator, jacobianOperator } from '../../src/algorithms/operators.ts';
import { spectralCheckpoint } from '../../src/algorithms/spectralCheckpoint.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { eigsh } from '../../src/algorithms/eigsh.ts';
import { matrixWithSpectrum, randomOrthogonal } from '../../src/reference/linalg.ts';
import { symmetricEigen } from '../../src/reference/symmetricEigen.ts';
import { kernelFromJacobianF64, spectralCheckpointF64 } from '../../src/reference/spectralCheckpoint.ts';
import { randomF32, rng } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

useGpu();
const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

describe(`spectral checkpoint (eigsh + amplitudes) on ${gpuBackend} vs float64`, () => {
  gpuTest('n = 96, rank 24 of a spectrum over 3 decades: θ within eigsh bounds, c within f32 and Davis–Kahan bounds', async (ctx) => {
    const n = 96;
    const r = 24;
    const spectrum = Float64Array.from({ length: n }, (_, i) => 10 ** (-3 * (i / (n - 1))) * (1 + 0.01 * Math.sin(i)));
    const kernel = Float32Array.from(matrixWithSpectrum(spectrum, rng('spectral K')));
    const residual = randomF32(n, 'spectral e');
    const ref = spectralCheckpointF64(kernel, n, residual, n);
    using op = await denseOperator(ctx, { n, data: kernel });
    using cp = await spectralCheckpoint(op, residual, { rank: r, readVectors: true });
    expect(cp.rank).toBe(r);
    expect(cp.requested).toBe(r);
    const e = Float64Array.from(residual);
    const eNorm = Math.hypot(...e);
    const k64 = Float64Array.from(kernel);
    for (let k = 0; k < r; k++) {
      const theta = cp.values[k]!;
      // The eigenvalue: within its bound of the float64 one (well separated, so the k-th).
      expect(Math.abs(theta - ref.values[k]!), `θ_${k}`).toBeLessThanOrEqual(cp.errorBounds[k]!);
      const u = Float64Array.from(cp.hostVectors!.subarray(k * n, (k + 1) * n));
      // The amplitude is the f32 dot product of the GPU's own vector with e.
      let dot = 0;
      let absDot = 0;
      for (let i = 0; i < n; i++) {
        dot += u[i]! * e[i]!;
        absDot += Math.abs(u[i]! * e[i]!);
      }
      const dotBound = gamma(n + 2) * absDot;
      expect(Math.abs(cp.amplitudes[k]! - dot), `c_${k} vs ûᵀe`).toBeLessThanOrEqual(dotBound);
      // Against the exact amplitude: ||ûᵀe| − |uᵀe|| ≤ |‖û‖ − 1|·|x̂ᵀe| + ‖û‖·√2·(ρ/gap)·‖e‖ (+ the dot bound),
      // with ρ = ‖K x̂ − θ x̂‖ for x̂ = û/‖û‖ and gap = distance from θ to the other float64 eigenvalues.
      const norm = Math.hypot(...u);
      const x = u.map((v) => v / norm);
      let rho = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += k64[i * n + j]! * x[j]!;
        rho += (s - theta * x[i]!) ** 2;
      }
      rho = Math.sqrt(rho);
      const gap = Math.min(
        ...Array.from(ref.values)
          .filter((_, j) => j !== k)
          .map((v) => Math.abs(v - theta)),
      );
      const bound = Math.abs(norm - 1) * Math.abs(dot / norm) + norm * Math.SQRT2 * (rho / gap) * eNorm + dotBound;
      expect(Math.abs(Math.abs(cp.amplitudes[k]!) - Math.abs(ref.amplitudes[k]!)), `|c_${k}| vs float64`).toBeLessThanOrEqual(bound);
    }
    // Not vacuous: the bound is well below the amplitudes themselves.
    expect(Math.max(...Array.from(ref.amplitudes.subarray(0, r), Math.abs))).toBeGreaterThan(0.1);
  });

  gpuTest(
    'a rank-5 Jacobian kernel asked for 8 pairs: all 8 come back, past the invariant subspace, each within its bound',
    async (ctx) => {
      const n = 40;
      const p = 5;
      const jac = randomF32(n * p, 'spectral J');
      const residual = randomF32(n, 'spectral e2');
      const ref = spectralCheckpointF64(kernelFromJacobianF64(jac, n, p), n, residual, n);
      using op = await jacobianOperator(ctx, { n, p, data: jac });
      using cp = await spectralCheckpoint(op, residual, { rank: 8 });
      expect(cp.requested).toBe(8);
      // The Krylov space of the start vector is exhausted after p steps (breakdown); the solver goes on
      // with fresh vectors orthogonal to the basis, so the zero eigenvalues fill the remaining slots.
      expect(cp.lanczos.breakdown).toBe(true);
      expect(cp.rank).toBe(8);
      for (let k = 0; k < 8; k++) expect(Math.abs(cp.values[k]! - ref.values[k]!)).toBeLessThanOrEqual(cp.errorBounds[k]!);
      for (let k = p; k < 8; k++) expect(Math.abs(ref.values[k]!)).toBeLessThan(1e-12 * ref.values[0]!);
    },
  );

  gpuTest(
    'a Jacobian operator goes through Golub–Kahan: all n pairs, λ down to 1e-8·λmax within 2u·√(λmax·λ), ≥ 10× closer than Lanczos on K',
    async (ctx) => {
      // J = U diag(σ) Vᵀ (40 × 60, f32), σ over 4 decades: λ = σ² from 1 down to 1e-8.
      const n = 40;
      const p = 60;
      const r = rng('spectral GK');
      const sigma = Float64Array.from({ length: n }, (_, i) => 10 ** ((-4 * i) / (n - 1)));
      const u = randomOrthogonal(n, r);
      const v = randomOrthogonal(p, r);
      const jac = new Float32Array(n * p);
      for (let i = 0; i < n; i++)
        for (let c = 0; c < p; c++) {
          let s = 0;
          for (let t = 0; t < n; t++) s += u[i * n + t]! * sigma[t]! * v[c * p + t]!;
          jac[i * p + c] = s;
        }
      // Truth: float64 eigenvalues of K = J Jᵀ for the f32 entries (absolute error ≈ ε·λmax ≈ 1e-16).
      const truth = Array.from(symmetricEigen(kernelFromJacobianF64(jac, n, p), n).values).reverse();
      const residual = randomF32(n, 'spectral e3');
      using op = await jacobianOperator(ctx, { n, p, data: jac });
      using cp = await spectralCheckpoint(op, residual, { rank: n });
      expect(cp.rank).toBe(n);
      for (let k = 0; k < n; k++) {
        expect(Math.abs(cp.values[k]! - truth[k]!), `θ_${k}`).toBeLessThanOrEqual(cp.errorBounds[k]!);
        // Golub–Kahan: |Δλ| ≲ 2u·√(λmax·λ) (docs/accuracy.md): ≤ 1.2e-3·λ at λ = 1e-8·λmax.
        expect(Math.abs(cp.values[k]! - truth[k]!), `θ_${k}`).toBeLessThanOrEqual(2 * U * Math.sqrt(truth[0]! * truth[k]!));
      }
      // Negative control: Lanczos on K = J Jᵀ (the same operator taken as a symmetric one, applied as J(Jᵀx))
      // resolves the bottom five (λ ≤ 3e-8·λmax) only to ≈ 1e-2 relative; Golub–Kahan to ≈ 3e-5.
      using lz = await eigsh(op, { k: n });
      const worst = (values: Float64Array) =>
        Math.max(...Array.from(values.subarray(n - 5), (x, i) => Math.abs(x - truth[n - 5 + i]!) / truth[n - 5 + i]!));
      expect(worst(cp.values)).toBeLessThan(1e-3);
      expect(worst(cp.values)).toBeLessThan(worst(lz.results[0]!.eigenvalues) / 10);
    },
  );

  gpuTest('bad input: rank above n, NaN in the residual, a batch of operators → InvalidArgumentError naming it', async (ctx) => {
    const n = 8;
    using op = await denseOperator(ctx, { n, data: Float32Array.from({ length: n * n }, (_, e) => (e % (n + 1) === 0 ? 1 : 0)) });
    const residual = new Float32Array(n).fill(1);
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const big = await fail(spectralCheckpoint(op, residual, { rank: n + 1 }));
    expect(big).toBeInstanceOf(InvalidArgumentError);
    expect((big as InvalidArgumentError).argument).toBe('rank');
    const nan = Float32Array.from(residual);
    nan[3] = Number.NaN;
    expect(((await fail(spectralCheckpoint(op, nan, { rank: 2 }))) as InvalidArgumentError).argument).toBe('residual');
    using batch = await denseOperator(ctx, { n, batch: 2, data: new Float32Array(2 * n * n) });
    expect(((await fail(spectralCheckpoint(batch, residual, { rank: 2 }))) as InvalidArgumentError).argument).toBe('operator');
  });
});
