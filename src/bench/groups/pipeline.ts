/**
 * Group `pipeline`: a full GRSD analysis of a checkpoint series, end to end from host arrays —
 * `analyzeSeries` on the GPU (per checkpoint: upload, top-r eigsh with Ritz vectors, amplitudes,
 * binning; per interval: the transport estimator and the Kato terms) then `analyzeGrsd` (fits,
 * log-shift invariance with its permutation test, the four conditions).
 *
 * The series: K checkpoints of dense n×n kernels drifting slowly from one to the next
 * (K_i = (1 − s_i)·A + s_i·B_i, s_i = 0.02·i, A and B_i with power-law spectra), residuals decaying
 * geometrically. Peers: the same core in numpy (float64: `eigh` per checkpoint, top r, amplitudes,
 * binning on grsd's grid, the flow estimator between consecutive checkpoints — no fits), and
 * grsd's own float64 CPU backend (`analyzeSeries('cpu', …)` + `analyzeGrsd`) at small n.
 * @module
 */
import { analyzeGrsd } from '../../analysis/grsdAnalysis.ts';
import { analyzeSeries, type CheckpointData, type SeriesResult } from '../../analysis/series.ts';
import { Random } from '../../util/random.ts';
import { measure } from '../harness.ts';
import { hostPeer, pythonScriptPeer, PYTHON_PRELUDE, skippedPeer, withRatios } from '../peers.ts';
import { benchMatrix } from '../problems.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** The benchmark series (see the module comment). */
export function pipelineSeries(n: number, checkpoints: number, seed = 3): CheckpointData[] {
  const base = benchMatrix(n, seed);
  const rng = new Random(seed + 1);
  const e0 = rng.normals(n);
  return Array.from({ length: checkpoints }, (_, i) => {
    const s = 0.02 * i;
    const other = i === 0 ? base : benchMatrix(n, seed + 100 + i);
    const kernel = Float32Array.from(base, (x, j) => (1 - s) * x + s * other[j]!);
    const decay = Math.exp(-0.25 * i);
    return { t: i, kernel, residual: Float64Array.from(e0, (x) => x * decay), label: `checkpoint ${i}` };
  });
}

/** The numpy pipeline core: eigh, top r, amplitudes, binning on the given grid, flow estimator. */
const PIPELINE_SCRIPT = `${PYTHON_PRELUDE}
K, n, r = int(spec["checkpoints"]), int(spec["n"]), int(spec["rank"])
log_ref, h, alpha_min, count = float(spec["logRef"]), float(spec["width"]), int(spec["alphaMin"]), int(spec["count"])
S = count + 1
kernels = take(K * n * n, "<f4").reshape(K, n, n)
residuals = take(K * n, "<f8").reshape(K, n)
def shells_of(lam):
    idx = np.floor((np.log(np.maximum(lam, 1e-300)) - log_ref) / h).astype(np.int64) - alpha_min
    return np.where((idx < 0) | (idx >= count) | (lam <= 0), count, idx)
def pipeline():
    prev = None; out = []
    for i in range(K):
        w, V = np.linalg.eigh(kernels[i].astype(np.float64))
        lam = w[::-1][:r]; V = V[:, ::-1][:, :r].T
        a = residuals[i]; c = V @ a; idx = shells_of(lam)
        energy = np.bincount(idx, weights=c * c, minlength=S)
        if prev is not None:
            U, oi = prev
            al = U @ a; O = U @ V.T; g = O.T @ al
            Pold = np.zeros((r, S)); Pold[np.arange(r), oi] = 1
            Pnew = np.zeros((r, S)); Pnew[np.arange(r), idx] = 1
            core = Pnew.T @ ((O.T * c[:, None]) * al[None, :]) @ Pold
            F = np.zeros((S + 1, S + 1)); F[:S, :S] = core
            F[S, :S] = np.bincount(oi, weights=al ** 2, minlength=S) - core.sum(axis=0)
            F[:S, S] = np.bincount(idx, weights=c * (c - g), minlength=S)
            F[S, S] = a @ a - F.sum()
            out.append(F)
        prev = (V, idx)
    return energy
samples, energy = timed(pipeline)
finish(samples, {"lastEnergy": energy.tolist()})
`;

function pipelineCase(n: number, checkpoints: number, rank: number, f64MaxN: number): BenchCase {
  const label = `n=${n} checkpoints=${checkpoints} rank=${rank}`;
  const params = { n, checkpoints, rank };
  // Lanczos ≈ 1.5r + 10 steps per checkpoint, each one dense apply plus CGS2 reorthogonalization.
  const steps = Math.ceil(1.5 * rank + 10);
  const bytes = checkpoints * steps * n * n * 4;
  const flops = checkpoints * (2 * steps * n * n + 8 * steps * steps * n + 4 * rank * rank * n);
  return {
    label,
    params,
    memory: {
      largestBuffer: Math.max(n * n, (steps + 1) * n) * 4,
      gpu: (2 * n * n + 2 * (steps + 1) * n + 2 * rank * n) * 4,
      host: checkpoints * n * n * 4 * 2,
    },
    ...(rank > n ? { skipReason: `rank = ${rank} exceeds n = ${n}` } : {}),
    predictSeconds: (env) => env.predictSeconds({ bytes, flops }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx, scale } = env;
      const series = pipelineSeries(n, checkpoints);
      let result: SeriesResult | null = null;
      const time = await measure(
        `pipeline ${label}`,
        async () => {
          result = await analyzeSeries(ctx, series, { rank, timeScale: 1, seed: 0 });
          analyzeGrsd(result, { lsi: { seed: 0 } });
        },
        env.timing(env.predictSeconds({ bytes, flops })),
      );
      const grid = (result as SeriesResult | null)?.grid;
      const t = time.median;
      const peerTiming = { warmup: scale.warmup, repeats: scale.repeats, maxSeconds: scale.maxSeconds };
      const kernels = new Float32Array(checkpoints * n * n);
      const residuals = new Float64Array(checkpoints * n);
      series.forEach((cp, i) => {
        kernels.set(cp.kernel as Float32Array, i * n * n);
        residuals.set(cp.residual as Float64Array, i * n);
      });
      const numpy = grid
        ? await pythonScriptPeer(
            'numpy-pipeline',
            PIPELINE_SCRIPT,
            {
              checkpoints,
              n,
              rank,
              logRef: Math.log(grid.lambdaRef),
              width: grid.width,
              alphaMin: grid.alphaMin,
              count: grid.count,
              ...peerTiming,
            },
            [kernels, residuals],
            env.peers,
          )
        : skippedPeer('numpy-pipeline', 'the GPU run produced no grid');
      const cpu = env.peers.disabledReason
        ? skippedPeer('grsd-cpu-pipeline', env.peers.disabledReason)
        : n > f64MaxN
          ? skippedPeer('grsd-cpu-pipeline', `n = ${n} > ${f64MaxN}: the float64 backend diagonalizes every kernel densely in JavaScript`)
          : await hostPeer(
              'grsd-cpu-pipeline',
              async () => {
                analyzeGrsd(await analyzeSeries('cpu', series, { rank, timeScale: 1, seed: 0 }), { lsi: { seed: 0 } });
              },
              peerTiming,
            );
      return {
        label,
        params,
        time,
        metrics: {
          secondsPerCheckpoint: t / 1000 / checkpoints,
          estimatedBytes: bytes,
          estimatedFlops: flops,
          gbPerS: bytes / t / 1e6,
          fractionOfCopyBandwidth: bytes / t / 1e6 / env.roofline.copy.gbPerS,
        },
        peers: withRatios([{ ...numpy, result: undefined }, cpu], time),
        notes: [
          'bytes and FLOPs are estimates (≈1.5r + 10 Lanczos steps per checkpoint); the time is measured end to end from host arrays',
        ],
      };
    },
  };
}

/** The full-pipeline benchmark group. */
export const pipelineGroup: BenchGroup = {
  id: 'pipeline',
  title: 'Full GRSD analysis of a checkpoint series',
  description:
    'analyzeSeries (GPU: upload, top-r eigsh with vectors, amplitudes, binning, transport and Kato per interval) + analyzeGrsd (fits, LSI permutation test, conditions), ' +
    'end to end from host arrays, on K slowly drifting dense n×n kernels. Peers: the same core in numpy (eigh per checkpoint, float64; no fits) and grsd’s float64 CPU backend at small n.',
  cases(scale) {
    const { n, checkpoints, rank, f64MaxN } = scale.pipeline;
    return [...n].sort((a, b) => a - b).map((size) => pipelineCase(size, checkpoints, Math.min(rank, size), f64MaxN));
  },
};
