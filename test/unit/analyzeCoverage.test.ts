/**
 * `grsd analyze` (float64 backend) covers the whole run: the shell grid is built from a bound on
 * λ_max over every checkpoint (not the first one), the rank is chosen so that the eigenpairs hold
 * a stated share of ‖e‖², and the summary (CLI and JSON) says how many eigenvalues were clamped,
 * how much of the residual the complement shell ⊥ holds, and warns when either needs attention.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeSeries, COMPLEMENT_WARNING_SHARE, GrsdSeries } from '../../src/analysis/series.ts';
import { analyzeRun } from '../../src/cli/commands/analyze.ts';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { runCli } from '../../src/cli/program.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { RunWriter } from '../../src/node/run.ts';
import { randomOrthogonal } from '../../src/reference/linalg.ts';
import { rng } from '../helpers/data.ts';

/** K = s(t)·Σ λ_k q_k q_kᵀ with λ_k = k^{-1} in a random basis; e(t) with equal amplitudes on every mode, decaying. */
function run(n: number, times: readonly number[], growth: (t: number) => number) {
  const q = randomOrthogonal(n, rng(`coverage basis ${n}`));
  const lambda = Float64Array.from({ length: n }, (_, k) => 1 / (k + 1));
  return times.map((t) => {
    const s = growth(t);
    const kernel = new Float64Array(n * n);
    for (let k = 0; k < n; k++)
      for (let i = 0; i < n; i++) {
        const v = s * lambda[k]! * q[k * n + i]!;
        for (let j = 0; j < n; j++) kernel[i * n + j]! += v * q[k * n + j]!;
      }
    const residual = new Float64Array(n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) residual[i]! += Math.exp(-0.01 * lambda[k]! * t) * q[k * n + i]!;
    return { t, kernel, residual };
  });
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), setExitCode: () => {} });
  return { code, out: out.join(''), err: err.join('') };
}

let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-coverage-'));
  // The NTK grows 100× over training (as real runs do, 13–360×).
  const growing = await RunWriter.create(join(dir, 'growing'), { timeScale: 1 });
  for (const cp of run(24, [0, 10, 20, 30], (t) => 10 ** (t / 15))) await growing.add(cp);
  // n = 300 > 256: the default rank of the library leaves 44/300 of ‖e‖² in ⊥.
  const wide = await RunWriter.create(join(dir, 'wide'), { timeScale: 1 });
  for (const cp of run(300, [0, 1], () => 1)) await wide.add(cp);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('whole-run grid', () => {
  test('analyze bounds λ_max over every checkpoint: nothing clamped although K grows 100×; the first checkpoint alone would clamp', async () => {
    const { result, lambdaMaxFromRun } = await analyzeRun(join(dir, 'growing'), { backend: 'cpu', seed: 0, permutations: 10 });
    expect(lambdaMaxFromRun).toBe(true);
    const c = result.coverage;
    expect(c.clampedAbove).toBe(0);
    expect(c.warnings).toEqual([]);
    expect(c.largestEigenvalue).toBeCloseTo(100, 4);
    expect(c.grid.lambdaMax!).toBeGreaterThanOrEqual(c.largestEigenvalue);
    // The bound is tight: within one shell of the true λ_max.
    expect(Math.log(c.grid.lambdaMax! / c.largestEigenvalue)).toBeLessThan(result.grid.width);
    expect(result.checkpoints.every((cp) => cp.clampedAbove === 0)).toBe(true);
    // Control: a grid for the first checkpoint's λ_max (as before, with 2 shells of headroom) clamps.
    const first = await analyzeRun(join(dir, 'growing'), { backend: 'cpu', seed: 0, permutations: 10, lambdaMax: 1, headroom: 2 });
    expect(first.result.coverage.clampedAbove).toBeGreaterThan(0);
    expect(first.result.coverage.warnings[0]).toMatch(/clamped into the top shell.*largest λ = 100/);
  });

  test('the CLI summary says where λ_max came from and how many eigenvalues were clamped, loudly when some were', async () => {
    const whole = await cli('analyze', join(dir, 'growing'), '--backend', 'cpu', '--permutations', '10');
    expect(whole.code, whole.err).toBe(EXIT.OK);
    expect(whole.out).toMatch(/Grid: λ_max = 100\.0 \(bound over the whole run\), top boundary [\d.e+]+; 0 eigenvalue\(s\) clamped/);
    expect(whole.out).not.toMatch(/WARNING/);
    const json = join(dir, 'first.json');
    const first = await cli(
      'analyze',
      join(dir, 'growing'),
      '--backend',
      'cpu',
      '--permutations',
      '10',
      '--lambda-max',
      '1',
      '--headroom',
      '0',
      '--json',
      json,
    );
    expect(first.code, first.err).toBe(EXIT.OK);
    expect(first.out).toMatch(/\(--lambda-max\).*; [1-9]\d* eigenvalue\(s\) clamped/);
    expect(first.out).toMatch(/^WARNING: \d+ eigenvalue\(s\) at \d checkpoint\(s\) lie above the grid's top boundary/m);
    const a = JSON.parse(readFileSync(json, 'utf8'));
    expect(a.coverage.clampedAbove).toBe(a.checkpoints.reduce((s: number, c: { clampedAbove: number }) => s + c.clampedAbove, 0));
    expect(a.coverage.warnings).toHaveLength(1);
    const bad = await cli('analyze', join(dir, 'growing'), '--backend', 'cpu', '--headroom', '-1');
    expect(bad.code).toBe(EXIT.USAGE);
  });
});

describe('rank chosen by the residual share', () => {
  test("rank 'auto' grows from 256 to n = 300 to hold 99% of ‖e‖²; a fixed 256 leaves 14.7% in ⊥ and says so", async () => {
    const auto = await analyzeRun(join(dir, 'wide'), { backend: 'cpu', seed: 0, permutations: 10 });
    for (const cp of auto.result.checkpoints) {
      expect(cp.capture).toMatchObject({ requested: 300, returned: 300, shortfall: null, unconverged: 0 });
      expect(cp.capture.complementShare).toBeLessThan(1e-12);
    }
    expect(auto.result.coverage.warnings).toEqual([]);
    const fixed = await analyzeRun(join(dir, 'wide'), { backend: 'cpu', seed: 0, permutations: 10, rank: 256 });
    const share = fixed.result.checkpoints[0]!.capture.complementShare;
    expect(share).toBeGreaterThan(0.14);
    expect(share).toBeLessThan(0.16);
    expect(fixed.result.coverage.maxComplementShare).toBe(Math.max(...fixed.result.checkpoints.map((c) => c.capture.complementShare)));
    expect(fixed.result.coverage.warnings[0]).toMatch(
      /complement shell ⊥ holds more than 5\.00% of ‖e‖² at 2 of 2 checkpoint\(s\) \(up to 1[45]\.\d%/,
    );
    // A lower target is met at the first rank tried.
    const lower = await analyzeRun(join(dir, 'wide'), { backend: 'cpu', seed: 0, permutations: 10, capture: 0.8 });
    expect(lower.result.checkpoints.map((c) => c.capture.requested)).toEqual([256, 256]);
  });

  test('the CLI summary states the eigenpairs, ⊥ and ∅ shares, and warns when ⊥ holds more than a few percent', async () => {
    const json = join(dir, 'wide.json');
    const r = await cli('analyze', join(dir, 'wide'), '--backend', 'cpu', '--permutations', '10', '--rank', '256', '--json', json);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/Eigenpairs per checkpoint: 256 of n = 300; ⊥ holds at most 1[45]\.\d\d% of ‖e‖², ∅ at most \d+\.\d\d%\./);
    expect(r.out).toMatch(/^WARNING: the complement shell ⊥ holds more than 5\.00% of ‖e‖²/m);
    const a = JSON.parse(readFileSync(json, 'utf8'));
    expect(a.checkpoints[0].capture.complementShare).toBeGreaterThan(COMPLEMENT_WARNING_SHARE);
    expect(a.coverage.maxComplementShare).toBeGreaterThan(0.14);
    const auto = await cli('analyze', join(dir, 'wide'), '--backend', 'cpu', '--permutations', '10');
    expect(auto.out).toMatch(/Eigenpairs per checkpoint: 300 of n = 300; ⊥ holds at most 0\.00%/);
    expect((await cli('analyze', join(dir, 'wide'), '--rank', 'most')).code).toBe(EXIT.USAGE);
    expect((await cli('analyze', join(dir, 'wide'), '--capture', '1.5')).code).toBe(EXIT.USAGE);
  });

  test("library: rank 'auto' and captureShare are validated; streaming starts each checkpoint at the previous rank", async () => {
    expect(() => new GrsdSeries('cpu', { rank: 'most' as unknown as number })).toThrow(InvalidArgumentError);
    expect(() => new GrsdSeries('cpu', { rank: 'auto', captureShare: 0 })).toThrow(InvalidArgumentError);
    const cps = run(300, [0, 1], () => 1);
    const res = await analyzeSeries('cpu', cps, { rank: 'auto', captureShare: 0.9 });
    expect(res.checkpoints.map((c) => c.capture.requested)).toEqual([300, 300]);
    expect(res.checkpoints.every((c) => 1 - c.capture.complementShare >= 0.9)).toBe(true);
  });
});
