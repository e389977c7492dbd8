/**
 * Smaller analysis JSON for documents that hold many analyses (the depth study's report.json,
 * docs/formats.md "Smaller analysis documents"):
 * - an interval's `transport` is dropped: it is (flow − flowᵀ)/(t1 − t0), exactly how grsd
 *   computes it, so a reader rebuilds it from `flow`;
 * - with `matrices: false`, the interval matrices go too (`flow`, and of `kato` everything but
 *   `delta` and each layer's share of Σ|T| in `layerShares`), keeping the shell energies, flux,
 *   velocity, checks, fits, theory and conditions — everything the figures draw.
 * What was left out is listed in `omitted`. Browser-safe.
 * @module
 */

type Json = Record<string, unknown>;

/** Options of {@link slimAnalysisJson}. */
export interface SlimOptions {
  /** Keep the per-interval flow and Kato matrices (default true). */
  readonly matrices?: boolean;
}

const absSum = (m: readonly (readonly number[])[]): number => m.reduce((s, row) => s + row.reduce((r, v) => r + Math.abs(v), 0), 0);

/** A copy of an analysis JSON object without its derivable (and, on request, its matrix) arrays. */
export function slimAnalysisJson(json: Json, options: SlimOptions = {}): Json {
  const matrices = options.matrices ?? true;
  const intervals = (json.intervals as Json[] | undefined)?.map((iv) => {
    const { transport: _transport, flow, kato, ...rest } = iv as Json & { kato?: Json | null };
    if (matrices) return { ...rest, flow, kato };
    if (!kato) return { ...rest, kato: null };
    const perLayer = (kato.perLayer as number[][][] | undefined) ?? [];
    const mass = perLayer.map(absSum);
    const total = mass.reduce((a, v) => a + v, 0);
    return { ...rest, kato: { delta: kato.delta, layerShares: mass.map((v) => (total > 0 ? v / total : 0)) } };
  });
  return {
    ...json,
    ...(intervals ? { intervals } : {}),
    omitted: matrices
      ? ['intervals[].transport (= (flow − flowᵀ)/(t1 − t0))']
      : ['intervals[].transport (= (flow − flowᵀ)/(t1 − t0))', 'intervals[].flow', 'intervals[].kato matrices (kato.layerShares kept)'],
  };
}
