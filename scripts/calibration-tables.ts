/**
 * Prints the calibration tables of docs/conditions.md as markdown, from the same closed-form cases
 * the unit test test/unit/analysis-calibration.test.ts asserts on:
 *
 *   node scripts/calibration-tables.ts > /tmp/tables.md
 *
 * (Node ≥ 22.6 with type stripping; about a minute on one core.)
 */
import {
  brokenExportRows,
  doneWhenLazyRun,
  lazyRows,
  modeLevelLsiRows,
  noiseRows,
  rotatingRows,
  scheduleRows,
  shellLevelExponent80,
  shellLevelLsiRows,
} from '../test/helpers/calibrationTables.ts';

const f = (v: number | null, digits = 3): string => (v === null || Number.isNaN(v) ? '—' : v.toFixed(digits));
const out: string[] = [];
const table = (head: string[], rows: string[][]): void => {
  out.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
};

out.push('### ξ on exact lazy power laws (λ_k = k^−ν, c_k(0)² = k^−(1+κ), 12 log-spaced checkpoints up to t_max)', '');
const lazy = lazyRows();
table(
  ['n', 'ν', 'κ', 'ξ = κ/ν', 't_max', 'loss curve (points)', 'plain power law, same window', 'spectrum', 'Tauberian'],
  lazy.map((r) => [
    `${r.n}`,
    `${r.nu}`,
    `${r.kappa}`,
    f(r.xi),
    r.tMax.toExponential(0),
    `${f(r.loss)} (${r.lossPoints})`,
    f(r.lossPowerLaw),
    f(r.spectrum),
    f(r.tauberian),
  ]),
);
const worst = (pick: (r: (typeof lazy)[number]) => number | null) =>
  Math.max(...lazy.map((r) => (pick(r) === null ? 0 : Math.abs(pick(r)! - r.xi))));
out.push(
  `Largest error: loss curve ${f(
    worst((r) => r.loss),
    4,
  )}, plain power law over the same window ${f(
    worst((r) => r.lossPowerLaw),
    4,
  )}, spectrum ${f(
    worst((r) => r.spectrum),
    4,
  )} (— where fewer than 4 shells hold ≥ 8 modes), Tauberian ${f(
    worst((r) => r.tauberian),
    4,
  )}.`,
  '',
);

const done = await doneWhenLazyRun();
const a = done.analysis.fits;
out.push(
  `Through the pipeline (n = 400, ν = 1.3, κ = 0.65, t ≤ 3000, rank n): loss curve ${a.lossExponent.ok ? f(a.lossExponent.xi, 4) : '—'}, spectrum ${a.spectrumExponent.ok ? f(a.spectrumExponent.xi, 4) : '—'}, Tauberian ${a.tauberian.ok ? f(a.tauberian.xi, 4) : '—'}; velocity fits: ${a.velocity.filter((v) => v.ok).length}; failed checks: ${done.series.intervals.reduce((s, iv) => s + Object.values(iv.checks).filter((c) => c.status === 'fail').length, 0)}.`,
  '',
);

out.push('### Exact log-shift invariance and its negative controls', '');
const lsi = [...shellLevelLsiRows(), ...(await modeLevelLsiRows())];
table(
  ['level', 'case', '1 + ln ρ/h', 'fitted a', 'implied a', 'ε_LSI', 'null-test p', 'C4', 'failed checks'],
  lsi.map((r) => [
    r.level === 'shell' ? 'shell (40 shells)' : 'mode (16 modes)',
    r.kind === 'lsi' ? `LSI ρ = ${r.rho}` : r.kind,
    f(r.exponent),
    f(r.fitted),
    f(r.implied),
    f(r.epsilon),
    r.pValue.toPrecision(2),
    r.c4,
    `${r.failedChecks}`,
  ]),
);
for (const rho of [1.3, 0.8]) {
  const e = shellLevelExponent80(rho);
  out.push(`80 shells of h = ln 2, ρ = ${rho}: fitted a = ${e.fitted.toFixed(6)} against 1 + ln ρ/h = ${e.exponent.toFixed(6)}.`);
}
out.push('');

out.push('### Schedule invariance of the renormalized couplings (T4)', '');
table(
  ['level', 'case', 'schedule', 'ε_LSI (time-weighted)', 'discretization bound', 'ε_LSI (equal weights, before)', 'C4'],
  (await scheduleRows()).map((r) => [
    r.level === 'shell' ? 'shell (40 shells, transient)' : 'mode (16 modes, pipeline)',
    r.kind === 'lsi' ? `LSI ρ = ${r.rho}` : r.kind,
    r.schedule,
    r.epsilon < 1e-3 ? r.epsilon.toExponential(1) : f(r.epsilon),
    r.bound === null ? '—' : r.bound.toExponential(1),
    r.epsilonEqualWeight < 1e-3 ? r.epsilonEqualWeight.toExponential(1) : f(r.epsilonEqualWeight),
    r.c4,
  ]),
);

out.push('### ε_LSI and the null test on Toeplitz plus noise (14 shells, 40 seeds, 200 null draws)', '');
table(
  ['case', 'mean ε_LSI', 'P(p ≤ 0.01)', 'P(p ≤ 0.05)', 'median p'],
  noiseRows().map((r) => [
    r.ratio === Infinity ? 'iid couplings' : r.ratio === -1 ? 'shell-permuted Toeplitz' : `ρ = ${r.rho}, noise ratio ${r.ratio}`,
    f(r.epsilon),
    f(r.pBelow01, 2),
    f(r.pBelow05, 2),
    f(r.pMedian, 3),
  ]),
);

out.push('### Checks on exact rotating-basis runs (n = 12, three intervals)', '');
table(
  [
    'ν',
    '‖Ω‖ scale',
    'c(0)',
    'Δt',
    'failed checks',
    'katoConsistency pass / not applicable',
    'worst passing Kato value',
    'min D^Δ_α/‖e‖² (its allowance)',
  ],
  (await rotatingRows()).map((r) => [
    `${r.nu}`,
    `${r.omega}`,
    r.amplitudes,
    `${r.dt}`,
    `${r.failed}`,
    `${r.katoPass} / ${r.katoNotApplicable}`,
    r.katoWorst.toPrecision(2),
    `${r.dissipationMin.toExponential(1)} (${r.dissipationAllowance.toExponential(1)})`,
  ]),
);
out.push('### dissipationSign on broken exports (the exact run n = 12, ν = 1.5, Δt = 0.01; checkpoint 2 broken)', '');
table(
  ['residual of checkpoint 2', 'status', 'min D^Δ_α/‖e‖²', 'allowance'],
  (await brokenExportRows()).map((r) => [r.name, r.status, r.value.toExponential(2), r.threshold.toExponential(2)]),
);
process.stdout.write(out.join('\n'));
