/**
 * Group `slq`: stochastic Lanczos quadrature (lanczosQuadrature) with P Gaussian probes and m
 * steps on one dense n×n matrix, end to end (upload included), against the same computation in
 * numpy (float64, the same probe vectors and steps) and grsd's float64 reference.
 *
 * Counting: the P probes are applied together (matVecT streams the matrix once per 8 vectors):
 * bytes = 4n²·m·⌈P/8⌉ + 8n·m(m+1)·P, FLOPs = (2n²m + 4n·m(m+1))·P.
 * @module
 */
import { lanczosQuadrature } from '../../algorithms/quadrature.ts';
import { denseOperator } from '../../algorithms/operators.ts';
import { probeVector } from '../../reference/eigsh.ts';
import { measure } from '../harness.ts';
import { f64SlqPeer, pythonPeer, skippedPeer, withRatios, type PeerOutcome } from '../peers.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** Vectors the dense apply (matVecT) handles per pass over the matrix. */
const VECTORS_PER_PASS = 8;

/** Largest |top node − λ_max| / λ_max over probes (λ_max = 1 for the benchmark matrix). */
function topNodeError(topNodes: unknown): number {
  if (!Array.isArray(topNodes) || topNodes.length === 0) return Number.NaN;
  return Math.max(...(topNodes as number[]).map((v) => Math.abs(v - 1)));
}

function slqCase(n: number, probes: number, steps: number): BenchCase {
  const passes = Math.ceil(probes / VECTORS_PER_PASS);
  const bytes = 4 * n * n * steps * passes + 8 * n * steps * (steps + 1) * probes;
  const flops = (2 * n * n * steps + 4 * n * steps * (steps + 1)) * probes;
  return {
    label: `n=${n} probes=${probes} steps=${steps}`,
    params: { n, batch: 1, probes, steps },
    memory: {
      largestBuffer: Math.max(n * n * 4, probes * (steps + 1) * n * 4),
      gpu: n * n * 4 + probes * (steps + 2) * n * 4,
      host: n * n * 4 * 6,
    },
    ...(steps > n ? { skipReason: `steps = ${steps} exceeds n = ${n}` } : {}),
    predictSeconds: (env) => env.predictSeconds({ bytes, flops }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx, scale } = env;
      const matrix = env.matrix(n);
      const options = { steps, probes, seed: 0 };
      const timing = env.timing(env.predictSeconds({ bytes, flops }));
      let topNodes: number[] = [];
      const time = await measure(
        `slq n=${n}`,
        async () => {
          using op = await denseOperator(ctx, { n, data: matrix });
          const rules = (await lanczosQuadrature(op, options))[0]!;
          topNodes = rules.map((r) => r.nodes[r.nodes.length - 1]!);
        },
        timing,
      );
      let resident;
      {
        using op = await denseOperator(ctx, { n, data: matrix });
        resident = await measure(`slq resident n=${n}`, () => lanczosQuadrature(op, options), timing);
      }
      const t = time.median;
      const peerTiming = { warmup: scale.warmup, repeats: scale.repeats, maxSeconds: scale.maxSeconds };
      const probeData = new Float64Array(probes * n);
      for (let j = 0; j < probes; j++) probeData.set(probeVector(0, j, n), j * n);
      const peers: PeerOutcome[] = [
        await pythonPeer({ peer: 'numpy-slq', n, steps, probes, ...peerTiming }, matrix, probeData, env.peers),
        env.peers.disabledReason
          ? skippedPeer('grsd-f64-slq', env.peers.disabledReason)
          : n > scale.f64MaxN
            ? skippedPeer('grsd-f64-slq', `n = ${n} > ${scale.f64MaxN}: the float64 reference is for small n`)
            : await f64SlqPeer(matrix, n, options, peerTiming),
      ].map((p) => (p.result ? { ...p, result: { ...p.result, topNodeError: topNodeError(p.result.topNodes) } } : p));
      return {
        label: `n=${n} probes=${probes} steps=${steps}`,
        params: { n, batch: 1, probes, steps },
        time,
        measurements: { resident },
        metrics: {
          bytes,
          flops,
          gbPerS: bytes / t / 1e6,
          gflopPerS: flops / t / 1e6,
          residentGbPerS: bytes / resident.median / 1e6,
          residentFractionOfCopyBandwidth: bytes / resident.median / 1e6 / env.roofline.copy.gbPerS,
          residentMs: resident.median,
          topNodeError: topNodeError(topNodes),
        },
        peers: withRatios(peers, time),
      };
    },
  };
}

/** The SLQ benchmark group. */
export const slqGroup: BenchGroup = {
  id: 'slq',
  title: 'Stochastic Lanczos quadrature',
  description:
    'lanczosQuadrature with P Gaussian probes × m steps on one dense n×n matrix, upload included ("resident": without). ' +
    'Bytes = 4n²·m·⌈P/8⌉ + 8n·m(m+1)·P, FLOPs = (2n²m + 4n·m(m+1))·P. Peers: the same CGS2 quadrature in numpy ' +
    "(float64, same probes and steps) and grsd's float64 reference.",
  cases(scale) {
    const { n, probes, steps } = scale.slq;
    return [...n].sort((a, b) => a - b).map((size) => slqCase(size, probes, steps));
  },
};
