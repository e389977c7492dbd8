/**
 * The `grsd demo` outputs: a JSON document (every run's full analysis, the depth scans) and a
 * self-contained HTML report (summary table, ε_LSI against depth, and the figures of the deepest
 * run of each architecture).
 * @module
 */
import type { DepthStudy } from '../experiments/depthStudy.ts';
import { GRSD_VERSION } from '../version.ts';
import { analysisJson } from './analysisJson.ts';
import { renderSvg, reportFigures } from './report.ts';

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

/** The demo's JSON document. */
export function demoJson(study: DepthStudy, backend: Record<string, unknown>): Record<string, unknown> {
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
      analysis: analysisJson(r.series, backend, { ...r.analysis }),
    })),
  };
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The demo's self-contained HTML report. */
export async function renderDemoReport(study: DepthStudy, backend: Record<string, unknown>): Promise<string> {
  const rows = demoRows(study);
  const color: Record<string, string> = { pass: '#1a7f37', marginal: '#9a6700', fail: '#cf222e', 'not-computable': '#57606a' };
  const fmt = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  const table = rows
    .map(
      (r) =>
        `<tr><td>${r.architecture}</td><td>${r.depth}</td><td>${r.finalLoss.toExponential(3)}</td><td>${fmt(r.xi)}</td><td>${fmt(r.velocityExponent)}</td><td>${fmt(r.epsilonLSI)}</td>${[
          'C1',
          'C2',
          'C3',
          'C4',
        ]
          .map((c) => `<td style="color:${color[r.verdicts[c]!]}">${r.verdicts[c]}</td>`)
          .join('')}<td>${r.seconds.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  const scanPoints = Object.entries(study.scans).flatMap(([arch, s]) =>
    s.depths.map((d, i) => ({ architecture: arch, depth: d, epsilon: s.epsilons[i] })),
  );
  const scanSvg = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 260,
    title: 'ε_LSI against depth (pass ≤ 0.3)',
    layer: [
      {
        data: { values: scanPoints },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'depth', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'depth L' },
          y: { field: 'epsilon', type: 'quantitative', scale: { type: 'log' }, title: 'ε_LSI' },
          color: { field: 'architecture', type: 'nominal' },
        },
      },
      { data: { values: [{ y: 0.3 }] }, mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  } as never);
  const sections: string[] = [];
  for (const arch of study.config.architectures) {
    const deepest = study.runs.filter((r) => r.architecture === arch).sort((a, b) => b.depth - a.depth)[0];
    if (!deepest) continue;
    const figures = await reportFigures(deepest.series, deepest.analysis);
    const reasons = Object.entries(deepest.analysis.conditions)
      .map(([k, c]) => `<li><b>${k}</b> <span style="color:${color[c.verdict]}">${c.verdict}</span>: ${escape(c.reason)}</li>`)
      .join('');
    sections.push(
      `<h2>${arch}, depth ${deepest.depth}</h2><ul>${reasons}</ul>${Object.values(figures)
        .map((svg) => `<figure>${svg}</figure>`)
        .join('')}`,
    );
  }
  const scans = Object.entries(study.scans)
    .map(
      ([arch, s]) =>
        `<li>${arch}: L* = ${s.criticalDepth ?? 'none'}; slope d ln ε_LSI / d ln L = ${s.slope === null ? '—' : s.slope.toFixed(3)}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>grsd demo</title>
<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#1f2328}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px}figure{display:inline-block;margin:0.5em;vertical-align:top}</style></head><body>
<h1>grsd demo: does residual learning produce log-shift invariance beyond a depth threshold?</h1>
<p>grsd ${GRSD_VERSION}. Networks trained by full-batch gradient descent on one seeded teacher–student task
(${study.config.task.points} points on S^${study.config.task.inputDim - 1}, width ${study.config.width}, ${study.config.activation}, ${study.config.parametrization},
η = ${study.config.learningRate}, ${study.config.steps} steps, ${study.config.checkpoints} checkpoints). Backend: ${escape(JSON.stringify(backend))}.
Small networks on a small probe set: read the verdicts as a demonstration of the pipeline, not as evidence about large models.</p>
<table><tr><th>architecture</th><th>depth</th><th>final loss</th><th>ξ</th><th>a</th><th>ε_LSI</th><th>C1</th><th>C2</th><th>C3</th><th>C4</th><th>seconds</th></tr>
${table}</table>
<ul>${scans}</ul>
<figure>${scanSvg}</figure>
${sections.join('\n')}
</body></html>
`;
}
