/**
 * The PyTorch exporter (python/grsd_export.py, shipped in the package): its own tests
 * (test/python/test_grsd_export.py: time scales against real optimizer steps, Jacobian backends,
 * files, shape checks), then a run end to end: a tiny MLP trained on scikit-learn's digits exports
 * a run (test/python/digits_run.py), the built `grsd analyze --backend cpu` analyses it, and its
 * shell energies match a float64 numpy computation from the same files
 * (test/python/check_energies.py), which a 4× wrong time scale fails; at the default rank every
 * check passes and the ⊥ and ∅ shares the summary states are those of the JSON, below 5%.
 *
 * Needs Python 3 with torch, numpy and scikit-learn (Debian: python3-torch python3-sklearn,
 * installed by .ci/run): the interpreter is $GRSD_PYTHON, else /usr/bin/python3, else python3.
 * Without them the tests fail in CI and are skipped, with the reason, elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, torchPython } from './helpers.ts';

const CLI = resolve(ROOT, 'dist/cli.js');
const { python: PYTHON, missing, torch } = torchPython();
if (missing && !process.env.CI) console.warn(`test/package/pytorch.test.ts skipped: ${missing}`);

const work = mkdtempSync(join(tmpdir(), 'grsd-torch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const python = (args: string[]) => spawnSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });

describe.skipIf(missing !== null && !process.env.CI)(`PyTorch exporter (torch ${torch || 'missing'})`, () => {
  test('python and its packages are available', () => {
    expect(missing).toBeNull();
  });

  test('test/python/test_grsd_export.py passes', () => {
    const r = python(['-m', 'unittest', 'discover', '-s', 'test/python', '-p', 'test_*.py']);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/Ran \d+ tests/);
  });

  test('a digits MLP exported from PyTorch: grsd analyze --backend cpu gives numpy float64 shell energies; the default rank passes every check', () => {
    const run = join(work, 'digits');
    const trained = python(['test/python/digits_run.py', run]);
    expect(trained.status, trained.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8'));
    expect(manifest.timeScale).toBeCloseTo((2 * 1.0) / (32 * 10), 15); // torch.nn.MSELoss(): 2η/(N·C)
    expect(manifest.checkpoints).toHaveLength(5);

    const json = join(run, 'analysis.json');
    const analyzed = spawnSync(
      process.execPath,
      [CLI, 'analyze', run, '--backend', 'cpu', '--rank', '320', '--permutations', '50', '--json', json],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    expect(existsSync(json), `${analyzed.stdout}\n${analyzed.stderr}`).toBe(true);

    const checked = python(['test/python/check_energies.py', run, json]);
    expect(checked.status, checked.stderr).toBe(0);
    const report = JSON.parse(checked.stdout);
    expect(report.analysisTimeScale).toBe(manifest.timeScale);
    for (const c of report.checkpoints) {
      expect(c.rank).toBe(320);
      expect(c.shellsWithEnergy).toBeGreaterThan(5);
      expect(c.maxExcess, `t=${c.t}: |E_grsd − E_numpy| beyond 1e-9‖e‖² (+ boundary energy)`).toBeLessThanOrEqual(0);
      expect(c.eigenvalueDifference).toBeLessThan(1e-10);
      expect(c.lossDifference).toBeLessThan(1e-12 * c.residualNorm2);
    }

    // Negative control: the 4× time-scale error of a wrong loss definition does not pass.
    const wrong = JSON.parse(python(['test/python/check_energies.py', run, json, '4']).stdout);
    expect(Math.max(...wrong.checkpoints.map((c: { maxExcess: number }) => c.maxExcess))).toBeGreaterThan(0);

    // The same run at the DEFAULT rank (auto: eigenpairs holding 99% of ‖e‖², docs/math.md): a correct
    // export passes every check, and the summary states the ⊥ and ∅ shares the JSON holds, both
    // below the 5% at which grsd warns (docs/cli.md; measured: ⊥ 0%, ∅ 1.0%).
    const defaultJson = join(run, 'analysis-default.json');
    const byDefault = spawnSync(
      process.execPath,
      [CLI, 'analyze', run, '--backend', 'cpu', '--permutations', '50', '--json', defaultJson],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    expect(byDefault.status, `${byDefault.stdout}\n${byDefault.stderr}`).toBe(0);
    expect(byDefault.stdout).toMatch(/All invariant checks passed or do not apply/);
    expect(byDefault.stdout).not.toMatch(/WARNING: .*(⊥|∅|clamped|fewer)/); // (the short loss-curve window is warned about)
    const a = JSON.parse(readFileSync(defaultJson, 'utf8'));
    const statuses = a.intervals.flatMap((iv: { checks: Record<string, { status: string }> }) =>
      Object.values(iv.checks).map((c) => c.status),
    );
    expect(statuses).not.toContain('fail');
    const n = 32 * 10; // N·C
    for (const c of a.checkpoints) {
      expect(c.capture.shortfall).toBeNull();
      expect(c.capture.returned).toBeLessThanOrEqual(n);
      // ⊥ = ‖e‖² − Σ c_k², float64 rounding either side of 0; auto's rank leaves at most 1 − 0.99 in it.
      expect(c.capture.complementShare).toBeGreaterThan(-1e-12);
      expect(c.capture.complementShare).toBeLessThanOrEqual(0.01);
      expect(c.capture.floorShare).toBeGreaterThanOrEqual(0);
    }
    expect(a.coverage.warnings).toEqual([]);
    expect(a.coverage.maxComplementShare).toBeLessThan(0.05);
    expect(a.coverage.maxFloorShare).toBeLessThan(0.05);
    const stated = byDefault.stdout.match(/⊥ holds at most ([\d.]+)% of ‖e‖², ∅ at most ([\d.]+)%/);
    expect(stated, byDefault.stdout).not.toBeNull();
    expect(Number(stated![1])).toBeCloseTo(100 * a.coverage.maxComplementShare, 2);
    expect(Number(stated![2])).toBeCloseTo(100 * a.coverage.maxFloorShare, 2);
  });

  test('grsd export-snippet prints the shipped exporter, --path its location', () => {
    const content = spawnSync(process.execPath, [CLI, 'export-snippet'], { encoding: 'utf8' });
    expect(content.status, content.stderr).toBe(0);
    expect(content.stdout).toBe(readFileSync(resolve(ROOT, 'python/grsd_export.py'), 'utf8'));
    const path = spawnSync(process.execPath, [CLI, 'export-snippet', '--path'], { encoding: 'utf8' });
    expect(path.stdout.trim()).toBe(resolve(ROOT, 'python/grsd_export.py'));
  });
});
