/**
 * The `grsd demo` outputs: a JSON document (every run's full analysis, the depth scans) and a
 * self-contained HTML report (summary table, ε_LSI against depth, and the figures of the deepest
 * run of each architecture).
 * @module
 */
import type { DepthStudy } from '../experiments/depthStudy.ts';
import { GRSD_VERSION } from '../version.ts';
import { analysisJson } from './analysisJson.ts';
import { depthFigure, renderSvg } from './figures/index.ts';
import { analysisReportBody, backendProse, escapeHtml, reportPage } from './report.ts';
import { slimAnalysisJson } from './slimAnalysis.ts';

/** Version of the demo JSON layout. */
export const DEMO_SCHEMA_VERSION = 1;

/** One row of the demo's summary table. */
export interface DemoRow {
  readonly architecture: string;
  readonly depth: number;
  readonly finalLoss: number;
  readonly xi: number | null;
  readonly velocityExponent: number | null;
  readonly epsilonLSI: number | null;
  readonly verdicts: Record<string, string>;
  readonly seconds: number;
}

/** The summary rows (numbers are null where a fit was not possible; the analysis says why). */
export function demoRows(study: DepthStudy): DemoRow[] {
  return study.runs.map((r) => ({
    architecture: r.architecture,
    depth: r.depth,
    finalLoss: r.train.finalLoss,
    xi: r.analysis.fits.lossExponent.ok ? r.analysis.fits.lossExponent.xi : null,
    velocityExponent: r.analysis.fits.rigidity.ok ? r.analysis.fits.rigidity.aMean : null,
    epsilonLSI: r.analysis.theory.lsi?.epsilon ?? null,
    verdicts: Object.fromEntries(Object.entries(r.analysis.conditions).map(([k, c]) => [k, c.verdict])),
    seconds: r.seconds.train + r.seconds.analysis,
  }));
}

/** The summary as a fixed-width text table (what the CLI prints). */
export function demoTable(study: DepthStudy): string {
  const fmt = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  const lines = ['architecture  depth   final loss      ξ        a      ε_LSI   C1 C2 C3 C4'];
  const mark: Record<string, string> = { pass: 'ok', marginal: '~ ', fail: 'NO', 'not-computable': '? ' };
  for (const r of demoRows(study)) {
    lines.push(
      `${r.architecture.padEnd(12)} ${String(r.depth).padStart(6)}   ${r.finalLoss.toExponential(2).padStart(10)}   ${fmt(r.xi).padStart(6)}   ${fmt(r.velocityExponent).padStart(6)}   ${fmt(r.epsilonLSI).padStart(6)}   ${['C1', 'C2', 'C3', 'C4'].map((c) => mark[r.verdicts[c]!]).join(' ')}`,
    );
  }
  for (const [arch, scan] of Object.entries(study.scans)) {
    lines.push(
      `${arch}: depth threshold L* = ${scan.criticalDepth ?? `none (no depth reached ε_LSI ≤ ${scan.threshold})`}, d ln ε_LSI / d ln L = ${scan.slope === null ? '—' : scan.slope.toFixed(3)}`,
    );
  }
  lines.push('verdicts: ok pass, ~ marginal, NO fail, ? not computable (report.html says why)');
  return lines.join('\n');
}

/** Options of {@link demoJson} and {@link renderDemoReport}. */
export interface DemoOutputOptions {
  /**
   * Keep each run's per-interval matrices (flow, Kato) in report.json and each figure's data in
   * report.html (default true). Either way the derivable `transport` arrays are left out.
   */
  readonly data?: boolean;
}

/** The demo's JSON document (each run's analysis without derivable arrays; see slimAnalysisJson). */
export function demoJson(study: DepthStudy, backend: Record<string, unknown>, options: DemoOutputOptions = {}): Record<string, unknown> {
  return {
    schemaVersion: DEMO_SCHEMA_VERSION,
    generator: { name: 'grsd demo', version: GRSD_VERSION },
    backend,
    config: study.config,
    summary: demoRows(study),
    scans: study.scans,
    runs: study.runs.map((r) => ({
      architecture: r.architecture,
      depth: r.depth,
      train: { finalLoss: r.train.finalLoss, steps: r.train.steps, seconds: r.train.seconds, losses: Array.from(r.train.losses) },
      seconds: r.seconds,
      analysis: slimAnalysisJson(analysisJson(r.series, backend, { ...r.analysis, timeUnit: 'steps' }), { matrices: options.data ?? true }),
    })),
  };
}

const VERDICT_COLOUR: Record<string, string> = { pass: '#1a7f37', marginal: '#9a6700', fail: '#cf222e', 'not-computable': '#57606a' };

/** The demo's self-contained HTML report: the study, ε_LSI against depth, then one collapsible section per network. */
export async function renderDemoReport(
  study: DepthStudy,
  backend: Record<string, unknown>,
  options: DemoOutputOptions = {},
): Promise<string> {
  const rows = demoRows(study);
  const fmt = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  const verdict = (v: string | undefined) => `<span style="color:${VERDICT_COLOUR[v ?? ''] ?? '#1f2328'}">${escapeHtml(v ?? '—')}</span>`;
  const table = rows
    .map(
      (r) =>
        `<tr><td>${r.architecture}</td><td>${r.depth}</td><td>${r.finalLoss.toExponential(3)}</td><td>${fmt(r.xi)}</td><td>${fmt(r.velocityExponent)}</td><td>${fmt(r.epsilonLSI)}</td>${[
          'C1',
          'C2',
          'C3',
          'C4',
        ]
          .map((c) => `<td>${verdict(r.verdicts[c])}</td>`)
          .join('')}<td>${r.seconds.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  const threshold = Object.values(study.scans)[0]?.threshold ?? 0.3;
  const depth = depthFigure(
    rows.map((r) => ({
      architecture: r.architecture,
      depth: r.depth,
      epsilon: r.epsilonLSI,
      stdErr: null,
      seeds: r.epsilonLSI === null ? 0 : 1,
    })),
    threshold,
  );
  const scans = Object.entries(study.scans)
    .map(
      ([arch, s]) =>
        `<li>${arch}: L* = ${s.criticalDepth ?? `none (no depth reached ε_LSI ≤ ${s.threshold})`}; slope d ln ε_LSI / d ln L = ${s.slope === null ? '—' : s.slope.toFixed(3)}</li>`,
    )
    .join('');
  // One section per network, collapsed: its header, verdicts, exponents and figures.
  const sections: string[] = [];
  const runs = [...study.runs].sort((a, b) => a.architecture.localeCompare(b.architecture) || a.depth - b.depth);
  for (const r of runs) {
    const json = analysisJson(r.series, backend, { ...r.analysis, timeUnit: 'steps' });
    const id = `${r.architecture}-L${r.depth}-`;
    const badges = Object.entries(r.analysis.conditions)
      .map(([k, c]) => `${k} ${verdict(c.verdict)}`)
      .join(' · ');
    const body = await analysisReportBody(json, { idPrefix: id, level: 3, ...(options.data === undefined ? {} : { data: options.data }) });
    sections.push(
      `<details id="${id}section"><summary>${escapeHtml(r.architecture)}, depth ${r.depth}: ε_LSI ${fmt(r.analysis.theory.lsi?.epsilon ?? null)} · ${badges}</summary>\n${body}\n</details>`,
    );
  }
  const c = study.config;
  const intro = `<p>grsd ${GRSD_VERSION}. Networks trained by full-batch gradient descent on one seeded teacher–student task
(${c.task.points} points on S^${c.task.inputDim - 1}, width ${c.width}, ${c.activation}, ${c.parametrization},
η = ${c.learningRate}, ${c.steps} steps, ${c.checkpoints} checkpoints). Backend: ${escapeHtml(backendProse(backend))}.
Small networks on a small probe set: read the verdicts as a demonstration of the pipeline, not as evidence about large models.</p>
<table><tr><th>architecture</th><th>depth</th><th>final loss</th><th>ξ</th><th>a</th><th>ε_LSI</th><th>C1</th><th>C2</th><th>C3</th><th>C4</th><th>seconds</th></tr>
${table}</table>
<ul>${scans}</ul>
${depth ? `<figure id="depth"><div class="plot">${await renderSvg(depth.spec)}</div><figcaption>${escapeHtml(depth.caption)}</figcaption><p class="downloads">Download: <a href="#" data-download="svg" data-figure="depth">SVG</a> · <a href="#" data-download="csv" data-figure="depth">CSV</a> · <a href="#" data-download="json" data-figure="depth">JSON</a></p></figure><script type="application/json" class="grsd-figure-data">${JSON.stringify({ depth: depth.rows }).replace(/</g, '\\u003c')}</script>` : ''}
<h2>Every network</h2>
<p class="note">One section per network (click to open): its run header, verdicts with reasons, exponents and figures, as <code>grsd analyze --report</code> gives them.</p>`;
  return reportPage('grsd demo: does residual learning produce log-shift invariance beyond a depth threshold?', intro, sections.join('\n'));
}
