/**
 * Shared wording and styling of the figures: axis titles with units, interval labels in time
 * order, the sequential interval palette, number formats. Browser-safe.
 * @module
 */

/** Axis title of t with its unit (the manifest's `timeUnit`; docs/formats.md). */
export function timeTitle(unit: string | undefined | null, prefix = 't'): string {
  if (!unit) return `${prefix} (run time units; the manifest states none)`;
  if (unit === 'steps') return `${prefix} (optimizer steps)`;
  return `${prefix} (${unit})`;
}

/** Per-unit-of-time wording for rates ("per step", "per unit of gradient-flow time"). */
export function perTime(unit: string | undefined | null): string {
  if (!unit) return 'per unit of t';
  if (unit === 'steps') return 'per step';
  return `per unit of ${unit}`;
}

/** A compact, exact-enough rendering of a time value (integers as integers). */
export function formatTime(t: number): string {
  if (Number.isInteger(t) && Math.abs(t) < 1e9) return String(t);
  const s = t.toPrecision(4);
  return s.includes('e') ? s : String(Number(s));
}

/** "t0→t1": the label of an interval (sorted by time wherever it is used, never as a string). */
export function intervalLabel(t0: number, t1: number): string {
  return `${formatTime(t0)}→${formatTime(t1)}`;
}

/** λ in a short scientific form for labels (e.g. 3.2e-4). */
export function formatLambda(v: number): string {
  return v.toExponential(1).replace('e+', 'e');
}

/**
 * Colour scale of an ordered categorical field (intervals, eigenvalue rank): a sequential scheme
 * sampled once per category in the given order, so colours never repeat and the legend lists the
 * categories in time order. The bright end of viridis is cut off (unreadable on white).
 */
export function sequentialScale(domain: readonly string[]): Record<string, unknown> {
  return { domain: [...domain], scheme: { name: 'viridis', extent: [0, 0.88] } };
}

/**
 * Legend of an ordered categorical field: every entry, labels never cut (labelLimit 0: headless
 * rendering estimates text widths generously and would truncate), two columns past 16 entries.
 */
export function orderedLegend(title: string, count: number): Record<string, unknown> {
  return { title, symbolLimit: 0, labelLimit: 0, ...(count > 16 ? { columns: 2 } : {}) };
}

/**
 * The powers of ten within [lo, hi] (a relative slack of 1e-9 at both ends), for axis and legend
 * values on log-like scales (values outside a scale's domain would be drawn outside the plot).
 */
export function decades(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi >= lo)) return [];
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    const v = Number(`1e${k}`);
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
  }
  return out;
}
