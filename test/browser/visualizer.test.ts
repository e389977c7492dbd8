/**
 * The example visualizer (examples/visualizer), built with Vite, runs a small seeded lab run in
 * headless Chromium (WebGPU on SwiftShader); its numbers match the same run in Node (Dawn) within
 * f32 tolerance, the page logs no errors, and a screenshot is saved to test-artifacts/.
 */
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_CONFIG, runDepthStudy, type DepthStudyConfig } from '../../src/experiments/depthStudy.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { screenshot, serveDirectory, withChromium } from '../helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '../../examples/visualizer');
let server: Server;
let url = '';

const RUN = { architecture: 'residual', depth: 3, width: 16, points: 24, steps: 40, checkpoints: 5, lr: 0.2, seed: 1 } as const;

beforeAll(async () => {
  await build({ configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  ({ server, url } = await serveDirectory(resolve(ROOT, 'dist')));
}, 240_000);
afterAll(() => server?.close());

describe('example visualizer in headless Chromium', () => {
  test('runs a seeded lab run live, matches the same run in Node, logs no error', async () => {
    const query = new URLSearchParams({ auto: '1', ...Object.fromEntries(Object.entries(RUN).map(([k, v]) => [k, String(v)])) });
    const page = await withChromium(`${url}?${query}`, async ({ page, consoleErrors }) => {
      const results = page.locator('#results[data-done]');
      await results.waitFor({ state: 'attached', timeout: 180_000 });
      await screenshot(page, 'visualizer.png');
      const text = (await results.textContent()) ?? '';
      expect(await results.getAttribute('data-done'), text).toBe('ok');
      expect(await page.locator('#adapter').textContent()).toMatch(/WebGPU adapter: .*mode/);
      expect(await page.locator('#summary').textContent()).toMatch(/C4 /);
      expect(consoleErrors).toEqual([]);
      return JSON.parse(text);
    });
    const config: DepthStudyConfig = {
      ...DEMO_CONFIG,
      architectures: [RUN.architecture],
      depths: [RUN.depth],
      width: RUN.width,
      task: { ...DEMO_CONFIG.task, points: RUN.points },
      steps: RUN.steps,
      checkpoints: RUN.checkpoints,
      learningRate: RUN.lr,
      seed: RUN.seed,
      permutations: 200,
    };
    using ctx = await createNodeGpuContext();
    const node = (await runDepthStudy(ctx, config)).runs[0]!;
    expect(page.checkpoints).toHaveLength(node.series.checkpoints.length);
    expect(Math.abs(page.finalLoss - node.train.finalLoss)).toBeLessThan(1e-4 * node.train.finalLoss);
    node.series.checkpoints.forEach((c, i) => {
      const p = page.checkpoints[i];
      expect(p.t).toBe(c.t);
      expect(Math.abs(p.loss - c.loss)).toBeLessThan(1e-4 * c.loss);
      const total = c.residualNorm2;
      c.energy.forEach((e, s) => expect(Math.abs(p.energy[s] - e), `checkpoint ${i} shell ${s}`).toBeLessThan(2e-3 * total));
    });
    expect(page.grid.count).toBe(node.series.grid.count);
    if (page.xi !== null) expect(Math.abs(page.xi - (node.analysis.fits.lossExponent.ok ? node.analysis.fits.lossExponent.xi : NaN))).toBeLessThan(0.02);
  }, 300_000);
});
