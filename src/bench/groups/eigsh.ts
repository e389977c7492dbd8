/**
 * Group `eigsh`: the top-k eigenvalues of one dense n×n matrix end to end (host matrix → upload →
 * adaptive Lanczos until every wanted pair's error bound ≤ tolerance·max|θ| → eigenvalues on the
 * host), against LAPACK (numpy), ARPACK (scipy), ml-matrix and grsd's float64 reference on the same
 * matrix. Accuracy of every result is checked against the matrix's known spectrum.
 * @module
 */
import { eigsh } from '../../algorithms/eigsh.ts';
import { denseOperator } from '../../algorithms/operators.ts';
import { probeVector } from '../../reference/eigsh.ts';
import { measure } from '../harness.ts';
import { f64EigshPeer, mlMatrixPeer, pythonPeer, skippedPeer, withRatios, type PeerOutcome } from '../peers.ts';
import { benchSpectrum } from '../problems.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** Steps assumed for predicting an adaptive run: the first Krylov size eigsh tries (it grows only when pairs have not converged). */
const predictedSteps = (n: number, k: number): number => Math.min(n, Math.max(2 * k + 20, 30));

/** max_i |values[i] − λ_i| / λ_max against the known spectrum (descending), over the first k. */
export function topKError(values: readonly number[], spectrum: Float64Array, k: number): number {
  if (values.length === 0) return Number.NaN;
  let worst = 0;
  const sorted = [...values].sort((a, b) => b - a).slice(0, k);
  sorted.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - spectrum[i]!))));
  return worst / spectrum[0]!;
}

function withAccuracy(p: PeerOutcome, spectrum: Float64Array, k: number): PeerOutcome {
  const top = p.result?.top;
  if (!Array.isArray(top)) return p;
  return { ...p, result: { ...p.result, maxErrorOverLambdaMax: topKError(top as number[], spectrum, k) } };
}

function eigshCase(n: number, k: number, tolerance: number): BenchCase {
  const bytes = n * n * 4;
  return {
    label: `n=${n} k=${k}`,
    params: { n, batch: 1, k },
    memory: { largestBuffer: bytes, gpu: bytes + 170 * n * 4, host: bytes * 6 },
    ...(k > n ? { skipReason: `k = ${k} exceeds n = ${n}` } : {}),
    predictSeconds: (env) => env.predictSeconds({ bytes: predictedSteps(n, k) * bytes }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx, scale } = env;
      const matrix = env.matrix(n);
      const spectrum = benchSpectrum(n);
      const options = { k, tolerance, seed: 0 };
      const timing = env.timing(env.predictSeconds({ bytes: predictedSteps(n, k) * bytes }));
      let values: number[] = [];
      let steps = 0;
      let converged = 0;
      const time = await measure(
        `eigsh n=${n}`,
        async () => {
          using op = await denseOperator(ctx, { n, data: matrix });
          using sol = await eigsh(op, options);
          const r = sol.results[0]!;
          values = Array.from(r.eigenvalues);
          steps = r.steps;
          converged = r.converged.filter(Boolean).length;
        },
        timing,
      );
      let resident;
      {
        using op = await denseOperator(ctx, { n, data: matrix });
        resident = await measure(
          `eigsh resident n=${n}`,
          async () => {
            using sol = await eigsh(op, options);
            void sol;
          },
          timing,
        );
      }
      const peerTiming = { warmup: scale.warmup, repeats: scale.repeats, maxSeconds: scale.maxSeconds };
      const peers: PeerOutcome[] = [];
      peers.push(await pythonPeer({ peer: 'numpy-eigvalsh', n, k, ...peerTiming }, matrix, null, env.peers));
      peers.push(await pythonPeer({ peer: 'numpy-eigh', n, k, ...peerTiming }, matrix, null, env.peers));
      peers.push(await pythonPeer({ peer: 'scipy-eigsh', n, k, tol: tolerance, ...peerTiming }, matrix, probeVector(0, 0, n), env.peers));
      peers.push(
        env.peers.disabledReason
          ? skippedPeer('ml-matrix', env.peers.disabledReason)
          : n > scale.mlMatrixMaxN
            ? skippedPeer('ml-matrix', `n = ${n} > ${scale.mlMatrixMaxN}: too slow (O(n³) in JavaScript)`)
            : await mlMatrixPeer(matrix, n, k, peerTiming),
      );
      peers.push(
        env.peers.disabledReason
          ? skippedPeer('grsd-f64-eigsh', env.peers.disabledReason)
          : n > scale.f64MaxN
            ? skippedPeer('grsd-f64-eigsh', `n = ${n} > ${scale.f64MaxN}: the float64 reference is for small n`)
            : await f64EigshPeer(matrix, n, options, peerTiming),
      );
      return {
        label: `n=${n} k=${k}`,
        params: { n, batch: 1, k },
        time,
        measurements: { resident },
        metrics: {
          steps,
          converged,
          maxErrorOverLambdaMax: topKError(values, spectrum, k),
          residentMs: resident.median,
          uploadShare: Math.max(0, 1 - resident.median / time.median),
        },
        peers: withRatios(
          peers.map((p) => withAccuracy(p, spectrum, k)),
          time,
        ),
      };
    },
  };
}

/** The eigsh end-to-end benchmark group. */
export const eigshGroup: BenchGroup = {
  id: 'eigsh',
  title: 'eigsh top-k, end to end',
  description:
    'Top-k eigenvalues of one dense n×n matrix with the power-law spectrum λ_i = 1/(i+1): host f32 matrix → upload (with the ' +
    'finite/symmetry checks) → adaptive Lanczos to tolerance·max|θ| → values on the host. "resident" excludes the upload. ' +
    'Peers get the same matrix; ratio = grsd time (with upload) / peer time.',
  cases(scale) {
    const { n, k, tolerance } = scale.eigsh;
    return [...n].sort((a, b) => a - b).map((size) => eigshCase(size, k, tolerance));
  },
};
