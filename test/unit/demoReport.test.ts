/**
 * The depth study's outputs (src/io/demoReport.ts) on a small study trained in float64 without a
 * GPU: one collapsible section per network with the shared report body, ε_LSI against depth from
 * the shared figure, the backend in words; report.json without the derivable transport arrays,
 * and without the interval matrices (and the HTML without figure data) when data is off.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { analyzeGrsd } from '../../src/analysis/grsdAnalysis.ts';
import { GrsdSeries } from '../../src/analysis/series.ts';
import { DEMO_QUICK_CONFIG, runOutcome, type DepthRun, type DepthStudy } from '../../src/experiments/depthStudy.ts';
import { summarizeDepthStudy } from '../../src/experiments/depthSummary.ts';
import { demoJson, renderDemoReport } from '../../src/io/demoReport.ts';
import { toJsonText } from '../../src/io/json.ts';
import { trainingRun } from '../helpers/trainingRun.ts';

let study: DepthStudy;
const backend = { kind: 'cpu', precision: 'float64' };

beforeAll(async () => {
  const runs: DepthRun[] = [];
  for (const [architecture, depth] of [
    ['residual', 1],
    ['residual', 2],
    ['plain', 2],
  ] as const) {
    const run = trainingRun({ depth, steps: 30, checkpoints: 4 });
    using series = new GrsdSeries('cpu', { timeScale: run.timeScale, gridOptions: { headroom: 2 } });
    for (const cp of run.checkpoints()) await series.push(cp);
    const result = series.result();
    const analysis = analyzeGrsd(result, { lsi: { permutations: 20 } });
    const last = result.checkpoints.at(-1)!;
    runs.push({
      architecture,
      depth,
      seed: 1,
      series: result,
      analysis,
      train: {
        steps: 30,
        losses: Float64Array.from(result.checkpoints, (c) => c.loss),
        finalLoss: last.loss,
        checkpoints: 4,
        seconds: 1,
        stepSeconds: 0.01,
        checkpointSeconds: 0.1,
      } as DepthRun['train'],
      diagnostics: { layerGains: [], featureUpdates: [] },
      seconds: { train: 1, analysis: 0.5 },
    });
  }
  const config = { ...DEMO_QUICK_CONFIG, architectures: ['residual', 'plain'] as const, depths: [1, 2], seeds: 1 };
  const summary = summarizeDepthStudy(runs.map(runOutcome), {
    architectures: config.architectures,
    depths: config.depths,
    seeds: [1],
    threshold: 0.3,
  });
  study = { config, seeds: [1], runs, summary, seconds: 2 };
});

describe('depth-study report', () => {
  test('one collapsible section per network, each with the shared report body; ε_LSI against depth; backend in words', async () => {
    const html = await renderDemoReport(study, backend);
    const sections = [...html.matchAll(/<details id="([^"]+)section"><summary>([^<]*)/g)].map((m) => [m[1], m[2]]);
    expect(sections.map((s) => s[0])).toEqual(['plain-L2-s1-', 'residual-L1-s1-', 'residual-L2-s1-']);
    for (const [id] of sections) {
      for (const fig of ['energy', 'loss', 'flux']) expect(html).toContain(`<figure id="${id}${fig}">`);
      expect(html).toContain(`data-download="csv" data-figure="${id}energy"`);
    }
    expect(html.match(/<h3>Conditions<\/h3>/g)).toHaveLength(3);
    expect(html).toContain('<figure id="depth">');
    expect(html).toContain(
      `class="finding">${study.summary.finding.sentence.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`,
    );
    expect(html).toContain('depth L (blocks)');
    expect(html).toContain('Backend: CPU, float64 (the reference backend)');
    expect(html).not.toMatch(/\{"kind"/);
  });

  test('without data: the figure data is not embedded (SVGs only) and the page is smaller', async () => {
    const full = await renderDemoReport(study, backend);
    const small = await renderDemoReport(study, backend, { data: false });
    expect(small.match(/class="grsd-figure-data"/g)).toHaveLength(1); // the depth figure's own rows only
    expect(small.length).toBeLessThan(full.length);
  });

  test('report.json: compact, no transport arrays; without data no interval matrices either', () => {
    const json = demoJson(study, backend);
    const runs = json.runs as { analysis: { intervals: Record<string, unknown>[]; omitted: string[] } }[];
    for (const r of runs) {
      expect(r.analysis.intervals.every((iv) => !('transport' in iv) && 'flow' in iv)).toBe(true);
      expect(r.analysis.omitted[0]).toMatch(/transport/);
    }
    const small = demoJson(study, backend, { data: false });
    for (const r of small.runs as { analysis: { intervals: Record<string, unknown>[] } }[])
      expect(r.analysis.intervals.every((iv) => !('flow' in iv) && (iv.kato as { layerShares: number[] }).layerShares.length > 0)).toBe(
        true,
      );
    const compact = toJsonText(json, 'report.json', { pretty: false });
    const pretty = toJsonText(json, 'report.json');
    expect(compact.split('\n')).toHaveLength(2);
    expect(JSON.parse(compact)).toEqual(JSON.parse(pretty));
    expect(toJsonText(small, 'report.json', { pretty: false }).length).toBeLessThan(0.5 * compact.length);
  });
});
