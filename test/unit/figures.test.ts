/**
 * The shared figure specs (src/io/figures): structure of every spec (axis titles with units,
 * scale types, numeric interval order, colour scales, empty shells blank, zero line, legends),
 * the figure source cut from a real analysis JSON, CSV export, and offline rendering of every
 * figure to SVG (network access made to fail while rendering).
 */
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { compile } from 'vega-lite';
import { analyzeGrsd } from '../../src/analysis/grsdAnalysis.ts';
import { GrsdSeries } from '../../src/analysis/series.ts';
import { analysisJson } from '../../src/io/analysisJson.ts';
import {
  analysisFigures,
  couplingsFigure,
  depthFigure,
  eigenvaluesFigure,
  energyFigure,
  figureSource,
  fluxFigure,
  intervalLabel,
  layerFigure,
  lossFigure,
  remainderFigure,
  renderSvg,
  residualShareFigure,
  runFacts,
  timeTitle,
  toCsv,
  velocityFigure,
  type Figure,
  type FigureSource,
} from '../../src/io/figures/index.ts';
import { trainingRun } from '../helpers/trainingRun.ts';

type Vega = {
  axes?: { title?: string; scale: string }[];
  scales?: { name: string; type?: string; domain?: unknown }[];
  legends?: unknown[];
  marks?: unknown[];
};

/** The compiled Vega spec (with layers flattened: axes/scales live at the top). */
const vega = (f: Figure): Vega => compile(f.spec).spec as Vega;
const axisTitles = (f: Figure): string[] => (vega(f).axes ?? []).map((a) => a.title).filter((t): t is string => typeof t === 'string');
const scale = (f: Figure, name: string) => vega(f).scales!.find((s) => s.name === name)!;

/** A hand-made source: 3 window shells, times 0, 1, 2, 11, 20 (string order would put 11 before 2). */
function handSource(timeUnit?: string): FigureSource {
  const grid = {
    count: 3,
    width: Math.LN10,
    lambdaRef: 1,
    floor: 0.01,
    edges: [0.01, 0.1, 1, 10],
    centers: [0.0316, 0.316, 3.16],
    floorIndex: 3,
    complementIndex: 4,
  };
  const times = [0, 1, 2, 11, 20];
  const checkpoints = times.map((t, i) => ({
    index: i,
    t,
    loss: 1 / (1 + t),
    residualNorm2: 2 / (1 + t),
    // Shell 1 empty at every checkpoint; ⊥ grows to 10%.
    energy: [1 / (1 + t), 0, 0.8 / (1 + t), 0, (0.2 * i) / 4 / (1 + t)].map((v, s) => (s === 2 ? (2 / (1 + t)) * (0.5 - 0.025 * i) : v)),
    counts: [2, 0, 1, 0, 1],
    eigenvalues: [5 + i, 2, 0.05],
  }));
  const intervals = times.slice(1).map((t1, i) => ({
    index: i,
    t0: times[i]!,
    t1,
    flux: [0, -1e-4 * (i + 1), 2e-2],
    velocityBoundaries: [0.1, 1],
    velocity: [i % 2 ? null : -0.5, 0.3 * (i + 1)],
  }));
  return {
    timeScale: 0.01,
    ...(timeUnit ? { timeUnit } : {}),
    grid,
    checkpoints,
    intervals,
    fits: {
      velocity: intervals.map((iv, i) =>
        i === 0
          ? { ok: false as const, reason: 'too few boundaries' }
          : { ok: true as const, t0: iv.t0, t1: iv.t1, a: 1.5, c: 0.2, lambdas: [0.1, 1], speeds: [0.01, 0.3] },
      ),
      lossExponent: { ok: true, xi: 1, xiStdErr: 0.01, tMin: 2, tMax: 20 },
      lazyPrediction: times.map((t) => ({ t, predicted: 0.9 / (1 + t) })),
    },
    theory: {
      window: [0, 3],
      couplings: [
        [0, 1, -2],
        [-1, 0, 1],
        [2, -1, 0],
      ],
      lsi: { epsilon: 0.25 },
    },
    renormalizability: { perInterval: intervals.map((iv) => ({ t0: iv.t0, t1: iv.t1, ratio: [0.1, null, 0.02] })), threshold: 0.1 },
    layers: intervals.map((iv) => ({ t0: iv.t0, t1: iv.t1, shares: [0.7, 0.3] })),
  };
}

/** The tick labels of the axis whose aria-label starts with `label` in a rendered SVG. */
function axisLabels(svg: string, label: string): string[] {
  const start = svg.indexOf(`aria-label="${label}`);
  expect(start, label).toBeGreaterThan(0);
  const group = svg.slice(start, svg.indexOf('role-axis-title', start));
  return [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

const ORDER = ['0→1', '1→2', '2→11', '11→20'];

describe('figure specs: structure', () => {
  const src = handSource('steps');

  test('every figure of a complete source, each with a title, a one-line caption and rows', () => {
    const figures = analysisFigures(src);
    expect(figures.map((f) => f.id)).toEqual([
      'energy',
      'residual-share',
      'loss',
      'eigenvalues',
      'flux',
      'velocity',
      'couplings',
      'remainder',
      'layers',
    ]);
    for (const f of figures) {
      expect(f.title.length).toBeGreaterThan(5);
      expect(f.caption).not.toMatch(/\n/);
      expect(f.caption.length).toBeGreaterThan(20);
      expect(f.rows.length).toBeGreaterThan(0);
      expect(f.spec.$schema).toMatch(/vega-lite\/v6/);
      expect(() => compile(f.spec)).not.toThrow();
    }
  });

  test('time axes state the unit; without a unit they say the manifest states none', () => {
    expect(timeTitle('steps')).toBe('t (optimizer steps)');
    expect(timeTitle('gradient-flow time')).toBe('t (gradient-flow time)');
    expect(timeTitle(undefined)).toMatch(/states none/);
    expect(axisTitles(energyFigure(src)!)).toContain('checkpoint t (optimizer steps)');
    expect(axisTitles(lossFigure(src)!)).toContain('t (optimizer steps)');
    expect(axisTitles(lossFigure(handSource())!)).toContain('t (run time units; the manifest states none)');
    expect(axisTitles(fluxFigure(src)!)).toContain('Π (energy per step)');
    expect(axisTitles(velocityFigure(handSource('gradient-flow time'))!)).toContain('|v| (λ per unit of gradient-flow time)');
  });

  test('energy heatmap: shells on a log λ axis, checkpoints in numeric order, log colour scale with a colorbar, empty shells not drawn', () => {
    const f = energyFigure(src)!;
    const v = vega(f);
    expect(scale(f, 'y').type).toBe('log');
    expect(scale(f, 'color').type).toBe('log');
    expect(v.legends).toHaveLength(1);
    expect(JSON.stringify(v.legends)).toMatch(/"type":"gradient"|gradient/);
    // The x domain is sorted ascending numerically by vega at run time: check on the rendered axis below.
    expect(f.spec).toMatchObject({ transform: [{ filter: 'datum.share > 0' }] });
    // Every shell × checkpoint is in the data (CSV), including the empty ones (share 0).
    expect(f.rows).toHaveLength(3 * 5);
    expect(f.rows.filter((r) => r.share === 0)).toHaveLength(5);
    expect(axisTitles(f)).toContain('shell λ (of timeScale·K)');
  });

  test('per-interval figures list the intervals in time order with a sequential colour scale', () => {
    for (const f of [fluxFigure(src)!, remainderFigure(src)!]) {
      const color = scale(f, 'color');
      expect(color.type).toBe('ordinal');
      expect(color.domain).toEqual(ORDER);
    }
    const v = scale(velocityFigure(src)!, 'color');
    expect(v.domain).toEqual(['0→1 (no fit)', '1→2: a = 1.50', '2→11: a = 1.50', '11→20: a = 1.50']);
    expect(JSON.stringify(scale(fluxFigure(src)!, 'color'))).toMatch(/viridis/);
    expect(intervalLabel(0.5, 1.25)).toBe('0.5→1.25');
  });

  test('flux: symlog y with a constant three decades below max |Π|, symmetric decade ticks and a zero line', () => {
    const f = fluxFigure(src)!;
    const y = scale(f, 'y') as { type: string; constant?: number };
    expect(y.type).toBe('symlog');
    expect(y.constant).toBeCloseTo(2e-5, 12);
    const spec = f.spec as { layer: { mark: { type: string }; encoding: { y: { field: string; axis?: { values: number[] } } } }[] };
    expect(spec.layer[0]!.mark.type).toBe('rule');
    expect(spec.layer[0]!.encoding.y.field).toBe('zero');
    const ticks = spec.layer[1]!.encoding.y.axis!.values;
    expect(ticks).toContain(0);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
    expect(ticks.filter((v) => v > 0)).toEqual(
      ticks
        .filter((v) => v < 0)
        .map((v) => -v)
        .reverse(),
    );
  });

  test('velocity: measured |v| only where defined (nulls dropped), direction by shape, fit lines over the fitted range', () => {
    const f = velocityFigure(src)!;
    const measured = f.rows.filter((r) => r.kind === 'measured');
    // 4 intervals × 2 boundaries, minus the 2 nulls.
    expect(measured).toHaveLength(6);
    expect(measured.filter((r) => r.direction === 'toward smaller λ')).toHaveLength(2);
    const fit = f.rows.filter((r) => r.kind === 'fit' && r.interval === '1→2: a = 1.50');
    expect(fit.map((r) => r.speed)).toEqual([0.2 * 0.1 ** 1.5, 0.2]);
    expect(scale(f, 'x').type).toBe('log');
    expect(scale(f, 'y').type).toBe('log');
  });

  test('loss: measured, fit and lazy prediction in one legend; the fit line is the OLS line of the tail given ξ', () => {
    const f = lossFigure(src)!;
    const series = [...new Set(f.rows.map((r) => r.series))];
    expect(series).toEqual(['measured', 'tail fit, ξ = 1.000 ± 0.010', 'lazy (fixed-kernel) prediction']);
    expect(vega(f).legends).toHaveLength(1);
    expect(scale(f, 'color').domain).toEqual(series);
    // OLS over the tail points (t ∈ [2, 20]) with the slope fixed at −ξ passes through their centroid.
    // Here L = 1/(1+t) and the fit says ξ = 1 on [2, 20]: the intercept is mean(ln L + ln t) over those points.
    const tail = src.checkpoints.filter((c) => c.t >= 2);
    const lnA = tail.reduce((s, c) => s + Math.log(c.loss) + Math.log(c.t), 0) / tail.length;
    const fitRows = f.rows.filter((r) => String(r.series).startsWith('tail fit'));
    expect(fitRows.map((r) => r.t)).toEqual([2, 20]);
    for (const r of fitRows) expect(Math.log(r.loss as number)).toBeCloseTo(lnA - Math.log(r.t as number), 12);
    expect(f.rows.every((r) => (r.t as number) > 0)).toBe(true);
  });

  test('loss: with the finite-spectrum model the line is the plain power law over the window, ξ in the title', () => {
    const s = handSource('steps');
    const f = lossFigure({
      ...s,
      fits: { ...s.fits!, lossExponent: { ok: true, xi: 0.8, xiStdErr: 0.05, tMin: 2, tMax: 20, model: 'finite-spectrum', xiPowerLaw: 1 } },
    })!;
    expect(f.title).toBe('Loss L(t), ξ = 0.800 ± 0.050 (finite-spectrum model)');
    const line = f.rows.filter((r) => String(r.series).startsWith('power law over the fit window, slope 1.000'));
    expect(line.map((r) => r.t)).toEqual([2, 20]);
    expect(Math.log((line[0]!.loss as number) / (line[1]!.loss as number)) / Math.log(10)).toBeCloseTo(1, 12);
  });

  test('loss: a failed tail fit is said in the caption and leaves no fit series', () => {
    const s = handSource('steps');
    const f = lossFigure({ ...s, fits: { ...s.fits!, lossExponent: { ok: false, reason: 'need at least 3 checkpoints' } } })!;
    expect(f.caption).toMatch(/no fit: need at least 3 checkpoints/);
    expect(f.rows.some((r) => String(r.series).startsWith('tail fit'))).toBe(false);
  });

  test('⊥/∅ shares: two series, a warning band, y up to the worst share when above 2.5× the warning', () => {
    const f = residualShareFigure(src)!;
    expect([...new Set(f.rows.map((r) => r.part))]).toHaveLength(2);
    const complement = f.rows.filter((r) => String(r.part).startsWith('⊥')).map((r) => r.share as number);
    expect(complement.at(-1)).toBeCloseTo(0.1, 12);
    expect(f.title).toMatch(/max 10\.0%/);
    const spec = f.spec as { layer: { mark: { type: string } }[] };
    expect(spec.layer[0]!.mark.type).toBe('rect');
    expect(scale(f, 'y').domain).toEqual([0, 0.125]);
    const big = residualShareFigure(src, 0.01)!;
    expect((scale(big, 'y').domain as number[])[1]).toBeCloseTo(0.11, 12);
  });

  test('eigenvalues: top-k per checkpoint with λ_max first, log axis', () => {
    const f = eigenvaluesFigure(src)!;
    expect(scale(f, 'y').type).toBe('log');
    expect(scale(f, 'color').domain).toEqual(['λ_max (k = 1)', 'k = 2', 'k = 3']);
    expect(f.title).toMatch(/λ_max × 1\.80/);
  });

  test('couplings: axes labelled by shell centre λ̄ in λ order (top = largest), symmetric diverging colour', () => {
    const f = couplingsFigure(src)!;
    expect(axisTitles(f)).toEqual(expect.arrayContaining(['from shell β (centre λ̄_β)', 'to shell α (centre λ̄_α)']));
    expect(scale(f, 'x').domain).toEqual(['3.2e-2', '3.2e-1', '3.2e0']);
    expect(scale(f, 'y').domain).toEqual(['3.2e0', '3.2e-1', '3.2e-2']);
    expect(scale(f, 'color').domain).toEqual([-2, 2]);
    expect(f.title).toMatch(/ε_LSI = 0\.250/);
  });

  test('R_α/D_α: null shells left out, threshold drawn; no figure without the section', () => {
    const f = remainderFigure(src)!;
    expect(f.rows).toHaveLength(4 * 2);
    expect((f.spec as { layer: unknown[] }).layer).toHaveLength(2);
    expect(remainderFigure({ ...src, renormalizability: undefined } as unknown as FigureSource)).toBeNull();
  });

  test('depth: one point per architecture and depth, ±SE bars where there are several seeds, the threshold', () => {
    const f = depthFigure(
      [
        { architecture: 'residual', depth: 8, epsilon: 0.2, stdErr: 0.05, seeds: 3 },
        { architecture: 'residual', depth: 2, epsilon: 0.6, stdErr: 0.1, seeds: 3 },
        { architecture: 'plain', depth: 2, epsilon: null, stdErr: null, seeds: 0 },
        { architecture: 'plain', depth: 8, epsilon: 0.9, stdErr: null, seeds: 1 },
      ],
      0.3,
    )!;
    expect(f.rows.map((r) => [r.architecture, r.depth])).toEqual([
      ['plain', 8],
      ['residual', 2],
      ['residual', 8],
    ]);
    expect(f.rows[1]).toMatchObject({ low: 0.5, high: 0.7 });
    expect(f.rows[0]).toMatchObject({ low: null, high: null });
    expect(f.title).toMatch(/ε_LSI ≤ 0\.3/);
    expect(depthFigure([], 0.3)).toBeNull();
  });

  test('per-layer shares stack to one per interval', () => {
    const f = layerFigure([...src.layers!], 'steps')!;
    expect(scale(f, 'x').domain).toEqual(ORDER);
    expect(f.rows.filter((r) => r.interval === '2→11').reduce((s, r) => s + (r.share as number), 0)).toBeCloseTo(1, 12);
  });

  test('a single checkpoint draws what it can and nothing per-interval', () => {
    const s = handSource('steps');
    const one = {
      ...s,
      checkpoints: s.checkpoints.slice(0, 1),
      intervals: [],
      fits: undefined,
      theory: undefined,
      renormalizability: undefined,
      layers: undefined,
    };
    expect(analysisFigures(one as unknown as FigureSource).map((f) => f.id)).toEqual(['energy', 'residual-share', 'eigenvalues']);
  });
});

describe('figure source of a real analysis', () => {
  let json: Record<string, unknown>;
  beforeAll(async () => {
    const run = trainingRun({ steps: 60, checkpoints: 6 });
    using series = new GrsdSeries('cpu', { timeScale: run.timeScale, probePoints: run.probePoints, gridOptions: { headroom: 2 } });
    for (const cp of run.checkpoints()) await series.push(cp);
    const result = series.result();
    const analysis = analyzeGrsd(result, { lsi: { permutations: 50 } });
    json = JSON.parse(JSON.stringify(analysisJson(result, { kind: 'cpu' }, { ...analysis, timeUnit: 'steps' })));
  });

  test('keeps what the figures draw and drops the matrices (a small fraction of the JSON)', () => {
    const src = figureSource(json);
    expect(src.timeUnit).toBe('steps');
    expect(src.checkpoints).toHaveLength(6);
    expect(src.intervals).toHaveLength(5);
    expect(JSON.stringify(src)).not.toMatch(/"flow"|"transport"/);
    expect(JSON.stringify(src).length).toBeLessThan(0.5 * JSON.stringify(json).length);
    expect(src.layers).toHaveLength(5);
    for (const l of src.layers!) expect(l.shares.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
    const ids = analysisFigures(src).map((f) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining(['energy', 'residual-share', 'loss', 'eigenvalues', 'flux', 'velocity', 'couplings', 'layers']),
    );
  });

  test('run facts: n, N, rank, time unit and the largest ⊥/∅ shares', () => {
    const facts = runFacts(figureSource(json));
    expect(facts).toMatchObject({ n: 20, probePoints: 20, rank: 20, timeUnit: 'steps', checkpoints: 6, intervals: 5 });
    expect(facts.timeScale).toBeCloseTo(0.5 / 20, 15);
    expect(facts.maxComplementShare).toBeLessThan(1e-10);
    expect(facts.shellsPerDecade).toBeCloseTo(4, 12);
  });
});

describe('figure source: schema-2 sections', () => {
  test('theory.renormalizability (ratios per interval, perShell, window) and warnings are read', () => {
    const src = handSource('steps');
    const json = {
      timeScale: 0.01,
      grid: src.grid,
      checkpoints: src.checkpoints,
      intervals: src.intervals,
      theory: {
        window: [0, 3],
        couplings: [],
        lsi: null,
        renormalizability: {
          ok: true,
          window: [0, 3],
          ratios: src.intervals.map(() => [0.2, null, 0.05]),
          perShell: [0.1, null, 0.03],
          median: 0.065,
          max: 0.1,
          shells: 2,
        },
      },
      warnings: ['the complement shell ⊥ holds up to 10.0% of ‖e‖²'],
    };
    const s = figureSource(json);
    expect(s.renormalizability!.perInterval.map((p) => [p.t0, p.t1])).toEqual(src.intervals.map((iv) => [iv.t0, iv.t1]));
    expect(s.renormalizability!.perShell).toEqual([0.1, null, 0.03]);
    expect(s.warnings).toEqual(['the complement shell ⊥ holds up to 10.0% of ‖e‖²']);
    const f = remainderFigure(s)!;
    expect(f.rows.filter((r) => r.interval === 'whole run').map((r) => r.ratio)).toEqual([0.1, 0.03]);
    expect(f.rows.filter((r) => r.interval !== 'whole run')).toHaveLength(4 * 2);
    // A failed remainder (ok: false) draws nothing.
    expect(
      figureSource({ ...json, theory: { ...json.theory, renormalizability: { ok: false, reason: 'no interval' } } }).renormalizability,
    ).toBeUndefined();
  });
});

describe('CSV export', () => {
  test('header = union of keys; quotes, commas, nulls and non-finite numbers', () => {
    const csv = toCsv([
      { a: 1, b: 'x,y' },
      { a: null, c: 'say "hi"' },
      { a: Number.NaN, b: 'line\nbreak' },
    ]);
    expect(csv).toBe('a,b,c\r\n1,"x,y",\r\n,,"say ""hi"""\r\n,"line\nbreak",\r\n');
  });
});

describe('offline rendering to SVG (network access fails while rendering)', () => {
  afterEach(() => vi.unstubAllGlobals());

  test.each(['energy', 'residual-share', 'loss', 'eigenvalues', 'flux', 'velocity', 'couplings', 'remainder', 'layers'])(
    '%s renders with its title, axis titles, tick labels and legend',
    async (id) => {
      vi.stubGlobal('fetch', () => Promise.reject(new Error('network access while rendering')));
      const f = analysisFigures(handSource('steps')).find((x) => x.id === id)!;
      const svg = await renderSvg(f.spec);
      expect(svg.startsWith('<svg')).toBe(true);
      const text = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      expect(text).toContain(f.title);
      for (const title of axisTitles(f)) expect(text).toContain(title);
      // Tick labels: at least two per figure, and legends have entries.
      expect(svg.match(/role-axis-label/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(svg).toMatch(/role-legend/);
    },
  );

  test('the checkpoint axis is in numeric order (0, 1, 2, 11, 20), not string order', async () => {
    const svg = await renderSvg(energyFigure(handSource('steps'))!.spec);
    expect(axisLabels(svg, "X-axis titled 'checkpoint t")).toEqual(['0', '1', '2', '11', '20']);
    expect(axisLabels(svg, "Y-axis titled 'shell λ")).toEqual(['1e-2', '1e-1', '1e+0', '1e+1']);
  });

  test('depth figure renders its threshold label and both architectures', async () => {
    const f = depthFigure(
      [
        { architecture: 'residual', depth: 2, epsilon: 0.6, stdErr: 0.1, seeds: 3 },
        { architecture: 'plain', depth: 4, epsilon: 0.9, stdErr: 0.2, seeds: 3 },
      ],
      0.3,
    )!;
    const svg = await renderSvg(f.spec);
    expect(svg).toContain('pass ≤ 0.3');
    expect(svg).toContain('>residual<');
    expect(svg).toContain('>plain<');
    expect(svg).toContain('depth L (blocks)');
  });
});
