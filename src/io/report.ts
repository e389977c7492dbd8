/**
 * `grsd analyze --report FILE.html`: one self-contained HTML file with SVG plots rendered by
 * Vega-Lite (headless, no browser needed): the shell-energy heatmap over time, the flux per
 * boundary, the log-log velocity fits, the renormalized coupling matrix with its LSI statistic, the
 * loss with its fitted exponent, and the table of condition verdicts.
 * @module
 */
import type { TopLevelSpec } from 'vega-lite';
import type { GrsdAnalysis } from '../analysis/grsdAnalysis.ts';
import type { SeriesResult } from '../analysis/series.ts';
import { GRSD_VERSION } from '../version.ts';
import { importOptional } from './optionalImport.ts';

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Renders a Vega-Lite spec to an SVG string. Vega and Vega-Lite (optional dependencies, 23 MB,
 * and a top-level await that would stop `require('grsd/node')`) are loaded on the first call.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([
    importOptional(() => import('vega'), 'vega', 'Writing a report'),
    importOptional(() => import('vega-lite'), 'vega-lite', 'Writing a report'),
  ]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 520,
  height: 260,
  config: { font: 'sans-serif' },
} as const;

/** Why the velocity was not fitted (the first failure's reason). */
function noFit(analysis: GrsdAnalysis): string {
  const failure = analysis.fits.velocity.find((f) => !f.ok);
  return failure && !failure.ok ? failure.reason : 'no fit';
}

/** The plots of a report, each as an SVG string. */
export async function reportFigures(series: SeriesResult, analysis: GrsdAnalysis): Promise<Record<string, string>> {
  const { grid, checkpoints, intervals } = series;
  const centers = grid.centers;
  const figures: Record<string, string> = {};

  // 1. Shell energy over time (fraction of ‖e‖², log10).
  const heat = checkpoints.flatMap((c) =>
    Array.from({ length: grid.count }, (_, a) => ({
      t: c.t,
      shell: a,
      lambda: centers[a]!,
      value: c.energy[a]! > 0 && c.residualNorm2 > 0 ? Math.log10(c.energy[a]! / c.residualNorm2) : -16,
    })),
  );
  figures.energy = await renderSvg({
    ...base,
    title: 'Shell energy E_α(t) / ‖e(t)‖²  (log10)',
    data: { values: heat },
    mark: 'rect',
    encoding: {
      x: { field: 't', type: 'ordinal', title: 'checkpoint time t' },
      y: {
        field: 'shell',
        type: 'ordinal',
        sort: 'descending',
        title: 'shell (λ increasing upward)',
        axis: {
          labelExpr: `format(pow(10, log(${grid.lambdaRef}) / log(10) + (datum.value + ${grid.alphaMin} + 0.5) * ${grid.width / Math.LN10}), '.1e')`,
        },
      },
      color: { field: 'value', type: 'quantitative', scale: { scheme: 'viridis', domainMin: -12 }, title: 'log10' },
    },
  } as TopLevelSpec);

  // 2. Flux per boundary for every interval.
  const edges = grid.edges;
  const flux = intervals.flatMap((iv) => Array.from(iv.flux, (p, i) => ({ interval: `${iv.t0}→${iv.t1}`, lambda: edges[i]!, flux: p })));
  figures.flux = await renderSvg({
    ...base,
    title: 'Flux Π across shell boundaries (rate toward larger λ)',
    data: { values: flux },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'lambda', type: 'quantitative', scale: { type: 'log' }, title: 'boundary λ' },
      y: { field: 'flux', type: 'quantitative', scale: { type: 'symlog' }, title: 'Π', axis: { format: '.1e' } },
      color: { field: 'interval', type: 'nominal', title: 'interval' },
    },
  } as TopLevelSpec);

  // 3. Velocity fits (log-log).
  const points: Record<string, unknown>[] = [];
  const lines: Record<string, unknown>[] = [];
  analysis.fits.velocity.forEach((f, j) => {
    const iv = intervals[j]!;
    if (!f.ok) {
      // No fit: still show the measured velocities.
      iv.velocityBoundaries.forEach((l, i) => {
        if (iv.velocityValid[i] && iv.velocity[i] !== 0)
          points.push({ lambda: l, speed: Math.abs(iv.velocity[i]!), interval: `${iv.t0}→${iv.t1} (no fit)` });
      });
      return;
    }
    const label = `${f.t0}→${f.t1}: a = ${f.a.toFixed(3)}`;
    f.lambdas.forEach((l, i) => points.push({ lambda: l, speed: f.speeds[i], interval: label }));
    const lo = Math.min(...f.lambdas);
    const hi = Math.max(...f.lambdas);
    for (const l of [lo, hi]) lines.push({ lambda: l, speed: Math.abs(f.c) * l ** f.a, interval: label, j });
  });
  figures.velocity = await renderSvg({
    ...base,
    title: analysis.fits.rigidity.ok ? 'Velocity |v(λ)| and power-law fits v = c·λ^a' : `Velocity |v(λ)| — ${noFit(analysis)}`,
    layer: [
      {
        data: { values: points },
        mark: 'point',
        encoding: {
          x: { field: 'lambda', type: 'quantitative', scale: { type: 'log' }, title: 'λ' },
          y: { field: 'speed', type: 'quantitative', scale: { type: 'log' }, title: '|v|' },
          color: { field: 'interval', type: 'nominal' },
        },
      },
      {
        data: { values: lines },
        mark: 'line',
        encoding: {
          x: { field: 'lambda', type: 'quantitative', scale: { type: 'log' } },
          y: { field: 'speed', type: 'quantitative', scale: { type: 'log' } },
          color: { field: 'interval', type: 'nominal' },
        },
      },
    ],
  } as TopLevelSpec);

  // 4. Renormalized couplings on the inertial window.
  const [lo, hi] = analysis.theory.window;
  const k = analysis.theory.couplings;
  const cells: Record<string, unknown>[] = [];
  for (let a = lo; a < hi; a++) for (let b = lo; b < hi; b++) cells.push({ to: a, from: b, value: k[a]?.[b] ?? 0 });
  const lsi = analysis.theory.lsi;
  figures.couplings = await renderSvg({
    ...base,
    width: 320,
    height: 320,
    title: lsi
      ? `Renormalized couplings 𝒦_αβ (ε_LSI = ${lsi.epsilon.toFixed(3)})`
      : `Renormalized couplings 𝒦_αβ (${analysis.theory.reason ?? 'no LSI statistic'})`,
    data: { values: cells },
    mark: 'rect',
    encoding: {
      x: { field: 'from', type: 'ordinal', title: 'from shell β' },
      y: { field: 'to', type: 'ordinal', sort: 'descending', title: 'to shell α' },
      color: {
        field: 'value',
        type: 'quantitative',
        scale: { scheme: 'redblue', domainMid: 0, reverse: true },
        title: '𝒦',
        legend: { format: '.1e' },
      },
    },
  } as TopLevelSpec);

  // 5. Loss with the fitted tail exponent.
  const loss = checkpoints.filter((c) => c.t > 0 && c.loss > 0).map((c) => ({ t: c.t, loss: c.loss, series: 'measured' }));
  const lossFit = analysis.fits.lossExponent;
  const fitLine =
    lossFit.ok && loss.length
      ? [lossFit.tMin, lossFit.tMax].map((t) => {
          const ref = loss.find((p) => p.t >= lossFit.tMin) ?? loss[0]!;
          return { t, loss: ref.loss * (t / ref.t) ** -lossFit.xi, series: `fit ξ = ${lossFit.xi.toFixed(3)}` };
        })
      : [];
  const lazy = analysis.fits.lazyPrediction
    .filter((p) => p.t > 0 && p.predicted > 0)
    .map((p) => ({ t: p.t, loss: p.predicted, series: 'lazy prediction' }));
  figures.loss = await renderSvg({
    ...base,
    title: lossFit.ok
      ? `Loss L(t), tail exponent ξ = ${lossFit.xi.toFixed(3)} ± ${lossFit.xiStdErr.toFixed(3)}`
      : `Loss L(t) (${lossFit.reason})`,
    data: { values: [...loss, ...fitLine, ...lazy] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 't', type: 'quantitative', scale: { type: 'log' }, title: 't' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'L' },
      color: { field: 'series', type: 'nominal', title: '' },
      strokeDash: { field: 'series', type: 'nominal', legend: null },
    },
  } as TopLevelSpec);
  return figures;
}

/** The whole report as one self-contained HTML document. */
export async function renderReport(
  series: SeriesResult,
  analysis: GrsdAnalysis,
  meta: { title: string; backend: Record<string, unknown> },
): Promise<string> {
  const figures = await reportFigures(series, analysis);
  const verdictColor: Record<string, string> = { pass: '#1a7f37', marginal: '#9a6700', fail: '#cf222e', 'not-computable': '#57606a' };
  const conditions = Object.entries(analysis.conditions)
    .map(
      ([name, c]) =>
        `<tr><td>${name}</td><td style="color:${verdictColor[c.verdict]};font-weight:bold">${c.verdict}</td><td>${c.value === null ? '—' : c.value.toPrecision(4)}</td><td>${escape(c.reason)}</td></tr>`,
    )
    .join('\n');
  const names: Record<string, string> = {
    C1: 'banded/local Jacobian propagation',
    C2: 'weak incoherence at initialization',
    C3: 'controlled Jacobian evolution',
    C4: 'log-shift invariance',
  };
  const fits = analysis.fits;
  const facts = [
    ['checkpoints / intervals', `${series.checkpoints.length} / ${series.intervals.length}`],
    [
      'grid',
      `${series.grid.count} shells, h = ${series.grid.width.toFixed(4)}, λ_ref = ${series.grid.lambdaRef}, floor ${series.grid.floor.toPrecision(3)}`,
    ],
    ['backend', escape(JSON.stringify(meta.backend))],
    [
      'loss exponent ξ (tail fit)',
      fits.lossExponent.ok
        ? `${fits.lossExponent.xi.toFixed(4)} ± ${fits.lossExponent.xiStdErr.toFixed(4)}`
        : escape(fits.lossExponent.reason),
    ],
    ['ξ̂₀ (initial spectrum)', fits.spectrumExponent.ok ? fits.spectrumExponent.xi.toFixed(4) : escape(fits.spectrumExponent.reason)],
    ['frontier exponent α̂', fits.frontier.ok ? fits.frontier.exponent.toFixed(4) : escape(fits.frontier.reason)],
    [
      'velocity exponent a (mean ± sd)',
      fits.rigidity.ok
        ? `${fits.rigidity.aMean.toFixed(4)} ± ${fits.rigidity.aStd.toFixed(4)} over ${fits.rigidity.windows} windows`
        : escape(fits.rigidity.reason),
    ],
    [
      'ε_LSI',
      analysis.theory.lsi
        ? `${analysis.theory.lsi.epsilon.toFixed(4)} (permutation p = ${analysis.theory.permutation?.pValue.toPrecision(3)})`
        : escape(analysis.theory.reason ?? '—'),
    ],
  ]
    .map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
    .join('\n');
  const figure = (key: string, caption: string) => `<figure>${figures[key]}<figcaption>${caption}</figcaption></figure>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(meta.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#1f2328}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
figure{display:inline-block;margin:0.5em;vertical-align:top}figcaption{font-size:0.85em;color:#57606a;max-width:540px}
</style></head><body>
<h1>${escape(meta.title)}</h1>
<p>GRSD analysis by grsd ${GRSD_VERSION}. Definitions: docs/math.md; thresholds: spec §2.</p>
<h2>Conditions</h2>
<table><tr><th>condition</th><th>verdict</th><th>value</th><th>reason</th></tr>
${conditions.replace(/<td>(C\d)<\/td>/g, (_, c: string) => `<td>${c} — ${names[c]}</td>`)}
</table>
<h2>Summary</h2><table>${facts}</table>
<h2>Figures</h2>
${figure('energy', 'Energy of the residual per log-eigenvalue shell at each checkpoint.')}
${figure('flux', 'Net energy flux across shell boundaries per interval (symlog scale).')}
${figure('velocity', 'Flux-defined velocity and its power-law fit per interval (log-log).')}
${figure('couplings', 'Window-averaged renormalized couplings on the inertial window.')}
${figure('loss', 'Measured loss, its tail fit and the lazy (fixed-kernel) prediction.')}
</body></html>
`;
}
