#!/usr/bin/env node
/**
 * Adds the platform-specific optional dependencies of rollup that the npm mirror of the build
 * machines does not carry (only @rollup/rollup-linux-{x64,arm64}-gnu are there) to
 * package-lock.json, with the `os`/`cpu`/`libc` their names encode, so that `npm ci` finds the
 * lock in sync with package.json. npm never fetches them: an optional package whose platform does
 * not match is skipped before download. Run after any `npm install` that rewrites the lock:
 *   node scripts/lock-optional-platforms.mjs [--check]
 * `--check` only reports (exit 1) when entries are missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

/** os, cpu and libc of a rollup native package from its name, e.g. linux-arm-musleabihf. */
function platformOf(suffix) {
  const [os, cpu, abi] = suffix.split('-');
  const entry = { cpu: [cpu], os: [os] };
  if (os === 'linux') entry.libc = [abi?.startsWith('musl') ? 'musl' : 'glibc'];
  return entry;
}

const added = [];
for (const [path, meta] of Object.entries(packages)) {
  if (!path.endsWith('node_modules/rollup') || !meta.optionalDependencies) continue;
  for (const [name, version] of Object.entries(meta.optionalDependencies)) {
    if (!name.startsWith('@rollup/rollup-')) continue;
    const key = `${path.slice(0, -'rollup'.length)}${name}`;
    if (packages[key]) continue;
    const { cpu, os, libc } = platformOf(name.slice('@rollup/rollup-'.length));
    packages[key] = { version, cpu, dev: Boolean(meta.dev), ...(libc ? { libc } : {}), license: 'MIT', optional: true, os };
    added.push(`${key}@${version}`);
  }
}

if (process.argv.includes('--check')) {
  if (added.length > 0) {
    console.error(
      `package-lock.json lacks ${added.length} optional platform entries (run node scripts/lock-optional-platforms.mjs):\n  ${added.join('\n  ')}`,
    );
    process.exit(1);
  }
  process.exit(0);
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length > 0 ? `added ${added.length} entries:\n  ${added.join('\n  ')}` : 'nothing to add');
