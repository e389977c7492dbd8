/**
 * The HTML report of an analysis (src/io/report.ts): run header, warnings, failed-check advice,
 * one explained figure per spec with download links, embedded data (or not), nothing loaded from
 * the network, no raw JSON in the prose; and the manifest's optional `timeUnit`.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { analyzeGrsd } from '../../src/analysis/grsdAnalysis.ts';
import { GrsdSeries } from '../../src/analysis/series.ts';
import { FileFormatError } from '../../src/errors.ts';
import { analysisJson } from '../../src/io/analysisJson.ts';
import { analysisFigures, figureSource } from '../../src/io/figures/index.ts';
import { parseManifest } from '../../src/io/manifest.ts';
import { backendProse, failedChecks, renderAnalysisReport } from '../../src/io/report.ts';
import { slimAnalysisJson } from '../../src/io/slimAnalysis.ts';
import { trainingRun } from '../helpers/trainingRun.ts';

/** The page without its inline scripts (data and download code). */
const prose = (html: string) => html.replace(/<script[\s\S]*?<\/script>/g, '');

describe('analysis report', () => {
  let json: Record<string, unknown>;
  let html: string;
  beforeAll(async () => {
    const run = trainingRun({ steps: 60, checkpoints: 6 });
    // rank 8 of n = 20: ⊥ holds a material share of the residual, which the report must say first.
    using series = new GrsdSeries('cpu', { timeScale: run.timeScale, rank: 8, gridOptions: { headroom: 2 } });
    for (const cp of run.checkpoints()) await series.push(cp);
    const result = series.result();
    json = JSON.parse(
      JSON.stringify(
        analysisJson(
          result,
          { kind: 'cpu', precision: 'float64' },
          { ...analyzeGrsd(result, { lsi: { permutations: 50 } }), timeUnit: 'steps' },
        ),
      ),
    );
    html = await renderAnalysisReport(json, { title: 'GRSD analysis of run <x>' });
  });

  test('run header: n, probe points, rank with ⊥, time unit and timeScale, backend in words, grid', () => {
    const text = prose(html);
    expect(text).toContain('<title>GRSD analysis of run &lt;x&gt;</title>');
    expect(text).toContain('n = 20 residual entries, N = 20 probe points');
    expect(text).toContain('8 eigenpairs per checkpoint (the other 12 directions form ⊥)');
    expect(text).toContain('t in optimizer steps; M = 0.02500·K per step (timeScale = η/N)');
    expect(text).toContain('CPU, float64 (the reference backend)');
    expect(text).toMatch(/\d+ shells of width h = 0\.5756 \(4\.00 per decade\)/);
    expect(text).toContain('6 (5 intervals), t = 0 … 60');
  });

  test('warns first when ⊥ holds more than 5% of ‖e‖², naming the fix', () => {
    const text = prose(html);
    const warning = text.slice(text.indexOf('Read this first'), text.indexOf('<h2>Conditions'));
    // The analysis's own warning (the series' coverage), once; not a second one of ours.
    expect(warning).toMatch(/the complement shell ⊥ holds more than 5\.00% of ‖e‖².*raise the rank/);
    expect(warning).not.toMatch(/is in ⊥, outside the computed eigenvectors/);
  });

  test('without the analysis saying so, the report warns about ⊥ itself', async () => {
    const { coverage: _c, ...bare } = json;
    const text = prose(await renderAnalysisReport(bare, { title: 't', data: false }));
    const warning = text.slice(text.indexOf('Read this first'), text.indexOf('<h2>Conditions'));
    expect(warning).toMatch(/Up to <b>\d+\.\d%<\/b> of ‖e‖² is in ⊥, outside the computed eigenvectors/);
    expect(warning).toContain('--rank');
  });

  test('conditions, exponents with explanations of ξ̂₀ and the frontier exponent', () => {
    const text = prose(html);
    for (const c of ['C1 — banded/local Jacobian propagation', 'C2', 'C3', 'C4 — log-shift invariance']) expect(text).toContain(c);
    expect(text).toContain('ξ̂₀ (initial spectrum)');
    expect(text).toMatch(/The exponent a fixed kernel would give/);
    expect(text).toMatch(/dissipation frontier ℓ̄_D\(t\)/);
  });

  test('one figure per spec, each with its caption and SVG/CSV/JSON links; the data is embedded', () => {
    const figures = analysisFigures(figureSource(json));
    expect(figures.length).toBeGreaterThanOrEqual(8);
    for (const f of figures) {
      const at = html.indexOf(`<figure id="${f.id}">`);
      expect(at, f.id).toBeGreaterThan(0);
      const block = html.slice(at, html.indexOf('</figure>', at));
      expect(block).toContain('<svg');
      expect(block).toContain(`<figcaption>`);
      for (const kind of ['svg', 'csv', 'json']) expect(block).toContain(`data-download="${kind}" data-figure="${f.id}"`);
    }
    const data = JSON.parse(html.match(/<script type="application\/json" class="grsd-figure-data">([\s\S]*?)<\/script>/)![1]!);
    expect(Object.keys(data)).toEqual(figures.map((f) => f.id));
    expect(data.energy).toEqual(JSON.parse(JSON.stringify(figures[0]!.rows)));
  });

  test('without data (data: false) only the SVGs are in the page', async () => {
    const small = await renderAnalysisReport(json, { title: 't', data: false });
    expect(small).not.toContain('grsd-figure-data"');
    expect(small.length).toBeLessThan(html.length);
  });

  test('self-contained: nothing fetched (no src, no external href, no link/import), no raw JSON in the prose', () => {
    expect(html).not.toMatch(/\ssrc=/);
    expect(html).not.toMatch(/<link\b/);
    expect(html).not.toMatch(/\bimport\s*\(/);
    const hrefs = [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.every((h) => h === '#')).toBe(true);
    expect(prose(html)).not.toMatch(/\{"|":\s*"/);
  });
});

describe('report helpers', () => {
  test('backend in words', () => {
    expect(backendProse({ kind: 'cpu', precision: 'float64' })).toBe('CPU, float64 (the reference backend)');
    expect(
      backendProse({ kind: 'gpu', route: 'vulkan', mode: 'core', adapter: 'SwiftShader Device', software: true, precision: 'float32' }),
    ).toBe('GPU “SwiftShader Device” through vulkan in WebGPU core mode (software adapter), float32');
    expect(backendProse(undefined)).toBe('not recorded');
  });

  test('failed checks are grouped per check with the worst value and advice', () => {
    const check = (value: number, pass: boolean) => ({ value, threshold: 0.1, pass, description: 'd' });
    const grid = { count: 1, width: 1, lambdaRef: 1, floor: 1, edges: [1, 2], centers: [1.5], floorIndex: 1, complementIndex: 2 };
    const iv = (i: number, value: number, pass: boolean) => ({
      index: i,
      t0: i,
      t1: i + 1,
      flux: [0],
      velocityBoundaries: [],
      velocity: [],
      checks: { katoConsistency: check(value, pass), budget: check(0, true) },
    });
    const failed = failedChecks({
      timeScale: 1,
      grid,
      checkpoints: [],
      intervals: [iv(0, 0.5, false), iv(1, 0.05, true), iv(2, 3, false)],
    });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'katoConsistency', intervals: ['0→1', '2→3'], worst: 3, threshold: 0.1 });
    expect(failed[0]!.advice).toMatch(/save checkpoints more often/);
  });
});

describe('smaller analysis documents (slimAnalysisJson)', () => {
  let json: Record<string, unknown>;
  beforeAll(async () => {
    const run = trainingRun({ steps: 30, checkpoints: 4 });
    using series = new GrsdSeries('cpu', { timeScale: run.timeScale, gridOptions: { headroom: 2 } });
    for (const cp of run.checkpoints()) await series.push(cp);
    const result = series.result();
    json = JSON.parse(JSON.stringify(analysisJson(result, { kind: 'cpu' }, { ...analyzeGrsd(result, { lsi: { permutations: 20 } }) })));
  });

  test('transport is left out and rebuilt exactly from flow; nothing else changes', () => {
    const slim = slimAnalysisJson(json);
    const intervals = json.intervals as { t0: number; t1: number; flow: number[][]; transport: number[][] }[];
    const slimIntervals = slim.intervals as Record<string, unknown>[];
    slimIntervals.forEach((iv, i) => {
      expect(iv.transport).toBeUndefined();
      const { flow, t0, t1, transport } = intervals[i]!;
      const rebuilt = flow.map((row, a) => row.map((_, b) => (flow[a]![b]! - flow[b]![a]!) / (t1 - t0)));
      expect(rebuilt).toEqual(transport);
      const { transport: _t, ...rest } = intervals[i]! as unknown as Record<string, unknown>;
      expect(iv).toEqual(rest);
    });
    expect(slim.omitted).toEqual(['intervals[].transport (= (flow − flowᵀ)/(t1 − t0))']);
    const transports = JSON.stringify((json.intervals as { transport: unknown }[]).map((iv) => iv.transport)).length;
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(json).length - 0.9 * transports);
  });

  test('matrices: false keeps every figure and its data, at a fraction of the size', () => {
    const slim = slimAnalysisJson(json, { matrices: false });
    expect(JSON.stringify(slim).length).toBeLessThan(0.4 * JSON.stringify(json).length);
    const rows = (doc: Record<string, unknown>) => analysisFigures(figureSource(doc)).map((f) => [f.id, f.rows]);
    const full = rows(json);
    const small = rows(slim);
    expect(small.map((f) => f[0])).toEqual(full.map((f) => f[0]));
    small.forEach(([id, r], i) => {
      if (id === 'layers')
        (r as { share: number }[]).forEach((row, k) => expect(row.share).toBeCloseTo((full[i]![1] as { share: number }[])[k]!.share, 14));
      else expect(r).toEqual(full[i]![1]);
    });
  });
});

describe('schema-2 analyses', () => {
  test("the analysis's warnings are shown once (no second ⊥ warning) and a check's own message is the advice", async () => {
    const grid = { count: 1, width: 1, lambdaRef: 1, floor: 1, edges: [1, 2], centers: [1.5], floorIndex: 1, complementIndex: 2 };
    const cp = (index: number, t: number) => ({
      index,
      t,
      loss: 1,
      residualNorm2: 2,
      energy: [1, 0, 1],
      counts: [1, 0, 1],
      eigenvalues: [1.5],
    });
    const message = 'checkpoints too far apart for the Kato estimator: save them more often';
    const json = {
      timeScale: 1,
      grid,
      checkpoints: [cp(0, 0), cp(1, 1)],
      intervals: [
        {
          index: 0,
          t0: 0,
          t1: 1,
          flux: [0],
          velocityBoundaries: [],
          velocity: [],
          checks: { katoConsistency: { value: 3, threshold: 0.1, pass: false, status: 'fail', description: 'd', message } },
        },
      ],
      coverage: { warnings: ['the complement shell ⊥ (eigenpairs not computed) holds up to 50.0% of ‖e‖²: raise --rank'] },
      warnings: ['loss exponent: a short window'],
    };
    expect(failedChecks(figureSource(json))[0]!.advice).toBe(message);
    const html = await renderAnalysisReport(json, { title: 't' });
    const box = html.slice(html.indexOf('Read this first'), html.indexOf('</div>', html.indexOf('Read this first')));
    expect(box.match(/⊥/g)).toHaveLength(1);
    expect(box).toContain('holds up to 50.0% of ‖e‖²');
    expect(box).toContain('loss exponent: a short window');
    expect(html).toContain(message);
  });
});

describe('manifest timeUnit', () => {
  const base = { timeScale: 0.1, checkpoints: [{ t: 0, kernel: 'k.npy', residual: 'e.npy' }] };
  test('optional, trimmed, kept', () => {
    expect(parseManifest(base, 'm.json').timeUnit).toBeUndefined();
    expect(parseManifest({ ...base, timeUnit: ' steps ' }, 'm.json').timeUnit).toBe('steps');
  });
  test('refused when empty, not a string or too long, naming the field', () => {
    for (const bad of ['', '  ', 3, 'x'.repeat(41)]) {
      expect(() => parseManifest({ ...base, timeUnit: bad }, 'm.json')).toThrow(FileFormatError);
      expect(() => parseManifest({ ...base, timeUnit: bad }, 'm.json')).toThrow(/"timeUnit" must be a non-empty string/);
    }
  });
});
