/**
 * Group `eigsh-work`: operator applications to convergence on the hard-case catalogue
 * (src/bench/eigenCatalogue.ts), grsd against scipy's ARPACK in the same run — a LinearOperator
 * that counts its matrix–vector products, the same start vector and the same tolerance — with the
 * ratio per case and the accuracy of both against the float64 truth.
 *
 * Tolerances: grsd converges a pair when its bound ≤ tol·max|θ| (absolute, ‖A‖-relative); ARPACK
 * when ‖r_i‖ ≤ tol_A·|θ_i| (relative to each value). ARPACK runs with tol_A = tol·‖A‖/max|λ_wanted|
 * (capped at 0.5), so that every value it accepts meets grsd's criterion: "the same tolerance"
 * means ARPACK's answer would pass grsd's test. grsd runs with a memory budget of 2k + 20 vectors
 * (ARPACK: its default ncv = max(2k + 1, 20)), and once more with its default budget.
 * @module
 */
import { eigsh } from '../../algorithms/eigsh.ts';
import { denseOperator } from '../../algorithms/operators.ts';
import { denseCpuOperator, eigshF64, probeVector } from '../../reference/eigsh.ts';
import { eigenCatalogue, wantedValues, type CatalogueSize, type EigenCase } from '../eigenCatalogue.ts';
import { measure } from '../harness.ts';
import { PYTHON_PRELUDE, pythonScriptPeer, skippedPeer, type PeerOutcome } from '../peers.ts';
import type { BenchCase, BenchEnv, BenchGroup, BenchScale, Figure } from '../types.ts';

/** The ARPACK peer: scipy.sparse.linalg.eigsh on a counting LinearOperator. */
const ARPACK_SCRIPT = `${PYTHON_PRELUDE}
try:
    import scipy, scipy.sparse.linalg as sla
    versions["scipy"] = scipy.__version__
except Exception as e:
    skip("scipy import failed: %s: %s" % (type(e).__name__, e))
n = int(spec["n"]); k = int(spec["k"])
a = take(n * n, "<f4").reshape(n, n).astype(np.float64)
v0 = take(n, "<f8").copy()
count = [0]
def mv(x):
    count[0] += 1 if x.ndim == 1 else x.shape[1]
    return a @ x
op = sla.LinearOperator((n, n), matvec=mv, matmat=mv, dtype=np.float64)
def run():
    count[0] = 0
    try:
        w = sla.eigsh(op, k=k, which=spec["which"], tol=float(spec["tol"]), v0=v0, maxiter=int(spec["maxiter"]), return_eigenvectors=False)
        return {"converged": True, "values": np.sort(w).tolist(), "matvecs": count[0]}
    except sla.ArpackNoConvergence as e:
        w = e.eigenvalues if e.eigenvalues is not None else []
        return {"converged": False, "values": np.sort(np.asarray(w)).tolist(), "matvecs": count[0]}
samples, result = timed(run)
finish(samples, result)
`;

const DESCRIPTION =
  'scipy.sparse.linalg.eigsh (ARPACK) on a LinearOperator counting matvecs, default ncv, same start vector, tol_A = tol·‖A‖/max|λ_wanted| (capped at 0.5), float64';

/** The settings of the group at a scale (the catalogue size and the tolerance). */
export function eigshWorkSettings(scale: BenchScale): { size: CatalogueSize; tolerance: number } {
  return scale.eigshWork ?? { size: scale.name === 'full' ? 'bench' : 'test', tolerance: 1e-4 };
}

const catalogues = new Map<CatalogueSize, EigenCase[]>();
function catalogue(size: CatalogueSize): EigenCase[] {
  let c = catalogues.get(size);
  if (!c) catalogues.set(size, (c = eigenCatalogue(size)));
  return c;
}

/** max_i |values[i] − wanted_i| / ‖A‖ in output order (values: the solver's, sorted as `which` orders them). */
function wantedError(c: EigenCase, values: readonly number[]): number {
  const want = wantedValues(c.values, c.k, c.which);
  const norm = Math.max(Math.abs(c.values[0]!), Math.abs(c.values[c.n - 1]!)) || 1;
  if (values.length < c.k) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < c.k; i++) worst = Math.max(worst, Math.abs(values[i]! - want[i]!) / norm);
  return worst;
}

/** ARPACK's ascending values in grsd's output order for `which`. */
function inOutputOrder(c: EigenCase, ascending: readonly number[]): number[] {
  const top = c.which === 'largest' ? c.k : c.which === 'smallest' ? 0 : Math.ceil(c.k / 2);
  const m = ascending.length;
  return [...ascending.slice(m - top).reverse(), ...ascending.slice(0, c.k - top)];
}

function workCase(index: number, size: CatalogueSize, tolerance: number): BenchCase {
  const c0 = catalogue(size)[index]!;
  const params = { n: c0.n, k: c0.k };
  return {
    label: c0.name,
    params,
    memory: { largestBuffer: c0.n * c0.n * 4, gpu: c0.n * (c0.n + 3 * (2 * c0.k + 22)) * 4, host: c0.n * c0.n * 16 },
    async run(env: BenchEnv): Promise<Figure> {
      const c = catalogue(size)[index]!;
      const { ctx, scale } = env;
      const norm = Math.max(Math.abs(c.values[0]!), Math.abs(c.values[c.n - 1]!)) || 1;
      const budget = 2 * c.k + 20;
      const options = { k: c.k, which: c.which, tolerance, seed: 0 };
      let grsd = { applies: 0, restarts: 0, error: 0, converged: 0, stop: '' };
      const time = await measure(
        `eigsh-work ${c.name}`,
        async () => {
          using op = await denseOperator(ctx, { n: c.n, data: c.data });
          using sol = await eigsh(op, { ...options, maxVectors: budget });
          const r = sol.results[0]!;
          grsd = {
            applies: r.applies,
            restarts: r.restarts,
            error: wantedError(c, Array.from(r.eigenvalues)),
            converged: r.converged.every(Boolean) ? 1 : 0,
            stop: r.stopReason,
          };
        },
        { ctx, warmup: 0, repeats: 1, maxSeconds: 0 },
      );
      let defaultBudget;
      {
        using op = await denseOperator(ctx, { n: c.n, data: c.data });
        using sol = await eigsh(op, options);
        const r = sol.results[0]!;
        defaultBudget = { applies: r.applies, error: wantedError(c, Array.from(r.eigenvalues)) };
      }
      const f64 = c.n <= scale.f64MaxN ? eigshF64(denseCpuOperator(c.n, 1, c.data), { ...options, maxVectors: budget })[0]! : null;
      // ARPACK at the same (absolute) tolerance: tol_A·|θ_i| ≤ tol·‖A‖ for every wanted value.
      const want = wantedValues(c.values, c.k, c.which);
      const maxWanted = Math.max(...Array.from(want, Math.abs));
      const tolA = maxWanted > 0 ? Math.min(0.5, (tolerance * norm) / maxWanted) : tolerance;
      const which = c.which === 'largest' ? 'LA' : c.which === 'smallest' ? 'SA' : 'BE';
      const ncv = Math.min(c.n, Math.max(2 * c.k + 1, 20));
      const arpack: PeerOutcome = env.peers.disabledReason
        ? skippedPeer('scipy-arpack-count', env.peers.disabledReason, DESCRIPTION)
        : await pythonScriptPeer(
            'scipy-arpack-count',
            ARPACK_SCRIPT,
            { n: c.n, k: c.k, which, tol: tolA, maxiter: Math.max(100, Math.ceil((30 * c.n) / ncv)), warmup: 0, repeats: 1, maxSeconds: 0 },
            [c.data, probeVector(0, 0, c.n)],
            env.peers,
            DESCRIPTION,
          );
      const result = arpack.result as { converged?: boolean; values?: number[]; matvecs?: number } | undefined;
      const arpackError = result?.values ? wantedError(c, inOutputOrder(c, result.values)) : Number.NaN;
      // ARPACK "converges" here when it says so and its values are the wanted ones to the tolerance.
      const arpackOk = result?.converged === true && arpackError <= Math.max(tolerance, 1e-5);
      const notes: string[] = [];
      if (result && !result.converged) notes.push(`ARPACK did not converge within ${result.matvecs} matvecs`);
      if (result?.converged && !arpackOk)
        notes.push(`ARPACK reported convergence but its values are off by ${arpackError.toExponential(1)}·‖A‖`);
      if (grsd.stop !== 'converged' && grsd.stop !== 'exhausted') notes.push(`grsd stopped: ${grsd.stop}`);
      return {
        label: c.name,
        params,
        time,
        metrics: {
          applies: grsd.applies,
          restarts: grsd.restarts,
          maxVectors: budget,
          errorOverNorm: grsd.error,
          allConverged: grsd.converged,
          appliesDefaultBudget: defaultBudget.applies,
          errorDefaultBudget: defaultBudget.error,
          ...(f64 ? { appliesF64: f64.applies } : {}),
          ...(result?.matvecs !== undefined
            ? {
                appliesArpack: result.matvecs,
                arpackConverged: arpackOk ? 1 : 0,
                // Fewer than k values (ARPACK stopped without converging): no error to report.
                ...(Number.isFinite(arpackError) ? { errorArpack: arpackError } : {}),
              }
            : {}),
          ...(arpackOk ? { ratioToArpack: grsd.applies / result!.matvecs! } : {}),
        },
        peers: [arpack],
        ...(notes.length ? { notes } : {}),
      };
    },
  };
}

/** The operator-application count benchmark group. */
export const eigshWorkGroup: BenchGroup = {
  id: 'eigsh-work',
  title: 'eigsh work to convergence on the hard-case catalogue, against ARPACK',
  description:
    'Operator applications (vectors) until every wanted pair converges, on the hard-case catalogue (identity, zero, rank-deficient, ' +
    'multiplicities, clusters, Laplacians, 7-decade spectra at both ends, indefinite, Wishart, scales 1e±20/30): grsd eigsh on the GPU ' +
    'with 2k + 20 basis vectors (and with its default budget), its float64 twin, and ARPACK through a counting LinearOperator at the same ' +
    'tolerance; ratio = grsd applies / ARPACK matvecs where ARPACK converges to the right values.',
  cases(scale: BenchScale) {
    const { size, tolerance } = eigshWorkSettings(scale);
    return catalogue(size).map((_, i) => workCase(i, size, tolerance));
  },
};
