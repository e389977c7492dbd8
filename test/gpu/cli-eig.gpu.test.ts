/** `grsd eig` and `grsd density` in-process on the test's GPU backend, with files written by our .npy/.npz/safetensors writers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { encodeNpz } from '../../src/io/npz.ts';
import { encodeSafetensors } from '../../src/io/safetensors.ts';
import type { Tensor } from '../../src/io/tensor.ts';
import { gpuBackend } from '../helpers/gpu.ts';
import { withSpectrum } from '../helpers/spectra.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (shape: number[], data: ArrayLike<number>): Tensor => ({ dtype: 'f32', shape, data: Float32Array.from(data) });

async function grsd(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), setExitCode: () => {} });
  return { code, out: out.join(''), err: err.join('') };
}

const diag = (values: number[]): number[] => {
  const n = values.length;
  return Array.from({ length: n * n }, (_, e) => (e % (n + 1) === 0 ? values[e / (n + 1)]! : 0));
};

describe(`grsd eig / density (${gpuBackend})`, () => {
  test('eig --json on one n×n matrix: eigenvalues from the requested end, bounds, converged, steps', async () => {
    const m = withSpectrum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 'cli');
    const file = join(dir, 'one.npy');
    writeFileSync(file, encodeNpy(f32([20, 20], m.data)));
    const r = await grsd('eig', file, '--k', '3', '--json', '--backend', gpuBackend);
    expect(r.code, r.err).toBe(EXIT.OK);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ schemaVersion: 1, n: 20, which: 'largest' });
    expect(json.results).toHaveLength(1);
    const res = json.results[0];
    res.eigenvalues.forEach((v: number, i: number) =>
      expect(Math.abs(v - (20 - i))).toBeLessThanOrEqual(Math.max(1e-4, res.errorBounds[i])),
    );
    expect(res.converged).toEqual([true, true, true]);
    expect(res.steps).toBeGreaterThanOrEqual(3);
    // How the verification went is reported (n = 20: the space is exhausted before any round).
    expect([res.stopReason, res.verifications, res.certified]).toEqual(['exhausted', 0, false]);
  });

  test('a B×n×n batch, several tensors of an npz, and safetensors give one result per matrix; --which smallest ascends', async () => {
    const a = diag([1, 2, 3, 4, 5, 6]);
    const b = diag([10, 20, 30, 40, 50, 60]);
    writeFileSync(join(dir, 'batch.npy'), encodeNpy(f32([2, 6, 6], [...a, ...b])));
    writeFileSync(join(dir, 'two.npz'), encodeNpz({ first: f32([6, 6], a), second: f32([6, 6], b) }));
    writeFileSync(join(dir, 'two.safetensors'), encodeSafetensors({ first: f32([6, 6], a), second: f32([6, 6], b) }));
    for (const name of ['batch.npy', 'two.npz', 'two.safetensors']) {
      const r = await grsd('eig', join(dir, name), '--k', '2', '--which', 'smallest', '--steps', '6', '--json', '--backend', gpuBackend);
      expect(r.code, `${name}: ${r.err}`).toBe(EXIT.OK);
      const json = JSON.parse(r.out);
      expect(json.results.map((x: { eigenvalues: number[] }) => x.eigenvalues.map((v) => Math.round(v * 1e4) / 1e4))).toEqual([
        [1, 2],
        [10, 20],
      ]);
    }
    const text = await grsd('eig', join(dir, 'two.npz'), '--k', '2', '--backend', gpuBackend);
    expect(text.out).toMatch(/second: .* Lanczos steps/);
  });

  test('--backend cpu (float64 reference) agrees with the GPU', async () => {
    const m = withSpectrum(
      Array.from({ length: 30 }, (_, i) => 1 + i * i),
      'cpu',
    );
    const file = join(dir, 'cpu.npy');
    writeFileSync(file, encodeNpy(f32([30, 30], m.data)));
    const gpu = JSON.parse((await grsd('eig', file, '--k', '4', '--json', '--backend', gpuBackend)).out);
    const cpu = JSON.parse((await grsd('eig', file, '--k', '4', '--json', '--backend', 'cpu')).out);
    expect(cpu.backend.kind).toBe('cpu');
    cpu.results[0].eigenvalues.forEach((v: number, i: number) =>
      expect(Math.abs(v - gpu.results[0].eigenvalues[i])).toBeLessThan(1e-5 * 842),
    );
  });

  test('bad files (non-square, ragged batch, NaN, asymmetric, missing, corrupt) exit 4; bad options (k > n, steps < k) exit 2; each message names the problem', async () => {
    writeFileSync(join(dir, 'rect.npy'), encodeNpy(f32([3, 4], new Array(12).fill(1))));
    writeFileSync(join(dir, 'ragged.npz'), encodeNpz({ a: f32([2, 2], [1, 0, 0, 1]), b: f32([3, 3], diag([1, 2, 3])) }));
    writeFileSync(join(dir, 'nan.npy'), encodeNpy(f32([2, 2], [1, Number.NaN, Number.NaN, 1])));
    writeFileSync(join(dir, 'asym.npy'), encodeNpy(f32([2, 2], [1, 2, 3, 1])));
    writeFileSync(join(dir, 'ok.npy'), encodeNpy(f32([3, 3], diag([1, 2, 3]))));
    writeFileSync(join(dir, 'corrupt.npy'), 'not a numpy file');
    const cases: [string[], number, RegExp][] = [
      [['rect.npy'], EXIT.INPUT, /shape \[3, 4\]: expected an n×n matrix/],
      [['ragged.npz'], EXIT.INPUT, /ragged batch: "b" is 3×3 but "a" is 2×2/],
      [['nan.npy'], EXIT.INPUT, /entry \(0, 1\) of matrix 0 is NaN/],
      [['asym.npy'], EXIT.INPUT, /not symmetric/],
      [['ok.npy', '--k', '4'], EXIT.USAGE, /`k`: cannot exceed n = 3/],
      [['ok.npy', '--k', '3', '--steps', '2'], EXIT.USAGE, /`steps`: must be ≥ k/],
      [['missing.npy'], EXIT.INPUT, /no such file/],
      [['corrupt.npy'], EXIT.INPUT, /corrupt\.npy/],
    ];
    for (const [args, code, message] of cases) {
      const r = await grsd('eig', join(dir, args[0]!), ...args.slice(1), '--backend', gpuBackend);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(code);
      expect(r.err).toMatch(message);
    }
    const bad = await grsd('eig', join(dir, 'ok.npy'), '--k', 'two');
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.err).toMatch(/expected a positive integer/);
  });

  test('density --json: nodes and weights per probe, counts summing to n', async () => {
    const m = withSpectrum(
      Array.from({ length: 40 }, (_, i) => (i < 20 ? 1 : 3)),
      'dens',
    );
    const file = join(dir, 'dens.npy');
    writeFileSync(file, encodeNpy(f32([40, 40], m.data)));
    const r = await grsd(
      'density',
      file,
      '--probes',
      '4',
      '--steps',
      '6',
      '--bins',
      '10',
      '--smoothing',
      'none',
      '--json',
      '--backend',
      gpuBackend,
    );
    expect(r.code, r.err).toBe(EXIT.OK);
    const json = JSON.parse(r.out);
    expect(json.results[0].probes).toHaveLength(4);
    expect(json.results[0].counts.reduce((s: number, c: number) => s + c, 0)).toBeCloseTo(40, 3);
    // Two eigenvalues (1 and 3) with 20 each: the bins containing them hold ≈ 20 each.
    const { edges, counts } = json.results[0];
    const at = (x: number) => counts[edges.findIndex((e: number, i: number) => e <= x && x < edges[i + 1])];
    expect(at(1)).toBeGreaterThan(12);
    expect(at(3)).toBeGreaterThan(12);
    const cpu = JSON.parse(
      (await grsd('density', file, '--probes', '4', '--steps', '6', '--bins', '10', '--smoothing', 'none', '--json', '--backend', 'cpu'))
        .out,
    );
    expect(cpu.results[0].counts.reduce((s: number, c: number) => s + c, 0)).toBeCloseTo(40, 6);
  });
});
