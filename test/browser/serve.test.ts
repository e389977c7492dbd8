/**
 * The `grsd serve` page and the HTML report in headless Chromium: while a run directory is
 * written checkpoint by checkpoint, the live page shows the figures with axis titles, tick labels
 * and legends, grows to the whole run, survives a reload, exports SVG/PNG/CSV/JSON, and logs no
 * error; the offline report's download links give the figure SVG and its data. Screenshots go
 * to test-artifacts/.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeBackend } from '../../src/cli/backend.ts';
import { liveAnalysis } from '../../src/cli/commands/serve.ts';
import { renderAnalysisReport } from '../../src/io/report.ts';
import { LiveRun } from '../../src/node/liveRun.ts';
import { startLiveServer, type LiveServer } from '../../src/node/liveServer.ts';
import { RunWriter } from '../../src/node/run.ts';
import { trainingRun } from '../helpers/trainingRun.ts';
import { screenshot, withChromium } from '../helpers/browser.ts';

const OPTIONS = { permutations: 100, seed: 0, fitWindow: 'auto' as const };
const run = trainingRun({ steps: 60, checkpoints: 6 });
const checkpoints = [...run.checkpoints()];
let root = '';
let live: LiveRun;
let server: LiveServer;
let writer: RunWriter;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'grsd-serve-page-'));
  const dir = join(root, 'run');
  live = new LiveRun(dir, {
    ...liveAnalysis(
      { backend: 'cpu', description: describeBackend(null, { mode: 'requested', reason: '--backend cpu' }) },
      { ...OPTIONS, backend: 'cpu' },
    ),
    pollMs: 100,
    settleMs: 0,
  });
  server = await startLiveServer(live, { title: 'grsd serve: run', port: 0 });
  live.start();
  writer = await RunWriter.create(dir, { timeScale: run.timeScale, timeUnit: 'steps' });
});
afterAll(async () => {
  await live?.stop();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Texts of the SVG <text> elements of a figure's axis or legend whose aria-label starts with `label`. */
async function svgTexts(page: Page, figure: string, label: string): Promise<string[]> {
  return page.locator(`#fig-${figure} svg [aria-label^="${label}"] text`).allTextContents();
}

async function waitForCheckpoints(page: Page, n: number): Promise<void> {
  await page.locator(`#status[data-checkpoints="${n}"]`).waitFor({ timeout: 60_000 });
  await page.waitForFunction((v) => document.body.dataset.version === v, (await page.locator('#status').getAttribute('data-version'))!, {
    timeout: 30_000,
  });
}

async function download(page: Page, figure: string, kind: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`#fig-${figure} button[data-export="${kind}"]`).click()]);
  return readFileSync((await file.path())!);
}

describe('grsd serve page in headless Chromium', () => {
  test('grows with the run: figures with axes and legends, reload-safe, exports, no console error', async () => {
    await withChromium(server.url, async ({ page, consoleErrors }) => {
      await page.setViewportSize({ width: 1500, height: 1000 });
      await page.locator('#status[data-phase="waiting"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('#empty').isVisible()).toBe(true);

      for (const cp of checkpoints.slice(0, 3)) await writer.add(cp);
      await waitForCheckpoints(page, 3);
      await screenshot(page, 'serve-live-3-checkpoints.png');
      expect(await svgTexts(page, 'energy', 'X-axis')).toEqual([
        ...checkpoints.slice(0, 3).map((c) => String(c.t)),
        'checkpoint t (optimizer steps)',
      ]);

      for (const cp of checkpoints.slice(3)) await writer.add(cp);
      await waitForCheckpoints(page, 6);
      expect(await page.locator('#status').textContent()).toMatch(/up to date: 6 checkpoints analysed/);
      const times = checkpoints.map((c) => String(c.t));
      // Heatmap: every checkpoint on the x axis in time order, λ ticks, the colorbar's title.
      const x = await svgTexts(page, 'energy', 'X-axis');
      expect(x.filter((t) => /^\d+$/.test(t))).toEqual(times);
      expect(await svgTexts(page, 'energy', 'Y-axis')).toEqual(expect.arrayContaining(['shell λ (of timeScale·K)', '1e-1']));
      expect(await page.locator('#fig-energy svg .role-legend-title text').allTextContents()).toEqual(['E_α/‖e‖²']);
      // Loss: the three series in one legend; flux: intervals in time order.
      expect(await page.locator('#fig-loss svg .role-legend-label text').allTextContents()).toEqual([
        'measured',
        expect.stringMatching(/^(tail fit, ξ = |power law over the fit window, slope )/),
        'lazy (fixed-kernel) prediction',
      ]);
      const intervals = checkpoints.slice(1).map((c, i) => `${checkpoints[i]!.t}→${c.t}`);
      expect(await page.locator('#fig-flux svg .role-legend-label text').allTextContents()).toEqual(intervals);
      expect(await svgTexts(page, 'flux', 'Y-axis')).toEqual(expect.arrayContaining(['Π (energy per step)', '0']));
      // Verdicts and header so far.
      expect(await page.locator('#summary').textContent()).toMatch(/C4 — log-shift invariance/);
      expect(await page.locator('#summary').textContent()).toMatch(/t in optimizer steps/);
      await screenshot(page, 'serve-live-final.png');

      // Exports: SVG, PNG, CSV and JSON of a figure.
      const svg = (await download(page, 'energy', 'svg')).toString('utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('checkpoint t (optimizer steps)');
      const png = await download(page, 'loss', 'png');
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.length).toBeGreaterThan(5000);
      const csv = (await download(page, 'loss', 'csv')).toString('utf8').split('\r\n');
      expect(csv[0]).toBe('t,loss,series');
      expect(csv.length).toBeGreaterThan(checkpoints.length);
      const rows = JSON.parse((await download(page, 'flux', 'json')).toString('utf8'));
      expect(rows.length).toBe(intervals.length * (rows.length / intervals.length));

      // Reload: the page catches up from the analysis so far.
      const figures = await page.locator('#figures figure').count();
      await page.reload();
      await waitForCheckpoints(page, 6);
      expect(await page.locator('#figures figure').count()).toBe(figures);
      expect((await svgTexts(page, 'energy', 'X-axis')).filter((t) => /^\d+$/.test(t))).toEqual(times);
      expect(consoleErrors).toEqual([]);
    });
  }, 180_000);

  test('the offline report: figures render, download links give the SVG and the data', async () => {
    const html = await renderAnalysisReport(live.state.document!, { title: 'GRSD analysis of run' });
    const file = join(root, 'report.html');
    writeFileSync(file, html);
    await withChromium(`file://${file}`, async ({ page, consoleErrors }) => {
      await page.setViewportSize({ width: 1200, height: 1000 });
      // Offline: nothing but the file itself is requested.
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.reload();
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      expect(await page.locator('figure svg').count()).toBeGreaterThanOrEqual(8);
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('a[data-download="csv"][data-figure="energy"]').click(),
      ]);
      const text = readFileSync((await csv.path())!, 'utf8');
      expect(text.split('\r\n')[0]).toBe('checkpoint,t,shell,lambdaLow,lambdaHigh,share');
      const [svg] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('a[data-download="svg"][data-figure="velocity"]').click(),
      ]);
      expect(readFileSync((await svg.path())!, 'utf8')).toMatch(/^<svg[\s\S]*shell boundary λ/);
      await screenshot(page, 'report.png');
      expect(consoleErrors).toEqual([]);
    });
  }, 60_000);
});
