/**
 * `--backend cpu` is float64 end to end: a run stored as float64 `.npy` files is analysed on the
 * file's own values (never rounded to f32), so a lazy run with a known closed form — fixed
 * K = Σ λ_k q_k q_kᵀ in a random basis, e(t) = Σ c_k e^{−λ_k t} q_k — gives the exact shell
 * energies E_α(t) = Σ_{k∈α} c_k² e^{−2λ_k t} and zero transport to ~1e-14, where the same run
 * rounded to f32 is off by ~1e-7.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeRun } from '../../../src/cli/commands/analyze.ts';
import { writeJsonFile, writeNpyFile } from '../../../src/node/files.ts';
import { loadCheckpoint, readManifest, RunWriter } from '../../../src/node/run.ts';
import { randomOrthogonal } from '../../../src/reference/linalg.ts';
import { assignShell } from '../../../src/reference/shells.ts';
import { rng } from '../../helpers/data.ts';

const n = 40;
const times = [0, 1, 3];
const lambda = Float64Array.from({ length: n }, (_, k) => 10 ** (-0.1 - (2.5 * k) / (n - 1)));
const q = randomOrthogonal(n, rng('float64 run basis'));
const c0 = Float64Array.from(rng('float64 run amplitudes').normals(n));
const kernel = new Float64Array(n * n);
for (let k = 0; k < n; k++)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) kernel[i * n + j]! += lambda[k]! * q[k * n + i]! * q[k * n + j]!;
const residual = (t: number) =>
  Float64Array.from({ length: n }, (_, i) => c0.reduce((s, c, k) => s + c * Math.exp(-lambda[k]! * t) * q[k * n + i]!, 0));

let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-f64-run-'));
  mkdirSync(join(dir, 'f64'));
  const entries = [];
  for (const [i, t] of times.entries()) {
    await writeNpyFile(join(dir, 'f64', `k${i}.npy`), { dtype: 'f64', shape: [n, n], data: kernel });
    await writeNpyFile(join(dir, 'f64', `e${i}.npy`), { dtype: 'f64', shape: [n], data: residual(t) });
    entries.push({ t, kernel: `k${i}.npy`, residual: `e${i}.npy` });
  }
  await writeJsonFile(join(dir, 'f64', 'manifest.json'), { timeScale: 1, checkpoints: entries });
  const f32 = await RunWriter.create(join(dir, 'f32'), { timeScale: 1 });
  for (const t of times) await f32.add({ t, kernel, residual: residual(t) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Largest |E_α − exact| over shells and checkpoints, relative to ‖e(0)‖², and the largest |T|·Δt likewise. */
async function errors(run: string): Promise<{ energy: number; transport: number }> {
  const { result } = await analyzeRun(run, { backend: 'cpu', rank: n, seed: 0, permutations: 10 });
  const norm0 = c0.reduce((s, c) => s + c * c, 0);
  let energy = 0;
  result.checkpoints.forEach((cp, i) => {
    const exact = new Float64Array(result.grid.size);
    lambda.forEach((l, k) => (exact[assignShell(l, result.grid).index]! += (c0[k]! * Math.exp(-l * times[i]!)) ** 2));
    cp.energy.forEach((e, s) => (energy = Math.max(energy, Math.abs(e - exact[s]!) / norm0)));
  });
  let transport = 0;
  for (const iv of result.intervals) for (const v of iv.transport) transport = Math.max(transport, (Math.abs(v) * (iv.t1 - iv.t0)) / norm0);
  return { energy, transport };
}

describe('--backend cpu on a float64 run', () => {
  test('the loader keeps float64 files float64 (and f32 files f32)', async () => {
    const f64 = await loadCheckpoint(join(dir, 'f64'), (await readManifest(join(dir, 'f64'))).checkpoints[1]!, 1);
    expect(f64.kernel).toBeInstanceOf(Float64Array);
    expect(f64.residual).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.residual)).toEqual(Array.from(residual(1)));
    const f32 = await loadCheckpoint(join(dir, 'f32'), (await readManifest(join(dir, 'f32'))).checkpoints[1]!, 1);
    expect(f32.kernel).toBeInstanceOf(Float32Array);
  });

  test('closed-form lazy run: exact energies and zero transport to 1e-12 from float64 files, ~1e-7 off from the same run in f32', async () => {
    const f64 = await errors(join(dir, 'f64'));
    expect(f64.energy).toBeLessThan(1e-12);
    expect(f64.transport).toBeLessThan(1e-12);
    const f32 = await errors(join(dir, 'f32'));
    // The control: f32 rounding of K and e (relative 2⁻²⁴ ≈ 6e-8) is visible at this precision.
    expect(f32.energy).toBeGreaterThan(1e-9);
  });
});
