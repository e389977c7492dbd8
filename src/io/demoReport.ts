/**
 * The `grsd demo` outputs: a JSON document (the finding, the statistics over seeds, every run's
 * analysis) and a self-contained HTML report (the finding first, then ε_LSI against depth with
 * error bars, the tables over seeds, and one collapsible section per network with its full
 * analysis report). Both open with the same sentence as the terminal summary.
 * @module
 */
import { describeCheckpointSchedule, type DepthStudy } from '../experiments/depthStudy.ts';
import type { DepthCell, VerdictShares } from '../experiments/depthSummary.ts';
import { CONDITIONS } from '../experiments/depthSummary.ts';
import type { SeedSummary } from '../experiments/statistics.ts';
import { GRSD_VERSION } from '../version.ts';
import { analysisJson } from './analysisJson.ts';
import { depthFigure, renderSvg } from './figures/index.ts';
import { analysisReportBody, backendProse, escapeHtml, reportPage } from './report.ts';
import { slimAnalysisJson } from './slimAnalysis.ts';

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
      analysis: slimAnalysisJson(analysisJson(r.series, backend, { ...r.analysis, timeUnit: 'steps' }), { matrices: options.data ?? true }),
    })),
  };
}

const VERDICT_COLOUR: Record<string, string> = { pass: '#1a7f37', marginal: '#9a6700', fail: '#cf222e', 'not-computable': '#57606a' };
const EFFECT_COLOUR: Record<string, string> = { found: '#1a7f37', suggestive: '#9a6700', 'not-found': '#cf222e', undetermined: '#57606a' };

/** The demo's self-contained HTML report: the finding, the statistics over seeds, ε_LSI against depth, then one collapsible section per network. */
export async function renderDemoReport(
  study: DepthStudy,
  backend: Record<string, unknown>,
  options: DemoOutputOptions = {},
): Promise<string> {
  const { summary, config: c } = study;
  const seeds = summary.seeds.length;
  const verdict = (v: string | undefined) => `<span style="color:${VERDICT_COLOUR[v ?? ''] ?? '#1f2328'}">${escapeHtml(v ?? '—')}</span>`;
  const cells = summary.cells
    .map(
      (x) =>
        `<tr><td>${x.architecture}</td><td>${x.depth}</td><td>${meanSe(x.finalLoss, 2, expo)}</td><td>${meanSe(x.xi)}</td><td>${meanSe(x.velocityExponent)}</td><td>${meanSe(x.sharpness)}</td><td><b>${meanSe(x.epsilonLSI)}</b></td><td>${x.epsilonLSI.values.map((v) => fixed(v, 3)).join(', ')}</td>${CONDITIONS.map(
          (k) => {
            const v = x.verdicts[k];
            return `<td title="pass ${v.pass}, marginal ${v.marginal}, fail ${v.fail}, not computable ${v.notComputable}">${v.pass}/${seeds}</td>`;
          },
        ).join('')}</tr>`,
    )
    .join('\n');
  const comparisons = summary.comparisons
    .map(
      (x) =>
        `<tr><td>${x.depth}</td><td>${x.reference} − ${x.architecture}</td><td>${fixed(x.difference, 3)}${x.standardError === null ? '' : ` ± ${fixed(x.standardError, 3)}`}</td><td>${x.welch ? `${x.welch.pGreater.toPrecision(2)} (t = ${x.welch.t.toFixed(2)}, df = ${x.welch.degreesOfFreedom.toFixed(1)})` : '—'}</td><td>${x.permutation ? `${x.permutation.pValue.toPrecision(2)} (smallest possible ${x.permutation.smallestPValue.toPrecision(2)})` : '—'}</td></tr>`,
    )
    .join('\n');
  const scans = summary.scans
    .map((s) => {
      const i = s.criticalDepthInterval;
      return `<li>${s.architecture}: L* = ${s.criticalDepth ?? 'none'}, 95% bootstrap interval ${i.lower ?? 'none'}–${i.upper ?? 'none'} (no depth reached ε_LSI ≤ ${s.threshold} in ${(100 * i.noneFraction).toFixed(0)}% of ${i.replicates} resamples of the seeds); d ln ε_LSI / d ln L = ${meanSe(s.slope, 3)} (per-seed slopes ${s.slope.values.map((v) => fixed(v, 3)).join(', ')})</li>`;
    })
    .join('');
  const threshold = summary.scans[0]?.threshold ?? 0.3;
  const depth = depthFigure(
    summary.cells.map((x) => ({
      architecture: x.architecture,
      depth: x.depth,
      epsilon: x.epsilonLSI.mean,
      stdErr: x.epsilonLSI.standardError,
      seeds: x.epsilonLSI.values.filter((v) => v !== null).length,
      values: x.epsilonLSI.values,
    })),
    threshold,
  );
  // One section per network, collapsed: its header, verdicts, exponents and figures.
  const sections: string[] = [];
  const runs = [...study.runs].sort((a, b) => a.architecture.localeCompare(b.architecture) || a.depth - b.depth || a.seed - b.seed);
  for (const r of runs) {
    const json = analysisJson(r.series, backend, { ...r.analysis, timeUnit: 'steps' });
    const id = `${r.architecture}-L${r.depth}-s${r.seed}-`;
    const badges = Object.entries(r.analysis.conditions)
      .map(([k, x]) => `${k} ${verdict(x.verdict)}`)
      .join(' · ');
    const body = await analysisReportBody(json, { idPrefix: id, level: 3, ...(options.data === undefined ? {} : { data: options.data }) });
    sections.push(
      `<details id="${id}section"><summary>${escapeHtml(r.architecture)}, depth ${r.depth}, seed ${r.seed}: ε_LSI ${fixed(r.analysis.theory.lsi?.epsilon ?? null, 3)} · ${badges}</summary>\n${body}\n</details>`,
    );
  }
  const finding = summary.finding;
  const intro = `<p style="font-size:1.15em;border-left:4px solid ${EFFECT_COLOUR[finding.effect]};padding:0.4em 0.8em;background:#f6f8fa" class="finding">${escapeHtml(finding.sentence)}</p>
${finding.caveats.map((x) => `<p class="note caveat">${escapeHtml(x)}</p>`).join('\n')}
<p>grsd ${GRSD_VERSION}. ${c.architectures.join(' and ')} networks at depths ${c.depths.join(', ')}, ${seeds} seeds each
(seeds ${summary.seeds.join(', ')}: each draws its own task sample and initialization; both architectures see the same task at a seed),
trained by full-batch gradient descent on a teacher–student task (${c.task.points} points on S^${c.task.inputDim - 1}, the probe set;
width ${c.width}, ${c.activation}, ${c.parametrization}, η = ${c.learningRate}, ${c.steps} steps, ${describeCheckpointSchedule(c)}).
Study time ${study.seconds.toFixed(0)} s. Backend: ${escapeHtml(backendProse(backend))}.
Small networks on a small probe set: read the result as a demonstration of the pipeline and of the statistic, not as evidence about large models.
How the study and its statistics work: docs/lab.md, "The depth study".</p>
${depth ? `<figure id="depth"><div class="plot">${await renderSvg(depth.spec)}</div><figcaption>${escapeHtml(depth.caption)}</figcaption><p class="downloads">Download: <a href="#" data-download="svg" data-figure="depth">SVG</a> · <a href="#" data-download="csv" data-figure="depth">CSV</a> · <a href="#" data-download="json" data-figure="depth">JSON</a></p></figure><script type="application/json" class="grsd-figure-data">${JSON.stringify({ depth: depth.rows }).replace(/</g, '\\u003c')}</script>` : ''}
<h2>Per architecture and depth (mean ± standard error over seeds)</h2>
<table><tr><th>architecture</th><th>depth</th><th>final loss</th><th>ξ</th><th>a</th><th>max λ(M)</th><th>ε_LSI</th><th>ε_LSI per seed</th><th>C1</th><th>C2</th><th>C3</th><th>C4</th></tr>
${cells}</table>
<p class="note">max λ(M): the largest eigenvalue of the per-step operator M = (η/N)·K over the run; above 2, gradient descent is unstable along it (the edge of stability), and the kernel moves by large steps between checkpoints. C1–C4: seeds passing (hover for the other verdicts).</p>
${comparisons ? `<h2>plain − residual in ε_LSI</h2><table><tr><th>depth</th><th>difference</th><th>mean ± SE</th><th>Welch p (one-sided)</th><th>exact permutation p (one-sided)</th></tr>\n${comparisons}</table>` : ''}
<ul>${scans}</ul>
<h2>Every network</h2>
<p class="note">One section per network and seed (click to open): its run header, verdicts with reasons, exponents and figures, as <code>grsd analyze --report</code> gives them.</p>`;
  return reportPage('grsd demo: does residual learning produce log-shift invariance beyond a depth threshold?', intro, sections.join('\n'));
}
