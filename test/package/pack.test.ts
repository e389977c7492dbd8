/**
 * Publishability, from the packed tarball in fresh projects, the way users get grsd:
 * - the tarball ships dist, the docs, the PyTorch exporter, README, LICENSE, CHANGELOG;
 * - every entry imports (ESM) and grsd/node is require()-able from CommonJS, on Node 24 and on the
 *   oldest supported Node;
 * - a strict TypeScript consumer (skipLibCheck: false, module nodenext) compiles against every
 *   entry with 0 errors, on TypeScript 6 with and without the dom lib, and on TypeScript 5;
 * - installed with --omit=optional (a browser project), there is no Dawn and no Vega, the entries
 *   still import, and Node features that need them fail with MissingDependencyError naming them;
 * - the installed `grsd doctor` passes its self-test; a Vite build has no Node modules, Dawn or Vega;
 *   the example visualizer (examples/visualizer) builds against the installed package as its users'
 *   copies do (test/browser/visualizer.test.ts runs it, built against dist/).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freshProject, oldestSupportedNode, pack, ROOT } from './helpers.ts';

let work = '';
let tarball = '';
let files: string[] = [];
let app = '';
let slim = '';
let oldNode = '';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'grsd-pack-'));
  ({ tarball, files } = pack(work));
  const version = (name: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  app = freshProject(join(work, 'app'), [tarball, `vite@${version('vite')}`, `@types/node@${version('@types/node')}`]);
  slim = freshProject(join(work, 'slim'), [tarball], ['--omit=optional']);
  oldNode = oldestSupportedNode();
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const nodeIn = (dir: string, args: string[], node = process.execPath) =>
  spawnSync(node, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GRSD_BACKEND: process.env.GRSD_PACKAGE_BACKEND ?? 'opengles' },
    timeout: 120_000,
  });

describe('npm package', () => {
  test('the tarball ships dist, docs, the PyTorch exporter, README, LICENSE, CHANGELOG and package.json', () => {
    const shipped = (f: string) =>
      f.startsWith('dist/') ||
      /^docs\/[^/]+\.md$/.test(f) ||
      f.startsWith('docs/bench/') ||
      ['python/grsd_export.py', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f);
    expect(files.filter((f) => !shipped(f))).toEqual([]);
    for (const entry of ['index', 'node', 'lab', 'reference']) {
      expect(files).toContain(`dist/${entry}.js`);
      expect(files).toContain(`dist/${entry}.d.ts`);
      expect(files).toContain(`dist/ts5/${entry}.d.ts`);
    }
    for (const required of [
      'dist/cli.js',
      'dist/typegpu.d.ts',
      'docs/platforms.md',
      'docs/formats.md',
      'docs/cli.md',
      'python/grsd_export.py',
    ]) {
      expect(files).toContain(required);
    }
    // Every docs/*.md a source file or the README names is shipped, so messages point at files users have.
    const cited = new Set<string>();
    for (const dir of ['src', 'src/cli', 'src/node', 'src/io', 'src/gpu']) {
      for (const f of readdirSync(join(ROOT, dir)).filter((n) => n.endsWith('.ts'))) {
        for (const m of readFileSync(join(ROOT, dir, f), 'utf8').matchAll(/docs\/([\w-]+\.md)/g)) cited.add(`docs/${m[1]}`);
      }
    }
    expect([...cited].filter((d) => !files.includes(d))).toEqual([]);
  });

  test('package.json says where the project lives', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules/grsd/package.json'), 'utf8'));
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/grsd\.git$/);
    expect(pkg.homepage).toBe(`${pkg.repository.url.replace(/^git\+|\.git$/g, '')}#readme`);
    expect(pkg.bugs.url).toBe(`${pkg.repository.url.replace(/^git\+|\.git$/g, '')}/issues`);
  });

  test.each([
    ['Node 24', () => process.execPath],
    ['the oldest supported Node', () => oldNode],
  ])('every entry imports, and require("grsd/node") works from CommonJS, on %s', (_, node) => {
    const esm = `
      const main = await import('grsd');
      const nodeEntry = await import('grsd/node');
      const lab = await import('grsd/lab');
      const ref = await import('grsd/reference');
      console.log(JSON.stringify({
        main: typeof main.createGpuContext, node: typeof nodeEntry.createNodeGpuContext, lab: typeof lab.runDepthStudy,
        ref: Array.from(ref.batchedDot([1, 2, 3, 4], null, { n: 2, batch: 2 })), version: main.GRSD_VERSION,
        sameError: main.GrsdError === nodeEntry.GrsdError,
      }));`;
    const r = nodeIn(app, ['--input-type=module', '-e', esm], node());
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ main: 'function', node: 'function', lab: 'function', ref: [3, 7], sameError: true });
    const cjs = `const g = require('grsd/node');
      g.createNodeGpuContext().then((ctx) => { console.log(JSON.stringify({ report: typeof g.renderReport, route: ctx.adapter.route })); ctx.dispose(); });`;
    const c = nodeIn(app, ['--input-type=commonjs', '-e', cjs], node());
    expect(c.status, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout.trim().split('\n').at(-1)!)).toMatchObject({ report: 'function', route: expect.any(String) });
  });

  test("the installed package's grsd doctor runs and passes its self-test", () => {
    const r = spawnSync(join(app, 'node_modules/.bin/grsd'), ['doctor', '--json'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, GRSD_BACKEND: process.env.GRSD_PACKAGE_BACKEND ?? 'opengles' },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).selfTest.passed).toBe(true);
  });
});

describe('install without optional dependencies (browser projects)', () => {
  test('no Dawn, no Vega on disk; the entries import; Dawn and the report say which package is missing', async () => {
    for (const name of ['webgpu', 'vega', 'vega-lite']) expect(existsSync(join(slim, 'node_modules', name)), name).toBe(false);
    for (const name of ['grsd', 'typegpu', '@webgpu/types']) expect(existsSync(join(slim, 'node_modules', name)), name).toBe(true);
    const script = `
      const g = await import('grsd/node');
      await import('grsd'); await import('grsd/lab'); await import('grsd/reference');
      const why = async (f) => { try { await f(); return 'no error'; } catch (e) { return [e.name, e.code, e.packageName, e.message]; } };
      console.log(JSON.stringify({
        dawn: await why(() => g.createNodeGpuContext()),
        report: await why(async () => (await import('grsd')).renderSvg({ mark: 'point', data: { values: [] } })),
      }));`;
    const r = nodeIn(slim, ['--input-type=module', '-e', script]);
    expect(r.status, r.stderr).toBe(0);
    const { dawn, report } = JSON.parse(r.stdout);
    expect(dawn.slice(0, 3)).toEqual(['MissingDependencyError', 'GRSD_MISSING_DEPENDENCY', 'webgpu']);
    expect(dawn[3]).toContain('npm install webgpu');
    expect(report.slice(0, 2)).toEqual(['MissingDependencyError', 'GRSD_MISSING_DEPENDENCY']);
    expect(['vega', 'vega-lite']).toContain(report[2]);
  });
});

describe('TypeScript consumers', () => {
  const source = `import { createGpuContext, summary, type GpuContext, type AnalysisSummaryRow, type Tensor } from 'grsd';
import { createNodeGpuContext, RunWriter, type RunWriterOptions } from 'grsd/node';
import { runDepthStudy, DEMO_QUICK_CONFIG, type DepthStudy } from 'grsd/lab';
import { symmetricEigen } from 'grsd/reference';

export async function main(): Promise<AnalysisSummaryRow[]> {
  const ctx: GpuContext = await createNodeGpuContext();
  try {
    const device: GPUDevice = ctx.root.device;
    const study: DepthStudy = await runDepthStudy(ctx, DEMO_QUICK_CONFIG);
    const options: RunWriterOptions = { timeScale: 0.1 };
    const t: Tensor = { dtype: 'f32', shape: [2], data: new Float32Array(2) };
    console.log(device.label, options, t, symmetricEigen, RunWriter, createGpuContext);
    return summary(study.runs[0]!.analysis);
  } finally {
    ctx.dispose();
  }
}
`;
  const tsc = (typescript: string, compilerOptions: Record<string, unknown>) => {
    writeFileSync(join(app, 'consumer.ts'), source);
    const config = {
      compilerOptions: {
        target: 'ES2023',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        ...compilerOptions,
      },
      files: ['consumer.ts'],
    };
    writeFileSync(join(app, 'tsconfig.consumer.json'), JSON.stringify(config));
    return spawnSync(process.execPath, [typescript, '-p', 'tsconfig.consumer.json'], { cwd: app, encoding: 'utf8', timeout: 240_000 });
  };
  const ts6 = join(ROOT, 'node_modules/typescript/bin/tsc');

  test.each([
    ['default libs', { types: ['node'] }],
    ['a Node project without the dom lib', { lib: ['ES2023'], types: ['node'] }],
    ['a browser project without @types/node', { lib: ['ES2023', 'DOM'], types: [] }],
  ])('strict TypeScript 6 (skipLibCheck: false, nodenext), %s: 0 errors', (_, options) => {
    const r = tsc(ts6, options);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  test('strict TypeScript 5 (types@<6.0: the WebGPU types from @webgpu/types): 0 errors', () => {
    const dir = join(work, 'ts5');
    freshProject(dir, ['typescript@5']);
    const r = tsc(join(dir, 'node_modules/typescript/bin/tsc'), { types: ['node'] });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  }, 240_000);

  test("a TypeGPU root is accepted as the root option, and ctx.root casts back to typegpu's TgpuRoot", () => {
    writeFileSync(
      join(app, 'root.ts'),
      `import tgpu, { type TgpuRoot } from 'typegpu';
import { createGpuContext } from 'grsd';
const root = await tgpu.init();
const ctx = await createGpuContext({ root });
const back: TgpuRoot = ctx.root as TgpuRoot;
console.log(back === root);
`,
    );
    // skipLibCheck: true here: typegpu 0.12's own declarations fail skipLibCheck: false (docs/platforms.md).
    const config = {
      compilerOptions: { target: 'ES2023', module: 'nodenext', strict: true, skipLibCheck: true, noEmit: true },
      files: ['root.ts'],
    };
    writeFileSync(join(app, 'tsconfig.root.json'), JSON.stringify(config));
    const r = spawnSync(process.execPath, [ts6, '-p', 'tsconfig.root.json'], { cwd: app, encoding: 'utf8', timeout: 240_000 });
    expect(`${r.stdout}${r.stderr}`).toBe('');
  });
});

describe('API reference', () => {
  test('TypeDoc builds it from the TSDoc without warnings', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });
});

describe('browser bundling', () => {
  test('a fresh Vite project importing grsd and grsd/lab builds without warnings about Node modules; no Dawn, no Vega in the bundle', () => {
    writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>');
    writeFileSync(
      join(app, 'main.js'),
      `import { createGpuContext, streamAnalysis, ShellGrid, analyzeGrsd, summary, GrsdError } from 'grsd';
       import { runDepthStudy, DEMO_QUICK_CONFIG } from 'grsd/lab';
       const ctx = await createGpuContext().catch((e) => (e instanceof GrsdError ? null : Promise.reject(e)));
       if (ctx) console.log(summary(analyzeGrsd((await runDepthStudy(ctx, DEMO_QUICK_CONFIG)).runs[0].series)));
       console.log(ctx?.adapter, typeof streamAnalysis, typeof ShellGrid);`,
    );
    const r = spawnSync(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 240_000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).not.toMatch(/externalized for browser compatibility|node:|Module "(fs|path|os|url|crypto)"/);
    expect(output.trim(), 'vite printed warnings').toBe('');
    const assets = readdirSync(join(app, 'dist/assets')).filter((f) => f.endsWith('.js'));
    const bundle = assets.map((f) => readFileSync(join(app, 'dist/assets', f), 'utf8')).join('');
    // Dawn's binding; vega-parser's and vega-lite's error messages (their code, not the names in the bundled package.json).
    expect(bundle).not.toMatch(/dawn\.node|from ?"webgpu"|Unrecognized scale type|Invalid specification/);
    expect(bundle).toMatch(/navigator/);
    expect(bundle).toMatch(/runDepthStudy|residual/);
  });

  test('the example visualizer builds against the installed package (no GRSD_DIST alias), without warnings', () => {
    const example = join(app, 'visualizer');
    mkdirSync(example);
    for (const f of ['index.html', 'main.ts', 'train.ts', 'vite.config.ts']) cpSync(join(ROOT, 'examples/visualizer', f), join(example, f));
    const env = { ...process.env };
    delete env.GRSD_DIST;
    const r = spawnSync(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: example,
      encoding: 'utf8',
      env,
      timeout: 240_000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output.trim(), 'vite printed warnings').toBe('');
    const assets = readdirSync(join(example, 'dist/assets')).filter((f) => f.endsWith('.js'));
    const bundle = assets.map((f) => readFileSync(join(example, 'dist/assets', f), 'utf8')).join('');
    // The page's own code and grsd's lab from the package, and nothing of Dawn.
    expect(bundle).toMatch(/runDepthStudy|DEMO_CONFIG|residual/);
    expect(bundle).not.toMatch(/dawn\.node|from ?"webgpu"/);
  });
});
