/** The built `grsd` executable (dist/cli.js), run as a child process like a user would. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { gpuBackend } from '../helpers/gpu.ts';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

function grsd(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe(`grsd doctor (built CLI, ${gpuBackend})`, () => {
  test('the CLI has been built (npm test builds it first)', () => {
    expect(existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
  });

  test('--json reports an adapter, its mode, limits and a passing self-test', () => {
    const { code, stdout, stderr } = grsd(['doctor', '--json', '--backend', gpuBackend]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.schemaVersion).toBe(1);
    expect(report.adapter.route).toBe(gpuBackend);
    expect(report.mode).toBe(gpuBackend === 'swiftshader' ? 'core' : 'compatibility');
    expect(report.attempts.at(-1).ok).toBe(true);
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.selfTest.passed).toBe(true);
    expect(report.selfTest.checks.length).toBeGreaterThanOrEqual(3);
  });

  test('the text report names the chosen adapter and ends with Result: OK', () => {
    const { code, stdout } = grsd(['doctor', '--backend', gpuBackend]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Chosen: /);
    expect(stdout).toMatch(/Result: OK/);
  });

  test('a forced backend that is unavailable exits 3 and says what to install', () => {
    const { code, stderr } = grsd(['doctor', '--backend', 'swiftshader'], { GRSD_SWIFTSHADER_ICD: '/nonexistent/icd.json' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/No WebGPU adapter found/);
    expect(stderr).toMatch(/apt-get install -y .*libegl-mesa0/);
    expect(stderr).toMatch(/chromium libvulkan1/);
  });
});
