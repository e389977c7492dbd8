/**
 * The figures of a GRSD analysis as Vega-Lite specs: pure functions from a {@link FigureSource}
 * (or the depth-study rows) to a {@link Figure} — spec with its data inline, a title, a one-line
 * caption and the rows it draws (for CSV/JSON export). The HTML report renders them to SVG, the
 * live view (`grsd serve`) and the visualizer draw them in the page, so a figure looks the same
 * everywhere. No vega import here (types only): rendering is in render.ts and loaded on demand.
 *
 * Conventions: λ axes are logarithmic with numeric ticks; t axes state their unit; intervals and
 * eigenvalue ranks use a sequential colour scale in time/rank order (never sorted as strings);
 * every quantity with a unit says it in its axis title. Definitions: docs/math.md.
 * @module
 */
import type { TopLevelSpec } from 'vega-lite';
import { decades, formatLambda, intervalLabel, orderedLegend, perTime, sequentialScale, timeTitle } from './format.ts';
import type { FigureSource, FigureVelocityFit } from './source.ts';

/** A table cell of a figure's data. */
export type Cell = number | string | null;

/** One figure: spec (data inline), title, caption and the rows it draws. */
export interface Figure {
  /** Stable, file-name-safe identifier (e.g. "energy"). */
  readonly id: string;
  readonly title: string;
  /** One line under the figure: what it shows and how to read it. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** The data drawn, one object per row (CSV/JSON export). */
  readonly rows: readonly Record<string, Cell>[];
}

/** Share of ‖e‖² in ⊥ or ∅ above which the analysed shells miss a material part of the residual. */
export const RESIDUAL_SHARE_WARNING = 0.05;

const WIDTH = 520;
const HEIGHT = 260;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = {
  font: 'sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eaeef2' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' },
  view: { stroke: '#d0d7de' },
};

function spec(title: string, body: Record<string, unknown>, size: { width?: number; height?: number } = {}): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    width: size.width ?? WIDTH,
    height: size.height ?? HEIGHT,
    background: 'white',
    padding: 8,
    config: CONFIG,
    ...body,
  } as TopLevelSpec;
}

/** Ordinal axis of checkpoint times: numeric order, labels formatted, overlapping labels dropped. */
function checkpointAxis(unit: string | undefined): Record<string, unknown> {
  return {
    field: 't',
    type: 'ordinal',
    sort: 'ascending',
    title: timeTitle(unit, 'checkpoint t'),
    axis: { labelAngle: 0, labelOverlap: 'greedy', labelExpr: "format(datum.value, '.4~g')" },
  };
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Shell energy E_α(t)/‖e(t)‖² over shells × checkpoints; empty shells blank; log colour scale with a colorbar. */
export function energyFigure(source: FigureSource): Figure | null {
  const { grid, checkpoints } = source;
  if (checkpoints.length === 0 || grid.count === 0) return null;
  const rows = checkpoints.flatMap((c) =>
    Array.from({ length: grid.count }, (_, a) => ({
      checkpoint: c.index,
      t: c.t,
      shell: a,
      lambdaLow: grid.edges[a]!,
      lambdaHigh: grid.edges[a + 1]!,
      share: c.residualNorm2 > 0 ? Math.max(0, c.energy[a]!) / c.residualNorm2 : 0,
    })),
  );
  const positive = rows.map((r) => r.share).filter((v) => v > 0);
  const FLOOR = 1e-10;
  const lo = Math.max(FLOOR, positive.length ? Math.min(...positive) : FLOOR);
  const hi = Math.max(lo * 10, positive.length ? Math.max(...positive) : 1);
  const yTicks = decades(grid.edges[0]!, grid.edges[grid.count]!);
  const title = 'Shell energy E_α(t) / ‖e(t)‖²';
  return {
    id: 'energy',
    title,
    caption: `Share of the residual energy in each log-λ shell at each checkpoint (colour, log scale; shares below ${FLOOR} take the lowest colour); blank cells are empty shells.`,
    rows,
    spec: spec(title, {
      data: { values: rows },
      transform: [{ filter: 'datum.share > 0' }],
      mark: { type: 'rect', tooltip: true },
      encoding: {
        x: checkpointAxis(source.timeUnit),
        y: {
          field: 'lambdaLow',
          type: 'quantitative',
          scale: { type: 'log', domain: [grid.edges[0]!, grid.edges[grid.count]!], nice: false },
          axis: { format: '.0e', ...(yTicks.length >= 2 ? { values: yTicks } : {}) },
          title: 'shell λ (of timeScale·K)',
        },
        y2: { field: 'lambdaHigh' },
        color: {
          field: 'share',
          type: 'quantitative',
          scale: { type: 'log', scheme: 'viridis', domain: [lo, hi], clamp: true },
          legend: { title: 'E_α/‖e‖²', format: '.0e', gradientLength: 200, values: decades(lo, hi) },
        },
      },
    }),
  };
}

/** The intervals in time order with their labels (shared by every per-interval figure). */
function intervalDomain(source: FigureSource): string[] {
  return [...source.intervals].sort((a, b) => a.t0 - b.t0).map((iv) => intervalLabel(iv.t0, iv.t1));
}

/** Flux Π across every shell boundary per interval, on a symlog axis with a zero line. */
export function fluxFigure(source: FigureSource): Figure | null {
  const { grid, intervals } = source;
  if (intervals.length === 0) return null;
  const rows = intervals.flatMap((iv) =>
    iv.flux.map((p, i) => ({ interval: intervalLabel(iv.t0, iv.t1), t0: iv.t0, t1: iv.t1, boundary: grid.edges[i]!, flux: p })),
  );
  const max = rows.reduce((m, r) => Math.max(m, Math.abs(r.flux)), 0);
  // Linear within ±constant: three decades below the largest |Π| (the velocity fit's noise floor is 1e-3·max).
  const constant = max > 0 ? 1e-3 * max : 1;
  const ticks = max > 0 ? decades(constant, max) : [];
  const domain = intervalDomain(source);
  const title = 'Flux Π across shell boundaries';
  return {
    id: 'flux',
    title,
    caption: `Net energy flux across each shell boundary per interval (positive: toward larger λ); symlog axis, linear within ±${constant.toExponential(0)}; the grey line is Π = 0.`,
    rows,
    spec: spec(title, {
      layer: [
        {
          data: { values: [{ zero: 0 }] },
          mark: { type: 'rule', color: '#57606a', strokeWidth: 1 },
          encoding: { y: { field: 'zero', type: 'quantitative' } },
        },
        {
          data: { values: rows },
          mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5, tooltip: true },
          encoding: {
            x: {
              field: 'boundary',
              type: 'quantitative',
              scale: { type: 'log', nice: false },
              axis: { format: '.0e' },
              title: 'shell boundary λ',
            },
            y: {
              field: 'flux',
              type: 'quantitative',
              scale: { type: 'symlog', constant, domain: [-max || -1, max || 1], nice: false },
              axis: {
                labelExpr: "datum.value === 0 ? '0' : format(datum.value, '.0e')",
                ...(ticks.length ? { values: [...ticks.map((v) => -v).reverse(), 0, ...ticks] } : {}),
              },
              title: `Π (energy ${perTime(source.timeUnit)})`,
            },
            color: {
              field: 'interval',
              type: 'ordinal',
              sort: domain,
              scale: sequentialScale(domain),
              legend: orderedLegend('interval', domain.length),
            },
          },
        },
      ],
    }),
  };
}

/** |v(λ)| at the boundaries per interval (points, shape = direction) with the power-law fits (lines). */
export function velocityFigure(source: FigureSource): Figure | null {
  const { intervals } = source;
  if (intervals.length === 0) return null;
  const fits = source.fits?.velocity ?? [];
  const sorted = [...intervals].sort((a, b) => a.t0 - b.t0);
  const labelOf = new Map<number, string>();
  for (const iv of sorted) {
    const f = fits[iv.index];
    const base = intervalLabel(iv.t0, iv.t1);
    labelOf.set(iv.index, f?.ok ? `${base}: a = ${f.a.toFixed(2)}` : `${base} (no fit)`);
  }
  const domain = sorted.map((iv) => labelOf.get(iv.index)!);
  const rows: Record<string, Cell>[] = [];
  for (const iv of sorted) {
    iv.velocityBoundaries.forEach((b, i) => {
      const v = iv.velocity[i];
      if (!finite(v) || v === 0) return;
      rows.push({
        interval: labelOf.get(iv.index)!,
        t0: iv.t0,
        t1: iv.t1,
        lambda: b,
        speed: Math.abs(v),
        kind: 'measured',
        direction: v > 0 ? 'toward larger λ' : 'toward smaller λ',
      });
    });
    const f = fits[iv.index];
    if (f?.ok) {
      const fit = f as FigureVelocityFit;
      const lo = Math.min(...fit.lambdas);
      const hi = Math.max(...fit.lambdas);
      for (const l of [lo, hi])
        rows.push({
          interval: labelOf.get(iv.index)!,
          t0: iv.t0,
          t1: iv.t1,
          lambda: l,
          speed: Math.abs(fit.c) * l ** fit.a,
          kind: 'fit',
          direction: null,
        });
    }
  }
  if (rows.length === 0) return null;
  const rig = source.fits?.rigidity;
  const title = rig?.ok
    ? `Velocity |v(λ)| and fits v = c·λ^a (a = ${rig.aMean.toFixed(3)} ± ${rig.aStd.toFixed(3)})`
    : 'Velocity |v(λ)| and fits v = c·λ^a';
  const x = {
    field: 'lambda',
    type: 'quantitative',
    scale: { type: 'log', nice: false },
    axis: { format: '.0e' },
    title: 'shell boundary λ',
  };
  const y = {
    field: 'speed',
    type: 'quantitative',
    scale: { type: 'log' },
    axis: { format: '.0e' },
    title: `|v| (λ ${perTime(source.timeUnit)})`,
  };
  const color = {
    field: 'interval',
    type: 'ordinal',
    sort: domain,
    scale: sequentialScale(domain),
    legend: orderedLegend('interval: fitted a', domain.length),
  };
  return {
    id: 'velocity',
    title,
    caption:
      'Flux-defined velocity of the spectral energy at each boundary (points; triangle up: toward larger λ, down: toward smaller) and the power-law fit per interval (lines, over the fitted boundaries).',
    rows,
    spec: spec(title, {
      data: { values: rows },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'measured'" }],
          mark: { type: 'point', filled: true, size: 28, tooltip: true },
          encoding: {
            x,
            y,
            color,
            shape: {
              field: 'direction',
              type: 'nominal',
              scale: { domain: ['toward larger λ', 'toward smaller λ'], range: ['triangle-up', 'triangle-down'] },
              legend: { title: 'direction' },
            },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'fit'" }],
          mark: { type: 'line', strokeWidth: 2 },
          encoding: { x, y, color, detail: { field: 'interval' } },
        },
      ],
    }),
  };
}

/** The window-averaged renormalized couplings 𝒦_αβ on the inertial window, axes labelled by shell λ̄. */
export function couplingsFigure(source: FigureSource): Figure | null {
  const theory = source.theory;
  if (!theory || theory.couplings.length === 0) return null;
  const [lo, hi] = [theory.window[0]!, theory.window[1]!];
  if (!(hi > lo)) return null;
  const centers = source.grid.centers;
  const label = (a: number) => formatLambda(centers[a]!);
  const order = Array.from({ length: hi - lo }, (_, i) => label(lo + i));
  const rows: Record<string, Cell>[] = [];
  for (let a = lo; a < hi; a++)
    for (let b = lo; b < hi; b++)
      rows.push({
        to: a,
        from: b,
        lambdaTo: centers[a]!,
        lambdaFrom: centers[b]!,
        toLabel: label(a),
        fromLabel: label(b),
        coupling: theory.couplings[a]?.[b] ?? 0,
      });
  const m = rows.reduce((s, r) => Math.max(s, Math.abs(r.coupling as number)), 0) || 1;
  const title = theory.lsi ? `Renormalized couplings 𝒦_αβ (ε_LSI = ${theory.lsi.epsilon.toFixed(3)})` : 'Renormalized couplings 𝒦_αβ';
  return {
    id: 'couplings',
    title,
    caption: `Window-averaged transport between shells normalized by √(E_α E_β), on the inertial window (${hi - lo} shells); log-shift invariance means it depends on α − β only.${theory.lsi ? '' : ` ε_LSI not computed: ${theory.reason ?? 'no statistic'}.`}`,
    rows,
    spec: spec(
      title,
      {
        data: { values: rows },
        mark: { type: 'rect', tooltip: true },
        encoding: {
          x: {
            field: 'fromLabel',
            type: 'ordinal',
            sort: order,
            scale: { domain: order },
            title: 'from shell β (centre λ̄_β)',
            axis: { labelAngle: -45, labelOverlap: 'greedy' },
          },
          y: {
            field: 'toLabel',
            type: 'ordinal',
            sort: [...order].reverse(),
            scale: { domain: [...order].reverse() },
            title: 'to shell α (centre λ̄_α)',
            axis: { labelOverlap: 'greedy' },
          },
          color: {
            field: 'coupling',
            type: 'quantitative',
            scale: { scheme: 'redblue', domain: [-m, m], reverse: true },
            legend: { title: `𝒦_αβ (${perTime(source.timeUnit)})`, format: '.1e', gradientLength: 200 },
          },
        },
      },
      { width: 340, height: 340 },
    ),
  };
}

/** Measured loss, the tail fit L ∝ t^−ξ and the lazy (fixed-kernel) prediction, with a legend. */
export function lossFigure(source: FigureSource): Figure | null {
  const measured = source.checkpoints.filter((c) => c.t > 0 && c.loss > 0).map((c) => ({ t: c.t, loss: c.loss }));
  if (measured.length === 0) return null;
  const fit = source.fits?.lossExponent;
  const MEASURED = 'measured';
  // The line drawn over the fit window is a plain power law through the measured points there: its
  // slope is the fit's ξ for the power-law model, and `xiPowerLaw` (the plain slope over the same
  // points) when ξ comes from the finite-spectrum model, whose curve needs more than the JSON holds.
  const plain = fit?.ok && fit.model === 'finite-spectrum' && typeof fit.xiPowerLaw === 'number';
  const slope = fit?.ok ? (plain ? fit.xiPowerLaw! : fit.xi) : 0;
  const FIT = fit?.ok
    ? plain
      ? `power law over the fit window, slope ${slope.toFixed(3)}`
      : `tail fit, ξ = ${fit.xi.toFixed(3)} ± ${fit.xiStdErr.toFixed(3)}`
    : null;
  const LAZY = 'lazy (fixed-kernel) prediction';
  const rows: Record<string, Cell>[] = measured.map((p) => ({ ...p, series: MEASURED }));
  if (fit?.ok && FIT) {
    // An OLS line in (ln t, ln L) over [tMin, tMax] with slope −ξ has the intercept mean(ln L + ξ ln t).
    const tail = measured.filter((p) => p.t >= fit.tMin * (1 - 1e-12) && p.t <= fit.tMax * (1 + 1e-12));
    if (tail.length > 0) {
      const lnA = tail.reduce((s, p) => s + Math.log(p.loss) + slope * Math.log(p.t), 0) / tail.length;
      for (const t of [fit.tMin, fit.tMax]) rows.push({ t, loss: Math.exp(lnA - slope * Math.log(t)), series: FIT });
    }
  }
  const lazy = (source.fits?.lazyPrediction ?? []).filter((p) => p.t > 0 && p.predicted > 0);
  for (const p of lazy) rows.push({ t: p.t, loss: p.predicted, series: LAZY });
  const domain = [MEASURED, ...(FIT ? [FIT] : []), ...(lazy.length ? [LAZY] : [])];
  const colours: Record<string, string> = { [MEASURED]: '#1f2328', [LAZY]: '#0969da' };
  const dashes: Record<string, number[]> = { [MEASURED]: [1, 0], [LAZY]: [6, 4] };
  if (FIT) {
    colours[FIT] = '#cf222e';
    dashes[FIT] = [2, 2];
  }
  const title = fit?.ok
    ? `Loss L(t), ξ = ${fit.xi.toFixed(3)} ± ${fit.xiStdErr.toFixed(3)}${fit.model ? ` (${fit.model} model)` : ''}`
    : 'Loss L(t)';
  return {
    id: 'loss',
    title,
    caption: `Loss L = ‖e‖²/(2N) at the checkpoints, the power law over the window the exponent was fitted on${plain ? ' (ξ itself is the finite-spectrum model’s, docs/conditions.md)' : ''} and the loss a fixed kernel would give${fit && !fit.ok ? ` (no fit: ${fit.reason})` : ''}; t = 0 is off the log axis.`,
    rows,
    spec: spec(title, {
      data: { values: rows },
      encoding: {
        x: {
          field: 't',
          type: 'quantitative',
          scale: { type: 'log', nice: false },
          axis: { format: '~g' },
          title: timeTitle(source.timeUnit),
        },
        y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, axis: { format: '.0e' }, title: 'loss L = ‖e‖²/(2N)' },
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain, range: domain.map((d) => colours[d]) },
          legend: { title: null, orient: 'top-right', labelLimit: 0 },
        },
      },
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1.8 },
          encoding: {
            strokeDash: {
              field: 'series',
              type: 'nominal',
              scale: { domain, range: domain.map((d) => dashes[d]) },
              legend: { title: null, orient: 'top-right', labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2 },
            },
          },
        },
        { transform: [{ filter: `datum.series === '${MEASURED}'` }], mark: { type: 'point', filled: true, size: 24, tooltip: true } },
      ],
    }),
  };
}

/** ⊥ and ∅ shares of ‖e‖² per checkpoint, with the warning band above {@link RESIDUAL_SHARE_WARNING}. */
export function residualShareFigure(source: FigureSource, warning = RESIDUAL_SHARE_WARNING): Figure | null {
  const { grid, checkpoints } = source;
  if (checkpoints.length === 0) return null;
  const COMPLEMENT = '⊥ (outside the computed eigenvectors)';
  const FLOOR = '∅ (eigenvalues below the floor)';
  const share = (v: number, e2: number) => (e2 > 0 ? Math.max(0, v) / e2 : 0);
  const rows = checkpoints.flatMap((c) => [
    { t: c.t, part: COMPLEMENT, share: share(c.energy[grid.complementIndex]!, c.residualNorm2) },
    { t: c.t, part: FLOOR, share: share(c.energy[grid.floorIndex]!, c.residualNorm2) },
  ]);
  const worst = rows.reduce((m, r) => Math.max(m, r.share), 0);
  // Show the band and the data: up to 2.5× the warning level, or to the worst share when above.
  const top = Math.min(1, Math.max(2.5 * warning, 1.1 * worst));
  const title = `Residual outside the analysed shells (max ${(100 * worst).toFixed(1)}%)`;
  const x = checkpointAxis(source.timeUnit);
  return {
    id: 'residual-share',
    title,
    caption: `Share of ‖e‖² in ⊥ and ∅ per checkpoint; in the red band (> ${100 * warning}%) the shell figures and verdicts describe only part of the residual: raise --rank (⊥) or lower the floor (∅).`,
    rows,
    spec: spec(title, {
      layer: [
        {
          data: { values: [{ lo: warning, hi: top }] },
          mark: { type: 'rect', color: '#cf222e', opacity: 0.1 },
          encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        {
          data: { values: [{ y: warning, text: `warning: > ${100 * warning}%` }] },
          mark: { type: 'text', align: 'right', dx: -4, dy: -6, color: '#cf222e', x: 'width' },
          encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'text' } },
        },
        {
          data: { values: rows },
          mark: { type: 'line', point: { size: 20 }, tooltip: true },
          encoding: {
            x,
            y: { field: 'share', type: 'quantitative', scale: { domain: [0, top] }, axis: { format: '.0%' }, title: 'share of ‖e‖²' },
            color: {
              field: 'part',
              type: 'nominal',
              scale: { domain: [COMPLEMENT, FLOOR], range: ['#8250df', '#9a6700'] },
              legend: { title: null, orient: 'top-left', labelLimit: 0 },
            },
          },
        },
      ],
    }),
  };
}

/** The top eigenvalues λ_k(t) (k = 1 is λ_max) over the checkpoints: progressive sharpening shows here. */
export function eigenvaluesFigure(source: FigureSource, top = 10): Figure | null {
  const { checkpoints, grid } = source;
  if (checkpoints.length === 0) return null;
  const k = Math.min(top, ...checkpoints.map((c) => c.eigenvalues.length));
  if (!(k >= 1)) return null;
  const name = (i: number) => (i === 0 ? 'λ_max (k = 1)' : `k = ${i + 1}`);
  const rows = checkpoints
    .flatMap((c) => Array.from({ length: k }, (_, i) => ({ t: c.t, rank: i + 1, series: name(i), lambda: c.eigenvalues[i]! })))
    .filter((r) => r.lambda > 0);
  const domain = Array.from({ length: k }, (_, i) => name(i));
  const last = checkpoints.at(-1)!;
  const first = checkpoints[0]!;
  const growth = first.eigenvalues[0]! > 0 ? last.eigenvalues[0]! / first.eigenvalues[0]! : NaN;
  const title = `Top ${k} eigenvalues over training (λ_max × ${Number.isFinite(growth) ? growth.toPrecision(3) : '—'})`;
  return {
    id: 'eigenvalues',
    title,
    caption: `The ${k} largest eigenvalues of timeScale·K at each checkpoint (k = 1 is λ_max, bold); a rising λ_max is progressive sharpening; the dashed line is the top shell boundary.`,
    rows,
    spec: spec(title, {
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line', point: { size: 14 }, tooltip: true },
          encoding: {
            x: checkpointAxis(source.timeUnit),
            y: {
              field: 'lambda',
              type: 'quantitative',
              scale: { type: 'log' },
              axis: { format: '.0e' },
              title: 'λ_k (of timeScale·K)',
            },
            color: {
              field: 'series',
              type: 'ordinal',
              sort: domain,
              scale: sequentialScale(domain),
              legend: orderedLegend('eigenvalue', domain.length),
            },
            strokeWidth: { condition: { test: 'datum.rank === 1', value: 3 }, value: 1.2 },
          },
        },
        {
          data: { values: [{ top: grid.edges[grid.count]! }] },
          mark: { type: 'rule', strokeDash: [5, 4], color: '#57606a' },
          encoding: { y: { field: 'top', type: 'quantitative' } },
        },
      ],
    }),
  };
}

/** |R_α|/D_α per shell and interval (the renormalizability remainder, docs/conditions.md), when the analysis has it. */
export function remainderFigure(source: FigureSource): Figure | null {
  const r = source.renormalizability;
  if (!r || r.perInterval.length === 0) return null;
  const centers = source.grid.centers;
  const sorted = [...r.perInterval].sort((a, b) => a.t0 - b.t0);
  const domain = sorted.map((p) => intervalLabel(p.t0, p.t1));
  const rows = sorted.flatMap((p) =>
    p.ratio.flatMap((v, a) =>
      finite(v) && v > 0 && a < centers.length
        ? [{ interval: intervalLabel(p.t0, p.t1), t0: p.t0, t1: p.t1, shell: a, lambda: centers[a]!, ratio: v }]
        : [],
    ),
  );
  if (rows.length === 0) return null;
  // The run's ratio per shell (Σ|R|Δt / ΣDΔt), drawn over the intervals in black.
  const run = (r.perShell ?? []).flatMap((v, a) =>
    finite(v) && v > 0 && a < centers.length
      ? [{ interval: 'whole run', t0: null, t1: null, shell: a, lambda: centers[a]!, ratio: v }]
      : [],
  );
  const x = {
    field: 'lambda',
    type: 'quantitative',
    scale: { type: 'log', nice: false },
    axis: { format: '.0e' },
    title: 'shell centre λ̄_α',
  };
  const y = { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, axis: { format: '.0e' }, title: '|R_α| / D_α' };
  const title = 'Renormalizability remainder |R_α| / D_α';
  const layers: Record<string, unknown>[] = [
    {
      data: { values: rows },
      mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.2, tooltip: true },
      encoding: {
        x,
        y,
        color: {
          field: 'interval',
          type: 'ordinal',
          sort: domain,
          scale: sequentialScale(domain),
          legend: orderedLegend('interval', domain.length),
        },
      },
    },
  ];
  if (run.length)
    layers.push({
      data: { values: run },
      mark: { type: 'line', point: { size: 30, filled: true, color: '#1f2328' }, color: '#1f2328', strokeWidth: 2.5, tooltip: true },
      encoding: { x, y },
    });
  if (r.threshold !== undefined)
    layers.push({
      data: { values: [{ y: r.threshold }] },
      mark: { type: 'rule', strokeDash: [5, 4], color: '#cf222e' },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    });
  const window = r.window ? ` The inertial window is shells ${r.window[0]}–${r.window[1] - 1}.` : '';
  return {
    id: 'remainder',
    title,
    caption: `How far each shell's energy balance is from closing with the local boundary flux (|Ė_α + D_α − local flux divergence| relative to D_α; the closure is grsd's choice, docs/conditions.md); small means renormalizable${r.threshold === undefined ? '' : `, the dashed line is ${r.threshold}`}; coloured per interval, black over the whole run; shells that barely dissipate are left out.${window}`,
    rows: [...rows, ...run],
    spec: spec(title, { layer: layers }),
  };
}

/** One row of a depth study: ε_LSI (mean over seeds, with its standard error) of one architecture and depth. */
export interface DepthPoint {
  readonly architecture: string;
  readonly depth: number;
  /** ε_LSI (mean over the seeds that gave one), or null when not computable. */
  readonly epsilon: number | null;
  /** Standard error of the mean over seeds (null with one seed). */
  readonly stdErr: number | null;
  /** Seeds that gave a value. */
  readonly seeds: number;
  /** The per-seed values (drawn as faint points), when there are several seeds. */
  readonly values?: readonly (number | null)[];
}

/** ε_LSI against depth per architecture, with ±1 SE error bars and the C4 pass threshold. */
export function depthFigure(points: readonly DepthPoint[], threshold: number): Figure | null {
  const rows = points
    .filter((p) => finite(p.epsilon))
    .sort((a, b) => a.architecture.localeCompare(b.architecture) || a.depth - b.depth)
    .map((p) => ({
      architecture: p.architecture,
      depth: p.depth,
      epsilon: p.epsilon,
      stdErr: p.stdErr,
      low: finite(p.stdErr) ? p.epsilon! - p.stdErr : null,
      high: finite(p.stdErr) ? p.epsilon! + p.stdErr : null,
      seeds: p.seeds,
    }));
  if (rows.length === 0) return null;
  const perSeed = points.flatMap((p) =>
    (p.values ?? []).flatMap((v, seed) => (finite(v) ? [{ architecture: p.architecture, depth: p.depth, seed, epsilon: v }] : [])),
  );
  const depths = [...new Set(rows.map((r) => r.depth))].sort((a, b) => a - b);
  const x = {
    field: 'depth',
    type: 'quantitative',
    scale: { type: 'log', base: 2, nice: false, padding: 12 },
    axis: { values: depths, format: 'd' },
    title: 'depth L (blocks)',
  };
  const color = { field: 'architecture', type: 'nominal', legend: { title: 'architecture' } };
  const title = `ε_LSI against depth (C4 passes at ε_LSI ≤ ${threshold})`;
  const seeds = Math.max(...rows.map((r) => r.seeds));
  return {
    id: 'depth',
    title,
    caption: `Log-shift-invariance statistic per depth${seeds > 1 ? `, mean over up to ${seeds} seeds with ±1 standard error${perSeed.length ? ' (faint points: single seeds)' : ''}` : ''}; below the dashed line the couplings are log-shift invariant (docs/conditions.md).`,
    rows: [...rows, ...perSeed.map((p) => ({ ...p, kind: 'seed' }))],
    spec: spec(title, {
      layer: [
        {
          data: { values: [{ y: threshold, text: `pass ≤ ${threshold}` }] },
          layer: [
            { mark: { type: 'rule', strokeDash: [5, 4], color: '#1a7f37' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
            {
              mark: { type: 'text', align: 'right', dy: -6, color: '#1a7f37', x: 'width' },
              encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'text' } },
            },
          ],
        },
        ...(perSeed.length
          ? [
              {
                data: { values: perSeed },
                mark: { type: 'point', opacity: 0.4, size: 22, tooltip: true },
                encoding: { x, y: { field: 'epsilon', type: 'quantitative' }, color },
              },
            ]
          : []),
        {
          data: { values: rows },
          layer: [
            {
              mark: { type: 'line', point: { size: 40, filled: true }, tooltip: true },
              encoding: { x, y: { field: 'epsilon', type: 'quantitative', scale: { zero: true }, title: 'ε_LSI' }, color },
            },
            {
              transform: [{ filter: 'datum.low !== null' }],
              mark: { type: 'rule', strokeWidth: 1.5 },
              encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
            },
          ],
        },
      ],
    }),
  };
}

/** Per-layer share of the Kato transport per interval (stacked), when per-layer kernels were given. */
export function layerFigure(
  layers: { readonly t0: number; readonly t1: number; readonly shares: readonly number[] }[],
  timeUnit?: string,
): Figure | null {
  if (layers.length === 0 || layers[0]!.shares.length === 0) return null;
  const sorted = [...layers].sort((a, b) => a.t0 - b.t0);
  const domain = sorted.map((l) => intervalLabel(l.t0, l.t1));
  const count = sorted[0]!.shares.length;
  const layerNames = Array.from({ length: count }, (_, l) => `layer ${l}`);
  const rows = sorted.flatMap((iv) =>
    iv.shares.map((s, l) => ({
      interval: intervalLabel(iv.t0, iv.t1),
      t0: iv.t0,
      t1: iv.t1,
      layer: layerNames[l]!,
      layerIndex: l,
      share: s,
    })),
  );
  const title = 'Per-layer share of the Kato transport';
  return {
    id: 'layers',
    title,
    caption:
      "Share of Σ|T| carried by each layer's kernel K_l in the exact Kato split, per interval: which layers move spectral energy between shells.",
    rows,
    spec: spec(title, {
      data: { values: rows },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: {
          field: 'interval',
          type: 'ordinal',
          sort: domain,
          scale: { domain },
          title: `interval (${timeTitle(timeUnit, 't').replace(/^t \(|\)$/g, '')})`,
          axis: { labelAngle: -45, labelOverlap: 'greedy' },
        },
        y: {
          field: 'share',
          type: 'quantitative',
          stack: 'zero',
          scale: { domain: [0, 1] },
          axis: { format: '.0%' },
          title: 'share of Σ|T|',
        },
        color: {
          field: 'layer',
          type: 'ordinal',
          sort: layerNames,
          scale: sequentialScale(layerNames),
          legend: orderedLegend('layer', count),
        },
        order: { field: 'layerIndex', type: 'quantitative' },
      },
    }),
  };
}

/** Every figure a figure source can draw, in reading order (those without data are left out). */
export function analysisFigures(source: FigureSource): Figure[] {
  return [
    energyFigure(source),
    residualShareFigure(source),
    lossFigure(source),
    eigenvaluesFigure(source),
    fluxFigure(source),
    velocityFigure(source),
    couplingsFigure(source),
    remainderFigure(source),
    source.layers ? layerFigure([...source.layers], source.timeUnit) : null,
  ].filter((f): f is Figure => f !== null);
}
