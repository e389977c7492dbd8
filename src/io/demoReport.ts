/**
 * The `grsd demo` outputs: a JSON document (the finding, the statistics over seeds, every run's
 * full analysis) and a self-contained HTML report (the finding first, then ε_LSI against depth
 * with error bars, the tables over seeds, and the figures of the deepest run of each
 * architecture). Both open with the same sentence as the terminal summary.
 * @module
 */
import type { DepthStudy } from '../experiments/depthStudy.ts';
import type { DepthCell, VerdictShares } from '../experiments/depthSummary.ts';
import { CONDITIONS } from '../experiments/depthSummary.ts';
import type { SeedSummary } from '../experiments/statistics.ts';
import { GRSD_VERSION } from '../version.ts';
import { analysisJson } from './analysisJson.ts';
import { renderSvg, reportFigures } from './report.ts';

/** Version of the demo JSON layout (2: statistics over seeds). */
export const DEMO_SCHEMA_VERSION = 2;

const fixed = (v: number | null, d: number): string => (v === null ? '—' : v.toFixed(d));
const expo = (v: number | null): string => (v === null ? '—' : v.toExponential(1));

/** "mean ± SE" of a seed summary with `d` decimals (`—` when there is no value). */
export function meanSe(s: SeedSummary, d = 2, format: (v: number | null) => string = (v) => fixed(v, d)): string {
  if (s.mean === null) return '—';
  return s.standardError === null ? format(s.mean) : `${format(s.mean)} ± ${format(s.standardError)}`;
}

const shareText = (v: VerdictShares, seeds: number): string => `${v.pass}/${seeds}`;

/** The summary as fixed-width text (what the CLI prints): the finding, the table, the comparisons and L*. */
export function demoTable(study: DepthStudy): string {
  const { summary } = study;
  const seeds = summary.seeds.length;
  const lines = [summary.finding.sentence, ...summary.finding.caveats.map((c) => `  (${c})`), ''];
  lines.push(
    `architecture depth   final loss        ξ              a              max λ(M)       ε_LSI          ε_LSI per seed        C1   C2   C3   C4 (pass/${seeds})`,
  );
  for (const c of summary.cells) {
    const perSeed = c.epsilonLSI.values.map((v) => fixed(v, 2)).join(' ');
    lines.push(
      [
        c.architecture.padEnd(12),
        String(c.depth).padStart(5),
        meanSe(c.finalLoss, 1, expo).padStart(17),
        meanSe(c.xi).padStart(13),
        meanSe(c.velocityExponent).padStart(13),
        meanSe(c.sharpness).padStart(13),
        meanSe(c.epsilonLSI).padStart(13),
        `  ${perSeed}`.padEnd(22),
        CONDITIONS.map((k) => shareText(c.verdicts[k], seeds).padStart(4)).join(' '),
      ].join(' '),
    );
  }
  if (summary.comparisons.length) {
    lines.push('');
    for (const c of summary.comparisons) {
      const w = c.welch;
      const p = c.permutation;
      lines.push(
        `depth ${String(c.depth).padStart(2)}: ε_LSI ${c.reference} − ${c.architecture} = ${c.difference === null ? '—' : `${fixed(c.difference, 3)}${c.standardError === null ? '' : ` ± ${fixed(c.standardError, 3)}`}`}` +
          `, one-sided Welch p = ${w ? w.pGreater.toPrecision(2) : '—'}` +
          `, exact permutation p = ${p ? `${p.pValue.toPrecision(2)} (smallest possible ${p.smallestPValue.toPrecision(2)})` : '—'}`,
      );
    }
  }
  lines.push('');
  for (const s of summary.scans) {
    const i = s.criticalDepthInterval;
    lines.push(
      `${s.architecture}: L* = ${s.criticalDepth ?? 'none'} (ε_LSI ≤ ${s.threshold}; 95% bootstrap interval ${i.lower ?? 'none'}–${i.upper ?? 'none'}), d ln ε_LSI / d ln L = ${meanSe(s.slope, 3)}`,
    );
  }
  lines.push(
    `mean ± standard error over ${seeds} seeds; max λ(M): the largest eigenvalue of the per-step operator (η/N)·K over the run (> 2: gradient descent at the edge of stability); C1–C4: seeds passing (report.html gives every verdict and why)`,
  );
  return lines.join('\n');
}

/** One summary cell as JSON: every quantity as { mean, standardError, seeds, values }. */
function cellJson(c: DepthCell): Record<string, unknown> {
  return {
    architecture: c.architecture,
    depth: c.depth,
    epsilonLSI: c.epsilonLSI,
    xi: c.xi,
    velocityExponent: c.velocityExponent,
    finalLoss: c.finalLoss,
    sharpness: c.sharpness,
    verdicts: c.verdicts,
  };
}

/** The demo's JSON document. */
export function demoJson(study: DepthStudy, backend: Record<string, unknown>): Record<string, unknown> {
  const { summary } = study;
  return {
    schemaVersion: DEMO_SCHEMA_VERSION,
    generator: { name: 'grsd demo', version: GRSD_VERSION },
    finding: summary.finding,
    backend,
    config: study.config,
    seeds: summary.seeds,
    seconds: study.seconds,
    summary: summary.cells.map(cellJson),
    comparisons: summary.comparisons,
    scans: summary.scans,
    runs: study.runs.map((r) => ({
      architecture: r.architecture,
      depth: r.depth,
      seed: r.seed,
      train: { finalLoss: r.train.finalLoss, steps: r.train.steps, seconds: r.train.seconds, losses: Array.from(r.train.losses) },
      diagnostics: r.diagnostics,
      seconds: r.seconds,
      analysis: analysisJson(r.series, backend, { ...r.analysis }),
    })),
  };
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** ε_LSI against depth: per-seed points, mean ± SE error bars, the threshold. */
async function epsilonFigure(study: DepthStudy): Promise<string> {
  const { summary } = study;
  const seedPoints = summary.cells.flatMap((c) =>
    c.epsilonLSI.values.flatMap((v, i) =>
      v === null ? [] : [{ architecture: c.architecture, depth: c.depth, seed: c.epsilonLSI.seeds[i], epsilon: v }],
    ),
  );
  const means = summary.cells.flatMap((c) => {
    const { mean, standardError } = c.epsilonLSI;
    if (mean === null) return [];
    const se = standardError ?? 0;
    return [{ architecture: c.architecture, depth: c.depth, mean, low: Math.max(mean - se, 1e-3), high: mean + se }];
  });
  const x = { field: 'depth', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'depth L' } as const;
  const threshold = summary.scans[0]?.threshold ?? 0.3;
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 460,
    height: 280,
    title: `ε_LSI against depth (mean ± SE over ${summary.seeds.length} seeds; pass ≤ ${threshold})`,
    layer: [
      {
        data: { values: seedPoints },
        mark: { type: 'point', opacity: 0.45, size: 25 },
        encoding: {
          x,
          y: { field: 'epsilon', type: 'quantitative', scale: { type: 'log' }, title: 'ε_LSI' },
          color: { field: 'architecture', type: 'nominal' },
        },
      },
      {
        data: { values: means },
        layer: [
          {
            mark: { type: 'line', point: true },
            encoding: { x, y: { field: 'mean', type: 'quantitative' }, color: { field: 'architecture', type: 'nominal' } },
          },
          {
            mark: { type: 'errorbar', ticks: true },
            encoding: {
              x,
              y: { field: 'low', type: 'quantitative' },
              y2: { field: 'high' },
              color: { field: 'architecture', type: 'nominal' },
            },
          },
        ],
      },
      {
        data: { values: [{ y: threshold }] },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  } as never);
}

/** The demo's self-contained HTML report. */
export async function renderDemoReport(study: DepthStudy, backend: Record<string, unknown>): Promise<string> {
  const { summary, config } = study;
  const seeds = summary.seeds.length;
  const color: Record<string, string> = { pass: '#1a7f37', marginal: '#9a6700', fail: '#cf222e', 'not-computable': '#57606a' };
  const cells = summary.cells
    .map(
      (c) =>
        `<tr><td>${c.architecture}</td><td>${c.depth}</td><td>${meanSe(c.finalLoss, 2, expo)}</td><td>${meanSe(c.xi)}</td><td>${meanSe(c.velocityExponent)}</td><td>${meanSe(c.sharpness)}</td><td><b>${meanSe(c.epsilonLSI)}</b></td><td>${c.epsilonLSI.values.map((v) => fixed(v, 3)).join(', ')}</td>${CONDITIONS.map(
          (k) => {
            const v = c.verdicts[k];
            return `<td title="pass ${v.pass}, marginal ${v.marginal}, fail ${v.fail}, not computable ${v.notComputable}">${v.pass}/${seeds}</td>`;
          },
        ).join('')}</tr>`,
    )
    .join('\n');
  const comparisons = summary.comparisons
    .map(
      (c) =>
        `<tr><td>${c.depth}</td><td>${c.reference} − ${c.architecture}</td><td>${fixed(c.difference, 3)}${c.standardError === null ? '' : ` ± ${fixed(c.standardError, 3)}`}</td><td>${c.welch ? `${c.welch.pGreater.toPrecision(2)} (t = ${c.welch.t.toFixed(2)}, df = ${c.welch.degreesOfFreedom.toFixed(1)})` : '—'}</td><td>${c.permutation ? `${c.permutation.pValue.toPrecision(2)} (smallest possible ${c.permutation.smallestPValue.toPrecision(2)})` : '—'}</td></tr>`,
    )
    .join('\n');
  const scans = summary.scans
    .map((s) => {
      const i = s.criticalDepthInterval;
      return `<li>${s.architecture}: L* = ${s.criticalDepth ?? 'none'}, 95% bootstrap interval ${i.lower ?? 'none'}–${i.upper ?? 'none'} (no depth reached ε_LSI ≤ ${s.threshold} in ${(100 * i.noneFraction).toFixed(0)}% of ${i.replicates} resamples); d ln ε_LSI / d ln L = ${meanSe(s.slope, 3)} (per-seed slopes ${s.slope.values.map((v) => fixed(v, 3)).join(', ')})</li>`;
    })
    .join('');
  const sections: string[] = [];
  for (const arch of config.architectures) {
    const deepest = study.runs.filter((r) => r.architecture === arch).sort((a, b) => b.depth - a.depth || a.seed - b.seed)[0];
    if (!deepest) continue;
    const figures = await reportFigures(deepest.series, deepest.analysis);
    const reasons = Object.entries(deepest.analysis.conditions)
      .map(([k, c]) => `<li><b>${k}</b> <span style="color:${color[c.verdict]}">${c.verdict}</span>: ${escape(c.reason)}</li>`)
      .join('');
    sections.push(
      `<h2>${arch}, depth ${deepest.depth}, seed ${deepest.seed}</h2><ul>${reasons}</ul>${Object.values(figures)
        .map((svg) => `<figure>${svg}</figure>`)
        .join('')}`,
    );
  }
  const effectColor = { found: '#1a7f37', suggestive: '#9a6700', 'not-found': '#cf222e', undetermined: '#57606a' }[summary.finding.effect];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>grsd demo</title>
<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#1f2328}
table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #d0d7de;padding:4px 8px}figure{display:inline-block;margin:0.5em;vertical-align:top}
.caveat{color:#57606a;margin:0.3em 0 0.3em 1.2em}.finding{font-size:1.15em;border-left:4px solid ${effectColor};padding:0.4em 0.8em;background:#f6f8fa}</style></head><body>
<h1>grsd demo: does residual learning produce log-shift invariance beyond a depth threshold?</h1>
<p class="finding">${escape(summary.finding.sentence)}</p>
${summary.finding.caveats.map((c) => `<p class="caveat">${escape(c)}</p>`).join('\n')}
<p>grsd ${GRSD_VERSION}. ${config.architectures.join(' and ')} networks at depths ${config.depths.join(', ')}, ${seeds} seeds each
(seeds ${summary.seeds.join(', ')}: each draws its own task sample and initialization), trained by full-batch gradient descent on a
teacher–student task (${config.task.points} points on S^${config.task.inputDim - 1}, the probe set; width ${config.width}, ${config.activation},
${config.parametrization}, η = ${config.learningRate}, ${config.steps} steps, a checkpoint every ${config.checkpointEvery} steps).
Study time ${study.seconds.toFixed(0)} s. Backend: ${escape(JSON.stringify(backend))}.
Small networks on a small probe set: read the result as a demonstration of the pipeline and of the statistic, not as evidence about large models.</p>
<figure>${await epsilonFigure(study)}</figure>
<h2>Per architecture and depth (mean ± standard error over seeds)</h2>
<table><tr><th>architecture</th><th>depth</th><th>final loss</th><th>ξ</th><th>a</th><th>max λ(M)</th><th>ε_LSI</th><th>ε_LSI per seed</th><th>C1</th><th>C2</th><th>C3</th><th>C4</th></tr>
${cells}</table>
<p>max λ(M): the largest eigenvalue of the per-step operator M = (η/N)·K over the run; above 2, gradient descent is unstable along it (the edge of stability), and the kernel moves by large steps between checkpoints. C1–C4: seeds passing (hover for the other verdicts).</p>
${comparisons ? `<h2>plain − residual in ε_LSI</h2><table><tr><th>depth</th><th>difference</th><th>mean ± SE</th><th>Welch p (one-sided)</th><th>exact permutation p (one-sided)</th></tr>\n${comparisons}</table>` : ''}
<ul>${scans}</ul>
${sections.join('\n')}
</body></html>
`;
}
