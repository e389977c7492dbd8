/**
 * Browser smoke test: the built browser entry, bundled by esbuild for the browser, runs a
 * kernel in headless Chromium (WebGPU on SwiftShader) and matches the float64 reference.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { batchedDot, batchedDotErrorBound } from '../../src/reference/batchedDot.ts';
import { Random } from '../../src/util/random.ts';
import { bundlePage, removeDir, screenshot, serveDirectory, withChromium } from '../helpers/browser.ts';
import type { Server } from 'node:http';

let dir = '';
let server: Server;
let url = '';

beforeAll(async () => {
  dir = await bundlePage(resolve(import.meta.dirname, 'pages/smoke.ts'), 'grsd browser smoke test');
  ({ server, url } = await serveDirectory(dir));
});
afterAll(() => {
  server?.close();
  if (dir) removeDir(dir);
});

describe('browser smoke test (headless Chromium, WebGPU on SwiftShader)', () => {
  test('batchedDot in the page matches the float64 reference within its error bound', async () => {
    await withChromium(url, async ({ page, consoleErrors }) => {
      const status = page.locator('#status[data-done]');
      await status.waitFor({ timeout: 90_000 });
      const text = await status.textContent();
      await screenshot(page, 'browser-smoke.png');
      expect(await status.getAttribute('data-done'), text ?? '').toBe('ok');
      const report = JSON.parse(text!);
      expect(report.adapter.route).toBe('navigator.gpu');
      expect(report.liveBuffers).toBe(0);
      const rng = new Random(777);
      for (const { n, batch, dots } of report.results as { n: number; batch: number; dots: number[] }[]) {
        const x = Float32Array.from(rng.normals(n * batch));
        const y = Float32Array.from(rng.normals(n * batch));
        const ref = batchedDot(x, y, { n, batch });
        const bound = batchedDotErrorBound(x, y, { n, batch });
        for (let b = 0; b < batch; b++) expect(Math.abs(dots[b]! - ref[b]!)).toBeLessThanOrEqual(bound[b]!);
      }
      expect(consoleErrors).toEqual([]);
    });
  });
});
