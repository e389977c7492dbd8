/**
 * Group `eigsh-jacobian`: all n eigenpairs of K = J Jᵀ from a wide Jacobian J (n × P, P ≫ n), as
 * `analyze` solves a `jacobian` manifest checkpoint (k = rank = n, largest, Ritz vectors kept on
 * the GPU), by the three routes: Golub–Kahan on J (`eigshJacobian`, one-sided when P > n), Lanczos
 * on K applied as J(Jᵀx) (`eigsh` on the same `jacobianOperator`) and Lanczos on the f32 kernel K
 * (`eigsh` on a `denseOperator`). Operators are resident (their upload is not timed). Accuracy of
 * each route against the float64 truth (σ² from a float64 Gram matrix of the f32 J).
 *
 * Cost model per Krylov step j (p = 1; f32 words), the applies J and Jᵀ: 4nP FLOPs, 8nP bytes;
 * CGS2 of a candidate against r rows of length L: 8rL FLOPs, 16rL bytes. Golub–Kahan adds the
 * right candidate (length P) to Lanczos's left one (length n): with full reorthogonalization of V
 * (r = j) it averages 4nP FLOPs per step over n steps — as much as the applies — one-sided (r = 1)
 * 8P. Lanczos on K: 2n² per apply.
 * @module
 */
import { eigsh } from '../../algorithms/eigsh.ts';
import { eigshJacobian } from '../../algorithms/golubKahan.ts';
import { denseOperator, jacobianOperator } from '../../algorithms/operators.ts';
import { kernelFromJacobianF64 } from '../../reference/spectralCheckpoint.ts';
import { symmetricEigen } from '../../reference/symmetricEigen.ts';
import { Random } from '../../util/random.ts';
import { measure } from '../harness.ts';
import type { BenchCase, BenchEnv, BenchGroup, BenchScale, Figure } from '../types.ts';

/** λ_min/λ_max of the benchmark Jacobians (σ log-spaced over half as many decades). */
const DECADES = 8;

/** The shapes (n, P) of the group at a scale. */
export function eigshJacobianShapes(scale: BenchScale): readonly (readonly [number, number])[] {
  return (
    scale.eigshJacobian?.shapes ??
    (scale.name === 'full'
      ? [
          [128, 2833],
          [256, 4801],
        ]
      : [[128, 2833]])
  );
}

/**
 * The benchmark Jacobian: row i of a Gaussian n × P matrix (entries of variance 1/P) scaled by
 * σ_i = 10^(−(DECADES/2)·i/(n−1)), then mixed by two Householder reflections of the rows (so
 * that no basis vector is special); f32. Its singular values are ≈ σ_i (P ≫ n).
 */
export function benchJacobian(n: number, cols: number, seed = 7): Float32Array {
  const rng = new Random(seed);
  const j = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) {
    const sigma = 10 ** (-(DECADES / 2) * (i / Math.max(1, n - 1)));
    const row = rng.normals(cols);
    for (let c = 0; c < cols; c++) j[i * cols + c] = (sigma * row[c]!) / Math.sqrt(cols);
  }
  for (let h = 0; h < 2; h++) {
    const v = Float64Array.from(rng.normals(n));
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += v[i]! * j[i * cols + c]!;
      for (let i = 0; i < n; i++) j[i * cols + c] = j[i * cols + c]! - 2 * v[i]! * s;
    }
  }
  return Float32Array.from(j);
}

/** Errors of descending `values` against descending `truth`: max |Δλ|/λ_max, and max and median |Δλ|/λ over the ten smallest. */
function errors(values: Float64Array, truth: Float64Array): { maxOverLambdaMax: number; bottomMaxRel: number; bottomMedianRel: number } {
  const m = Math.min(values.length, truth.length);
  let worst = 0;
  const rel: number[] = [];
  for (let i = 0; i < m; i++) {
    const d = Math.abs(values[i]! - truth[i]!);
    worst = Math.max(worst, d);
    if (i >= m - 10) rel.push(d / Math.abs(truth[i]!));
  }
  rel.sort((a, b) => a - b);
  return {
    maxOverLambdaMax: worst / truth[0]!,
    bottomMaxRel: rel[rel.length - 1] ?? Number.NaN,
    bottomMedianRel: rel.length > 0 ? (rel[(rel.length - 1) >> 1]! + rel[rel.length >> 1]!) / 2 : Number.NaN,
  };
}

function jacobianCase(n: number, cols: number): BenchCase {
  const jBytes = n * cols * 4;
  // Applies of J and Jᵀ over n steps dominate: 8nP bytes per step.
  const predict = (env: BenchEnv): number => 3 * env.predictSeconds({ bytes: n * 8 * n * cols, flops: n * 4 * n * cols });
  return {
    label: `n=${n} P=${cols}`,
    params: { n, cols },
    memory: {
      largestBuffer: Math.max(jBytes, (n + 2) * cols * 4),
      gpu: jBytes + (n + 2) * (n + cols) * 4 + n * n * 4,
      host: 3 * n * cols * 8,
    },
    predictSeconds: predict,
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx } = env;
      const jacobian = benchJacobian(n, cols);
      const k64 = kernelFromJacobianF64(jacobian, n, cols);
      const truth = symmetricEigen(k64, n).values.slice().reverse();
      const options = { k: n, which: 'largest' as const, vectors: 'gpu' as const, seed: 0 };
      const timing = env.timing(predict(env) / 3);
      using jop = await jacobianOperator(ctx, { n, p: cols, data: jacobian });
      using kop = await denseOperator(ctx, { n, data: Float32Array.from(k64) });
      const routes = {
        golubKahan: () => eigshJacobian(jop, options),
        lanczosJ: () => eigsh(jop, options),
        lanczosK: () => eigsh(kop, options),
      };
      const values: Record<string, Float64Array> = {};
      const applies: Record<string, number> = {};
      const times: Record<string, Awaited<ReturnType<typeof measure>>> = {};
      for (const [route, solve] of Object.entries(routes)) {
        times[route] = await measure(
          `eigsh-jacobian ${route} n=${n} P=${cols}`,
          async () => {
            using sol = await solve();
            const r = sol.results[0]!;
            values[route] = r.eigenvalues;
            applies[route] = r.applies;
          },
          timing,
        );
      }
      const err = Object.fromEntries(Object.entries(values).map(([route, v]) => [route, errors(v, truth)]));
      const gk = times.golubKahan!;
      return {
        label: `n=${n} P=${cols}`,
        params: { n, cols },
        time: gk,
        measurements: { lanczosJ: times.lanczosJ!, lanczosK: times.lanczosK! },
        metrics: {
          overLanczosJ: gk.median / times.lanczosJ!.median,
          overLanczosK: gk.median / times.lanczosK!.median,
          lambdaMinOverMax: truth[n - 1]! / truth[0]!,
          golubKahanApplies: applies.golubKahan!,
          golubKahanMaxErrorOverLambdaMax: err.golubKahan!.maxOverLambdaMax,
          golubKahanBottom10MaxRelError: err.golubKahan!.bottomMaxRel,
          golubKahanBottom10MedianRelError: err.golubKahan!.bottomMedianRel,
          lanczosJBottom10MedianRelError: err.lanczosJ!.bottomMedianRel,
          lanczosKBottom10MedianRelError: err.lanczosK!.bottomMedianRel,
          // The cost model of the module documentation, per step averaged over n steps (FLOPs).
          modelAppliesFlopsPerStep: 4 * n * cols,
          modelFullRightCgsFlopsPerStep: 4 * n * cols,
          modelOneSidedRightCgsFlopsPerStep: 8 * cols,
          modelLeftCgsFlopsPerStep: 4 * n * n,
        },
      };
    },
  };
}

/** The Golub–Kahan vs Lanczos benchmark group at P ≫ n. */
export const eigshJacobianGroup: BenchGroup = {
  id: 'eigsh-jacobian',
  title: 'eigsh on a wide Jacobian (P ≫ n): Golub–Kahan vs Lanczos',
  description:
    'All n eigenpairs of K = J Jᵀ (k = n, largest, Ritz vectors on the GPU: as analyze solves a jacobian checkpoint) for an n × P ' +
    `Jacobian with λ over ${DECADES} decades, resident operators: Golub–Kahan on J (headline; one-sided: only the n-long left basis ` +
    'is reorthogonalized in full), Lanczos on J(Jᵀx), Lanczos on the f32 kernel K. Accuracy against σ² from a float64 Gram matrix of ' +
    'the f32 J. Model per step (averaged over n steps): applies 4nP FLOPs; CGS2 of the P-long right candidate 4nP with full ' +
    'reorthogonalization, 8P one-sided; of the n-long left one 4n².',
  cases(scale) {
    return eigshJacobianShapes(scale).map(([n, cols]) => jacobianCase(n, cols));
  },
};
