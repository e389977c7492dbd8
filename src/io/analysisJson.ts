/**
 * The JSON form of a GRSD analysis (what `grsd analyze --json` writes and visualizers read).
 * Versioned by {@link ANALYSIS_SCHEMA_VERSION}; documented in docs/formats.md. Matrices are nested
 * arrays [row][column]; shell arrays follow grid.labels (window shells, then "∅", then "⊥").
 * Undefined values (a velocity where ĝ is below its floor) are written as null, never NaN.
 * @module
 */
import type { CheckpointResult, IntervalResult, SeriesResult } from '../analysis/series.ts';
import { GRSD_VERSION } from '../version.ts';

/**
 * Version of the analysis JSON layout. Bumped on incompatible changes. 2: checks carry `status`
 * (pass, fail, not-applicable) and `message`; `theory.transportLevel` is the largest share of
 * ‖e‖² moved between two shells in an interval (was max|T|/max|D|); the fit sections of
 * docs/conditions.md (loss-exponent window and model, lazy-prediction bracket, drift, profile peak,
 * eigenvalue tail, renormalizability) and `warnings`.
 */
export const ANALYSIS_SCHEMA_VERSION = 2;

const matrix = (m: Float64Array, s: number): number[][] => Array.from({ length: s }, (_, r) => Array.from(m.subarray(r * s, (r + 1) * s)));

/** Labels of the shell arrays: the window shells' λ ranges, then ∅ and ⊥. */
export function shellLabels(series: Pick<SeriesResult, 'grid'>): string[] {
  const edges = series.grid.edges;
  const fmt = (v: number) => v.toPrecision(3);
  return [...Array.from({ length: series.grid.count }, (_, i) => `[${fmt(edges[i]!)}, ${fmt(edges[i + 1]!)})`), '∅', '⊥'];
}

/** The JSON object of one checkpoint. */
export function checkpointJson(c: CheckpointResult): Record<string, unknown> {
  return {
    index: c.index,
    t: c.t,
    loss: c.loss,
    residualNorm2: c.residualNorm2,
    energy: Array.from(c.energy),
    dissipation: Array.from(c.dissipation),
    counts: Array.from(c.counts),
    eigenvalues: Array.from(c.eigenvalues),
    boundaryFlagged: c.boundaryFlagged,
    clampedAbove: c.clampedAbove,
    lanczos: c.lanczos,
    capture: c.capture,
  };
}

/** The JSON object of one interval (`size` = grid.size). */
export function intervalJson(iv: IntervalResult, size: number): Record<string, unknown> {
  return {
    index: iv.index,
    t0: iv.t0,
    t1: iv.t1,
    flow: matrix(iv.flow, size),
    transport: matrix(iv.transport, size),
    dissipation: Array.from(iv.dissipation),
    energyChange: Array.from(iv.energyChange),
    flux: Array.from(iv.flux),
    fluxLocal: Array.from(iv.fluxLocal),
    fluxNonlocal: Array.from(iv.fluxNonlocal),
    complementExchange: Array.from(iv.complementExchange),
    velocityBoundaries: Array.from(iv.velocityBoundaries),
    velocityLog: Array.from(iv.velocityLog, (v, i) => (iv.velocityValid[i] ? v : null)),
    velocity: Array.from(iv.velocity, (v, i) => (iv.velocityValid[i] ? v : null)),
    kato: iv.kato
      ? { delta: iv.kato.delta, transport: matrix(iv.kato.transport, size), perLayer: iv.kato.perLayer.map((m) => matrix(m, size)) }
      : null,
    checks: iv.checks,
    resolution: {
      precision: iv.resolution.precision,
      flow: iv.resolution.flow,
      rate: iv.resolution.rate,
      fluxResolved: Array.from(iv.resolution.fluxResolved, Boolean),
      velocityResolved: Array.from(iv.resolution.velocityResolved, Boolean),
    },
  };
}

/** The whole analysis as a JSON-ready object; `extra` holds the sections of analyzeGrsd (fits, theory, conditions, warnings). */
export function analysisJson(
  series: SeriesResult,
  backend: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const size = series.grid.size;
  return {
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    generator: { name: 'grsd', version: GRSD_VERSION },
    backend,
    timeScale: series.timeScale,
    grid: {
      ...series.grid.toJSON(),
      labels: shellLabels(series),
      floorIndex: series.grid.floorIndex,
      complementIndex: series.grid.complementIndex,
    },
    coverage: series.coverage,
    checkpoints: series.checkpoints.map(checkpointJson),
    intervals: series.intervals.map((iv) => intervalJson(iv, size)),
    ...extra,
  };
}
