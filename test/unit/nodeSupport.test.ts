/**
 * The Node version check of the `grsd` command (src/node/support.ts) against package.json's
 * engines.node, with versions on both sides of the boundary; the built CLI on a real old Node is
 * tested in test/package/readme.test.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { minimumVersion, NODE_ENGINES, unsupportedNodeMessage } from '../../src/node/support.ts';

const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8'));

describe('Node version check', () => {
  test('the range is package.json engines.node, in the form the check reads', () => {
    expect(NODE_ENGINES).toBe(pkg.engines.node);
    expect(minimumVersion(NODE_ENGINES)).toEqual([22, 12, 0]);
    expect(minimumVersion('>=24')).toEqual([24, 0, 0]);
    expect(() => minimumVersion('^22.12 || >=24')).toThrow(/form ">=X.Y"/);
  });

  test('accepts the minimum and anything newer, refuses anything older with what to install', () => {
    for (const ok of ['22.12.0', 'v22.12.0', '22.23.5', '23.0.0', '24.22.3', '30.1.2'])
      expect(unsupportedNodeMessage(ok, '>=22.12')).toBeNull();
    for (const old of ['22.11.9', '20.20.2', 'v18.19.0', '22.0.0']) {
      const message = unsupportedNodeMessage(old, '>=22.12');
      expect(message).toContain(`this is Node.js ${old.replace(/^v/, '')}`);
      expect(message).toContain('needs Node.js ≥ 22.12');
      expect(message).toContain('docs/platforms.md');
    }
    expect(unsupportedNodeMessage(process.versions.node)).toBeNull(); // the test runner's own Node is supported
  });
});
