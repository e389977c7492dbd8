/**
 * `grsd analyze --report FILE.html`: one self-contained HTML file (no network: the figures are
 * SVG rendered here by Vega's headless view) that a reader can judge a run from: the run header
 * (n, probe points, rank, timeScale and the unit of t, backend, grid), warnings (residual outside
 * the analysed shells, failed run-time checks, each with what to do), the four conditions, the
 * fitted exponents with what they mean, and the figures (src/io/figures) each with a one-line
 * explanation and download links for the SVG and the data (CSV, JSON).
 * Browser-safe (no Node built-in); vega is loaded when the first figure is rendered.
 * @module
 */
import type { GrsdAnalysis } from '../analysis/grsdAnalysis.ts';
import type { SeriesResult } from '../analysis/series.ts';
import { GRSD_VERSION } from '../version.ts';
import { analysisJson } from './analysisJson.ts';
import {
  analysisFigures,
  figureSource,
  formatTime,
  renderSvg,
  runFacts,
  RESIDUAL_SHARE_WARNING,
  type Figure,
  type FigureSource,
} from './figures/index.ts';

export { renderSvg };

/** HTML-escapes text. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Options of {@link renderAnalysisReport}. */
export interface ReportOptions {
  readonly title: string;
  /** Embed each figure's data so the page offers CSV/JSON downloads (default true). */
  readonly data?: boolean;
  /** Prefix of element ids, so several analyses can share one page (default ""). */
  readonly idPrefix?: string;
  /** Heading level of the sections (default 2). */
  readonly level?: 2 | 3;
}

const VERDICT_COLOUR: Record<string, string> = { pass: '#1a7f37', marginal: '#9a6700', fail: '#cf222e', 'not-computable': '#57606a' };
const CONDITION_NAMES: Record<string, string> = {
  C1: 'banded/local Jacobian propagation',
  C2: 'weak incoherence at initialization',
  C3: 'controlled Jacobian evolution',
  C4: 'log-shift invariance',
};

/** What to do when a run-time check fails (docs/math.md "Run-time invariants"). */
const CHECK_ADVICE: Record<string, string> = {
  transportSum:
    'Transport does not sum to zero beyond rounding: on the GPU backend rerun with --backend cpu (float64); if it persists, report it.',
  antisymmetry: 'T is not antisymmetric: this is a bug in the estimator, please report it with the run.',
  budget:
    'The shell energy budget does not close: on the GPU (float32) rerun with --backend cpu, or save the Jacobian instead of K (small eigenvalues are lost when K is formed in float32).',
  rowSums: 'Flow rows do not match the new energies: the eigenvectors are inaccurate; raise --steps or use --backend cpu.',
  dissipationSign:
    'Negative dissipation beyond the O(Δt) term: checkpoints are too far apart for the finite-Δt estimator; save checkpoints more often.',
  katoConsistency:
    'The Kato estimator disagrees with the finite-Δt transport: checkpoints are too sparse for it (‖Ω‖Δt·λ/gap not small); save checkpoints more often. The finite-Δt results stand.',
  layerSplit: 'The per-layer kernels do not sum to K: check the export (K must equal Σ_l K_l, on the same probe set and ordering).',
};

/** The backend in words (never as JSON). */
export function backendProse(backend: Record<string, unknown> | undefined): string {
  if (!backend) return 'not recorded';
  if (backend.kind === 'cpu') return 'CPU, float64 (the reference backend)';
  const parts = [
    backend.adapter ? `GPU “${String(backend.adapter)}”` : 'GPU',
    backend.route ? `through ${String(backend.route)}` : '',
    backend.mode ? `in WebGPU ${String(backend.mode)} mode` : '',
    backend.software ? '(software adapter)' : '',
  ].filter(Boolean);
  return `${parts.join(' ')}, ${String(backend.precision ?? 'float32')}`;
}

/** The unit of t and what timeScale means for it, in words. */
function timeProse(facts: ReturnType<typeof runFacts>): string {
  const ts = facts.timeScale.toPrecision(4);
  if (facts.timeUnit === 'steps') return `t in optimizer steps; M = ${ts}·K per step (timeScale = η/N)`;
  if (facts.timeUnit) return `t in ${escapeHtml(facts.timeUnit)}; M = ${ts}·K`;
  return `M = ${ts}·K; the manifest does not state the unit of t (add "timeUnit", docs/formats.md)`;
}

/** One failed run-time check: where, how bad, what to do. */
export interface FailedCheck {
  readonly name: string;
  readonly description: string;
  readonly intervals: readonly string[];
  readonly worst: number;
  readonly threshold: number;
  readonly advice: string;
}

/** The failed run-time checks grouped by check, with advice. */
export function failedChecks(source: FigureSource): FailedCheck[] {
  const byName = new Map<string, { description: string; intervals: string[]; worst: number; threshold: number; message?: string }>();
  for (const iv of source.intervals) {
    for (const [name, c] of Object.entries(iv.checks ?? {})) {
      if (c.pass) continue;
      const entry = byName.get(name) ?? {
        description: c.description ?? name,
        intervals: [],
        worst: c.value,
        threshold: c.threshold,
        ...(c.message ? { message: c.message } : {}),
      };
      entry.intervals.push(`${formatTime(iv.t0)}→${formatTime(iv.t1)}`);
      // "Worse" is further from the threshold on the failing side.
      if (Math.abs(c.value - c.threshold) > Math.abs(entry.worst - entry.threshold)) entry.worst = c.value;
      byName.set(name, entry);
    }
  }
  // The analysis's own message (schema 2) says what the failure means and what to do; else ours.
  return [...byName.entries()].map(([name, { message, ...e }]) => ({
    name,
    ...e,
    advice: message ?? CHECK_ADVICE[name] ?? 'See docs/math.md "Run-time invariants".',
  }));
}

/** Warnings a reader must see before the figures (HTML fragments). */
function warnings(source: FigureSource): string[] {
  const facts = runFacts(source);
  // The analysis's own warnings first (schema 2); ours only for what they do not cover.
  const out: string[] = (source.warnings ?? []).map(escapeHtml);
  const said = (symbol: string) => (source.warnings ?? []).some((w) => w.includes(symbol));
  // The series' coverage warns about ⊥ itself when it holds more than 5% (src/analysis/series.ts).
  if (facts.maxComplementShare > RESIDUAL_SHARE_WARNING && !source.coverage)
    out.push(
      `Up to <b>${(100 * facts.maxComplementShare).toFixed(1)}%</b> of ‖e‖² is in ⊥, outside the computed eigenvectors: the shell figures and the verdicts describe only the rest. Rerun with a larger <code>--rank</code> (n = ${facts.n}).`,
    );
  if (facts.maxFloorShare > RESIDUAL_SHARE_WARNING && !said('∅'))
    out.push(
      `Up to <b>${(100 * facts.maxFloorShare).toFixed(1)}%</b> of ‖e‖² is in ∅, below the floor λ = ${num(facts.floor)}: lower <code>--floor-relative</code> (on the GPU, float32 resolves λ down to about 1e-5·λ_max with K, 1e-8 with the Jacobian).`,
    );
  const failed = failedChecks(source);
  if (failed.length)
    out.push(
      `${failed.length} run-time check${failed.length > 1 ? 's' : ''} failed (${failed.map((f) => f.name).join(', ')}): see “Failed checks” below.`,
    );
  return out;
}

/** A number for prose: 3 significant digits, scientific when very small or large. */
const num = (v: number): string =>
  v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));

function fmt(v: number | null | undefined, digits = 4): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

/** The run header rows [label, HTML]. */
function headerRows(source: FigureSource): [string, string][] {
  const f = runFacts(source);
  const g = source.grid;
  return [
    [
      'probe set',
      `n = ${Number.isFinite(f.n) ? f.n : '?'} residual entries, N = ${Number.isFinite(f.probePoints) ? f.probePoints : '?'} probe points`,
    ],
    [
      'rank',
      `${f.rank === f.rankMax ? f.rank : `${f.rank}–${f.rankMax}`} eigenpairs per checkpoint${
        Number.isFinite(f.n) && f.rankMax < f.n
          ? ` (the other ${f.n - f.rankMax}${f.rank === f.rankMax ? '' : ' or more'} directions form ⊥)`
          : f.rank === f.n
            ? ' (all: ⊥ is empty)'
            : ''
      }`,
    ],
    ['time', timeProse(f)],
    [
      'checkpoints',
      `${f.checkpoints} (${f.intervals} intervals), t = ${formatTime(source.checkpoints[0]?.t ?? 0)} … ${formatTime(source.checkpoints.at(-1)?.t ?? 0)}`,
    ],
    [
      'shell grid',
      `${g.count} shells of width h = ${g.width.toFixed(4)} (${f.shellsPerDecade.toFixed(2)} per decade), λ from ${num(g.edges[0]!)} to ${num(g.edges[g.count]!)}, λ_ref = ${num(g.lambdaRef)}; λ_max over the run = ${num(f.lambdaMax)}`,
    ],
    ['backend', escapeHtml(backendProse(source.backend))],
  ];
}

/** The fitted exponents with one sentence each on what they mean. */
function fitRows(source: FigureSource): [string, string, string][] {
  const fits = source.fits ?? {};
  const reason = (f: { ok: boolean; reason?: string } | undefined) => escapeHtml(f && !f.ok ? (f.reason ?? '') : 'not computed');
  const le = fits.lossExponent;
  const se = fits.spectrumExponent;
  const fr = fits.frontier;
  const rig = fits.rigidity;
  const th = source.theory;
  return [
    [
      'loss exponent ξ',
      le?.ok
        ? `${fmt(le.xi)} ± ${fmt(le.xiStdErr)} over t ∈ [${num(le.tMin)}, ${num(le.tMax)}]${le.model ? ` (${escapeHtml(le.model)} model${typeof le.xiPowerLaw === 'number' ? `; plain power law ${fmt(le.xiPowerLaw)}` : ''})` : ''}`
        : reason(le),
      'L(t) ∝ t^−ξ: the decay exponent of the loss, fitted on the window where it follows the spectrum (before the slowest modes dominate; docs/conditions.md).',
    ],
    [
      'ξ̂₀ (initial spectrum)',
      se?.ok ? `${fmt(se.xi)}${se.xiStdErr === undefined ? '' : ` ± ${fmt(se.xiStdErr)}`}` : reason(se),
      'The exponent a fixed kernel would give, read off the initial residual spectrum: E_α(0) ∝ λ̄_α^ξ̂₀ on the shells below its peak. ξ ≈ ξ̂₀ means the loss decays as lazy (kernel) training predicts.',
    ],
    [
      'frontier exponent α̂',
      fr?.ok ? `${fmt(fr.exponent)}${fr.exponentStdErr === undefined ? '' : ` ± ${fmt(fr.exponentStdErr)}`}` : reason(fr),
      'How fast the dissipation frontier ℓ̄_D(t) (the dissipation-weighted mean of ln λ: where the loss is being removed) moves toward small λ: ℓ̄_D = const − α̂ ln t. A fixed kernel gives α̂ = 1.',
    ],
    [
      'velocity exponent a',
      rig?.ok ? `${fmt(rig.aMean)} ± ${fmt(rig.aStd)} over ${rig.windows} intervals` : reason(rig),
      'v(λ) = c(t)·λ^a fitted per interval (docs/math.md); a stable across intervals while c(t) varies is the rigidity GRSD predicts.',
    ],
    [
      'ε_LSI',
      th?.lsi
        ? `${fmt(th.lsi.epsilon)}${th.permutation ? ` (permutation p = ${th.permutation.pValue.toPrecision(3)})` : ''}`
        : escapeHtml(th?.reason ?? 'not computed'),
      'How far the renormalized couplings are from depending on the shell distance α − β only (0 = exactly log-shift invariant).',
    ],
  ];
}

/** A figure with its caption and download links. */
async function figureHtml(fig: Figure, id: string): Promise<string> {
  const svg = await renderSvg(fig.spec);
  return `<figure id="${id}"><div class="plot">${svg}</div><figcaption>${escapeHtml(fig.caption)}</figcaption>
<p class="downloads">Download: <a href="#" data-download="svg" data-figure="${id}">SVG</a> · <a href="#" data-download="csv" data-figure="${id}">CSV</a> · <a href="#" data-download="json" data-figure="${id}">JSON</a></p></figure>`;
}

/** JSON for an inline <script type="application/json"> (no "</" that could close it). */
const inlineJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/**
 * The prose part of an analysis report: run header, warnings, conditions, exponents, failed
 * checks and per-layer shares (HTML, no figures). The live view (`grsd serve`) shows the same.
 */
export function analysisSummaryHtml(source: FigureSource, level: 2 | 3 = 2): string {
  const h = `h${level}`;
  const warn = warnings(source);
  const failed = failedChecks(source);
  const conditions = Object.entries(source.conditions ?? {})
    .map(
      ([name, c]) =>
        `<tr><td>${name}${CONDITION_NAMES[name] ? ` — ${CONDITION_NAMES[name]}` : ''}</td><td class="verdict" style="color:${VERDICT_COLOUR[c.verdict] ?? '#1f2328'}">${escapeHtml(c.verdict)}</td><td>${c.value === null ? '—' : c.value.toPrecision(4)}</td><td>${escapeHtml(c.reason)}</td></tr>`,
    )
    .join('\n');
  const parts: string[] = [];
  parts.push(
    `<table class="facts">${headerRows(source)
      .map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
      .join('')}</table>`,
  );
  if (warn.length) parts.push(`<div class="warning"><b>Read this first.</b><ul>${warn.map((w) => `<li>${w}</li>`).join('')}</ul></div>`);
  if (conditions)
    parts.push(
      `<${h}>Conditions</${h}>\n<table><tr><th>condition</th><th>verdict</th><th>value</th><th>why</th></tr>\n${conditions}\n</table>\n<p class="note">Thresholds and definitions: docs/conditions.md. “not-computable” means too little data for a verdict, never a pass.</p>`,
    );
  if (source.fits || source.theory)
    parts.push(
      `<${h}>Exponents</${h}>\n<table><tr><th>quantity</th><th>value</th><th>what it means</th></tr>${fitRows(source)
        .map(([k, v, m]) => `<tr><td>${k}</td><td>${v}</td><td>${m}</td></tr>`)
        .join('')}</table>`,
    );
  if (failed.length)
    parts.push(
      `<${h}>Failed checks</${h}>\n<table><tr><th>check</th><th>intervals</th><th>worst / threshold</th><th>what to do</th></tr>${failed
        .map(
          (f) =>
            `<tr><td>${escapeHtml(f.name)}<div class="note">${escapeHtml(f.description)}</div></td><td>${f.intervals.length} of ${source.intervals.length}: ${escapeHtml(f.intervals.slice(0, 6).join(', '))}${f.intervals.length > 6 ? ', …' : ''}</td><td>${f.worst.toExponential(2)} / ${f.threshold}</td><td>${escapeHtml(f.advice)}</td></tr>`,
        )
        .join('')}</table>`,
    );
  else if (source.intervals.length)
    parts.push(
      `<p class="ok">All run-time checks passed on the ${source.intervals.length} intervals (docs/math.md “Run-time invariants”).</p>`,
    );
  if (source.layers?.length) {
    const count = source.layers[0]!.shares.length;
    const mean = Array.from({ length: count }, (_, l) => source.layers!.reduce((s, iv) => s + iv.shares[l]!, 0) / source.layers!.length);
    parts.push(
      `<${h}>Per-layer transport</${h}>\n<p>${count} per-layer kernels were given; the Kato transport splits exactly into one part per layer. Mean share of Σ|T| over the intervals: ${mean
        .map((m, l) => `layer ${l} ${(100 * m).toFixed(1)}%`)
        .join(', ')}.</p>`,
    );
  }
  return parts.join('\n');
}

/**
 * The body of an analysis report (summary and figures) without the page around it, for pages
 * that hold several analyses (the depth study). Figure data for the downloads is embedded unless
 * `data: false` (then only the SVG downloads work).
 */
export async function analysisReportBody(json: Record<string, unknown>, options: Omit<ReportOptions, 'title'> = {}): Promise<string> {
  const source = figureSource(json);
  const prefix = options.idPrefix ?? '';
  const level = options.level ?? 2;
  const parts = [analysisSummaryHtml(source, level), `<h${level}>Figures</h${level}>`];
  const data: Record<string, unknown> = {};
  for (const fig of analysisFigures(source)) {
    const id = `${prefix}${fig.id}`;
    parts.push(await figureHtml(fig, id));
    data[id] = fig.rows;
  }
  if (options.data !== false) parts.push(`<script type="application/json" class="grsd-figure-data">${inlineJson(data)}</script>`);
  return parts.join('\n');
}

/** The page style shared by the analysis and depth-study reports. */
export const REPORT_STYLE = `body{font-family:system-ui,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#1f2328;line-height:1.45}
table{border-collapse:collapse;margin:0.6em 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.facts th{width:9em}.verdict{font-weight:bold}.note{color:#57606a;font-size:0.85em}
.warning{border:1px solid #cf222e;background:#fff5f5;padding:0.5em 1em;margin:1em 0}.ok{color:#1a7f37}
figure{display:inline-block;margin:0.6em 0.6em 0.6em 0;vertical-align:top;max-width:100%}
figure .plot svg{max-width:100%;height:auto}figcaption{font-size:0.88em;color:#424a53;max-width:680px}
.downloads{font-size:0.8em;margin:0.2em 0}details{border:1px solid #d0d7de;padding:0 1em;margin:0.6em 0}
summary{cursor:pointer;font-weight:bold;padding:0.5em 0}code{background:#f6f8fa;padding:0 3px}`;

/**
 * The download links' script (inline, offline): SVG from the figure in the page, CSV/JSON from the
 * embedded figure data; links whose data is not embedded are removed.
 */
export const REPORT_SCRIPT = `(() => {
  const data = {};
  for (const s of document.querySelectorAll('script.grsd-figure-data')) Object.assign(data, JSON.parse(s.textContent));
  const csv = (rows) => {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const q = (v) => v === null || v === undefined ? '' : /[",\\r\\n]/.test(String(v)) ? '"' + String(v).replace(/"/g, '""') + '"' : String(v);
    return [cols.map(q).join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\\r\\n') + '\\r\\n';
  };
  const save = (name, type, text) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  for (const link of document.querySelectorAll('a[data-download]')) {
    const id = link.dataset.figure, kind = link.dataset.download;
    if (kind !== 'svg' && !(id in data)) { link.previousSibling?.nodeType === 3 && link.previousSibling.remove(); link.remove(); continue; }
    link.addEventListener('click', (event) => {
      event.preventDefault();
      if (kind === 'svg') save(id + '.svg', 'image/svg+xml', new XMLSerializer().serializeToString(document.querySelector('#' + CSS.escape(id) + ' svg')));
      else if (kind === 'csv') save(id + '.csv', 'text/csv', csv(data[id]));
      else save(id + '.json', 'application/json', JSON.stringify(data[id], null, 1));
    });
  }
})();`;

/** A complete page around report bodies. */
export function reportPage(title: string, intro: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style></head><body>
<h1>${escapeHtml(title)}</h1>
${intro}
${body}
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}

/** The HTML report of an analysis JSON object (what `grsd analyze --json` writes). */
export async function renderAnalysisReport(json: Record<string, unknown>, options: ReportOptions): Promise<string> {
  const intro = `<p class="note">GRSD analysis by grsd ${GRSD_VERSION}. Definitions: docs/math.md; conditions and thresholds: docs/conditions.md. Every figure renders without network access; the links under each give its SVG and its data.</p>`;
  return reportPage(options.title, intro, await analysisReportBody(json, options));
}

/** The HTML report of a series and its analysis (see {@link renderAnalysisReport}). */
export async function renderReport(
  series: SeriesResult,
  analysis: GrsdAnalysis,
  meta: { title: string; backend: Record<string, unknown>; timeUnit?: string; data?: boolean },
): Promise<string> {
  const json = analysisJson(series, meta.backend, { ...analysis, ...(meta.timeUnit ? { timeUnit: meta.timeUnit } : {}) });
  return renderAnalysisReport(json, { title: meta.title, ...(meta.data === undefined ? {} : { data: meta.data }) });
}

/** The report's figures as SVG strings by figure id (for callers composing their own pages). */
export async function reportFigures(series: SeriesResult, analysis: GrsdAnalysis, timeUnit?: string): Promise<Record<string, string>> {
  const source = figureSource(analysisJson(series, {}, { ...analysis, ...(timeUnit ? { timeUnit } : {}) }));
  const out: Record<string, string> = {};
  for (const f of analysisFigures(source)) out[f.id] = await renderSvg(f.spec);
  return out;
}
