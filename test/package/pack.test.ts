/**
 * Publishability: `npm pack` ships exactly dist, README, LICENSE and CHANGELOG; the tarball
 * installs into a fresh project, both entries import, and its `grsd doctor` runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work = '';
let tarball = '';
let files: string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'grsd-pack-'));
  // --ignore-scripts: dist was built by `npm test`; rebuilding here would race the other projects.
  const out = execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
  const info = JSON.parse(out)[0];
  tarball = join(work, info.filename);
  files = info.files.map((f: { path: string }) => f.path);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    const vite = JSON.parse(readFileSync(join(ROOT, 'node_modules/vite/package.json'), 'utf8')).version;
  execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `vite@${vite}`], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  test('the tarball ships exactly dist, README, LICENSE, CHANGELOG and package.json', () => {
    const outside = files.filter((f) => !f.startsWith('dist/') && !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f));
    expect(outside).toEqual([]);
    for (const required of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/node.js',
      'dist/node.d.ts',
      'dist/reference.js',
      'dist/cli.js',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
    ]) {
      expect(files).toContain(required);
    }
  });

  test('both entries (and the reference) import in the installed package', () => {
    const app = join(work, 'app');
    const script = `
      const main = await import('grsd');
      const node = await import('grsd/node');
      const ref = await import('grsd/reference');
      console.log(JSON.stringify({
        main: typeof main.createGpuContext, node: typeof node.createNodeGpuContext,
        ref: Array.from(ref.batchedDot([1, 2, 3, 4], null, { n: 2, batch: 2 })), version: main.GRSD_VERSION,
        sameError: main.GrsdError === node.GrsdError,
      }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' });
    const result = JSON.parse(out);
    expect(result).toMatchObject({ main: 'function', node: 'function', ref: [3, 7], sameError: true });
  });

  test("the installed package's grsd doctor runs and passes its self-test", () => {
    const app = join(work, 'app');
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
  test('a fresh Vite project importing grsd builds without warnings about Node modules, and the bundle has no Dawn', () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>');
    writeFileSync(
      join(app, 'main.js'),
      `import { createGpuContext, streamAnalysis, ShellGrid, analyzeGrsd, GrsdError } from 'grsd';
       const ctx = await createGpuContext().catch((e) => (e instanceof GrsdError ? null : Promise.reject(e)));
       console.log(ctx?.adapter, typeof streamAnalysis, typeof ShellGrid, typeof analyzeGrsd);`,
    );
    const r = spawnSync(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: app, encoding: 'utf8', timeout: 240_000 });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).not.toMatch(/externalized for browser compatibility|node:|Module "(fs|path|os|url|crypto)"/);
    expect(output.trim(), 'vite printed warnings').toBe('');
    const assets = readdirSync(join(app, 'dist/assets')).filter((f) => f.endsWith('.js'));
    const bundle = assets.map((f) => readFileSync(join(app, 'dist/assets', f), 'utf8')).join('');
    expect(bundle).not.toMatch(/dawn\.node|from ?"webgpu"/);
    expect(bundle).toMatch(/navigator/);
  });
});
