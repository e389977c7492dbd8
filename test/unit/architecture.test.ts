/**
 * Keeps the layering honest: gpu runtime → kernels → algorithms → analysis → io/cli, with the
 * float64 reference beside them importing nothing from the GPU layers, and the browser entries
 * (src/index.ts, src/reference.ts, src/lab.ts) reaching no Node built-in and no Dawn, transitively.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

/** Top-level area of a file under src/ ("gpu", "kernels", ... or the file name for top-level files). */
function area(file: string): string {
  const rel = relative(SRC, file);
  if (rel.includes('/')) return rel.split('/')[0]!;
  const name = rel.replace(/\.ts$/, '');
  return ENTRIES.includes(name) ? `entry:${name}` : name;
}

// Package entry points (src/<name>.ts): they may re-export anything.
const ENTRIES = ['index', 'node', 'reference', 'lab', 'cli'];

// Which areas each area may import from (besides itself).
const BASE = ['errors', 'util', 'version'];
const ALLOWED: Record<string, string[]> = {
  errors: [],
  util: ['errors'],
  version: [],
  reference: [...BASE],
  gpu: [...BASE],
  'shaders.generated': [],
  kernels: [...BASE, 'gpu', 'shaders.generated'],
  algorithms: [...BASE, 'gpu', 'kernels', 'reference'],
  lab: [...BASE, 'gpu', 'kernels', 'reference', 'algorithms'],
  analysis: [...BASE, 'gpu', 'kernels', 'algorithms', 'reference', 'lab'],
  diagnostics: [...BASE, 'gpu', 'kernels', 'algorithms', 'analysis', 'reference', 'lab'],
  experiments: [...BASE, 'gpu', 'kernels', 'algorithms', 'analysis', 'reference', 'lab'],
  io: [...BASE, 'analysis', 'algorithms', 'reference', 'experiments'],
  node: [...BASE, 'gpu', 'kernels', 'algorithms', 'analysis', 'reference', 'io', 'diagnostics', 'lab', 'experiments'],
  bench: [...BASE, 'gpu', 'kernels', 'algorithms', 'analysis', 'reference', 'io', 'diagnostics', 'node', 'lab'],
  cli: [...BASE, 'gpu', 'kernels', 'algorithms', 'analysis', 'reference', 'io', 'diagnostics', 'node', 'bench', 'lab', 'experiments'],
};

describe('architecture', () => {
  const all = files(SRC);

  test('every source file belongs to a known layer', () => {
    const unknown = all.map(area).filter((a) => !(a in ALLOWED) && !a.startsWith('entry:'));
    expect(unknown).toEqual([]);
  });

  test('imports point one way: gpu → kernels → algorithms → analysis → io/cli', () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = area(file);
      const allowed = ALLOWED[from];
      if (!allowed) continue; // entry files
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC)) {
          if (!target.endsWith('package.json')) violations.push(`${relative(SRC, file)} → ${spec}`);
          continue;
        }
        const to = area(target);
        if (to !== from && !allowed.includes(to)) violations.push(`${relative(SRC, file)} (${from}) → ${relative(SRC, target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('typegpu is imported only by the gpu runtime and kernels', () => {
    const offenders = all.filter((f) => imports(f).some((s) => s === 'typegpu') && !['gpu', 'kernels'].includes(area(f)));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  test('typegpu is loaded lazily: only src/gpu/typegpu.ts imports its values, with import(); elsewhere types only', () => {
    const valueImport = /^\s*(?:import|export)\s(?!type\s)[^;]*?from\s+'typegpu'/ms;
    const dynamicImport = /\bimport\(\s*'typegpu'\s*\)/;
    const offenders = all.filter((f) => {
      const text = readFileSync(f, 'utf8');
      const dynamic = [...text.matchAll(new RegExp(dynamicImport, 'g'))].filter((m) => !/typeof\s+$/.test(text.slice(0, m.index)));
      return valueImport.test(text) || (dynamic.length > 0 && relative(SRC, f) !== 'gpu/typegpu.ts');
    });
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
    // Positive control: the loader itself is seen by the same patterns.
    expect(dynamicImport.test(readFileSync(join(SRC, 'gpu/typegpu.ts'), 'utf8'))).toBe(true);
    expect(valueImport.test("import { tgpu } from 'typegpu';")).toBe(true);
    expect(valueImport.test("import type { TgpuRoot } from 'typegpu';")).toBe(false);
  });

  test('the browser entries reach no Node built-in and not Dawn (transitively)', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of imports(file)) {
        if (spec.startsWith('node:') || spec === 'webgpu' || ['fs', 'path', 'os', 'child_process', 'url'].includes(spec)) {
          bad.push(`${relative(SRC, file)} imports ${spec}`);
        } else if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (target.endsWith('.ts')) visit(target);
        }
      }
    };
    visit(join(SRC, 'index.ts'));
    visit(join(SRC, 'reference.ts'));
    visit(join(SRC, 'lab.ts'));
    expect(bad).toEqual([]);
    expect(seen.size).toBeGreaterThan(5);
  });
});
