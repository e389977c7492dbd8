/**
 * Markdown rendering of a {@link BenchReport}: header (machine, adapter, clock), roofline, goals,
 * one table per group (with its peers and skipped cases), scaling exponents.
 * @module
 */
import type { Measurement, TimingMethod } from './harness.ts';
import type { BenchReport, GroupResult } from './types.ts';

/** A number with 3 significant digits, without exponent notation for ordinary magnitudes. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** Accuracy figures peers may report in `result`, with their column titles. */
const PEER_ACCURACY: Readonly<Record<string, string>> = {
  maxErrorOverLambdaMax: 'max err / λmax',
  topNodeError: 'top node err',
  errorVsNumpy64: 'max |ΔF| / ‖a‖² vs numpy f64',
};

const percent = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** How each metric is shown: column title and formatter. Metrics not listed are shown raw; hidden ones not at all. */
const METRIC_COLUMNS: Record<string, { title: string; format: (x: number) => string } | null> = {
  bytes: null,
  flops: null,
  bytesPerApply: null,
  appliesPerSample: null,
  gbPerS: { title: 'GB/s', format: formatNumber },
  fractionOfCopyBandwidth: { title: '% of copy BW', format: percent },
  gflopPerS: { title: 'GFLOP/s', format: formatNumber },
  fractionOfGemmPeak: { title: '% of GEMM', format: percent },
  msPerStep: { title: 'ms/step', format: formatNumber },
  appliesGbPerS: { title: 'applies alone GB/s', format: formatNumber },
  lanczosOverApplies: { title: 'whole / applies', format: (x) => `${x.toFixed(2)}×` },
  lanczosOverAppliesOfMinimums: { title: 'whole / applies (fastest runs)', format: (x) => `${x.toFixed(2)}×` },
  steps: { title: 'steps', format: (x) => String(x) },
  converged: { title: 'converged', format: (x) => String(x) },
  maxErrorOverLambdaMax: { title: 'max err / λmax', format: formatNumber },
  residentMs: { title: 'resident ms', format: formatNumber },
  uploadShare: { title: 'upload share', format: percent },
  residentGbPerS: { title: 'resident GB/s', format: formatNumber },
  residentFractionOfCopyBandwidth: { title: 'resident % of copy BW', format: percent },
  topNodeError: { title: 'top node err', format: formatNumber },
  fractionOfGemmRoofline: { title: '% of GEMM', format: percent },
  gemmGflopPerS: { title: 'GEMM alone GFLOP/s', format: formatNumber },
  gemmShareOfTime: { title: 'GEMM share of time', format: percent },
  errorVsNumpy64: { title: 'max |ΔF| / ‖a‖² vs numpy f64', format: formatNumber },
  values: null,
  valuesPerSecond: { title: 'values/s', format: (x) => x.toExponential(2) },
  binningsPerSample: null,
  secondsPerCheckpoint: { title: 's / checkpoint', format: formatNumber },
  estimatedBytes: null,
  estimatedFlops: null,
};

const CLOCKS: Record<TimingMethod, string> = {
  'gpu-timestamp': 'GPU timestamps (timestamp-query) around the recorded work',
  wall: 'wall clock around the work and queue completion (await ctx.done()); the device has no timestamp-query',
  'wall-python': 'time.perf_counter() inside the Python process',
  'wall-host': 'wall clock around host-only work',
};

const time = (m: Measurement): string => `${formatNumber(m.median)} ± ${formatNumber(m.spread)}`;

const row = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]): string[] => [
  row(head),
  row(head.map(() => '---')),
  ...rows.map(row),
];

function groupSection(g: GroupResult): string[] {
  const lines: string[] = [`## ${g.title} (\`${g.id}\`)`, '', g.description, ''];
  if (g.figures.length > 0) {
    const paramKeys = [...new Set(g.figures.flatMap((f) => Object.keys(f.params)))];
    const metricKeys = [...new Set(g.figures.flatMap((f) => Object.keys(f.metrics)))].filter((k) => METRIC_COLUMNS[k] !== null);
    const head = [...paramKeys, 'median ± IQR (ms)', 'samples', ...metricKeys.map((k) => METRIC_COLUMNS[k]?.title ?? k)];
    const rows = g.figures.map((f) => [
      ...paramKeys.map((k) => (f.params[k] === undefined ? '' : String(f.params[k]))),
      time(f.time),
      String(f.time.samples.length),
      ...metricKeys.map((k) => {
        const v = f.metrics[k];
        if (v === undefined) return '';
        const c = METRIC_COLUMNS[k];
        return c ? c.format(v) : formatNumber(v);
      }),
    ]);
    lines.push(...table(head, rows), '');
    const extras = g.figures.flatMap((f) =>
      Object.entries(f.measurements ?? {}).map(([name, m]) => [f.label, name, time(m), String(m.samples.length)]),
    );
    if (extras.length > 0) lines.push('Further timings:', '', ...table(['case', 'what', 'median ± IQR (ms)', 'samples'], extras), '');
    // The accuracy figure peers report in this group (the first key present), shown in one column.
    const accuracyKey =
      Object.keys(PEER_ACCURACY).find((k) => g.figures.some((f) => (f.peers ?? []).some((p) => p.result?.[k] !== undefined))) ?? null;
    const peerRows = g.figures.flatMap((f) =>
      (f.peers ?? []).map((p) => {
        const acc = accuracyKey === null ? undefined : p.result?.[accuracyKey];
        return p.time
          ? [
              f.label,
              p.peer,
              time(p.time),
              String(p.time.samples.length),
              p.time.timing,
              `${formatNumber(p.ratio)}×`,
              `${formatNumber(p.ratioOfMinimums)}×`,
              formatNumber(acc as number | undefined),
              '',
            ]
          : [f.label, p.peer, '—', '0', '—', '—', '—', '—', `skipped: ${p.reason ?? ''}`];
      }),
    );
    if (peerRows.length > 0) {
      const accuracyName = accuracyKey === null ? 'accuracy' : (PEER_ACCURACY[accuracyKey] ?? accuracyKey);
      lines.push(
        'Peers (same problem; grsd/peer = grsd median / peer median, below 1 means grsd is faster; "fastest": the ratio of the fastest samples, less sensitive to other work on the machine):',
        '',
        ...table(
          ['case', 'peer', 'median ± IQR (ms)', 'samples', 'clock', 'grsd/peer', 'grsd/peer (fastest)', accuracyName, 'note'],
          peerRows,
        ),
        '',
      );
      const described = new Map(g.figures.flatMap((f) => (f.peers ?? []).map((p) => [p.peer, p.description] as const)));
      lines.push(...[...described].map(([id, d]) => `- \`${id}\`: ${d}`), '');
    }
    const notes = g.figures.flatMap((f) => (f.notes ?? []).map((n) => `- ${f.label}: ${n}`));
    if (notes.length > 0) lines.push(...notes, '');
  }
  if (g.skipped.length > 0) lines.push('Skipped:', '', ...g.skipped.map((s) => `- ${s.label}: ${s.reason}`), '');
  if (g.failed.length > 0) lines.push('**Failed:**', '', ...g.failed.map((s) => `- ${s.label}: ${s.error}`), '');
  if (g.figures.length === 0 && g.skipped.length === 0 && g.failed.length === 0) lines.push('No cases at this scale.', '');
  return lines;
}

/** Renders the report as markdown (headings at level 2 and below, so it can be pasted into a page). */
export function renderMarkdown(report: BenchReport): string {
  const a = report.adapter;
  const lines: string[] = [
    `**Machine:** ${report.machine}`,
    '',
    `- Date: ${report.date}; grsd ${report.grsdVersion}; Node ${report.node}; scale \`${report.scale.name}\`; ${report.elapsedSeconds.toFixed(0)} s in all`,
    `- Adapter: ${a.description || a.device || 'unnamed'} — route \`${a.route}\`, ${a.mode} mode${a.software ? ', **software adapter**' : ''}; maxBufferSize ${report.limits.maxBufferSize}, maxStorageBufferBindingSize ${report.limits.maxStorageBufferBindingSize}`,
    `- GPU clock: \`${report.timing}\` — ${CLOCKS[report.timing]}`,
    `- Host: ${report.host.cores} cores, ${report.host.memoryGiB} GiB; 1-minute load average ${report.host.loadAverage.start.toFixed(2)} at the start, ${report.host.loadAverage.end.toFixed(2)} at the end (the run itself adds up to about ${report.host.cores})`,
    `- Times are per run (median ± interquartile range over the samples, ms); warm-up runs untimed.`,
    '',
  ];
  for (const note of report.notes) lines.push(`> ${note}`, '');

  const r = report.roofline;
  lines.push('## Roofline (measured on this device)', '');
  lines.push(
    ...table(
      ['measurement', 'size', 'median ± IQR (ms)', 'samples', 'result'],
      [
        [
          'copy, read + write',
          `2 × ${formatNumber(r.copy.bufferBytes / 2 ** 20)} MiB`,
          time(r.copy.time),
          String(r.copy.time.samples.length),
          `**${formatNumber(r.copy.gbPerS)} GB/s**`,
        ],
        ...r.gemm.points.map((p) => [
          'gemm, 2n³ FLOPs',
          `n = ${p.n}`,
          time(p.time),
          String(p.time.samples.length),
          `${p.n === r.gemm.best.n ? '**' : ''}${formatNumber(p.gflopPerS)} GFLOP/s${p.n === r.gemm.best.n ? '**' : ''}`,
        ]),
      ],
    ),
    '',
  );
  if (r.skipped.length > 0) lines.push(...r.skipped.map((s) => `- skipped ${s.what}: ${s.reason}`), '');

  lines.push('## Goals', '');
  lines.push(
    ...table(
      ['goal', 'target', 'measured', 'met', 'basis'],
      report.goals.map((g) => [
        g.description,
        g.target,
        formatNumber(g.value),
        g.met === null ? `n/a — ${g.reason ?? ''}` : g.met ? 'yes' : '**NO**',
        g.basis,
      ]),
    ),
    '',
  );

  for (const g of report.groups) lines.push(...groupSection(g));

  if (report.scaling.length > 0) {
    lines.push('## Scaling', '', 'Least-squares fit of log(time) against log(x) with the other parameters fixed: time ∝ x^exponent.', '');
    lines.push(
      ...table(
        ['group', 'series', 'x', 'fixed', 'points (x: ms)', 'exponent', 'r²'],
        report.scaling.map((s) => [
          s.group,
          s.series,
          s.variable,
          Object.entries(s.fixed)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          s.points.map((p) => `${p.x}: ${formatNumber(p.ms)}`).join(', '),
          s.exponent.toFixed(2),
          s.r2.toFixed(3),
        ]),
      ),
      '',
    );
  }
  return lines.join('\n');
}
