/**
 * The GRSD series pipeline on the GPU against the float64 CPU backend on the same checkpoints:
 * shell energies within 1e-4 relative above the floor, transport and flux to f32 precision, the
 * invariants of spec §6, complement closure with truncated eigensystems, Jacobian input, the Kato
 * split, streaming, and no leaked GPU memory.
 */
import { describe, expect } from 'vitest';
import { analyzeSeries, GrsdSeries, type CheckpointData, type SeriesResult } from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { fro, lazyDiagonal, offBoundary, rotatingBasis } from '../helpers/grsdCases.ts';
import { randomF32 } from '../helpers/data.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { GpuSeriesBackend } from '../../src/analysis/gpuSeriesBackend.ts';
import { validateCheckpoint } from '../../src/analysis/checkpointData.ts';

const getCtx = useGpu();
const H = Math.log(10) / 4;
const spectrum = (n: number) => Float64Array.from({ length: n }, (_, i) => 10 ** (-0.13 - (2.6 * i) / (n - 1)));

/** GPU energies vs CPU: 1e-4 relative for shells holding at least 1e-6 of the total. */
function compareEnergies(gpu: SeriesResult, cpu: SeriesResult): void {
  gpu.checkpoints.forEach((g, i) => {
    const c = cpu.checkpoints[i]!;
    const total = c.residualNorm2;
    for (let s = 0; s < gpu.grid.count + 1; s++) {
      if (c.energy[s]! < 1e-6 * total) continue;
      expect(Math.abs(g.energy[s]! - c.energy[s]!), `checkpoint ${i} shell ${s}`).toBeLessThanOrEqual(1e-4 * c.energy[s]!);
    }
    expect(g.loss).toBeCloseTo(c.loss, 6);
  });
}

describe(`series pipeline on ${gpuBackend} vs float64`, () => {
  gpuTest('T1 lazy diagonal: energies match float64, transport ≈ 0, no check fails; transportResolution says T is f32 noise', async () => {
    const n = 48;
    const { lambda, checkpoints } = lazyDiagonal(n, [0, 1, 4], { Lambda: 1.3 });
    expect(offBoundary(lambda, 1, H, 1e-3)).toBe(true);
    const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 1.3 });
    const gpu = await analyzeSeries(getCtx(), checkpoints, { grid, rank: n });
    const cpu = await analyzeSeries('cpu', checkpoints, { grid, rank: n });
    compareEnergies(gpu, cpu);
    for (const iv of gpu.intervals) {
      const energyScale = Math.max(...gpu.checkpoints[0]!.energy) / (iv.t1 - iv.t0);
      iv.transport.forEach((t) => expect(Math.abs(t)).toBeLessThan(1e-4 * energyScale));
      // T ≡ 0: what the GPU returns is rounding noise, within its resolution, and the check says so (not applicable, not failed).
      iv.transport.forEach((t) => expect(Math.abs(t)).toBeLessThanOrEqual(iv.resolution.rate));
      expect(Object.entries(iv.checks).filter(([, c]) => !c.pass)).toEqual([]);
      expect(iv.checks.transportResolution!.status).toBe('not-applicable');
      expect(Array.from(iv.resolution.velocityResolved).every((f) => f === 0)).toBe(true);
    }
  });

  gpuTest(
    'T2 rotating basis: GPU transport and flux agree with float64; budget closes to f32 precision; Kato split on the GPU',
    async () => {
      const n = 16;
      const lambda = spectrum(n);
      const { at } = rotatingBasis(n, lambda, 0.05, 7);
      const cps: CheckpointData[] = [0, 0.01, 0.02].map((t) => {
        const { kernel, residual } = at(t);
        return { t, kernel, residual, layers: [kernel.map((v) => 0.25 * v), kernel.map((v) => 0.75 * v)] };
      });
      const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 1 });
      const gpu = await analyzeSeries(getCtx(), cps, { grid, rank: n });
      const cpu = await analyzeSeries('cpu', cps, { grid, rank: n });
      compareEnergies(gpu, cpu);
      gpu.intervals.forEach((g, j) => {
        const c = cpu.intervals[j]!;
        expect(fro(Float64Array.from(g.transport, (v, e) => v - c.transport[e]!)) / fro(c.transport)).toBeLessThan(1e-3);
        expect(fro(Float64Array.from(g.flux, (v, e) => v - c.flux[e]!)) / fro(c.flux)).toBeLessThan(1e-3);
        expect(g.checks.budget!.value).toBeLessThan(1e-5);
        expect(g.checks.transportSum!.pass).toBe(true);
        expect(g.kato!.perLayer).toHaveLength(2);
        expect(g.checks.layerSplit!.pass).toBe(true);
        expect(g.checks.katoConsistency!.pass).toBe(true);
        expect(fro(Float64Array.from(g.kato!.transport, (v, e) => v - c.kato!.transport[e]!)) / fro(c.kato!.transport)).toBeLessThan(1e-2);
      });
    },
  );

  gpuTest('T5 truncated eigensystems on the GPU: ⊥ closes Σ T = 0 and the budget', async () => {
    const n = 40;
    const { at } = rotatingBasis(n, spectrum(n), 0.05, 3);
    const cps: CheckpointData[] = [0, 0.01].map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual }));
    const gpu = await analyzeSeries(getCtx(), cps, { rank: 10, gridOptions: { floorRelative: 1e-3 } });
    const iv = gpu.intervals[0]!;
    expect(iv.checks.transportSum!.pass).toBe(true);
    expect(iv.checks.budget!.value).toBeLessThan(1e-5);
    expect(gpu.checkpoints[0]!.energy[gpu.grid.complementIndex]!).toBeGreaterThan(0);
  });

  gpuTest('Jacobian checkpoints (K = JJᵀ) give the same energies as the dense kernel', async () => {
    const n = 20;
    const p = 30;
    const checkpoints = (asJacobian: boolean): CheckpointData[] =>
      [0, 1].map((t) => {
        const j = randomF32(n * p, `jac${t}`);
        const k = new Float64Array(n * n);
        for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) for (let c = 0; c < p; c++) k[a * n + b]! += j[a * p + c]! * j[b * p + c]!;
        const residual = randomF32(n, `res${t}`);
        return asJacobian ? { t, jacobian: { p, data: j }, residual } : { t, kernel: k, residual };
      });
    const grid = ShellGrid.create({ floor: 1e-1, lambdaMax: 200, shellsPerDecade: 2 });
    const viaJ = await analyzeSeries(getCtx(), checkpoints(true), { grid, rank: n });
    const viaK = await analyzeSeries('cpu', checkpoints(false), { grid, rank: n });
    compareEnergies(viaJ, viaK);
  });

  gpuTest('matrices with their shape ({ data, shape }) give exactly what the flat forms give, on the GPU path too', async () => {
    const n = 20;
    const p = 30;
    const j = randomF32(n * p, 'shaped jac');
    const k = new Float32Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) for (let c = 0; c < p; c++) k[a * n + b]! += j[a * p + c]! * j[b * p + c]!;
    const residual = randomF32(n, 'shaped res');
    const grid = ShellGrid.create({ floor: 1e-1, lambdaMax: 200, shellsPerDecade: 2 });
    const run = (cp: Omit<CheckpointData, 't' | 'residual'>) =>
      analyzeSeries(getCtx(), [{ t: 0, residual, ...cp }], { grid, rank: n, seed: 3 });
    const energies = (r: SeriesResult) => Array.from(r.checkpoints[0]!.energy);
    expect(energies(await run({ kernel: { data: k, shape: [n, n] }, layers: [{ data: k, shape: [n, n] }] }))).toEqual(
      energies(await run({ kernel: k, layers: [k] })),
    );
    expect(energies(await run({ jacobian: { data: j, shape: [n, p] } }))).toEqual(energies(await run({ jacobian: { p, data: j } })));
    const e = await run({ jacobian: { data: j, shape: [p, n] } }).catch((x: unknown) => x);
    expect((e as InvalidArgumentError).argument).toBe('checkpoints[0] (checkpoint 0).jacobian.shape');
  });

  gpuTest('streaming: results arrive per push; dispose frees the retained checkpoint', async () => {
    const ctx = getCtx();
    const n = 16;
    const { checkpoints } = lazyDiagonal(n, [0, 1, 2]);
    const before = ctx.liveBufferCount;
    const series = new GrsdSeries(ctx, { rank: n, gridOptions: { floorRelative: 1e-4 } });
    const first = await series.push(checkpoints[0]!);
    expect(first.interval).toBeNull();
    const second = await series.push(checkpoints[1]!);
    expect(second.interval!.t0).toBe(0);
    expect(ctx.liveBufferCount).toBeGreaterThan(before);
    series.dispose();
    expect(ctx.liveBufferCount).toBe(before);
  });

  gpuTest('timeScale 1e40 (λ beyond f32): the same energies as float64 and as timeScale 1, nothing in ∅ that was not there', async () => {
    const n = 24;
    const { lambda, checkpoints } = lazyDiagonal(n, [0, 1], { Lambda: 1.3 });
    expect(offBoundary(lambda, 1, H, 1e-3)).toBe(true);
    const options = (ts: number) => ({ rank: n, timeScale: ts, gridOptions: { floorRelative: 1e-4, lambdaRef: ts } });
    const gpu = await analyzeSeries(getCtx(), checkpoints, options(1e40));
    const cpu = await analyzeSeries('cpu', checkpoints, options(1e40));
    const unit = await analyzeSeries(getCtx(), checkpoints, options(1));
    compareEnergies(gpu, cpu);
    compareEnergies(gpu, unit);
    expect(gpu.checkpoints[0]!.energy[gpu.grid.floorIndex]).toBe(unit.checkpoints[0]!.energy[unit.grid.floorIndex]);
    expect(gpu.checkpoints[0]!.eigenvalues[0]! / 1e40).toBeCloseTo(1.3, 5);
  });

  gpuTest('bad checkpoints on the GPU path: errors name the checkpoint and its file, not `data`', async () => {
    const ctx = getCtx();
    const n = 3;
    const k = Float32Array.from([2, 0.5, 0, 0.5, 1, 0, 0, 0, 1]);
    const refused = async (cp: Partial<CheckpointData>, argument: RegExp) => {
      using series = new GrsdSeries(ctx, { rank: n });
      const e = await series.push({ t: 0, residual: [1, 2, 3], label: 'k0.npy', ...cp }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toMatch(argument);
    };
    const nan = Float32Array.from(k);
    nan[2] = Number.NaN;
    await refused({ kernel: nan }, /^checkpoints\[0\] \(k0\.npy\)\.kernel$/);
    const asymmetric = Float32Array.from(k);
    asymmetric[1] = 0.7;
    await refused({ kernel: asymmetric }, /^checkpoints\[0\] \(k0\.npy\)\.kernel$/);
    await refused({ kernel: k, layers: [nan] }, /^checkpoints\[0\] \(k0\.npy\)\.layers\[0\]$/);
    await refused({ jacobian: { p: 1, data: Float32Array.from([1, Number.NaN, 1]) } }, /^checkpoints\[0\] \(k0\.npy\)\.jacobian$/);
  });

  gpuTest(
    'f32 resolution 4√n·u·‖a‖²/Δt bounds the GPU transport and flux errors as Δt shrinks; resolved boundaries are within 10%',
    async () => {
      for (const n of [16, 48]) {
        const { at } = rotatingBasis(n, spectrum(n), 0.05, 7);
        const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 1 });
        for (const dt of [0.02, 1e-3, 1e-5]) {
          const cps: CheckpointData[] = [0, dt].map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual }));
          const g = (await analyzeSeries(getCtx(), cps, { grid, rank: n })).intervals[0]!;
          const c = (await analyzeSeries('cpu', cps, { grid, rank: n })).intervals[0]!;
          const { rate, fluxResolved } = g.resolution;
          expect(g.resolution.precision).toBe('float32');
          expect(c.resolution.precision).toBe('float64');
          expect(rate).toBeCloseTo((4 * Math.sqrt(n) * 2 ** -24 * c.resolution.flow) / (Math.sqrt(n) * 2 ** -53 * dt), 6);
          const where = `n = ${n}, Δt = ${dt}`;
          g.transport.forEach((v, e) => expect(Math.abs(v - c.transport[e]!), `${where}: T[${e}]`).toBeLessThanOrEqual(rate));
          g.flux.forEach((v, b) => {
            expect(Math.abs(v - c.flux[b]!), `${where}: Π[${b}]`).toBeLessThanOrEqual(rate);
            if (fluxResolved[b])
              expect(Math.abs(v - c.flux[b]!), `${where}: resolved Π[${b}]`).toBeLessThanOrEqual(0.1 * Math.abs(c.flux[b]!));
          });
          // The check: resolved at Δt = 0.02 and 1e-3, not at 1e-5 (|T| ≈ 1 there, its resolution ≈ 0.3 … 0.6).
          expect(g.checks.transportResolution!.status, where).toBe(dt > 1e-4 ? 'pass' : 'not-applicable');
          expect(
            fluxResolved.some((f) => f === 1),
            where,
          ).toBe(dt > 1e-4);
          expect(c.checks.transportResolution, 'float64 has no f32 check').toBeUndefined();
        }
      }
    },
  );

  gpuTest(
    "rank r returns r pairs: a rank-5 Jacobian run asked for 12 (and 'auto') gets them all, past the invariant subspace",
    async () => {
      const n = 40;
      const p = 5;
      const jac = randomF32(n * p, 'shortfall J');
      const cps: CheckpointData[] = [0, 1].map((t) => ({ t, jacobian: { p, data: jac }, residual: randomF32(n, `shortfall e${t}`) }));
      for (const rank of [12, 'auto'] as const) {
        const res = await analyzeSeries(getCtx(), cps, { rank, gridOptions: { floorRelative: 1e-3 } });
        for (const c of res.checkpoints) {
          // The eigensolver continues past the rank-5 invariant subspace (breakdown continuation):
          // the other eigenpairs are λ = 0 (below the floor, so their energy is in ∅, not in ⊥).
          expect(c.capture.requested).toBe(rank === 'auto' ? n : 12);
          expect(c.capture.returned).toBe(c.capture.requested);
          expect(c.capture.shortfall).toBeNull();
          expect(c.lanczos!.breakdown).toBe(true);
        }
        expect(res.coverage.rankShortfalls).toBe(0);
      }
    },
  );

  gpuTest('GPU backend: a growing rank request solves again at 8 → 16 → 32 pairs, releasing every superseded solve', async () => {
    const ctx = getCtx();
    const n = 48;
    const { checkpoints } = lazyDiagonal(n, [0]);
    const before = ctx.liveBufferCount;
    const backend = new GpuSeriesBackend(ctx);
    const asked: number[] = [];
    const held = await backend.checkpoint(validateCheckpoint(checkpoints[0]!, { index: 0, cpu: false }).checkpoint, {
      rank: 8,
      ipr: false,
      label: 'growing',
      grow: (s) => (asked.push(s.requested), s.requested < 32 ? 2 * s.requested : null),
    });
    expect(asked).toEqual([8, 16, 32]);
    expect(held.spectrum.values).toHaveLength(32);
    backend.release(held);
    expect(ctx.liveBufferCount).toBe(before);
  });
});
