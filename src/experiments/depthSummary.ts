/**
 * The depth study's results over seeds (docs/lab.md, "The claim as a statistic"): per
 * (architecture, depth) every quantity as mean ± standard error with its per-seed values and the
 * share of seeds per verdict; per depth the difference plain − residual in ε_LSI with Welch's
 * test and the exact permutation test; per architecture the depth threshold L* with a bootstrap
 * interval over seeds and the slope d ln ε_LSI / d ln L; and one plain sentence stating what was
 * found. Pure functions of the per-run outcomes (no GPU).
 * @module
 */
import type { Verdict } from '../analysis/conditions.ts';
import {
  bootstrapInterval,
  criticalDepth,
  finiteValues,
  logLogSlope,
  mean,
  twoSamplePermutationTest,
  seedSummary,
  welchTest,
  type TwoSamplePermutationTest,
  type SeedSummary,
  type WelchTest,
} from './statistics.ts';

/** The conditions of docs/conditions.md, in order. */
export const CONDITIONS = ['C1', 'C2', 'C3', 'C4'] as const;
/** Name of a condition: `C1` … `C4`. */
export type ConditionName = (typeof CONDITIONS)[number];

/** What one trained and analysed network contributes to the summary. */
export interface RunOutcome {
  /** Architecture of the network. */
  readonly architecture: string;
  /** Depth L. */
  readonly depth: number;
  /** Seed. */
  readonly seed: number;
  /** ε_LSI of the run (null when not computable; `lsiReason` says why). */
  readonly epsilonLSI: number | null;
  /** Loss exponent ξ (null where the fit was not possible). */
  readonly xi: number | null;
  /** Velocity exponent a (rigidity mean; null where not fitted). */
  readonly velocityExponent: number | null;
  /** Full-batch training loss after the last step. */
  readonly finalLoss: number;
  /**
   * max over the checkpoints of the largest eigenvalue of the per-step operator M = (η/N)·K: the
   * sharpness. Gradient descent is unstable along a direction with λ > 2 (the edge of stability).
   */
  readonly sharpness: number | null;
  /** Verdict of each condition. */
  readonly verdicts: Readonly<Record<ConditionName, Verdict>>;
  /** Why ε_LSI is null, when it is. */
  readonly lsiReason?: string;
}

/** How many seeds got each verdict. */
export interface VerdictShares {
  /** Seeds with `pass`. */
  readonly pass: number;
  /** Seeds with `marginal`. */
  readonly marginal: number;
  /** Seeds with `fail`. */
  readonly fail: number;
  /** Seeds with `not-computable`. */
  readonly notComputable: number;
  /** pass / seeds. */
  readonly passFraction: number;
}

/** One (architecture, depth) over seeds. */
export interface DepthCell {
  /** Architecture. */
  readonly architecture: string;
  /** Depth L. */
  readonly depth: number;
  /** ε_LSI over the seeds. */
  readonly epsilonLSI: SeedSummary;
  /** Loss exponent ξ over the seeds. */
  readonly xi: SeedSummary;
  /** Velocity exponent a over the seeds. */
  readonly velocityExponent: SeedSummary;
  /** Final training loss over the seeds. */
  readonly finalLoss: SeedSummary;
  /** max_t λ_max(M), see {@link RunOutcome.sharpness}. */
  readonly sharpness: SeedSummary;
  /** Verdict counts over the seeds, per condition. */
  readonly verdicts: Readonly<Record<ConditionName, VerdictShares>>;
}

/** ε_LSI of `reference` (plain) minus ε_LSI of `architecture` (residual) at one depth. */
export interface DepthComparison {
  /** Depth L compared. */
  readonly depth: number;
  /** The compared architecture (a residual one). */
  readonly architecture: string;
  /** The reference architecture (`plain`). */
  readonly reference: string;
  /** mean(reference) − mean(architecture), over the seeds with a value (null if either has none). */
  readonly difference: number | null;
  /** √(SE_ref² + SE_arch²) (null with fewer than 2 values on a side). */
  readonly standardError: number | null;
  /** One-sided alternative: reference > architecture (`pGreater`). */
  readonly welch: WelchTest | null;
  /** Exact permutation test over seeds, one-sided (reference > architecture). */
  readonly permutation: TwoSamplePermutationTest | null;
}

/** L* and the depth slope of one architecture. */
export interface ArchitectureScan {
  /** Architecture scanned. */
  readonly architecture: string;
  /** ε_LSI threshold of L*. */
  readonly threshold: number;
  /** Depths scanned, in the order of `means`. */
  readonly depths: readonly number[];
  /** Mean ε_LSI per depth (null where no seed has a value). */
  readonly means: readonly (number | null)[];
  /** L* = the smallest depth whose mean ε_LSI ≤ threshold; null if none. */
  readonly criticalDepth: number | null;
  /**
   * Percentile bootstrap interval of L* over seeds (seeds resampled with replacement, the same
   * resample at every depth); a bound of null means "no depth reached the threshold".
   */
  readonly criticalDepthInterval: {
    /** Lower bound of the interval (null: no depth reached the threshold). */
    readonly lower: number | null;
    /** Upper bound (null: no depth reached the threshold). */
    readonly upper: number | null;
    /** Confidence level (0.95). */
    readonly level: number;
    /** Bootstrap resamples. */
    readonly replicates: number;
    /** Fraction of resamples in which no depth reached the threshold. */
    readonly noneFraction: number;
  };
  /** d ln ε_LSI / d ln L fitted per seed over the depths, then mean ± SE over seeds. */
  readonly slope: SeedSummary;
}

/** The sentence the report opens with, and what it is based on. */
export interface Finding {
  /**
   * `found`: the residual architecture's ε_LSI is below plain at the deepest depth with one-sided
   * Welch p < α; `suggestive`: below by more than the combined standard error but p ≥ α;
   * `not-found`: neither; `undetermined`: no comparison was possible (the sentence says why).
   */
  readonly effect: 'found' | 'suggestive' | 'not-found' | 'undetermined';
  /** One plain sentence: what was found (the report and the terminal summary open with it). */
  readonly sentence: string;
  /**
   * Facts that qualify it, measured on the runs (e.g. networks trained at the edge of stability,
   * the smallest p-value the permutation test can reach with this many seeds).
   */
  readonly caveats: readonly string[];
  /** The depth the verdict is read at (the deepest compared), or null. */
  readonly depth: number | null;
  /** Significance level α of the Welch test (default 0.05). */
  readonly alpha: number;
}

/** The whole summary. */
export interface DepthStudySummary {
  /** The seeds of the study. */
  readonly seeds: readonly number[];
  /** One cell per (architecture, depth). */
  readonly cells: readonly DepthCell[];
  /** Residual vs plain at every depth (empty without `plain`). */
  readonly comparisons: readonly DepthComparison[];
  /** L* and the depth slope per architecture. */
  readonly scans: readonly ArchitectureScan[];
  /** The sentence the report opens with, and its basis. */
  readonly finding: Finding;
}

/** Options of {@link summarizeDepthStudy}. */
export interface SummaryOptions {
  /** Architectures, in report order. */
  readonly architectures: readonly string[];
  /** Depths, ascending. */
  readonly depths: readonly number[];
  /** Seeds of the study. */
  readonly seeds: readonly number[];
  /** The ε_LSI threshold of L* (docs/conditions.md, C4 pass). */
  readonly threshold: number;
  /** Significance level of the finding. Default 0.05. */
  readonly alpha?: number;
  /** Bootstrap resamples of L*. Default 2000. */
  readonly bootstrapReplicates?: number;
  /** Seed of the bootstrap. Default 0. */
  readonly seed?: number;
}

const isResidual = (a: string): boolean => a.startsWith('residual');

/** Summarizes the outcomes of a depth study (one per architecture, depth and seed). */
export function summarizeDepthStudy(outcomes: readonly RunOutcome[], options: SummaryOptions): DepthStudySummary {
  const { architectures, depths, seeds, threshold } = options;
  const alpha = options.alpha ?? 0.05;
  const find = (architecture: string, depth: number, seed: number) =>
    outcomes.find((o) => o.architecture === architecture && o.depth === depth && o.seed === seed);
  const valuesOf = (architecture: string, depth: number, pick: (o: RunOutcome) => number | null): (number | null)[] =>
    seeds.map((s) => {
      const o = find(architecture, depth, s);
      return o ? pick(o) : null;
    });

  const cells: DepthCell[] = [];
  for (const architecture of architectures) {
    for (const depth of depths) {
      const runs = seeds.map((s) => find(architecture, depth, s)).filter((o): o is RunOutcome => o !== undefined);
      const summary = (pick: (o: RunOutcome) => number | null) => seedSummary(seeds, valuesOf(architecture, depth, pick));
      cells.push({
        architecture,
        depth,
        epsilonLSI: summary((o) => o.epsilonLSI),
        xi: summary((o) => o.xi),
        velocityExponent: summary((o) => o.velocityExponent),
        finalLoss: summary((o) => o.finalLoss),
        sharpness: summary((o) => o.sharpness),
        verdicts: Object.fromEntries(CONDITIONS.map((c) => [c, shares(runs.map((o) => o.verdicts[c]))])) as Record<
          ConditionName,
          VerdictShares
        >,
      });
    }
  }

  const cellOf = (architecture: string, depth: number) => cells.find((c) => c.architecture === architecture && c.depth === depth)!;
  const comparisons: DepthComparison[] = [];
  if (architectures.includes('plain')) {
    for (const architecture of architectures.filter(isResidual)) {
      for (const depth of depths) {
        const ref = cellOf('plain', depth).epsilonLSI;
        const arch = cellOf(architecture, depth).epsilonLSI;
        const refValues = finiteValues(ref.values);
        const archValues = finiteValues(arch.values);
        comparisons.push({
          depth,
          architecture,
          reference: 'plain',
          difference: ref.mean !== null && arch.mean !== null ? ref.mean - arch.mean : null,
          standardError:
            ref.standardError !== null && arch.standardError !== null ? Math.hypot(ref.standardError, arch.standardError) : null,
          welch: welchTest(refValues, archValues),
          permutation:
            refValues.length && archValues.length ? twoSamplePermutationTest(refValues, archValues, { alternative: 'greater' }) : null,
        });
      }
    }
  }

  const scans = architectures.map((architecture) =>
    scanArchitecture(architecture, depths, seeds, (d) => valuesOf(architecture, d, (o) => o.epsilonLSI), threshold, options),
  );
  const finding = describeFinding(outcomes, cells, comparisons, scans, { alpha, seeds: seeds.length });
  return { seeds: [...seeds], cells, comparisons, scans, finding };
}

function shares(verdicts: readonly Verdict[]): VerdictShares {
  const count = (v: Verdict) => verdicts.filter((x) => x === v).length;
  const pass = count('pass');
  return {
    pass,
    marginal: count('marginal'),
    fail: count('fail'),
    notComputable: count('not-computable'),
    passFraction: verdicts.length ? pass / verdicts.length : 0,
  };
}

function scanArchitecture(
  architecture: string,
  depths: readonly number[],
  seeds: readonly number[],
  epsilons: (depth: number) => (number | null)[],
  threshold: number,
  options: SummaryOptions,
): ArchitectureScan {
  const perDepth = depths.map(epsilons); // [depth][seed]
  const meanOver = (indices: readonly number[]) =>
    perDepth.map((values) => {
      const ok = finiteValues(indices.map((i) => values[i]!));
      return ok.length ? mean(ok) : null;
    });
  const all = seeds.map((_, i) => i);
  const means = meanOver(all);
  const interval = bootstrapInterval(seeds.length, (idx) => criticalDepth(depths, meanOver(idx), threshold) ?? Number.POSITIVE_INFINITY, {
    replicates: options.bootstrapReplicates ?? 2000,
    level: 0.95,
    seed: options.seed ?? 0,
  });
  const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
  const slopes = seeds.map((_, i) =>
    logLogSlope(
      depths,
      perDepth.map((values) => values[i]!),
    ),
  );
  return {
    architecture,
    threshold,
    depths: [...depths],
    means,
    criticalDepth: criticalDepth(depths, means, threshold),
    criticalDepthInterval: {
      lower: finiteOrNull(interval.lower),
      upper: finiteOrNull(interval.upper),
      level: interval.level,
      replicates: interval.replicates,
      noneFraction: interval.infiniteFraction,
    },
    slope: seedSummary(seeds, slopes),
  };
}

const f2 = (v: number | null): string => (v === null ? '—' : v.toFixed(2).replace(/^-(0\.0+)$/, '$1'));
const pm = (s: SeedSummary): string =>
  s.mean === null ? '—' : s.standardError === null ? f2(s.mean) : `${f2(s.mean)} ± ${f2(s.standardError)}`;
const pValue = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toPrecision(2));
const seedCount = (s: SeedSummary): number => s.values.filter((v) => v !== null).length;

function describeFinding(
  outcomes: readonly RunOutcome[],
  cells: readonly DepthCell[],
  comparisons: readonly DepthComparison[],
  scans: readonly ArchitectureScan[],
  context: { alpha: number; seeds: number },
): Finding {
  const { alpha } = context;
  const cell = (a: string, d: number) => cells.find((c) => c.architecture === a && c.depth === d)!;
  const scanOf = (a: string) => scans.find((s) => s.architecture === a)!;
  const usable = comparisons.filter((c) => c.welch !== null).sort((a, b) => b.depth - a.depth);
  const c = usable[0];
  if (!c) {
    const why = comparisons.length
      ? 'fewer than 2 seeds per architecture had a computable ε_LSI at the compared depths'
      : 'the study has no residual and plain pair to compare';
    const lstar = scans.map(describeThreshold).join('; ');
    return {
      effect: 'undetermined',
      sentence: `The effect could not be tested: ${why}${lstar ? `; ${lstar}` : ''}.`,
      caveats: [],
      depth: null,
      alpha,
    };
  }
  const w = c.welch!;
  const res = cell(c.architecture, c.depth).epsilonLSI;
  const ref = cell(c.reference, c.depth).epsilonLSI;
  const seedsText = seedCount(res) === seedCount(ref) ? `${seedCount(res)} seeds each` : `${seedCount(res)} and ${seedCount(ref)} seeds`;
  const numbers = `${pm(res)} against ${pm(ref)}, difference ${f2(w.difference)} ± ${f2(w.standardError)}, one-sided Welch p = ${pValue(w.pGreater)}, ${seedsText}`;
  const resScan = scanOf(c.architecture);
  const refScan = scanOf(c.reference);
  const slopes = `across depths ${c.architecture} ε_LSI changes with slope d ln ε/d ln L = ${slopeText(resScan)} and ${c.reference} with ${slopeText(refScan)}`;
  const threshold = resScan.threshold;
  const reached =
    resScan.criticalDepth === null && refScan.criticalDepth === null
      ? `neither reaches the ε_LSI ≤ ${threshold} of log-shift invariance at any depth (L* = none)`
      : `${describeThreshold(resScan)}, ${describeThreshold(refScan)}`;
  const caveats = qualify(cells, c);
  let effect: Finding['effect'];
  let sentence: string;
  if (w.difference > 0 && w.pGreater < alpha) {
    effect = 'found';
    sentence =
      resScan.criticalDepth !== null && refScan.criticalDepth === null
        ? `${capitalize(c.architecture)} networks realize log-shift invariance beyond a depth threshold and ${c.reference} networks do not: ${describeThreshold(resScan)}, ${describeThreshold(refScan)}; at depth ${c.depth} ${c.architecture} ε_LSI is ${numbers}.`
        : `At depth ${c.depth}, ${c.architecture} networks have a significantly lower ε_LSI than ${c.reference} ones (${numbers}), but ${reached}; ${slopes}.`;
  } else if (w.difference > w.standardError) {
    effect = 'suggestive';
    sentence = `At depth ${c.depth}, ${c.architecture} ε_LSI is below ${c.reference} by more than its standard error but not significantly at ${alpha} (${numbers}); ${reached}; ${slopes}.`;
  } else {
    effect = 'not-found';
    const why = reasons(outcomes);
    sentence = `The effect was not found: at depth ${c.depth}, ${c.architecture} ε_LSI is not below ${c.reference} by more than its standard error (${numbers})${why ? `; ${why}` : ''}; ${reached}.`;
  }
  return { effect, sentence, caveats, depth: c.depth, alpha };
}

function slopeText(s: ArchitectureScan): string {
  return s.slope.mean === null
    ? '—'
    : s.slope.standardError === null
      ? f2(s.slope.mean)
      : `${f2(s.slope.mean)} ± ${f2(s.slope.standardError)}`;
}

/** Measured facts that qualify the finding. */
function qualify(cells: readonly DepthCell[], c: DepthComparison): string[] {
  const out: string[] = [];
  const sharpest = (architecture: string) =>
    Math.max(...cells.filter((x) => x.architecture === architecture && x.sharpness.mean !== null).map((x) => x.sharpness.mean!));
  for (const [architecture, other] of [
    [c.reference, c.architecture],
    [c.architecture, c.reference],
  ] as const) {
    const unstable = cells.filter((x) => x.architecture === architecture && x.sharpness.mean !== null && x.sharpness.mean > 2);
    if (!unstable.length) continue;
    const depths = unstable.map((x) => x.depth);
    const range = unstable.map((x) => x.sharpness.mean!);
    const otherMax = sharpest(other);
    const contrast = Number.isFinite(otherMax) && otherMax <= 2 ? `, ${other} ones do not (≤ ${f2(otherMax)})` : '';
    const lo = f2(Math.min(...range));
    const hi = f2(Math.max(...range));
    out.push(
      `${capitalize(architecture)} networks at depth${depths.length > 1 ? 's' : ''} ${depths.join(', ')} train at the edge of stability at this learning rate (max λ(M) ${lo === hi ? lo : `${lo}–${hi}`} > 2: gradient descent is unstable along the top eigendirection)${contrast}; the comparison is at one common learning rate, and part of the difference in ε_LSI may come from that instability rather than from the architecture alone.`,
    );
  }
  const p = c.permutation;
  if (p && p.smallestPValue >= 0.05) {
    out.push(
      `With ${seedCount(cells.find((x) => x.architecture === c.architecture && x.depth === c.depth)!.epsilonLSI)} seeds per architecture the exact permutation test cannot go below p = ${p.smallestPValue.toPrecision(2)} (it reached ${p.pValue.toPrecision(2)} at depth ${c.depth}); Welch's test assumes normal seed-to-seed spread.`,
    );
  }
  return out;
}

function describeThreshold(s: ArchitectureScan): string {
  const i = s.criticalDepthInterval;
  const bound = (v: number | null) => (v === null ? 'none' : String(v));
  const interval = i.lower === i.upper ? bound(i.lower) : `${bound(i.lower)} to ${bound(i.upper)}`;
  if (s.criticalDepth === null) {
    return `${s.architecture} ε_LSI reaches ≤ ${s.threshold} at no depth (L* = none${i.noneFraction < 1 ? `, 95% bootstrap interval ${interval}` : ''})`;
  }
  return `${s.architecture} ε_LSI reaches ≤ ${s.threshold} from depth ${s.criticalDepth} (L* = ${s.criticalDepth}, 95% bootstrap interval ${interval})`;
}

/** Facts that can explain a missing effect, from the runs themselves. */
function reasons(outcomes: readonly RunOutcome[]): string {
  const out: string[] = [];
  const missing = outcomes.filter((o) => o.epsilonLSI === null);
  if (missing.length) {
    const first = missing.find((o) => o.lsiReason)?.lsiReason;
    out.push(`ε_LSI was not computable in ${missing.length} of ${outcomes.length} runs${first ? ` (${first})` : ''}`);
  }
  const c3 = outcomes.filter((o) => o.verdicts.C3 === 'fail').length;
  if (c3 > outcomes.length / 2) {
    out.push(
      `C3 (controlled kernel evolution) fails in ${c3} of ${outcomes.length} runs, so the couplings ε_LSI is computed from are not reliable`,
    );
  }
  return out.join('; ');
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
