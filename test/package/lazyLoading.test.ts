/**
 * What importing the built package loads (dist, from `npm run build`): no entry of grsd loads
 * TypeGPU, Dawn (`webgpu`) or Vega at import, from ESM or CommonJS; the first GPU context loads
 * TypeGPU and Dawn (the positive control, which shows that the hook sees them). A module
 * resolution hook (`module.registerHooks`) in a fresh Node process records every specifier
 * resolved. Structural only: how long an import takes is measured by bench/importCost.ts
 * (docs/benchmarks.md, "Import cost"), never asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT } from './helpers.ts';

const HEAVY = ['typegpu', 'webgpu', 'vega', 'vega-lite'];

/** Runs `body` in a fresh Node process with the hook; returns what it printed last, parsed. */
function run(body: string, commonjs = false): unknown {
  const hook = `
    const { registerHooks } = require('node:module');
    const heavy = new Set(${JSON.stringify(HEAVY)});
    const loaded = new Set();
    registerHooks({ resolve(specifier, context, next) { if (heavy.has(specifier)) loaded.add(specifier); return next(specifier, context); } });
    const report = (extra = {}) => console.log(JSON.stringify({ loaded: [...loaded].sort(), ...extra }));`;
  const code = commonjs
    ? `${hook}\n${body}`
    : `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n${hook}\n${body}`;
  const r = spawnSync(process.execPath, [commonjs ? '--input-type=commonjs' : '--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, GRSD_BACKEND: process.env.GRSD_PACKAGE_BACKEND ?? 'opengles' },
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('lazy loading of the heavy dependencies (built dist)', () => {
  test('the build exists', () => {
    expect(existsSync(join(ROOT, 'dist/index.js')), 'run `npm run build` first').toBe(true);
  });

  test.each(['grsd', 'grsd/node', 'grsd/lab', 'grsd/reference'])('importing %s loads neither TypeGPU, Dawn nor Vega', (entry) => {
    expect(run(`await import('${entry}'); report();`)).toEqual({ loaded: [] });
  });

  test("require('grsd/node') from CommonJS loads neither TypeGPU, Dawn nor Vega", () => {
    expect(run(`const g = require('grsd/node'); report({ fn: typeof g.createNodeGpuContext });`, true)).toEqual({
      loaded: [],
      fn: 'function',
    });
  });

  test('the first GPU context loads TypeGPU and Dawn, and its root is a TypeGPU root (positive control)', () => {
    const out = run(`
      const g = await import('grsd/node');
      const before = [...loaded];
      const ctx = await g.createNodeGpuContext();
      const root = typeof ctx.root.unwrap === 'function' && ctx.root.device === ctx.device;
      ctx.dispose();
      report({ before, root });`);
    expect(out).toEqual({ loaded: ['typegpu', 'webgpu'], before: [], root: true });
  });
});
