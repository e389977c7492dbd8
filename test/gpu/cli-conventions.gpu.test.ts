/**
 * CLI conventions that need an adapter (docs/cli.md): Dawn's native diagnostics hidden unless
 * --verbose (measured: the noise lines seen with --verbose, none without), `--json -` from
 * doctor, demo and bench, `auto` choosing between a software adapter and the cpu backend by measurement (said on
 * stderr and in the JSON), `--quiet`, and the warning with an estimate on a slow software adapter.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BENCH_SCHEMA_VERSION } from '../../src/bench/index.ts';
import { gpuContextFor } from '../../src/cli/backend.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { gpuBackend } from '../helpers/gpu.ts';
import { withSpectrum } from '../helpers/spectra.ts';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-cligpu-'));
  const m = withSpectrum(
    Array.from({ length: 64 }, (_, i) => 1 + i),
    'conventions',
  );
  writeFileSync(join(dir, 'm.npy'), encodeNpy({ dtype: 'f32', shape: [64, 64], data: Float32Array.from(m.data) }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function grsd(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Lines of Dawn / Vulkan-loader / Mesa diagnostics. */
const noise = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => /^Warning: |^error: XDG_RUNTIME_DIR|^MESA-LOADER|^libEGL warning|^\s+at \S.*\.cpp:\d+\)/.test(l));

describe(`CLI conventions on a GPU (${gpuBackend})`, () => {
  test('Dawn noise: shown with --verbose, none without; the report is the same', () => {
    const verbose = grsd(['doctor', '--backend', 'auto', '--verbose']);
    const plain = grsd(['doctor', '--backend', 'auto']);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    console.log(`native diagnostic lines: ${noise(verbose.stderr).length} with --verbose, ${noise(plain.stderr).length} without`);
    expect(noise(plain.stderr)).toEqual([]);
    expect(plain.stdout.replace(/error\/bound \S+/g, '')).toBe(verbose.stdout.replace(/error\/bound \S+/g, ''));
  });

  test('doctor --json - prints only JSON on stdout', () => {
    const r = grsd(['doctor', '--json', '-', '--backend', gpuBackend]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).adapter.route).toBe(gpuBackend);
  });

  // demo and bench as processes with stdout piped, their JSON larger than a pipe's 64 KiB buffer
  // (the demo's is ≈ 110 KB). On llvmpipe only: measured 15 s and 13 s there against 39 s and 67 s
  // on SwiftShader; writing the JSON does not depend on the adapter.
  test.runIf(gpuBackend !== 'swiftshader')('demo --json - prints only its whole JSON report on stdout, piped', () => {
    const html = join(dir, 'demo.html');
    const r = grsd([
      'demo',
      '--quick',
      '--seeds',
      '2',
      '--depths',
      '2',
      '--probe-points',
      '8',
      '--checkpoint-every',
      '50',
      '--no-report-data',
      '--report',
      html,
      '--json',
      '-',
      '--backend',
      gpuBackend,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(65_536);
    const report = JSON.parse(r.stdout);
    expect(report.schemaVersion).toBe(2);
    expect(report.seeds).toEqual([1, 2]);
    expect(report.summary).toHaveLength(2); // residual and plain at depth 2
    expect(report.finding.sentence).toMatch(/^[A-Z].*\.$/);
    expect(r.stderr).toContain(`Wrote ${html} in `);
    expect(existsSync(html)).toBe(true);
  });

  test.runIf(gpuBackend !== 'swiftshader')('bench --json - prints only its JSON report on stdout (one group)', () => {
    const r = grsd(['bench', '--quick', '--group', 'binning', '--no-peers', '--json', '-', '--backend', gpuBackend]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schemaVersion).toBe(BENCH_SCHEMA_VERSION);
    expect(report.groups.map((g: { id: string }) => g.id)).toEqual(['binning']);
    expect(report.adapter.route).toBe(gpuBackend);
    expect(r.stdout).not.toMatch(/^## /m); // no markdown report mixed in
  });

  test('auto on a software adapter measures both backends and says which it chose and why; --quiet silences it', () => {
    const r = grsd(['eig', join(dir, 'm.npy'), '--k', '3', '--json'], { GRSD_BACKEND: 'auto' });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.backend.selection.mode).toBe('auto');
    if (json.backend.kind === 'cpu' || json.backend.software) {
      expect(json.backend.selection.estimatedSeconds.gpu).toBeGreaterThan(0);
      expect(json.backend.selection.estimatedSeconds.cpu).toBeGreaterThan(0);
      expect(r.stderr).toMatch(
        /grsd: backend auto: .* measured for eig k = 3 on 1 matrix\(es\) of n = 64: .* using (cpu|opengles|swiftshader)/,
      );
    }
    const quiet = grsd(['--quiet', 'eig', join(dir, 'm.npy'), '--k', '3', '--json'], { GRSD_BACKEND: 'auto' });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  test.runIf(gpuBackend === 'swiftshader')('a slow software adapter gets a warning with an estimate', async () => {
    const err: string[] = [];
    const io = { out() {}, err: (s: string) => void err.push(s), setExitCode() {} };
    const { ctx, selection } = await gpuContextFor('swiftshader', io, { what: 'grsd demo --quick', llvmpipeSeconds: 12 });
    ctx.dispose();
    expect(selection.estimatedSeconds?.gpu).toBeGreaterThan(12);
    expect(err.join('\n')).toMatch(
      /grsd: warning: .* is SwiftShader, a slow software adapter .*: grsd demo --quick will take about 2\.5 min on 2 cores/,
    );
  });
});
