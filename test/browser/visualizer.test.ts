/**
 * The example visualizer (examples/visualizer), built with Vite against the built package
 * (dist/, as a user's project builds against the installed one), in headless Chromium:
 * - WebGPU on SwiftShader: a small seeded lab run live; its numbers match the same run in Node
 *   (Dawn) within f32 tolerance; the shared figures render with axis titles, ticks and legends;
 *   SVG and CSV exports are non-empty; no console error.
 * - Without WebGPU: a clear page offering the CPU backend, whose float64 run matches the same
 *   float64 training in Node to rounding; the Stop button ends a run with the figures so far.
 * Screenshots go to test-artifacts/.
 */
import type { Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeGrsd } from '../../src/analysis/grsdAnalysis.ts';
import { GrsdSeries } from '../../src/analysis/series.ts';
import { DEMO_CONFIG, checkpointSchedule, studyTask, type DepthStudyConfig } from '../../src/experiments/depthStudy.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { createLab } from '../../src/lab/trainer.ts';
import { initParameters, learningRateMultipliers, resolveModel } from '../../src/lab/models.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { mlpForward, mlpGdStep, type MlpParameters } from '../../src/reference/mlp.ts';
import { screenshot, serveDirectory, withChromium } from '../helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '../../examples/visualizer');
let server: Server;
let url = '';

const RUN = { architecture: 'residual', depth: 3, width: 16, points: 24, steps: 40, checkpoints: 5, lr: 0.2, seed: 1 } as const;
const CPU_RUN = {
  backend: 'cpu',
  architecture: 'residual',
  depth: 2,
  width: 8,
  points: 16,
  steps: 30,
  checkpoints: 5,
  lr: 0.2,
  seed: 2,
} as const;

const query = (run: Record<string, string | number>, extra: Record<string, string> = {}) =>
  new URLSearchParams({ ...extra, ...Object.fromEntries(Object.entries(run).map(([k, v]) => [k, String(v)])) }).toString();

const config = (run: typeof RUN | typeof CPU_RUN): DepthStudyConfig => ({
  ...DEMO_CONFIG,
  architectures: [run.architecture],
  depths: [run.depth],
  width: run.width,
  task: { ...DEMO_CONFIG.task, points: run.points },
  steps: run.steps,
  // As the page's readConfig: uniform spacing from the checkpoint count.
  checkpointEvery: Math.max(1, Math.round(run.steps / Math.max(1, run.checkpoints - 1))),
  checkpointGrowth: 1,
  seeds: 1,
  learningRate: run.lr,
  seed: run.seed,
  permutations: 200,
});

/** The visualizer's GPU run (examples/visualizer/train.ts) in Node: the lab streamed into a series, then the analysis. */
async function nodeRun(ctx: GpuContext, cfg: DepthStudyConfig) {
  using lab = await createLab(
    ctx,
    {
      architecture: cfg.architectures[0]!,
      depth: cfg.depths[0]!,
      width: cfg.width,
      inputDim: cfg.task.inputDim,
      activation: cfg.activation,
      parametrization: cfg.parametrization,
      seed: cfg.seed,
    },
    studyTask(cfg),
  );
  using series = new GrsdSeries(ctx, {
    timeScale: cfg.learningRate / cfg.task.points,
    seed: cfg.seed,
    gridOptions: { floorRelative: 1e-5, headroom: 4 },
  });
  let gains = null as number[] | null;
  const train = await lab.train({
    steps: cfg.steps,
    learningRate: cfg.learningRate,
    optimizer: 'gd',
    checkpoints: checkpointSchedule(cfg.steps, cfg.checkpointEvery),
    onCheckpoint: async (cp) => {
      gains ??= cp.diagnostics.layerGains;
      await series.push({ t: cp.step, kernel: cp.kernel, layers: cp.layers, residual: cp.residual });
    },
  });
  const result = series.result();
  const analysis = analyzeGrsd(result, {
    model: gains && gains.length >= 2 ? { layerGains: gains } : {},
    lsi: { permutations: 200, seed: cfg.seed },
  });
  return { series: result, analysis, train };
}

beforeAll(async () => {
  // As a user's project would: the example's own config, `grsd` (and its subpaths) resolved to the
  // built package through the config's GRSD_DIST switch.
  process.env.GRSD_DIST = resolve(ROOT, '../../dist');
  await build({ configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  ({ server, url } = await serveDirectory(resolve(ROOT, 'dist')));
}, 240_000);
afterAll(() => server?.close());

async function result(page: Page, timeout = 180_000): Promise<{ done: string; json: Record<string, any> }> {
  const results = page.locator('#results[data-done]');
  await results.waitFor({ state: 'attached', timeout });
  return { done: (await results.getAttribute('data-done'))!, json: JSON.parse((await results.textContent()) ?? '{}') };
}

async function download(page: Page, figure: string, kind: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`#fig-${figure} button[data-export="${kind}"]`).click()]);
  return readFileSync((await file.path())!, 'utf8');
}

/** The figures every finished run shows, each with titled axes and tick labels. */
async function expectFigures(page: Page): Promise<void> {
  for (const id of ['energy', 'residual-share', 'loss', 'eigenvalues', 'flux', 'velocity', 'couplings', 'layers']) {
    const svg = page.locator(`#fig-${id} svg`);
    expect(await svg.count(), id).toBe(1);
    expect(await svg.locator('.role-axis-title text').count(), id).toBeGreaterThanOrEqual(2);
    expect(await svg.locator('.role-axis-label text').count(), id).toBeGreaterThanOrEqual(4);
  }
  expect(await page.locator('#fig-energy svg .role-axis-title text').allTextContents()).toContain('checkpoint t (optimizer steps)');
  expect(await page.locator('#fig-loss svg .role-legend-label text').allTextContents()).toContain('measured');
  expect(await page.locator('#fig-flux svg .role-legend-label text').count()).toBe(4);
}

describe('example visualizer in headless Chromium', () => {
  test('WebGPU: a seeded lab run live, shared figures, exports; matches the same run in Node; no console error', async () => {
    const page = await withChromium(`${url}?${query(RUN, { auto: '1' })}`, async ({ page, consoleErrors }) => {
      await page.setViewportSize({ width: 1500, height: 1000 });
      const { done, json } = await result(page);
      expect(done, JSON.stringify(json)).toBe('ok');
      await screenshot(page, 'visualizer.png');
      expect(await page.locator('#adapter').textContent()).toMatch(/WebGPU adapter: .*mode/);
      expect(await page.locator('#no-webgpu').isVisible()).toBe(false);
      expect(await page.locator('#summary').textContent()).toMatch(/C4 — log-shift invariance/);
      await expectFigures(page);
      const svg = await download(page, 'energy', 'svg');
      expect(svg).toMatch(/^<svg[\s\S]*checkpoint t \(optimizer steps\)/);
      const csv = (await download(page, 'velocity', 'csv')).split('\r\n');
      expect(csv[0]).toBe('interval,t0,t1,lambda,speed,kind,direction');
      expect(csv.length).toBeGreaterThan(3);
      expect(consoleErrors).toEqual([]);
      return json;
    });
    using ctx = await createNodeGpuContext();
    const node = await nodeRun(ctx, config(RUN));
    expect(page.checkpoints).toHaveLength(node.series.checkpoints.length);
    expect(Math.abs(page.finalLoss - node.train.finalLoss)).toBeLessThan(1e-4 * node.train.finalLoss);
    node.series.checkpoints.forEach((c, i) => {
      const p = page.checkpoints[i];
      expect(p.t).toBe(c.t);
      expect(Math.abs(p.loss - c.loss)).toBeLessThan(1e-4 * c.loss);
      c.energy.forEach((e, s) => expect(Math.abs(p.energy[s] - e), `checkpoint ${i} shell ${s}`).toBeLessThan(2e-3 * c.residualNorm2));
    });
    expect(page.grid.count).toBe(node.series.grid.count);
    if (page.xi !== null)
      expect(Math.abs(page.xi - (node.analysis.fits.lossExponent.ok ? node.analysis.fits.lossExponent.xi : NaN))).toBeLessThan(0.02);
  }, 300_000);

  test('without WebGPU: a clear page, the CPU backend offered and run in float64 (equal to Node), Stop keeps the run so far', async () => {
    const page = await withChromium(`${url}?${query(CPU_RUN)}`, async ({ page, consoleErrors }) => {
      await page.setViewportSize({ width: 1500, height: 1000 });
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
      await page.goto(`${url}?${query(CPU_RUN, { auto: '1' })}`);
      const { done, json } = await result(page);
      expect(done, JSON.stringify(json)).toBe('ok');
      expect(await page.locator('#no-webgpu').isVisible()).toBe(true);
      expect(await page.locator('#no-webgpu').textContent()).toMatch(/exposes no navigator\.gpu[\s\S]*CPU/);
      expect(await page.locator('#adapter').textContent()).toMatch(/not available.*CPU backend is selected/);
      expect(await page.locator('#backend').inputValue()).toBe('cpu');
      expect(await page.locator('#backend option[value="gpu"]').isDisabled()).toBe(true);
      await expectFigures(page);
      await screenshot(page, 'visualizer-no-webgpu.png');

      // Stop: a longer run stopped after its second checkpoint keeps and analyses what it has.
      await page.locator('#steps').fill('20000');
      await page.locator('#checkpoints').fill('12');
      await page.locator('#run').click();
      await page.locator('#eta', { hasText: /ETA ≈ (<1|\d+) s/ }).waitFor({ timeout: 60_000 });
      await page.locator('#stop').click();
      const stopped = await result(page);
      expect(stopped.done).toBe('stopped');
      expect(stopped.json.checkpoints.length).toBeGreaterThanOrEqual(2);
      expect(stopped.json.checkpoints.length).toBeLessThan(checkpointSchedule(20000, Math.round(20000 / 11)).length);
      expect(await page.locator('#status').textContent()).toMatch(/stopped after \d+ checkpoints/);
      expect(await page.locator('#fig-energy svg').count()).toBe(1);
      expect(consoleErrors).toEqual([]);
      return json;
    });
    // The same float64 training in Node: the page's losses agree to rounding.
    const cfg = config(CPU_RUN);
    const task = studyTask(cfg);
    const model = resolveModel({
      architecture: 'residual',
      depth: 2,
      width: 8,
      inputDim: cfg.task.inputDim,
      activation: cfg.activation,
      parametrization: cfg.parametrization,
      seed: cfg.seed,
    });
    const ratios = learningRateMultipliers(model);
    let p: MlpParameters = Object.fromEntries(Object.entries(initParameters(model)).map(([k, v]) => [k, Float64Array.from(v)]));
    const losses: number[] = [];
    const at = new Set(checkpointSchedule(cfg.steps, cfg.checkpointEvery));
    for (let s = 0; s <= cfg.steps; s++) {
      if (at.has(s)) {
        const f = mlpForward(model, p, task.trainX, task.trainSize).outputs;
        losses.push(f.reduce((a, v, i) => a + (v - task.trainY[i]!) ** 2, 0) / (2 * task.trainSize));
      }
      if (s < cfg.steps) p = mlpGdStep(model, p, task.trainX, task.trainY, task.trainSize, cfg.learningRate, ratios);
    }
    expect(page.checkpoints.map((c: { loss: number }) => c.loss)).toHaveLength(losses.length);
    page.checkpoints.forEach((c: { loss: number }, i: number) => expect(Math.abs(c.loss - losses[i]!)).toBeLessThan(1e-12 * losses[i]!));
  }, 300_000);
});
