/**
 * The `grsd` executable as a process (run from source, `node src/cli.ts`): stdout fully written
 * before exit, also through a slow pipe (issue 16 item 6); Dawn's native diagnostics filtered
 * (src/cli/launcher.ts). Only the cpu backend is used here: no GPU needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createNoiseFilter, wantsFilteredChild } from '../../src/cli/launcher.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { Random } from '../../src/util/random.ts';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
let dir = '';

/** A batch of B random symmetric n×n f32 matrices. */
function symmetricBatch(n: number, batch: number, seed: number): Float32Array {
  const g = new Random(seed);
  const a = new Float32Array(batch * n * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const v = g.normal();
        a[b * n * n + i * n + j] = v;
        a[b * n * n + j * n + i] = v;
      }
  return a;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-cliproc-'));
  writeFileSync(join(dir, 'batch.npy'), encodeNpy({ dtype: 'f32', shape: [8, 64, 64], data: symmetricBatch(64, 8, 1) }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a shell pipeline; `grsd` in it is the CLI from source. */
function sh(pipeline: string) {
  const r = spawnSync('sh', ['-c', pipeline.replaceAll('grsd ', `"${process.execPath}" "${CLI}" `)], {
    encoding: 'utf8',
    env: { ...process.env, GRSD_NO_PROGRESS: '1' },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('grsd as a process', () => {
  // Before: process.exit ran before the pipe drained and a reader that starts late got the
  // first 64 KiB only, with exit 0.
  test('a 1.4 MB --json on stdout reaches a slow reader complete', () => {
    const out = join(dir, 'density.json');
    const r = sh(`grsd density ${join(dir, 'batch.npy')} --backend cpu --probes 64 --steps 40 --json | (sleep 1; cat > ${out}); exit $?`);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.length).toBeGreaterThan(1_000_000);
    const json = JSON.parse(text);
    expect(json.results).toHaveLength(8);
    expect(json.results[7].probes).toHaveLength(64);
  });

  test('a reader that stops early (head) is not an error', () => {
    const r = sh(
      `grsd density ${join(dir, 'batch.npy')} --backend cpu --probes 64 --steps 40 --json | head -c 100 > /dev/null; echo "rc=$?"`,
    );
    expect(r.stdout).toMatch(/rc=0/);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
});

describe('the native stderr filter', () => {
  const dawn = [
    'Warning: vkCreateInstance: Found no drivers!',
    'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER',
    '    at CheckVkSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/VulkanError.cpp:106)',
    '',
    'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.',
    'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
  ];
  const kept = [
    '(node:1234) Warning: something Node itself says',
    'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    'Error: boom',
    '    at main (file:///x/y.js:3:9)',
    '',
  ];

  test('drops Dawn, Vulkan-loader and Mesa lines, keeps everything else, across chunk boundaries', () => {
    const text = [...dawn, ...kept].join('\n') + '\n';
    const filter = createNoiseFilter();
    let out = '';
    for (let i = 0; i < text.length; i += 7) out += filter.push(text.slice(i, i + 7));
    out += filter.end();
    expect(out).toBe(kept.join('\n') + '\n');
    expect(filter.dropped).toBe(5);
  });

  test('only GPU commands without --verbose or --help run in a filtered child', () => {
    const env = {};
    expect(wantsFilteredChild(['eig', 'a.npy'], env)).toBe(process.platform !== 'win32');
    expect(wantsFilteredChild(['--quiet', 'analyze', 'run'], env)).toBe(process.platform !== 'win32');
    for (const argv of [[], ['--version'], ['eig', '--help'], ['doctor', '--verbose'], ['frobnicate']])
      expect(wantsFilteredChild(argv, env), argv.join(' ')).toBe(false);
    expect(wantsFilteredChild(['eig', 'a.npy'], { GRSD_CLI_STDERR_FD: '3' })).toBe(false);
    expect(wantsFilteredChild(['eig', 'a.npy'], { GRSD_CLI_NO_FILTER: '1' })).toBe(false);
  });
});
