/**
 * The GRSD series pipeline on the float64 CPU backend against the closed-form cases of spec §3:
 * T1 (lazy diagonal: exact energies, zero transport), T2 (rotating basis: budget, antisymmetry,
 * O(Δt) convergence to the exact Kato T), T3 (Toeplitz couplings), T5 (complement shell closes
 * truncated eigensystems), T7 (time rescaling), the exact per-layer Kato split, and bad input.
 */
import { describe, expect, test } from 'vitest';
import { analyzeSeries, defaultFloorRelative, GrsdSeries, type CheckpointData } from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { DisposedError, InvalidArgumentError } from '../../src/errors.ts';
import { assignShell } from '../../src/reference/shells.ts';
import { resolutionCheck, transportResolution } from '../../src/analysis/resolution.ts';
import { fro, lazyDiagonal, offBoundary, rotatingBasis, toShells } from '../helpers/grsdCases.ts';

const H = Math.log(10) / 4;

describe('series pipeline (float64 CPU backend)', () => {
  test('T1 lazy diagonal power law: E_α(t) = Σ c_k(0)² e^{−2λ_k t} exactly, T ≡ 0, D = 2Σλc²', async () => {
    const n = 60;
    const times = [0, 1, 3, 9];
    const { lambda, c0, checkpoints } = lazyDiagonal(n, times, { Lambda: 1.3 });
    const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 1.3 });
    expect(offBoundary(lambda, 1, H, 1e-3)).toBe(true);
    const res = await analyzeSeries('cpu', checkpoints, { grid, rank: n });
    res.checkpoints.forEach((cp, i) => {
      const exact = new Float64Array(grid.size);
      lambda.forEach((l, k) => {
        const c = Math.fround(c0[k]! * Math.exp(-l * times[i]!));
        exact[assignShell(l, grid).index]! += c * c;
      });
      for (let s = 0; s < grid.count; s++) expect(Math.abs(cp.energy[s]! - exact[s]!)).toBeLessThanOrEqual(1e-9 * (exact[s]! + 1e-12));
      expect(Math.abs(cp.energy[grid.complementIndex]!)).toBeLessThan(1e-12);
    });
    for (const iv of res.intervals) {
      const scale = iv.flow.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      iv.transport.forEach((t) => expect(Math.abs(t)).toBeLessThan(1e-6 * scale));
      expect(Object.values(iv.checks).every((c) => c.pass)).toBe(true);
    }
  });

  const spectrum = (n: number) => Float64Array.from({ length: n }, (_, i) => 10 ** (-0.13 - (2.6 * i) / (n - 1)));

  test('T2 rotating basis: exact budget and antisymmetry, O(Δt) convergence of T^Δ/Δt to the Kato T', async () => {
    const n = 12;
    const lambda = spectrum(n);
    expect(offBoundary(lambda, 1, H, 1e-2)).toBe(true);
    const { at } = rotatingBasis(n, lambda, 0.05, 7);
    const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 1 });
    const shellOf = (k: number) => assignShell(lambda[k]!, grid).index;
    const exact = toShells(at(0).exactT, shellOf, n, grid.size);
    const errors: number[] = [];
    const steps = [0.02, 0.01, 0.005];
    for (const dt of steps) {
      const cps: CheckpointData[] = [0, dt].map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual }));
      const res = await analyzeSeries('cpu', cps, { grid, rank: n });
      const iv = res.intervals[0]!;
      expect(iv.checks.budget!.value).toBeLessThan(1e-12);
      expect(iv.checks.antisymmetry!.value).toBe(0);
      expect(iv.checks.transportSum!.pass).toBe(true);
      errors.push(fro(Float64Array.from(iv.transport, (v, e) => v - exact[e]!)) / fro(exact));
    }
    const slope = Math.log(errors[0]! / errors[2]!) / Math.log(steps[0]! / steps[2]!);
    expect(slope).toBeGreaterThan(0.9);
    expect(slope).toBeLessThan(1.1);
    expect(errors[2]!).toBeLessThan(0.05);
  });

  test('T3 exactly log-shift-invariant couplings: |T_αβ|/√(E_α E_β) = 2|ω(α−β)| (Toeplitz)', async () => {
    // One mode per shell at the shell centres, U0 = I, Ω Toeplitz with ω(d) = sgn(d) e^{−|d|/ℓ}.
    const m = 10;
    const grid = ShellGrid.create({ floor: Math.exp(-m * H), lambdaMax: 0.99, headroom: 0 });
    const lambda = Float64Array.from({ length: m }, (_, k) => Math.exp((grid.alphaMin + k + 0.5) * H));
    const omega = (d: number) => 0.01 * Math.sign(d) * Math.exp(-Math.abs(d) / 2);
    const c0 = Float64Array.from({ length: m }, (_, k) => 1 + 0.1 * k);
    const dt = 1e-5;
    const cps: CheckpointData[] = [0, dt].map((t) => {
      // First order in t is enough at this Δt: Q = I + Ωt, c = c0 − (Λ + Ω) c0 t, e = Q c.
      const q = Float64Array.from(
        { length: m * m },
        (_, e) => (Math.floor(e / m) === e % m ? 1 : 0) + omega(Math.floor(e / m) - (e % m)) * t,
      );
      const kernel = new Float64Array(m * m);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++) for (let k = 0; k < m; k++) kernel[i * m + j]! += q[i * m + k]! * lambda[k]! * q[j * m + k]!;
      const c = Float64Array.from(c0, (v, k) => v - (lambda[k]! * v + c0.reduce((s, cj, j) => s + omega(k - j) * cj, 0)) * t);
      const residual = Float64Array.from({ length: m }, (_, i) => c.reduce((s, ck, k) => s + q[i * m + k]! * ck, 0));
      return { t, kernel, residual };
    });
    const res = await analyzeSeries('cpu', cps, { grid, rank: m });
    const iv = res.intervals[0]!;
    const e = res.checkpoints[0]!.energy;
    const s = grid.size;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) {
        if (a === b) continue;
        const coupling = Math.abs(iv.transport[a * s + b]!) / Math.sqrt(e[a]! * e[b]!);
        expect(Math.abs(coupling - 2 * Math.abs(omega(a - b)))).toBeLessThan(1e-3 * 2 * Math.abs(omega(1)));
      }
    }
  });

  test('T5 truncated eigensystems: the complement shell ⊥ closes Σ T = 0 and the budget exactly', async () => {
    const n = 30;
    const lambda = spectrum(n);
    const { at } = rotatingBasis(n, lambda, 0.05, 3);
    const cps: CheckpointData[] = [0, 0.01, 0.02].map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual }));
    const res = await analyzeSeries('cpu', cps, { rank: 8, gridOptions: { floorRelative: 1e-3 } });
    const c = res.grid.complementIndex;
    for (const cp of res.checkpoints) {
      expect(cp.energy[c]!).toBeGreaterThan(0);
      expect(cp.energy.reduce((a, v) => a + v, 0)).toBeCloseTo(cp.residualNorm2, 12);
      expect(cp.counts[c]).toBe(n - 8);
    }
    for (const iv of res.intervals) {
      expect(iv.checks.transportSum!.pass).toBe(true);
      expect(iv.checks.budget!.value).toBeLessThan(1e-12);
      expect(iv.complementExchange.some((v) => v !== 0)).toBe(true);
    }
  });

  test('T7 time rescaling: (σK, t/σ) with ln σ = mh shifts E by m shells, scales T and v_ℓ by σ', async () => {
    const n = 12;
    const lambda = spectrum(n);
    const { at } = rotatingBasis(n, lambda, 0.05, 11);
    const m = 2;
    const sigma = Math.exp(m * H);
    const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 10 });
    const times = [0, 0.01, 0.02];
    const base = await analyzeSeries(
      'cpu',
      times.map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual })),
      { grid, rank: n },
    );
    const scaled = await analyzeSeries(
      'cpu',
      times.map((t) => ({ t: t / sigma, kernel: at(t).kernel.map((v) => sigma * v), residual: at(t).residual })),
      { grid, rank: n },
    );
    const s = grid.size;
    const c = grid.count;
    for (let i = 0; i < times.length; i++) {
      for (let a = 0; a + m < c; a++) expect(scaled.checkpoints[i]!.energy[a + m]).toBeCloseTo(base.checkpoints[i]!.energy[a]!, 10);
    }
    for (let j = 0; j < base.intervals.length; j++) {
      const bt = base.intervals[j]!.transport;
      const st = scaled.intervals[j]!.transport;
      const tol = 1e-9 * bt.reduce((x, v) => Math.max(x, Math.abs(v)), 0) * sigma;
      for (let a = 0; a + m < c; a++)
        for (let b = 0; b + m < c; b++) expect(Math.abs(st[(a + m) * s + b + m]! - sigma * bt[a * s + b]!)).toBeLessThanOrEqual(tol);
      const bv = base.intervals[j]!;
      const sv = scaled.intervals[j]!;
      for (let i = 0; i + m < bv.velocityLog.length; i++) {
        if (bv.velocityValid[i]) expect(sv.velocityLog[i + m]).toBeCloseTo(sigma * bv.velocityLog[i]!, 8);
      }
    }
  });

  test('Kato-form estimator: per-layer split is exact and agrees with T^Δ/Δt to O(Δt)', async () => {
    const n = 12;
    const lambda = spectrum(n);
    const { at } = rotatingBasis(n, lambda, 0.05, 5);
    const cps: CheckpointData[] = [0, 0.002].map((t) => {
      const { kernel, residual } = at(t);
      // Split K into two "layers": K = 0.3K + 0.7K with a symmetric perturbation moved between them.
      const bump = Float64Array.from({ length: n * n }, (_, e) => 0.01 * Math.cos(Math.floor(e / n) + (e % n)) * (1 + t));
      return { t, kernel, residual, layers: [kernel.map((v, e) => 0.3 * v + bump[e]!), kernel.map((v, e) => 0.7 * v - bump[e]!)] };
    });
    const res = await analyzeSeries('cpu', cps, { rank: n, gridOptions: { floorRelative: 1e-3 } });
    const iv = res.intervals[0]!;
    expect(iv.kato).not.toBeNull();
    expect(iv.kato!.perLayer).toHaveLength(2);
    expect(iv.checks.layerSplit!.value).toBeLessThan(1e-10);
    expect(iv.checks.katoConsistency!.pass).toBe(true);
  });

  test('bad input: different n, non-increasing t, residual mismatch, NaN, two sources → typed errors naming the checkpoint', async () => {
    const k = Float64Array.from([2, 0, 0, 1]);
    const series = new GrsdSeries('cpu', { rank: 2 });
    await series.push({ t: 0, kernel: k, residual: [1, 1], label: 'a.npy' });
    const bad = async (cp: CheckpointData, argument: RegExp, message: RegExp) => {
      const e = await series.push(cp).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toMatch(argument);
      expect((e as Error).message).toMatch(message);
    };
    await bad({ t: 0, kernel: k, residual: [1, 1], label: 'b.npy' }, /checkpoints\[1\] \(b\.npy\)\.t/, /increase strictly/);
    await bad({ t: 1, kernel: k, residual: [1, 1, 1], label: 'c.npy' }, /checkpoints\[1\] \(c\.npy\)\.residual/, /same probe set/);
    await bad({ t: 1, kernel: new Float64Array(9), residual: [1, 1] }, /kernel/, /n² = 4/);
    await bad({ t: 1, kernel: k, residual: [1, Number.NaN] }, /residual/, /NaN/);
    await bad(
      { t: 1, kernel: k, jacobian: { p: 1, data: Float64Array.from([1, 1]) }, residual: [1, 1] },
      /checkpoints\[1\]/,
      /exactly one/,
    );
    expect(() => new GrsdSeries('cpu', { timeScale: 0 })).toThrow(InvalidArgumentError);
    series.dispose();
  });

  test('one validation for both backends: the float64 backend refuses asymmetric kernels, NaN layers and NaN Jacobians, naming the checkpoint and file', async () => {
    const n = 3;
    const k = Float64Array.from([2, 0.5, 0, 0.5, 1, 0, 0, 0, 1]);
    const refused = async (cp: Partial<CheckpointData>, argument: RegExp, message: RegExp) => {
      using series = new GrsdSeries('cpu', { rank: n });
      const e = await series.push({ t: 0, residual: [1, 2, 3], label: 'k0.npy', ...cp }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toMatch(argument);
      expect((e as Error).message).toMatch(message);
      expect(series.checkpoints).toHaveLength(0);
    };
    const asymmetric = Float64Array.from(k);
    asymmetric[1] = 0.7; // (0, 1) = 0.7 but (1, 0) = 0.5
    await refused({ kernel: asymmetric }, /^checkpoints\[0\] \(k0\.npy\)\.kernel$/, /not symmetric.*\(0, 1\) = 0\.7/);
    const nanLayer = Float64Array.from(k);
    nanLayer[4] = Number.NaN;
    await refused({ kernel: k, layers: [k, nanLayer] }, /^checkpoints\[0\] \(k0\.npy\)\.layers\[1\]$/, /\(1, 1\).*NaN/);
    await refused({ kernel: k, layers: [asymmetric] }, /layers\[0\]$/, /not symmetric/);
    await refused(
      { jacobian: { p: 2, data: Float64Array.from([1, 0, 0, 1, 1, Number.POSITIVE_INFINITY]) } },
      /\.jacobian$/,
      /\(2, 1\).*Infinity/,
    );
    // analyzeSeries validates the whole series before computing anything.
    const e = await analyzeSeries('cpu', [
      { t: 0, kernel: k, residual: [1, 2, 3] },
      { t: 1, kernel: asymmetric, residual: [1, 2, 3], label: 'k1.npy' },
    ]).catch((x: unknown) => x);
    expect((e as InvalidArgumentError).argument).toBe('checkpoints[1] (k1.npy).kernel');
  });

  test('push after dispose throws DisposedError', async () => {
    const series = new GrsdSeries('cpu', { rank: 2 });
    await series.push({ t: 0, kernel: Float64Array.from([2, 0, 0, 1]), residual: [1, 1] });
    series.dispose();
    const e = await series.push({ t: 1, kernel: Float64Array.from([2, 0, 0, 1]), residual: [1, 1] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DisposedError);
  });

  test('timeScale 1e300 and 1e-300: the same energies, transport and Kato check as timeScale 1 on the scaled grid, λ and D scaled, nothing NaN', async () => {
    const n = 12;
    const lambda = spectrum(n);
    const { at } = rotatingBasis(n, lambda, 0.05, 5);
    const cps: CheckpointData[] = [0, 0.002, 0.004].map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual }));
    const base = await analyzeSeries('cpu', cps, { rank: n, gridOptions: { floorRelative: 1e-3 } });
    for (const ts of [1e300, 1e-300]) {
      const scaled = await analyzeSeries('cpu', cps, { rank: n, timeScale: ts, gridOptions: { floorRelative: 1e-3, lambdaRef: ts } });
      expect(scaled.grid.count).toBe(base.grid.count);
      scaled.checkpoints.forEach((c, i) => {
        const b = base.checkpoints[i]!;
        c.energy.forEach((v, s) => expect(v).toBeCloseTo(b.energy[s]!, 12));
        c.eigenvalues.forEach((v, k) => expect(v / ts).toBeCloseTo(b.eigenvalues[k]!, 12));
        c.dissipation.forEach((v, s) =>
          expect(Math.abs(v / ts - b.dissipation[s]!)).toBeLessThanOrEqual(1e-12 * Math.max(...b.dissipation)),
        );
      });
      scaled.intervals.forEach((iv, j) => {
        const b = base.intervals[j]!;
        const scale = Math.max(...Array.from(b.transport, Math.abs));
        iv.transport.forEach((v, e) => expect(Math.abs(v - b.transport[e]!)).toBeLessThanOrEqual(1e-9 * scale));
        for (const [name, c] of Object.entries(iv.checks)) {
          expect(Number.isFinite(c.value), `${name} at timeScale ${ts}`).toBe(true);
          expect(c.value).toBeCloseTo(b.checks[name]!.value, 6);
        }
        expect(iv.kato!.delta / ts).toBeCloseTo(b.kato!.delta, 15);
      });
    }
  });

  test('a timeScale whose rates leave the float64 range is refused with a typed error naming timeScale', async () => {
    const cps: CheckpointData[] = [{ t: 0, kernel: Float64Array.from([4, 0, 0, 1]), residual: [1e3, 1] }];
    const e = await analyzeSeries('cpu', cps, { timeScale: 1e307 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).argument).toBe('timeScale');
    expect((e as Error).message).toMatch(/float64 range.*checkpoints\[0\]/);
  });

  test('transport resolution: 4√n·u·‖a‖²/Δt per rate, resolved flux boundaries, and the check (f32 only) on both sides of its threshold', async () => {
    const n = 12;
    const { at } = rotatingBasis(n, spectrum(n), 0.05, 7);
    const res = await analyzeSeries(
      'cpu',
      [0, 0.01].map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual })),
      { rank: n },
    );
    const iv = res.intervals[0]!;
    const a2 = res.checkpoints[1]!.residualNorm2;
    expect(iv.resolution.precision).toBe('float64');
    expect(iv.resolution.flow).toBeCloseTo(Math.sqrt(n) * 2 ** -53 * a2, 30);
    expect(iv.resolution.rate).toBeCloseTo((4 * iv.resolution.flow) / 0.01, 30);
    expect(iv.checks.transportResolution).toBeUndefined();
    iv.flux.forEach((p, b) => expect(iv.resolution.fluxResolved[b]).toBe(Math.abs(p) >= 10 * iv.resolution.rate ? 1 : 0));
    expect(Array.from(iv.resolution.velocityResolved)).toEqual(Array.from(iv.resolution.fluxResolved.subarray(1)));
    // The f32 check: resolved transport passes; a transport at 5× its resolution and zero transport are rounding:
    // not applicable (the analysis uses no transport of such an interval), never a failure (docs/conditions.md).
    const f32 = transportResolution('float32', 2 ** -24, 100, 1, 1, [0, 1]);
    expect(f32.rate).toBeCloseTo(4 * 10 * 2 ** -24, 20);
    expect(resolutionCheck(f32, [0, 20 * f32.rate]).status).toBe('pass');
    expect(resolutionCheck(f32, [0, 5 * f32.rate]).status).toBe('not-applicable');
    expect(resolutionCheck(f32, [0, 0]).status).toBe('not-applicable');
    expect(resolutionCheck(f32, [0, 0]).message).toMatch(/lazy interval/);
    expect(Array.from(f32.fluxResolved)).toEqual([0, 1]);
  });

  test('coverage: ∅ and ⊥ shares per checkpoint, with a warning when either holds more than 5% of ‖e‖²', async () => {
    // λ_k = 10^{−k/2}: λ below 1e-5·λ_max lie in ∅; equal amplitudes put 5 of 16 modes' energy there (floor 10^{−5.25}·λ_ref).
    const n = 16;
    const kernel = new Float64Array(n * n);
    for (let k = 0; k < n; k++) kernel[k * n + k] = 10 ** (-k / 2 - 0.1);
    const cps: CheckpointData[] = [{ t: 0, kernel, residual: new Float64Array(n).fill(1) }];
    const full = await analyzeSeries('cpu', cps, { rank: n, gridOptions: { floorRelative: 1e-5 } });
    const c = full.checkpoints[0]!.capture;
    expect(c.floorShare).toBeCloseTo(5 / 16, 12);
    expect(c.complementShare).toBeCloseTo(0, 12);
    expect(full.coverage.warnings).toHaveLength(1);
    expect(full.coverage.warnings[0]).toMatch(/floor shell ∅ holds more than 5\.00% of ‖e‖² at 1 of 1 .*up to 31\.3%/);
    const truncated = await analyzeSeries('cpu', cps, { rank: 4 });
    expect(truncated.checkpoints[0]!.capture.complementShare).toBeCloseTo(12 / 16, 12);
    expect(truncated.checkpoints[0]!.capture.floorShare).toBe(0);
    expect(truncated.coverage.warnings).toHaveLength(1);
    expect(truncated.coverage.warnings[0]).toMatch(/^the complement shell ⊥ holds more than 5\.00%/);
  });

  test('the default floor follows the precision: 1e-5·λ_max in f32, 100·n·u·λ_max in float64', async () => {
    expect(defaultFloorRelative('float32', 1280)).toBe(1e-5);
    expect(defaultFloorRelative('float64', 1280)).toBeCloseTo(100 * 1280 * 2 ** -53, 25);
    expect(defaultFloorRelative('float64', 1e12)).toBe(1e-5); // never above the f32 floor
    // λ_k = 10^{−k/2}, k < 16, down to 10^{-7.6}·λ_max: the float64 backend resolves every mode
    // into a window shell (its floor is 100·16·u ≈ 1.8e-13·λ_max), energies exact to rounding.
    const n = 16;
    const kernel = new Float64Array(n * n);
    for (let k = 0; k < n; k++) kernel[k * n + k] = 10 ** (-k / 2 - 0.1);
    const r = await analyzeSeries('cpu', [{ t: 0, kernel, residual: new Float64Array(n).fill(1) }], { rank: n });
    expect(r.grid.floor / 10 ** -0.1).toBeLessThan(1e-12);
    expect(r.checkpoints[0]!.capture.floorShare).toBe(0);
    expect(r.coverage.warnings).toEqual([]);
    const e = r.checkpoints[0]!.energy;
    for (let k = 0; k < n; k++) expect(e[assignShell(10 ** (-k / 2 - 0.1), r.grid).index]).toBeGreaterThanOrEqual(1 - 1e-12);
    // The same kernel stored as f32: its eigenvalues carry f32 rounding, so the f32 floor applies on
    // the float64 backend too, and the modes below 1e-5·λ_max are in ∅.
    const f32 = await analyzeSeries('cpu', [{ t: 0, kernel: Float32Array.from(kernel), residual: new Float64Array(n).fill(1) }], {
      rank: n,
    });
    expect(f32.grid.floor / 10 ** -0.1).toBeGreaterThan(1e-6);
    expect(f32.grid.floor / 10 ** -0.1).toBeLessThanOrEqual(1e-5);
    expect(f32.checkpoints[0]!.capture.floorShare).toBeCloseTo(5 / 16, 6);
  });
});
