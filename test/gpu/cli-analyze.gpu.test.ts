/**
 * `grsd analyze RUN`: a run directory written by numpy (test/fixtures/make_run.py, a linear model
 * trained by gradient descent, spec T8) is read, analysed on the test's GPU backend, and written
 * as the documented JSON; bad runs give typed errors naming the checkpoint and file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { runCli } from '../../src/cli/program.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { ANALYSIS_SCHEMA_VERSION } from '../../src/io/analysisJson.ts';
import { gpuBackend } from '../helpers/gpu.ts';
import { analysisFigures, figureSource } from '../../src/io/figures/index.ts';

const PYTHON = process.env.GRSD_PYTHON ?? 'python3';
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-run-'));
  for (const [name, flag] of [
    ['kernel', []],
    ['jacobian', ['--jacobian']],
  ] as const) {
    const r = spawnSync(PYTHON, [resolve(import.meta.dirname, '../fixtures/make_run.py'), join(dir, name), ...flag], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`numpy could not write the run (install python3-numpy or set GRSD_PYTHON): ${r.stderr || r.error}`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function grsd(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), setExitCode: () => {} });
  return { code, out: out.join(''), err: err.join('') };
}

describe(`grsd analyze (${gpuBackend})`, () => {
  test('a numpy-written run (kernel files) → documented JSON with grid, checkpoints and intervals; loss matches the residuals', async () => {
    const json = join(dir, 'kernel.json');
    const r = await grsd('analyze', join(dir, 'kernel'), '--json', json, '--backend', gpuBackend);
    expect(r.code, r.err).toBe(EXIT.OK);
    // GD on a fixed kernel is lazy: its transport is f32 rounding, which transportResolution reports as not applicable; nothing fails.
    expect(r.out).toMatch(/All invariant checks passed or do not apply/);
    expect(r.out).toMatch(/transportResolution not applicable/);
    const a = JSON.parse(readFileSync(json, 'utf8'));
    expect(a.schemaVersion).toBe(ANALYSIS_SCHEMA_VERSION);
    expect(a.grid.edges.length).toBe(a.grid.count + 1);
    expect(a.grid.labels.at(-2)).toBe('∅');
    expect(a.checkpoints).toHaveLength(4);
    expect(a.intervals).toHaveLength(3);
    for (const c of a.checkpoints) {
      expect(c.energy.length).toBe(a.grid.count + 2);
      expect(c.energy.reduce((s: number, v: number) => s + v, 0)).toBeCloseTo(c.residualNorm2, 3);
      expect(c.loss).toBeCloseTo(c.residualNorm2 / (2 * 48), 6);
    }
    // GD on a fixed kernel: the loss decreases and (lazy) transport is negligible next to dissipation.
    const losses = a.checkpoints.map((c: { loss: number }) => c.loss);
    expect(losses).toEqual([...losses].sort((x: number, y: number) => y - x));
    for (const iv of a.intervals) {
      expect(iv.flow).toHaveLength(a.grid.count + 2);
      expect(iv.transport[0]).toHaveLength(a.grid.count + 2);
      expect(iv.flux).toHaveLength(a.grid.count);
      expect(iv.velocity).toHaveLength(a.grid.count - 1);
      const maxT = Math.max(...iv.transport.flat().map(Math.abs));
      const maxD = Math.max(...iv.dissipation.map(Math.abs));
      expect(maxT).toBeLessThan(1e-3 * maxD);
      const statuses = Object.fromEntries(Object.entries(iv.checks).map(([name, c]) => [name, (c as { status: string }).status]));
      expect(Object.values(statuses)).not.toContain('fail');
      expect(statuses.transportResolution).toBe('not-applicable');
      expect(iv.resolution.precision).toBe('float32');
      expect(iv.resolution.velocityResolved).toHaveLength(a.grid.count - 1);
    }
  });

  test('the JSON has fits, theory and conditions; --report writes a self-contained HTML with SVG plots', async () => {
    const json = join(dir, 'full.json');
    const html = join(dir, 'report.html');
    const r = await grsd('analyze', join(dir, 'kernel'), '--json', json, '--report', html, '--permutations', '50', '--backend', gpuBackend);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/Conditions:/);
    const a = JSON.parse(readFileSync(json, 'utf8'));
    expect(a.fits.lossExponent.ok).toBe(true);
    expect(a.fits.lossExponent.xi).toBeGreaterThan(0);
    expect(a.fits.velocity).toHaveLength(3);
    for (const name of ['C1', 'C2', 'C3', 'C4'])
      expect(['pass', 'marginal', 'fail', 'not-computable']).toContain(a.conditions[name].verdict);
    // A fixed-kernel (lazy) run: transport is rounding noise, so LSI is not computable, not "failed".
    expect(a.conditions.C4.verdict).toBe('not-computable');
    expect(a.theory.reason).toMatch(/lazy run/);
    const page = readFileSync(html, 'utf8');
    // One SVG per figure the analysis can draw (report.ts), each offline.
    expect(page.match(/<svg/g)?.length).toBe(analysisFigures(figureSource(a)).length);
    expect(page.match(/<svg/g)!.length).toBeGreaterThanOrEqual(6);
    expect(page).toMatch(/the manifest does not state the unit of t/);
    expect(page).toMatch(/<th>condition<\/th>/);
    expect(page).not.toMatch(/NaN/);
  });

  test('a run with Jacobian files gives the same energies as with kernel files', async () => {
    const r1 = await grsd('analyze', join(dir, 'kernel'), '--json', join(dir, 'k.json'), '--backend', gpuBackend);
    const r2 = await grsd('analyze', join(dir, 'jacobian'), '--json', join(dir, 'j.json'), '--backend', gpuBackend);
    expect(r1.code).toBe(0);
    const k = JSON.parse(readFileSync(join(dir, 'k.json'), 'utf8'));
    const j = JSON.parse(readFileSync(join(dir, 'j.json'), 'utf8'));
    // The exit code follows the run-time checks (docs/cli.md: 1 when one fails; the JSON is written either way).
    const failed = (a: { intervals: { checks: Record<string, { pass: boolean }> }[] }) =>
      a.intervals.some((iv) => Object.values(iv.checks).some((c) => !c.pass));
    expect(r2.code, r2.err).toBe(failed(j) ? EXIT.FAILURE : EXIT.OK);
    // Jacobian files go through Golub–Kahan on J, kernel files through Lanczos on K; the summary says so.
    expect(r1.out).toMatch(/^Eigensolver \(Lanczos on K\): every checkpoint got all the pairs asked for, all converged; stopped: /m);
    expect(r2.out).toMatch(/^Eigensolver \(Golub–Kahan on J\): every checkpoint got all the pairs asked for, all converged; stopped: /m);
    expect(j.checkpoints.map((c: { lanczos: { method: string } }) => c.lanczos.method)).toEqual(j.checkpoints.map(() => 'golubKahan'));
    k.checkpoints.forEach((c: { energy: number[]; residualNorm2: number }, i: number) =>
      c.energy.forEach((e, s) => expect(Math.abs(e - j.checkpoints[i].energy[s])).toBeLessThan(1e-3 * c.residualNorm2)),
    );
  });

  test('bad runs: missing manifest, missing file, wrong shape, non-increasing t, bad JSON → typed errors naming checkpoint and file', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    let r = await grsd('analyze', bad);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err).toMatch(/no manifest\.json/);
    writeFileSync(join(bad, 'manifest.json'), '{ not json');
    r = await grsd('analyze', bad);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err).toMatch(/manifest\.json: not valid JSON/);
    const manifest = (checkpoints: unknown[]) => writeFileSync(join(bad, 'manifest.json'), JSON.stringify({ timeScale: 1, checkpoints }));
    manifest([
      { t: 1, kernel: 'k.npy', residual: 'e.npy' },
      { t: 1, kernel: 'k.npy', residual: 'e.npy' },
    ]);
    r = await grsd('analyze', bad);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err).toMatch(/checkpoints\[1\]\.t = 1 does not increase/);
    manifest([{ t: 0, kernel: 'k.npy', residual: 'missing.npy' }]);
    r = await grsd('analyze', bad, '--backend', gpuBackend);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err).toMatch(/missing\.npy: checkpoints\[0\]\.residual: no such file/);
    writeFileSync(join(bad, 'e.npy'), encodeNpy({ dtype: 'f32', shape: [3], data: new Float32Array([1, 2, 3]) }));
    writeFileSync(join(bad, 'k.npy'), encodeNpy({ dtype: 'f32', shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) }));
    manifest([{ t: 0, kernel: 'k.npy', residual: 'e.npy' }]);
    r = await grsd('analyze', bad, '--backend', gpuBackend);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err).toMatch(/checkpoints\[0\]\.kernel.*shape \[2, 2\].*n = 3/);
    writeFileSync(join(bad, 'k3.npy'), encodeNpy({ dtype: 'f32', shape: [3, 3], data: new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]) }));
    writeFileSync(join(bad, 'e2.npy'), encodeNpy({ dtype: 'f32', shape: [2], data: new Float32Array([1, 2]) }));
    manifest([
      { t: 0, kernel: 'k3.npy', residual: 'e.npy' },
      { t: 1, kernel: 'k.npy', residual: 'e2.npy' },
    ]);
    r = await grsd('analyze', bad, '--backend', gpuBackend);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/checkpoints\[1\].*residual.*same probe set/);
    unlinkSync(join(bad, 'manifest.json'));
  });
});
