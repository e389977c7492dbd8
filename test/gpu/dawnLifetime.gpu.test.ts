/**
 * Dawn's instance must outlive every device it made, used or not (docs/platforms.md). Before the
 * fix, 50 × (create a context, dispose it unused, await device.lost) with garbage collection in
 * between killed the process: "The futex facility returned an unexpected error code" or
 * std::system_error (rc 134) on SwiftShader, a segfault (rc 139) on llvmpipe, 6 runs of 6.
 * The loop runs in a child process (node --expose-gc) so that a native crash fails this test
 * instead of the test runner.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { gpuBackend } from '../helpers/gpu.ts';

const SCRIPT = resolve(import.meta.dirname, '../fixtures/scripts/unusedContexts.ts');

describe(`Dawn instance lifetime (${gpuBackend})`, () => {
  test('creating, disposing and garbage-collecting 50 unused contexts does not crash the process', { timeout: 300_000 }, () => {
    const r = spawnSync(process.execPath, ['--expose-gc', SCRIPT, '50'], {
      encoding: 'utf8',
      env: { ...process.env, GRSD_BACKEND: gpuBackend },
      timeout: 280_000,
    });
    expect(r.signal, `killed by ${r.signal}: ${r.stderr.slice(-2000)}`).toBeNull();
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/ok 50/);
  });
});
