/**
 * GRSD analysis on constructed cases (docs/conditions.md, T1/T3): the velocity exponent of
 * exactly log-shift-invariant couplings, the LSI calibration table, negative controls, the loss
 * exponent and frontier laws of the lazy power law, and every verdict path of C1–C4.
 */
import { describe, expect, test } from 'vitest';
import { assessC1, assessC2, assessC3, assessC4, DEFAULT_THRESHOLDS, depthScan, nfdDiagnostics } from '../../src/analysis/conditions.ts';
import {
  fitFrontier,
  fitLossExponent,
  fitSpectrumExponent,
  fitVelocity,
  lazyFrontier,
  rigidity,
  type VelocityFit,
} from '../../src/analysis/fits.ts';
import { lsiPermutationTest, lsiStatistic } from '../../src/analysis/lsi.ts';
import type { CheckpointResult } from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { gamma } from '../../src/analysis/regression.ts';
import { intervalTimeWeights, timeAveragedEnergy, timeAveragedTransport } from '../../src/analysis/timeAverage.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { Random } from '../../src/util/random.ts';
import { FULL_CAPTURE, geometricTransport, syntheticInterval } from '../helpers/calibration.ts';

const H = Math.log(2);

function syntheticCheckpoint(grid: ShellGrid, energy: Float64Array, t = 0, extra: Partial<CheckpointResult> = {}): CheckpointResult {
  const full = new Float64Array(grid.size);
  full.set(energy.subarray(0, grid.count));
  return {
    index: 0,
    t,
    loss: 1,
    residualNorm2: 2,
    eigenvalues: new Float64Array(0),
    energy: full,
    dissipation: new Float64Array(grid.size),
    counts: new Float64Array(grid.size),
    amplitudes: new Float64Array(0),
    shellIndex: new Int32Array(0),
    boundaryFlagged: 0,
    clampedAbove: 0,
    lanczos: null,
    capture: FULL_CAPTURE,
    ipr: null,
    layerTraceShare: null,
    layerKernelDrift: null,
    ...extra,
  };
}

describe('velocity fits and LSI', () => {
  test('T3 geometric couplings: the fitted velocity exponent equals 1 + ln ρ/h to 1e-4 (80 shells, interior boundaries)', () => {
    const grid = ShellGrid.create({ floor: 1e-12, lambdaMax: 1e12, width: H, headroom: 0 });
    expect(grid.count).toBeGreaterThanOrEqual(80);
    for (const rho of [1.3, 0.8]) {
      const { transport, energy } = geometricTransport(grid, rho, 0.4, 1.5);
      const iv = syntheticInterval(grid, transport, energy);
      const edges = grid.edges;
      const fit = fitVelocity(iv, { lambdaMin: edges[20]!, lambdaMax: edges[grid.count - 20]!, bootstrap: 50, fluxFloor: 0 });
      expect(fit.ok).toBe(true);
      expect(Math.abs((fit as VelocityFit).a - (1 + Math.log(rho) / H))).toBeLessThan(1e-4);
      expect((fit as VelocityFit).r2).toBeGreaterThan(0.999999);
      // LSI of the same couplings: ε = 0, ρ̂ = ρ, implied exponent = the fitted one.
      const m = 30;
      const k = Float64Array.from({ length: m * m }, (_, e) => {
        const a = 25 + Math.floor(e / m);
        const b = 25 + (e % m);
        return transport[a * grid.size + b]! / Math.sqrt(energy[a]! * energy[b]!);
      });
      const lsi = lsiStatistic(k, m, H);
      expect(lsi.epsilon).toBeLessThan(1e-12);
      expect(lsi.rho[0]!).toBeCloseTo(rho, 12);
      expect(lsi.impliedExponent!).toBeCloseTo((fit as VelocityFit).a, 4);
      expect(lsi.deltaRho!).toBeLessThan(1e-12);
    }
  });

  const m = 14;
  const toeplitz = Float64Array.from({ length: m * m }, (_, e) => {
    const d = Math.floor(e / m) - (e % m);
    return d === 0 ? 0 : Math.sign(d) * Math.exp(-Math.abs(d) / 2);
  });
  const fro = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  const noise = (seed: number) => {
    const r = new Random(seed);
    const n = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) ((n[a * m + b] = r.normal()), (n[b * m + a] = -n[a * m + b]!));
    return n;
  };

  test('the ε_LSI calibration table of docs/conditions.md is reproduced within ±0.05 (14 shells, 40 seeds each)', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.13],
      [0.2, 0.26],
      [0.3, 0.37],
      [0.5, 0.57],
      [1.0, 0.84],
    ];
    for (const [ratio, expected] of table) {
      let mean = 0;
      for (let seed = 0; seed < 40; seed++) {
        const n = noise(seed + 1000 * ratio);
        const scale = (ratio * fro(toeplitz)) / fro(n);
        mean +=
          lsiStatistic(
            toeplitz.map((v, e) => v + scale * n[e]!),
            m,
            H,
          ).epsilon / 40;
      }
      expect(Math.abs(mean - expected), `ratio ${ratio}`).toBeLessThanOrEqual(0.05);
    }
    let random = 0;
    let permuted = 0;
    for (let seed = 0; seed < 40; seed++) {
      random += lsiStatistic(noise(seed + 77), m, H).epsilon / 40;
      const p = new Random(seed).shuffle(Int32Array.from({ length: m }, (_, i) => i));
      permuted +=
        lsiStatistic(
          Float64Array.from({ length: m * m }, (_, e) => toeplitz[p[Math.floor(e / m)]! * m + p[e % m]!]!),
          m,
          H,
        ).epsilon / 40;
    }
    expect(Math.abs(random - 0.99)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(permuted - 0.99)).toBeLessThanOrEqual(0.05);
  });

  test('negative controls: permuted shells and iid couplings give ε_LSI > 0.9 and fail the LSI null test; Toeplitz plus small noise passes it', () => {
    const p = new Random(5).shuffle(Int32Array.from({ length: m }, (_, i) => i));
    const permuted = Float64Array.from({ length: m * m }, (_, e) => toeplitz[p[Math.floor(e / m)]! * m + p[e % m]!]!);
    for (const k of [permuted, noise(9)]) {
      expect(lsiStatistic(k, m, H).epsilon).toBeGreaterThan(0.9);
      expect(lsiPermutationTest(k, m, H, { permutations: 500, seed: 1 }).pValue).toBeGreaterThan(0.01);
    }
    const noisy = toeplitz.map((v, e) => v + 0.05 * noise(3)[e]!);
    expect(lsiPermutationTest(noisy, m, H, { permutations: 500, seed: 1 }).pValue).toBeLessThan(0.01);
  });

  test('rigidity: stable a across windows while c varies; too few windows is reported, not guessed', () => {
    const fit = (a: number, c: number): VelocityFit => ({
      ok: true,
      interval: 0,
      t0: 0,
      t1: 1,
      a,
      aStdErr: 0.01,
      aCI: null,
      c,
      r2: 1,
      points: 5,
      lambdas: [],
      speeds: [],
      decades: 2,
      signConsistency: 1,
      sign: 1,
    });
    const r = rigidity([fit(1.4, 1), fit(1.45, 10), fit(1.38, 100)]);
    expect('stable' in r && r.stable).toBe(true);
    expect('cDecades' in r && r.cDecades).toBeCloseTo(2, 5);
    expect(rigidity([fit(1.4, 1)]).ok).toBe(false);
  });
});

describe('time averages over a window (docs/math.md)', () => {
  const iv = (t0: number, t1: number, v: number) => ({ t0, t1, transport: Float64Array.from([0, v, -v, 0]) });

  test('⟨T⟩ weights each interval by Δt; ⟨E⟩ is the trapezoid rule: exact for energies linear in t', () => {
    const t = timeAveragedTransport([iv(0, 1, 3), iv(1, 4, 1)], 2, 2);
    expect(t[1]).toBeCloseTo((3 * 1 + 1 * 3) / 4, 15);
    expect(t[2]).toBeCloseTo(-1.5, 15);
    // E(t) = 2 + 3t sampled at t = 0, 1, 5: mean over [0, 5] = 2 + 3·2.5 = 9.5.
    const e = timeAveragedEnergy(
      [0, 1, 5].map((s) => ({ t: s, energy: [2 + 3 * s, 7] })),
      2,
    );
    expect(e[0]).toBeCloseTo(9.5, 14);
    expect(e[1]).toBeCloseTo(7, 14);
    expect(Array.from(intervalTimeWeights([iv(0, 1, 0), iv(1, 4, 0)]))).toEqual([0.25, 0.75]);
  });

  test('no interval, or times that do not increase, is an InvalidArgumentError naming the argument', () => {
    expect(() => timeAveragedTransport([], 2, 2)).toThrow(InvalidArgumentError);
    expect(() => intervalTimeWeights([iv(0, 1, 0), iv(1, 1, 0)])).toThrow(/`intervals`.*span 1 has t1 − t0 = 0/);
    expect(() => timeAveragedEnergy([{ t: 0, energy: [1] }], 1)).toThrow(/two checkpoints/);
    expect(() =>
      timeAveragedEnergy(
        [
          { t: 2, energy: [1] },
          { t: 1, energy: [1] },
        ],
        1,
      ),
    ).toThrow(/`checkpoints`.*span 0 has t1 − t0 = -1/);
  });
});

describe('loss exponent and frontier (T1, lazy power law)', () => {
  const nu = 1.5;
  const kappa = 1;
  const n = 2_000_000;
  const modes = (t: number) => {
    let loss = 0;
    for (let k = 1; k <= n; k++) loss += k ** -(1 + kappa) * Math.exp(-2 * k ** -nu * t);
    return loss / 2;
  };

  test('ξ = κ/ν within 0.01 from the loss curve over t ∈ [10, 10⁴] (2·10⁶ modes)', () => {
    const times = [10, 31.6, 100, 316, 1000, 3162, 10000];
    const fit = fitLossExponent(times.map((t) => ({ t, loss: modes(t) })));
    expect(fit.ok).toBe(true);
    expect(Math.abs((fit as { xi: number }).xi - kappa / nu)).toBeLessThan(0.01);
    // The prefactor L ≃ C/(2Nν) Γ(κ/ν) (2Λt)^{−κ/ν} (docs/math.md; N = 1, C = Λ = 1).
    const predicted = (1 / (2 * nu)) * gamma(kappa / nu) * (2 * 1000) ** (-kappa / nu);
    expect(modes(1000) / predicted).toBeGreaterThan(0.99);
    expect(modes(1000) / predicted).toBeLessThan(1.01);
  });

  test('the frontier follows ψ(1+ξ) − ln 2t within 0.01, exponent 1; ξ̂₀ from the initial shell spectrum', () => {
    const grid = ShellGrid.create({ floor: 1e-8, lambdaMax: 1, shellsPerDecade: 20 });
    const cps = [0, 100, 300, 1000].map((t, i) => {
      const energy = new Float64Array(grid.size);
      const dissipation = new Float64Array(grid.size);
      for (let k = 1; k <= n; k++) {
        const lam = k ** -nu;
        const e = k ** -(1 + kappa) * Math.exp(-2 * lam * t);
        const x = Math.floor(Math.log(lam) / grid.width) - grid.alphaMin;
        if (x < 0 || x >= grid.count) continue;
        energy[x]! += e;
        dissipation[x]! += 2 * lam * e;
      }
      return syntheticCheckpoint(grid, energy, t, { index: i, dissipation, loss: energy.reduce((s, v) => s + v, 0) / 2 });
    });
    const fr = fitFrontier(grid, cps);
    expect(fr.ok).toBe(true);
    const f = fr as unknown as { positions: { t: number; position: number }[]; exponent: number };
    for (const p of f.positions.filter((q) => q.t > 0)) expect(Math.abs(p.position - lazyFrontier(kappa / nu, p.t))).toBeLessThan(0.01);
    const spectrum = fitSpectrumExponent(grid, cps[0]!.energy, { lambdaMax: 1e-2 });
    expect(spectrum.ok).toBe(true);
    expect(Math.abs((spectrum as { xi: number }).xi - kappa / nu)).toBeLessThan(0.02);
  });

  test('too little data gives a reason, never NaN', () => {
    expect(
      fitLossExponent([
        { t: 0, loss: 1 },
        { t: 1, loss: 0.5 },
      ]),
    ).toEqual({ ok: false, reason: expect.stringMatching(/need 3/) });
  });
});

describe('conditions: every verdict path', () => {
  const grid = ShellGrid.create({ floor: 1e-6, lambdaMax: 1, shellsPerDecade: 2 });
  const t = DEFAULT_THRESHOLDS;
  const local = (reach: number) => {
    const s = grid.size;
    const tr = new Float64Array(s * s);
    for (let a = 0; a < grid.count; a++)
      for (let b = 0; b < grid.count; b++) if (a !== b && Math.abs(a - b) <= reach) tr[a * s + b] = Math.sign(a - b);
    return syntheticInterval(grid, tr, new Float64Array(grid.count).fill(1));
  };

  test('C1: pass (local couplings, flat gains), marginal, fail (spread gains), not-computable', () => {
    expect(assessC1(grid, [local(1)], { layerGains: [1, 1.2, 0.9] }, t).verdict).toBe('pass');
    expect(assessC1(grid, [local(3)], {}, t).verdict).toBe('marginal');
    expect(assessC1(grid, [local(1)], { layerGains: [1, 1000] }, t).verdict).toBe('fail');
    expect(assessC1(grid, [local(1)], { bandMass: [1, 0.5, 0.5, 0.5] }, t).verdict).toBe('fail');
    const none = assessC1(grid, [], {}, t);
    expect(none.verdict).toBe('not-computable');
    expect(none.value).toBeNull();
    expect(none.reason).toMatch(/needs/);
  });

  test('C2: pass (incoherent Gaussian amplitudes), fail (one dominant mode per shell), not-computable', () => {
    const r = new Random(1);
    const mk = (amp: (k: number) => number) => {
      const idx = Int32Array.from({ length: 128 }, (_, k) => k % 4);
      return syntheticCheckpoint(grid, new Float64Array(grid.count), 0, {
        amplitudes: Float64Array.from({ length: 128 }, (_, k) => amp(k)),
        shellIndex: idx,
        ipr: new Float64Array(128).fill(3),
      });
    };
    expect(assessC2(grid, [mk(() => r.normal())], [], t).verdict).toBe('pass');
    expect(assessC2(grid, [mk((k) => (k < 4 ? 1 : 1e-3))], [], t).verdict).toBe('fail');
    const marginal = assessC2(grid, [mk((k) => (k < 12 ? 1 : 0.05))], [], t);
    expect(marginal.verdict).toBe('marginal');
    expect(assessC2(grid, [], [], t).verdict).toBe('not-computable');
  });

  test('C3: pass (eigenvalues steady), marginal, fail (eigenvalues jump shells), not-computable', () => {
    const cp = (scale: number) =>
      syntheticCheckpoint(grid, new Float64Array(grid.count), 0, { eigenvalues: Float64Array.from([0.5, 0.1, 0.01], (v) => v * scale) });
    const iv = syntheticInterval(grid, new Float64Array(grid.size ** 2), new Float64Array(grid.count));
    expect(assessC3(grid, [cp(1), cp(1.1)], [iv], t).verdict).toBe('pass');
    expect(assessC3(grid, [cp(1), cp(Math.exp(0.8 * grid.width))], [iv], t).verdict).toBe('marginal');
    expect(assessC3(grid, [cp(1), cp(10)], [iv], t).verdict).toBe('fail');
    expect(assessC3(grid, [cp(1)], [], t).verdict).toBe('not-computable');
  });

  test('C4: pass (LSI with co-occurring power law), marginal, fail, not-computable', () => {
    const lsi = (epsilon: number) => ({
      epsilon,
      epsilons: [epsilon],
      rho: [1.2, 1.44, 1.728],
      deltaRho: 0,
      impliedExponent: 1 + Math.log(1.2) / grid.width,
    });
    const fit = (a: number): VelocityFit => ({
      ok: true,
      interval: 0,
      t0: 0,
      t1: 1,
      a,
      aStdErr: 0.05,
      aCI: null,
      c: 1,
      r2: 0.99,
      points: 6,
      lambdas: [],
      speeds: [],
      decades: 2,
      signConsistency: 1,
      sign: 1,
    });
    const a = 1 + Math.log(1.2) / grid.width;
    const perm = { pValue: 0.001, permutations: 1000, nullPercentile1: 0.9, nullPercentile5: 0.95, nullRatio: 1 };
    const fits = [fit(a), fit(a + 0.02)];
    const rig = rigidity(fits);
    expect(
      assessC4({ lsi: lsi(0.1), permutation: perm, windowShells: 8, width: grid.width, velocityFits: fits, rigidity: rig }, t).verdict,
    ).toBe('pass');
    expect(
      assessC4({ lsi: lsi(0.45), permutation: perm, windowShells: 8, width: grid.width, velocityFits: fits, rigidity: rig }, t).verdict,
    ).toBe('marginal');
    const noPowerLaw = assessC4(
      {
        lsi: lsi(0.1),
        permutation: perm,
        windowShells: 8,
        width: grid.width,
        velocityFits: [fit(a + 1), fit(a - 1)],
        rigidity: rigidity([fit(a + 1), fit(a - 1)]),
      },
      t,
    );
    expect(noPowerLaw.verdict).toBe('marginal');
    expect(noPowerLaw.reason).toMatch(/consequences/);
    expect(
      assessC4({ lsi: lsi(0.8), permutation: perm, windowShells: 8, width: grid.width, velocityFits: fits, rigidity: rig }, t).verdict,
    ).toBe('fail');
    expect(assessC4({ lsi: null, permutation: null, windowShells: 3, width: grid.width, velocityFits: [], rigidity: rig }, t).verdict).toBe(
      'not-computable',
    );
  });

  test('depth scan: L* and the log-log slope; NFD collapse flag and γ̂', () => {
    const scan = depthScan([2, 4, 8, 16, 32].map((depth) => ({ depth, epsilonLSI: 1.2 * depth ** -0.5 })));
    expect(scan.criticalDepth).toBe(16);
    expect(scan.slope!).toBeCloseTo(-0.5, 10);
    expect(depthScan([{ depth: 4, epsilonLSI: null }]).slope).toBeNull();
    const nfd = nfdDiagnostics([4, 8, 16, 32].map((depth) => ({ depth, perInternalLayer: [depth ** -0.5, 1] as [number, number] })));
    expect(nfd.collapse).toBe(true);
    expect(nfd.gammaHat!).toBeCloseTo(0.5, 10);
  });
});
